"""Every flex template and view, rendered with realistic data and checked against LINE's limits
and line-bot-sdk's models (FlexMessage, FlexContainer.from_json, TextMessage, ReplyMessageRequest).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from bot.postback import parse_postback, postback_data
from bot.views import messages as views
from bot.views import render, style
from bot.views.actions import Choice, quick_reply_items
from bot.views.labels import grapheme_clusters, label_length, truncate_label
from bot.views.limits import check_messages, json_size
from ita_core.analysis import Trend
from ita_core.recommendations import Recommendation
from tests.bot.views import samples as s
from tests.bot.views.measure_samples import measure_cases

Messages = list[dict[str, Any]]
CHIANGPHIN = "องค์การบริหารส่วนตำบลเชียงพิณ"


def _cases() -> dict[str, Callable[[], Messages]]:
    r, long = s.chiangphin_2568(), s.long_name_2568()
    return {
        "overall": lambda: views.overall_messages(r, s.analysis(r), s.comparison()),
        "overall, long name, own target, public": lambda: views.overall_messages(
            long, s.analysis(long), s.long_comparison(), public=True
        ),
        "overall, first year": lambda: views.overall_messages(long, s.analysis(long), None),
        "overall, letter scale": lambda: views.overall_messages(
            s.agency_year(2563, ["100"] * 10), s.analysis(s.agency_year(2563, ["100"] * 10))
        ),
        "overall, reported only": lambda: views.overall_messages(s.reported_only(), s.analysis(s.reported_only())),
        "tools, reported only": lambda: views.tool_messages(s.reported_only()),
        "indicator, reported only": lambda: views.indicator_messages(s.reported_only(), 9),
        "strengths, reported only": lambda: views.strengths_messages(s.analysis(s.reported_only())),
        "weaknesses, reported only": lambda: views.weaknesses_messages(s.analysis(s.reported_only(), "90")),
        "indicator 9 with advice": lambda: views.indicator_messages(
            r, 9, s.analysis(r), s.recommendations_for(r, indicator=9)[:3], s.comparison()
        ),
        "sub-indicator 9.2": lambda: views.indicator_messages(r, 9, None, (), s.comparison(), sub_indicator="9.2"),
        "indicator 4, null titles": lambda: views.indicator_messages(
            long, 4, s.analysis(long), (), s.long_comparison()
        ),
        "indicator without score": lambda: views.indicator_messages(s.agency_year(2568, ["90"] * 10), 10),
        "indicator out of range": lambda: views.indicator_messages(r, 11),
        "tool OIT": lambda: views.tool_messages(r, "OIT", s.comparison()),
        "tools, EIT parts": lambda: views.tool_messages(long, None, s.long_comparison()),
        "item o23": lambda: views.question_messages(r, "o23", s.comparison(), s.recommendations_for(r, question="o23")),
        "item with null title": lambda: views.question_messages(long, "I10"),
        "item without score": lambda: views.question_messages(s.chiangphin_2567(), "o5"),
        "unknown item": lambda: views.question_messages(r, "o99"),
        "compare": lambda: views.compare_messages(s.comparison()),
        "compare, long name": lambda: views.compare_messages(s.long_comparison()),
        "trend": lambda: views.trend_messages(s.trend_five_years()),
        "trend, one year": lambda: views.trend_messages(Trend("X", CHIANGPHIN, s.trend_five_years().points[-1:], [])),
        "strengths": lambda: views.strengths_messages(s.analysis(r)),
        "strengths, none": lambda: views.strengths_messages(s.analysis(long, "95")),
        "weaknesses 90": lambda: views.weaknesses_messages(s.analysis(long, "90")),
        "weaknesses, none": lambda: views.weaknesses_messages(s.analysis(s.agency_year(2568, ["99"] * 10))),
        "recommendations, ten long": lambda: views.recommendations_messages(long, s.ten_long_recommendations()),
        "recommendations, engine": lambda: views.recommendations_messages(r, s.recommendations_for(r)),
        "recommendations, indicator": lambda: views.recommendations_messages(
            r, s.recommendations_for(r, indicator=10), indicator=10
        ),
        "recommendations, none": lambda: views.recommendations_messages(r, [], tool="IIT"),
        "ranking, province": lambda: views.ranking_messages(s.rank(), CHIANGPHIN),
        "ranking, in the top, no name": lambda: views.ranking_messages(s.rank("national", own_in_top=True)),
        "ranking, type": lambda: views.ranking_messages(s.rank("type"), s.LONG_NAME),
        "ranking, district": lambda: views.ranking_messages(s.rank("district"), CHIANGPHIN, public=True),
        "choose indicator": lambda: views.choose_indicator_messages(2568),
        "result notification": lambda: views.result_notification_messages(r, s.analysis(r), s.comparison()),
        "help": lambda: views.help_messages(),
        "help in a group": lambda: views.help_messages(public=True),
        "welcome": lambda: views.welcome_messages(),
        "welcome, default agency": lambda: views.welcome_messages(default_agency=s.LONG_NAME),
        "welcome, default agency flag": lambda: views.welcome_messages(default_agency=True),
        "welcome, registered": lambda: views.welcome_messages(registered=True),
        "group welcome": lambda: views.group_welcome_messages(),
        "greeting": lambda: views.greeting_messages(registered=False),
        "clarify, intents and slots": lambda: views.clarify_messages(
            [("indicator_score", {"indicator": 9, "year": None}), ("tool_score", {"tool": "OIT"}), ("weaknesses", {})]
        ),
        "clarify, labels and data": lambda: views.clarify_messages(
            [
                (f"ตัวชี้วัดที่ {n} การเปิดเผยข้อมูลต่อสาธารณะทั้งหมด", postback_data("indicator_score", indicator=n))
                for n in (9, 9, 10, 4, 5)
            ]
        ),
        "no data": lambda: views.no_data_messages(
            2560, [2563, 2566, 2567, 2568], intent="indicator_score", slots={"indicator": 9, "year": 2560}
        ),
        "no data at all": lambda: views.no_data_messages(None, (), agency_name=CHIANGPHIN),
        "no data, many years": lambda: views.no_data_messages(2550, list(range(2551, 2569))),
        "register help": lambda: views.register_help_messages(),
        "register in group": lambda: views.register_in_group_messages(),
        "register failed": lambda: views.register_failed_messages("expired"),
        "registered": lambda: views.registered_messages(CHIANGPHIN, "staff", "กองคลัง"),
        "needs registration": lambda: views.needs_registration_messages(),
        "private in group": lambda: views.private_in_group_messages(),
        "unknown": lambda: views.unknown_messages(),
        "apology": lambda: views.apology_messages(),
        "sticker": lambda: views.non_text_messages("sticker"),
    }


CASES = {**_cases(), **measure_cases()}  # measures, tasks and reminders: tests/bot/views/test_measures_views.py


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _actions(messages: Messages) -> list[dict[str, Any]]:
    return [node["action"] for node in _walk(messages) if isinstance(node.get("action"), dict)]


def _texts(messages: Messages) -> list[dict[str, Any]]:
    return [node for node in _walk(messages) if node.get("type") == "text" and "size" in node]


@pytest.mark.parametrize("name", sorted(CASES))
def test_view_passes_line_limits_and_sdk_models(name: str) -> None:
    messages = CASES[name]()
    assert messages and all(isinstance(m, dict) for m in messages)
    assert check_messages(messages) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_flex_answer_works_without_quick_replies(name: str) -> None:
    """LINE for PC shows no quick replies: each flex answer carries tappable actions of its own."""
    for message in CASES[name]():
        if message["type"] == "flex":
            assert _actions([message["contents"]]), name
            assert message["altText"].strip()


def test_every_template_is_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    env = render.environment()
    used: set[str] = set()
    original = env.get_template

    def spy(name: str, *args: Any, **kwargs: Any) -> Any:
        used.add(name.removeprefix("flex/").removesuffix(render.FLEX_SUFFIX))
        return original(name, *args, **kwargs)

    monkeypatch.setattr(env, "get_template", spy)
    for case in CASES.values():
        case()
    assert set(render.flex_template_names()) <= used


def test_alt_text_reads_like_the_report() -> None:
    (message,) = CASES["overall"]()
    assert message["altText"].startswith("ITA 2568 อบต.เชียงพิณ: 90.42 คะแนน ระดับผ่าน (ลดลง 4.74)")


def test_overall_shows_all_ten_indicators_with_changes() -> None:
    (message,) = CASES["overall"]()
    _summary, indicators = message["contents"]["contents"]
    texts = [t["text"] for t in _texts([indicators])]
    for number, name in [(1, "การปฏิบัติหน้าที่"), (4, "การใช้ทรัพย์สินของราชการ"), (10, "การป้องกันการทุจริต")]:
        assert f"{number} {name}" in texts
    assert "▼ 25.00" in texts and "▲ 0.71" in texts and "คงที่" in texts
    rows = [a for a in _actions([indicators]) if parse_postback(a["data"])[0] == "indicator_score"]
    assert sorted(parse_postback(a["data"])[1]["indicator"] for a in rows) == list(range(1, 11))  # type: ignore[type-var]
    assert all(parse_postback(a["data"])[1]["year"] == 2568 for a in rows)


def test_changes_are_green_red_or_neutral() -> None:
    (message,) = CASES["compare"]()
    colours = {t["text"]: t["color"] for t in _texts(message["contents"])}
    assert colours["▲ 6.67"] == style.UP_GREEN
    assert colours["▼ 25.00"] == style.DOWN_RED
    assert colours["คงที่"] == style.SAME_GREY


def test_level_badges_use_level_colours() -> None:
    levels = {"overall": "ผ่าน", "overall, long name, own target, public": "ไม่ผ่าน", "overall, letter scale": "AA"}
    for case, level in levels.items():
        (message,) = CASES[case]()
        badge = next(
            box
            for box in _walk(message["contents"])
            if box.get("type") == "box" and any(c.get("text") == level for c in box.get("contents", []))
        )
        assert badge["backgroundColor"] == style.level_colour(level)


def test_bars_are_proportional_and_coloured_by_target() -> None:
    (message,) = CASES["weaknesses 90"]()
    bars = [b for b in _walk(message["contents"]) if str(b.get("width", "")).endswith("%")]
    widths = {b["width"] for b in bars}
    assert {"38%", "46%", "70%"} <= widths  # 37.50, 45.50, 69.92
    assert style.score_colour(Decimal("37.50"), Decimal(90)) == style.BELOW_RED
    assert style.score_colour(Decimal("88.00"), Decimal(90)) == style.NEAR_ORANGE
    assert style.score_colour(Decimal("90.00"), Decimal(90)) == style.GOOD_GREEN
    assert style.score_colour(Decimal("97.00"), Decimal(90)) == style.EXCELLENT_GREEN


def test_long_thai_names_wrap() -> None:
    for case in (
        "overall, long name, own target, public",
        "tools, EIT parts",
        "ranking, type",
        "welcome, default agency",
    ):
        nodes = [t for t in _texts(CASES[case]()) if s.LONG_NAME in t["text"]]
        assert nodes, case
        assert all(t.get("wrap") is True for t in nodes), case


def test_items_without_official_wording_say_so() -> None:
    (message,) = CASES["item with null title"]()
    texts = [t["text"] for t in _texts(message["contents"])]
    assert "ข้อ I10" in texts
    assert any("ไม่มีข้อความทางการ" in t for t in texts)


def test_weaknesses_use_the_threshold_and_list_oit_gaps() -> None:
    (message,) = CASES["weaknesses 90"]()
    texts = [t["text"] for t in _texts(message["contents"])]
    assert "ต่ำกว่า 90 คะแนน 9 ตัวชี้วัด" in texts
    assert any(t.startswith("ข้อ OIT ที่ได้ 0 คะแนน: O6, O10") for t in texts)
    thresholds = [parse_postback(i["action"]["data"]) for i in message["quickReply"]["items"]]
    assert ("weaknesses", {"threshold": "85", "year": 2568}) in thresholds


def test_recommendations_are_a_carousel_of_at_most_ten() -> None:
    (message,) = CASES["recommendations, ten long"]()
    bubbles = message["contents"]["contents"]
    assert message["contents"]["type"] == "carousel" and len(bubbles) == 10
    targets = [parse_postback(a["data"]) for a in _actions([bubbles])]
    assert ("question_score", {"question": "o6", "year": 2568}) in targets
    assert ("indicator_score", {"indicator": 10, "year": 2568}) in targets
    assert ("tool_score", {"tool": "OIT", "year": 2568}) in targets


def test_oversized_carousel_is_trimmed_to_fit() -> None:
    huge = [
        Recommendation(f"r{n}", "ก" * 2000, ("ข" * 600,) * 4, "indicator", "9", "เหตุผล", None, 3) for n in range(14)
    ]
    (message,) = views.recommendations_messages(s.chiangphin_2568(), huge)
    assert json_size(message["contents"]) <= 50_000
    assert 1 <= len(message["contents"]["contents"]) < 10
    assert check_messages([message]) == []


def test_public_answers_never_offer_measures_or_tasks() -> None:
    for case in ("overall, long name, own target, public", "help in a group", "group welcome", "ranking, district"):
        intents = {parse_postback(a["data"])[0] for a in _actions(CASES[case]())}
        assert not intents & {"measures", "my_tasks"}, case
    private = {parse_postback(a["data"])[0] for a in _actions(CASES["help"]())}
    assert {"measures", "my_tasks"} <= private


def test_clarify_offers_three_guesses_and_help() -> None:
    (message,) = CASES["clarify, intents and slots"]()
    buttons = [b["action"] for b in _walk(message["contents"]) if b.get("type") == "button"]
    assert [b["label"] for b in buttons] == ["ตัวชี้วัดที่ 9", "คะแนน OIT", "จุดอ่อน", "ช่วยเหลือ"]
    assert parse_postback(buttons[0]["data"]) == ("indicator_score", {"indicator": 9})
    (capped,) = CASES["clarify, labels and data"]()
    assert len(capped["quickReply"]["items"]) == 4
    assert [parse_postback(i["action"]["data"])[1].get("indicator") for i in capped["quickReply"]["items"]] == [
        9,
        10,
        4,
        None,
    ]


def test_no_data_lists_the_years_and_reasks_the_question() -> None:
    (message,) = CASES["no data"]()
    assert "2560" in message["text"] and "2563, 2566, 2567, 2568" in message["text"]
    first = parse_postback(message["quickReply"]["items"][0]["action"]["data"])
    assert first == ("indicator_score", {"indicator": 9, "year": 2568})


def test_results_without_indicator_scores_say_so() -> None:
    for case in ("strengths, reported only", "weaknesses, reported only"):
        (message,) = CASES[case]()
        assert "ไม่มีคะแนนรายตัวชี้วัดของปีนี้" in message["altText"], case
    (overall,) = CASES["overall, reported only"]()
    assert overall["contents"]["type"] == "carousel" and len(overall["contents"]["contents"]) == 1
    (tools,) = CASES["tools, reported only"]()
    assert "IIT ไม่มีคะแนน" in tools["altText"]


def test_text_fallbacks() -> None:
    assert CASES["indicator out of range"]()[0]["type"] == "text"
    assert CASES["unknown item"]()[0]["type"] == "text"
    assert "ลงทะเบียน AB12CD" in CASES["register help"]()[0]["text"]
    assert "กองคลัง" in CASES["registered"]()[0]["text"]


# --- escaping ---------------------------------------------------------------------------------

HOSTILE = 'อบต.ทดสอบ "คำพูด" \\ แบ็กสแลช\nบรรทัดใหม่ {{ x }} {% y %} </script> 🇹🇭 \u2028'


def test_strings_are_json_escaped_never_interpolated() -> None:
    result = s.agency_year(2568, s.S001_2568, name=HOSTILE)
    messages = views.overall_messages(result, s.analysis(result))
    names = [t["text"] for t in _texts(messages) if t["text"].startswith("อบต.ทดสอบ") or t["text"].startswith(HOSTILE)]
    assert HOSTILE in names
    assert check_messages(messages) == []


EXPRESSION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)
# Macro calls write JSON themselves; "," separators are literal.
SAFE = re.compile(r"^(p\.\w+\(|\w+_row\(|tool_bubble\(|\"?,\"? if |bar\(|badge\()")


def test_templates_write_values_only_through_tojson() -> None:
    folder = render.templates_dir()
    for path in sorted((folder / "flex").glob("*.j2")):
        for expression in EXPRESSION.findall(path.read_text(encoding="utf-8")):
            assert expression.endswith("|tojson") or SAFE.match(expression), f"{path.name}: {{{{ {expression} }}}}"


# --- labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("ข้อเสนอแนะ", 9),
        ("ที่", 1),
        ("น้ำ", 1),
        ("ตัวชี้วัดที่ 10", 9),
        ("จุดแข็งของเรามีอะไรบ้าง", 19),
        ("IIT", 3),
        ("🇹🇭", 1),
        ("👍🏽", 1),
        ("👨‍👩‍👧", 1),
        ("", 0),
    ],
)
def test_label_length_counts_grapheme_clusters(text: str, length: int) -> None:
    assert label_length(text) == length


def test_truncate_label_keeps_marks_with_their_letters() -> None:
    label = "ข้อเสนอแนะสำหรับตัวชี้วัดที่เก้าการเปิดเผยข้อมูล"
    cut = truncate_label(label, 20)
    assert label_length(cut) == 20 and cut.endswith("…")
    assert label.startswith(cut[:-1])
    assert grapheme_clusters(cut)[-2] == grapheme_clusters(label)[18]
    assert truncate_label("ที่นี่", 20) == "ที่นี่"


def test_quick_replies_are_capped_deduplicated_and_labels_cut() -> None:
    items = quick_reply_items([(f"ตัวชี้วัดที่ {n} การเปิดเผยข้อมูลสาธารณะ", f"intent=help&n={n % 15}") for n in range(30)])
    assert len(items) == 13
    assert all(label_length(i["action"]["label"]) <= 20 for i in items)


def test_check_messages_reports_each_broken_limit() -> None:
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "x"}]},
    }
    big = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "ก" * 11_000}]},
    }
    long_label = {"type": "postback", "label": "ก" * 21, "data": "intent=help"}
    messages: Messages = [
        {"type": "flex", "altText": "ก" * 1501, "contents": bubble},
        {"type": "flex", "altText": "x", "contents": {"type": "carousel", "contents": [bubble] * 13}},
        {"type": "flex", "altText": "x", "contents": big},
        {"type": "text", "text": "x", "quickReply": {"items": [{"type": "action", "action": long_label}] * 14}},
        {
            "type": "text",
            "text": "x",
            "quickReply": {
                "items": [
                    {"type": "action", "action": {"type": "postback", "label": "x", "data": "intent=nope&" + "a" * 300}}
                ]
            },
        },
        {"type": "text", "text": ""},
    ]
    problems = "\n".join(check_messages(messages, sdk=False))
    for expected in (
        "6 messages",
        "altText: 1501",
        "13 bubbles",
        "bytes, LINE allows 30000",
        "14 items",
        "is 21 characters",
        "LINE allows 300",
        "known intent",
        "empty",
    ):
        assert expected in problems


def test_check_messages_uses_the_sdk_models() -> None:
    broken = [{"type": "flex", "altText": "x", "contents": {"type": "bubble", "body": {"type": "box", "contents": []}}}]
    assert any("line-bot-sdk" in p for p in check_messages(broken))


# --- the environment --------------------------------------------------------------------------


def test_environment_is_built_once_and_compiles_every_template() -> None:
    env = render.environment()
    assert isinstance(env, Environment) and env is render.environment()
    assert env.auto_reload is False
    assert render.warm() == len(list((render.templates_dir() / "flex").glob("*.j2")))


def test_templates_folder_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = render.templates_dir()
    assert render.templates_dir(default) == default
    monkeypatch.setenv(render.TEMPLATES_ENV, str(default))
    assert render.templates_dir() == default
    with pytest.raises(render.TemplateError):
        render.templates_dir(tmp_path)
    with pytest.raises(render.TemplateError):
        render.render_flex("no-such-template", {})


def test_choice_postback_data_goes_through_postback_data() -> None:
    choice = Choice.of("จุดอ่อน", "weaknesses", year=2568)
    assert choice.data == postback_data("weaknesses", year=2568) == "intent=weaknesses&year=2568"
    assert (
        json.loads(json.dumps(views.text_message("x", [choice])))["quickReply"]["items"][0]["action"]["displayText"]
        == "จุดอ่อน"
    )
