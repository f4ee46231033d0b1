"""Pieces every view uses: plain and flex messages, footer buttons, follow-up quick replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.views.actions import QUICK_REPLY_MAX, Choice, postback_action, with_quick_replies
from bot.views.context import Button

Message = dict[str, Any]
ALT_TEXT_MAX = 1500
TEXT_MAX = 5000
FOOTER_BUTTONS_MAX = 3
PRIVATE_INTENTS = frozenset({"measures", "my_tasks"})  # need a linked account: never offered in groups


def text_message(text: str, quick_replies: Sequence[Choice | tuple[str, str]] | None = None) -> Message:
    """A text message (cut to LINE's 5,000 characters), with optional quick replies."""
    return with_quick_replies({"type": "text", "text": text[:TEXT_MAX]}, quick_replies)


def flex_message(
    alt_text: str, contents: dict[str, Any], quick_replies: Sequence[Choice | tuple[str, str]] | None = None
) -> Message:
    """A flex message around a rendered container; altText on one line, cut to LINE's 1,500 characters."""
    alt = " ".join(alt_text.split()) or "ผลการประเมิน ITA"
    if len(alt) > ALT_TEXT_MAX:
        alt = alt[: ALT_TEXT_MAX - 1] + "…"
    return with_quick_replies({"type": "flex", "altText": alt, "contents": contents}, quick_replies)


def help_choice() -> Choice:
    """The "ช่วยเหลือ" follow-up."""
    return Choice.of("ช่วยเหลือ", "help")


def buttons(choices: Sequence[Choice]) -> list[Button]:
    """Footer buttons: the first primary, the rest secondary; at most three."""
    return [
        Button("primary" if index == 0 else "secondary", postback_action(choice))
        for index, choice in enumerate(choices[:FOOTER_BUTTONS_MAX])
    ]


def intent_of(choice: Choice) -> str:
    """The intent a choice's postback data names."""
    return choice.data.split("&", 1)[0].removeprefix("intent=")


def quick(*groups: Sequence[Choice]) -> list[Choice]:
    """Quick replies from several groups, first come first kept, within 13 and with help kept last."""
    seen: set[str] = set()
    choices = []
    for choice in (c for group in groups for c in group):
        if choice.data not in seen:
            seen.add(choice.data)
            choices.append(choice)
    if len(choices) > QUICK_REPLY_MAX:
        helps = [c for c in choices if intent_of(c) == "help"]
        choices = [c for c in choices if intent_of(c) != "help"][: QUICK_REPLY_MAX - len(helps)] + helps
    return choices


def follow_ups(
    year: int | None,
    previous_year: int | None = None,
    *,
    public: bool,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> list[Choice]:
    """The usual next questions as quick replies, pinned to ``year`` (the latest when None).

    ``previous_year`` adds "เทียบปี <previous_year>"; ``public`` leaves out measures and tasks.
    """
    on = f" ปี {year}" if year else ""
    choices = [
        Choice.of("ภาพรวม", "overall_score", year=year, display=f"ผล ITA{on}"),
        Choice.of("จุดแข็ง", "strengths", year=year, display=f"จุดแข็ง{on}"),
        Choice.of("จุดอ่อน", "weaknesses", year=year, display=f"จุดอ่อน{on}"),
        Choice.of("ข้อเสนอแนะ", "recommendations", year=year, display=f"ข้อเสนอแนะ{on}"),
    ]
    if previous_year is not None and year is not None:
        choices.append(Choice.of(f"เทียบปี {previous_year}", "compare_years", year=previous_year, compare_year=year))
    elif year is None:
        choices.append(Choice.of("เทียบปีก่อน", "compare_years", display="เทียบกับปีที่แล้ว"))
    choices += [
        Choice.of("แนวโน้ม", "trend"),
        Choice.of("อันดับ", "ranking", year=year, display=f"อันดับ{on}"),
        Choice.of("OIT", "tool_score", tool="OIT", year=year, display=f"คะแนน OIT{on}"),
    ]
    if not public:
        choices += [Choice.of("มาตรการ", "measures"), Choice.of("งานของฉัน", "my_tasks")]
    choices.append(help_choice())
    return [c for c in choices if intent_of(c) not in exclude]


# Short Thai names of what each intent answers (clarifying questions, help).
_INTENT_LABELS = {
    "overall_score": "ผลคะแนนรวม",
    "indicator_score": "คะแนนตัวชี้วัด",
    "tool_score": "คะแนนรายเครื่องมือ",
    "question_score": "คะแนนรายข้อ",
    "compare_years": "เทียบสองปี",
    "trend": "แนวโน้มหลายปี",
    "strengths": "จุดแข็ง",
    "weaknesses": "จุดอ่อน",
    "recommendations": "ข้อเสนอแนะ",
    "measures": "มาตรการ",
    "my_tasks": "งานของฉัน",
    "ranking": "อันดับ",
    "register": "ลงทะเบียน",
    "help": "ช่วยเหลือ",
    "greeting": "ทักทาย",
}


def intent_label(intent: str, slots: Mapping[str, object] | None = None) -> str:
    """What a question is about, in a few Thai words: "ตัวชี้วัดที่ 9", "คะแนน OIT", "จุดอ่อน ปี 2567"."""
    values = slots or {}
    sub, indicator, tool, item = (values.get(k) for k in ("sub_indicator", "indicator", "tool", "question"))
    if intent == "indicator_score" and (sub or indicator):
        label = f"ตัวชี้วัด {sub}" if sub else f"ตัวชี้วัดที่ {indicator}"
    elif intent == "tool_score" and tool:
        label = f"คะแนน {tool}"
    elif intent == "question_score" and item:
        label = f"ข้อ {str(item).upper()}"
    else:
        label = _INTENT_LABELS.get(intent, intent)
    year = values.get("year")
    return f"{label} ปี {year}" if year else label
