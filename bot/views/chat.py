"""Conversation views: help, welcome, greeting, registration, clarifying questions, no data, errors.

Texts that only need words are text messages with quick replies; the help and welcome answers
are flex bubbles with buttons, so they also work on LINE for PC (which shows no quick replies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.postback import postback_data
from bot.views import style
from bot.views.actions import Choice, postback_action
from bot.views.common import (
    PRIVATE_INTENTS,
    Message,
    buttons,
    flex_message,
    follow_ups,
    help_choice,
    intent_label,
    quick,
    text_message,
)
from bot.views.context import Button, Focus, Header, HelpRow, Line
from bot.views.format import short_agency_name
from bot.views.render import render_flex

CLARIFY_MAX = 3
REGISTER_EXAMPLE = "ลงทะเบียน AB12CD"
Alternative = Choice | tuple[str, str] | tuple[str, Mapping[str, object]]

# (what, an example a person could type, intent, slots); measures and tasks need a linked account.
_HELP_EXAMPLES: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("ผลคะแนนรวมและระดับ", "ผล ITA ปีล่าสุด", "overall_score", {}),
    ("รายตัวชี้วัด", "คะแนนตัวชี้วัดที่ 9", "indicator_score", {"indicator": 9}),
    ("ตัวชี้วัดย่อย", "ตัวชี้วัด 9.2 ได้เท่าไร", "indicator_score", {"indicator": 9, "sub_indicator": "9.2"}),
    ("รายเครื่องมือ", "คะแนน OIT", "tool_score", {"tool": "OIT"}),
    ("รายข้อ", "ข้อ o12 ได้กี่คะแนน", "question_score", {"question": "o12"}),
    ("เทียบสองปี", "เทียบกับปีที่แล้ว", "compare_years", {}),
    ("แนวโน้มหลายปี", "แนวโน้มย้อนหลัง 5 ปี", "trend", {}),
    ("จุดแข็ง", "จุดแข็งของเรามีอะไรบ้าง", "strengths", {}),
    ("จุดอ่อน", "ตัวชี้วัดไหนต่ำกว่า 85", "weaknesses", {"threshold": "85"}),
    ("ข้อเสนอแนะ", "ควรปรับปรุงอะไรก่อน", "recommendations", {}),
    ("อันดับ", "อันดับในจังหวัด", "ranking", {"scope": "province"}),
    ("มาตรการของหน่วยงาน", "มาตรการปีนี้มีอะไรบ้าง", "measures", {}),
    ("งานที่ต้องติดตาม", "งานของฉัน", "my_tasks", {}),
)
_WELCOME_EXAMPLES = ("ผล ITA ปีล่าสุด", "ตัวชี้วัดไหนต่ำกว่า 85", "ควรปรับปรุงอะไรก่อน", "เทียบกับปีที่แล้ว")
_ROLE_LABELS = {"official": "ผู้รับผิดชอบงาน ITA", "executive": "ผู้บริหาร", "staff": "เจ้าหน้าที่"}
_REGISTER_FAILURES = {
    "unknown": "ไม่พบรหัสลงทะเบียนนี้ กรุณาตรวจสอบตัวอักษรอีกครั้ง",
    "expired": "รหัสลงทะเบียนนี้หมดอายุแล้ว กรุณาขอรหัสใหม่จากผู้ดูแลระบบของหน่วยงาน",
    "used": "รหัสลงทะเบียนนี้ถูกใช้ไปแล้ว รหัสใช้ได้ครั้งเดียว กรุณาขอรหัสใหม่จากผู้ดูแลระบบของหน่วยงาน",
}
_NON_TEXT = {
    "sticker": "สติกเกอร์",
    "image": "รูปภาพ",
    "video": "วิดีโอ",
    "audio": "ข้อความเสียง",
    "file": "ไฟล์",
    "location": "ตำแหน่งที่ตั้ง",
}


def _latest() -> Choice:
    return Choice.of("ผล ITA ล่าสุด", "overall_score", display="ผล ITA ปีล่าสุด")


def _help_rows(public: bool) -> list[tuple[str, str, str, dict[str, object]]]:
    return [e for e in _HELP_EXAMPLES if not (public and e[2] in PRIVATE_INTENTS)]


def help_messages(*, public: bool = False) -> list[Message]:
    """What the bot can do, each with a Thai example that can be tapped."""
    examples = _help_rows(public)
    rows = [
        HelpRow(what, f"“{example}”", postback_action(Choice(what, postback_data(intent, **slots), example)))
        for what, example, intent, slots in examples
    ]
    note = (
        "ในกลุ่มแสดงเฉพาะผลการประเมินที่เปิดเผยต่อสาธารณะ"
        if public
        else f"ลงทะเบียน: พิมพ์ \"ลงทะเบียน\" ตามด้วยรหัสที่ได้รับ เช่น {REGISTER_EXAMPLE}"
    )
    context = {"rows": rows, "note": note, "buttons": buttons([_latest()])}
    alt = "ผู้ช่วย ITA ถามได้ เช่น " + ", ".join(f"\"{example}\"" for _, example, _, _ in examples)
    replies = [Choice(example, postback_data(intent, **slots)) for _, example, intent, slots in examples]
    return [flex_message(alt, render_flex("help", context), replies)]


def welcome_messages(*, registered: bool = False, default_agency: str | bool | None = None) -> list[Message]:
    """On follow: how to register ("ลงทะเบียน <รหัส>") and what to ask.

    ``default_agency``: the name of the deployment's default agency (or just True when there is
    one), whose public results anyone may ask about before registering.
    """
    sections = []
    if not registered:
        sections.append(
            Focus(
                "ลงทะเบียน",
                [
                    Line("1. ขอรหัสลงทะเบียนจากผู้ดูแลระบบของหน่วยงาน", style.TEXT),
                    Line(f"2. พิมพ์ \"ลงทะเบียน\" ตามด้วยรหัส เช่น {REGISTER_EXAMPLE}", style.TEXT),
                    Line("รหัสใช้ได้ครั้งเดียวและมีวันหมดอายุ", style.MUTED),
                ],
            )
        )
        if default_agency:
            who = f"ของ{default_agency}" if isinstance(default_agency, str) else ""
            sections.append(Focus("ระหว่างนี้", [Line(f"ถามผลการประเมินที่เปิดเผยต่อสาธารณะ{who}ได้ทันที", style.PRIMARY)]))
    sections.append(Focus("ตัวอย่างคำถาม", [Line(f"“{e}”", style.PRIMARY) for e in _WELCOME_EXAMPLES]))
    choices = [_latest()] if registered or default_agency else []
    choices.append(Choice("ถามอะไรได้บ้าง", postback_data("help"), "ช่วยเหลือ"))
    intro = (
        "บัญชีนี้ลงทะเบียนแล้ว ถามผลคะแนน จุดแข็ง จุดอ่อน และข้อเสนอแนะของหน่วยงานได้เลย"
        if registered
        else "ดูผลคะแนน จุดแข็ง จุดอ่อน และข้อเสนอแนะของหน่วยงานได้ในแชทนี้"
    )
    context = {
        "header": Header("ยินดีต้อนรับ", "ผู้ช่วยผลการประเมิน ITA", "การประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ"),
        "intro": intro,
        "sections": sections,
        "buttons": buttons(choices),
    }
    alt = "ยินดีต้อนรับสู่ผู้ช่วย ITA "
    alt += "ถามผลการประเมินได้เลย เช่น \"ผล ITA ปีล่าสุด\"" if registered else (
        f"ลงทะเบียนโดยพิมพ์ \"ลงทะเบียน\" ตามด้วยรหัสที่ได้รับจากผู้ดูแลระบบ เช่น {REGISTER_EXAMPLE}"
    )
    replies = quick(choices, follow_ups(None, public=not registered))
    return [flex_message(alt, render_flex("welcome", context), replies)]


def group_welcome_messages() -> list[Message]:
    """On joining a group: only public results are shown here; what to ask."""
    context = {
        "header": Header("สวัสดีทุกคน", "ผู้ช่วยผลการประเมิน ITA", "การประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ"),
        "intro": "ในกลุ่มนี้จะแสดงเฉพาะผลการประเมินที่เปิดเผยต่อสาธารณะ มาตรการและงานติดตามดูได้ในแชทส่วนตัว",
        "sections": [Focus("ตัวอย่างคำถาม", [Line(f"“{e}”", style.PRIMARY) for e in _WELCOME_EXAMPLES])],
        "buttons": buttons([_latest(), Choice("ถามอะไรได้บ้าง", postback_data("help"), "ช่วยเหลือ")]),
    }
    alt = "ผู้ช่วย ITA: ในกลุ่มนี้แสดงเฉพาะผลการประเมินที่เปิดเผยต่อสาธารณะ ถามได้เลย เช่น \"ผล ITA ปีล่าสุด\""
    return [flex_message(alt, render_flex("welcome", context), follow_ups(None, public=True))]


def greeting_messages(*, registered: bool = True, public: bool = False) -> list[Message]:
    """Hello / thanks: a short answer with the common questions as quick replies."""
    text = "สวัสดี ผู้ช่วย ITA พร้อมตอบเรื่องผลการประเมินคุณธรรมและความโปร่งใสของหน่วยงาน ถามได้เลย เช่น \"ผล ITA ปีล่าสุด\""
    if not registered and not public:
        text += f"\nหากยังไม่ได้ลงทะเบียน พิมพ์ \"ลงทะเบียน\" ตามด้วยรหัส เช่น {REGISTER_EXAMPLE}"
    return [text_message(text, follow_ups(None, public=public or not registered))]


def register_help_messages() -> list[Message]:
    """How to register (the code is missing)."""
    text = (
        f"พิมพ์ \"ลงทะเบียน\" ตามด้วยรหัสที่ได้รับจากผู้ดูแลระบบของหน่วยงาน เช่น {REGISTER_EXAMPLE}\n"
        "รหัสใช้ได้ครั้งเดียวและมีวันหมดอายุ"
    )
    return [text_message(text, [help_choice()])]


def register_in_group_messages() -> list[Message]:
    """Registration was tried in a group: codes belong in a one-to-one chat."""
    text = "เพื่อความปลอดภัยของรหัส กรุณาลงทะเบียนในแชทส่วนตัวกับบัญชีนี้ แล้วพิมพ์ \"ลงทะเบียน\" ตามด้วยรหัส"
    return [text_message(text)]


def register_failed_messages(reason: str) -> list[Message]:
    """The code cannot be used: ``reason`` is unknown, expired or used."""
    text = _REGISTER_FAILURES.get(reason, "ลงทะเบียนไม่สำเร็จ กรุณาตรวจสอบรหัสหรือขอรหัสใหม่จากผู้ดูแลระบบของหน่วยงาน")
    return [text_message(text, [help_choice()])]


def registered_messages(agency_name: str, role: str, unit: str | None = None) -> list[Message]:
    """Registration succeeded: the agency and role the account is linked to, and what to ask first."""
    role_text = _ROLE_LABELS.get(role, role)
    if unit:
        role_text = f"{role_text} {unit}".strip()
    text = f"ลงทะเบียนเรียบร้อย บัญชีนี้เชื่อมกับ{agency_name}"
    if role_text:
        text += f" ในฐานะ{role_text}"
    text += "\nลองถาม \"ผล ITA ปีล่าสุด\" ได้เลย"
    return [text_message(text, follow_ups(None, public=False))]


def needs_registration_messages() -> list[Message]:
    """The question needs a linked account (or a default agency) and this chat has none."""
    text = (
        "ยังไม่ทราบว่าเป็นหน่วยงานใด กรุณาลงทะเบียนก่อน: "
        f"พิมพ์ \"ลงทะเบียน\" ตามด้วยรหัสที่ได้รับจากผู้ดูแลระบบของหน่วยงาน เช่น {REGISTER_EXAMPLE}"
    )
    return [text_message(text, [help_choice()])]


def private_in_group_messages() -> list[Message]:
    """Measures and tasks were asked in a group: they are shown only in a one-to-one chat."""
    text = "มาตรการและงานติดตามของหน่วยงานดูได้เฉพาะในแชทส่วนตัวกับบัญชีนี้ ในกลุ่มแสดงเฉพาะผลการประเมินที่เปิดเผยต่อสาธารณะ"
    return [text_message(text, follow_ups(None, public=True))]


def unknown_messages() -> list[Message]:
    """The matcher could not place the message: examples, and help."""
    text = (
        "ขออภัย ยังไม่เข้าใจคำถาม ลองพิมพ์ เช่น \"ผล ITA ปีล่าสุด\", \"คะแนนตัวชี้วัดที่ 9\" "
        "หรือ \"ควรปรับปรุงอะไรก่อน\" หรือพิมพ์ \"ช่วยเหลือ\" เพื่อดูทั้งหมด"
    )
    return [text_message(text, [_latest(), *follow_ups(None, public=True, exclude={"overall_score"})])]


def apology_messages() -> list[Message]:
    """Something unexpected went wrong (logged elsewhere): a polite apology."""
    return [text_message("ขออภัย ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้งในอีกสักครู่", [help_choice()])]


def non_text_messages(kind: str = "") -> list[Message]:
    """The polite reply to stickers, images and other non-text messages."""
    what = _NON_TEXT.get(kind, "ข้อความประเภทนี้")
    text = f"ขออภัย ผู้ช่วย ITA ยังอ่าน{what}ไม่ได้ ลองพิมพ์คำถาม เช่น \"คะแนนตัวชี้วัดที่ 9\" หรือ \"ช่วยเหลือ\""
    return [text_message(text, [_latest(), help_choice()])]


def clarify_messages(alternatives: Sequence[Alternative], question: str = "หมายถึงเรื่องใดต่อไปนี้") -> list[Message]:
    """"หมายถึง…?": up to three best guesses plus "ช่วยเหลือ", as buttons and as quick replies.

    Each guess is a :class:`Choice`, a ``(label, postback data)`` pair, or an ``(intent, slots)``
    pair from the matcher (labelled here, e.g. "ตัวชี้วัดที่ 9").
    """
    unique: dict[str, Choice] = {}
    for alternative in alternatives:
        choice = _as_choice(alternative)
        unique.setdefault(choice.data, choice)
    choices = list(unique.values())[:CLARIFY_MAX]
    all_choices = [*choices, help_choice()]
    context = {
        "question": question,
        "buttons": [*(Button("secondary", postback_action(c)) for c in choices), Button("link", postback_action(help_choice()))],
    }
    alt = f"{question}: " + " / ".join(c.label for c in choices) if choices else question
    return [flex_message(alt, render_flex("clarify", context), all_choices)]


def _as_choice(alternative: Alternative) -> Choice:
    if isinstance(alternative, Choice):
        return alternative
    first, second = alternative
    if isinstance(second, Mapping):
        slots = {k: v for k, v in second.items() if v is not None and k != "code"}
        return Choice(intent_label(first, slots), postback_data(first, **slots))
    return Choice(first, second)


def no_data_messages(
    year: int | None,
    years_available: Sequence[int],
    *,
    intent: str = "overall_score",
    slots: Mapping[str, object] | None = None,
    agency_name: str | None = None,
) -> list[Message]:
    """No result for that year: say so, list the years that exist, offer them as quick replies."""
    what = " ".join(part for part in ("ผลการประเมิน ITA", f"ปี {year}" if year is not None else "") if part)
    what += f" ของ{short_agency_name(agency_name)}" if agency_name else ""
    years = sorted(set(years_available))
    if not years:
        return [text_message(f"ยังไม่มี{what}ในระบบ", [help_choice()])]
    text = (
        f"ไม่พบ{what}\n"
        f"มีข้อมูลปี {', '.join(str(y) for y in years)}\n"
        f"พิมพ์ปีที่ต้องการได้เลย เช่น \"ปี {years[-1]}\""
    )
    base = {k: v for k, v in (slots or {}).items() if k not in ("year", "year_offset", "code") and v is not None}
    choices = [Choice(f"ปี {y}", postback_data(intent, **{**base, "year": y})) for y in reversed(years[-12:])]
    return [text_message(text, [*choices, help_choice()])]
