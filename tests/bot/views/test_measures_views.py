"""Views of measures, open items, reminders and the overdue summary, with the seed measures of S001
(20 measures, FY2569) and S003 (quarterly and twice-yearly, FY2565): LINE's limits, the task
buttons' postback data, altText, and Thai dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.postback import parse_postback, postback_data
from bot.views import messages as views
from bot.views import style
from bot.views.labels import label_length
from bot.views.limits import CAROUSEL_MAX_BYTES, check_messages, json_size
from bot.views.measures import due_bucket, due_phrase, indicator_label, rhythm_text
from tests.bot.views import measure_samples as m

Messages = list[dict[str, Any]]
CASES = m.measure_cases()


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _texts(node: Any) -> list[str]:
    return [n["text"] for n in _walk(node) if n.get("type") == "text" and "size" in n]


def _coloured(node: Any) -> dict[str, str]:
    return {n["text"]: n["color"] for n in _walk(node) if n.get("type") == "text" and "color" in n}


def _buttons(bubble: dict[str, Any]) -> list[dict[str, Any]]:
    return [n["action"] for n in _walk(bubble.get("footer", {})) if n.get("type") == "button"]


def _bubbles(message: dict[str, Any]) -> list[dict[str, Any]]:
    contents = message["contents"]
    return contents["contents"] if contents["type"] == "carousel" else [contents]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_view_passes_line_limits_and_sdk_models(name: str) -> None:
    messages = CASES[name]()
    assert check_messages(messages) == []
    for message in messages:
        if message["type"] == "flex":
            assert json_size(message["contents"]) <= CAROUSEL_MAX_BYTES
            assert message["altText"].strip()


# --- measures ---------------------------------------------------------------------------------


def test_twenty_measures_are_grouped_by_indicator_under_a_summary() -> None:
    (message,) = CASES["measures S001, 20 by indicator"]()
    summary, *groups = _bubbles(message)
    assert len(groups) == 10  # indicators 1-10 of S001
    texts = _texts(summary)
    assert "20" in texts and "ครอบคลุม 10 ตัวชี้วัด" in texts
    assert "ระยะเวลา 1 ต.ค. 2568 – 30 ก.ย. 2569" in texts
    assert "รายงานครั้งถัดไป 30 ก.ย. 2569 (ครบกำหนดในอีก 7 วัน) 20 มาตรการ" in texts
    assert any(t.startswith("ผู้รับผิดชอบ: สำนักปลัด 13 · กองคลัง 7") for t in texts)
    # every measure is listed once (S001 repeats two titles under indicators 2 and 9), whole title
    titles = [t for g in groups for t in _texts(g)]
    seeds = [x.title for x in m.chiangphin()]
    for title in seeds:
        assert titles.count(title) == seeds.count(title)
    assert _texts(groups[1])[:3] == [
        "มาตรการ ITA ปีงบประมาณ 2569",
        m.CHIANGPHIN,
        "ตัวชี้วัดที่ 2 การใช้งบประมาณ · 4 มาตรการ",
    ]
    assert "ถัดไป: สิ้นปีงบประมาณ 2569 · 30 ก.ย. 2569 (ครบกำหนดในอีก 7 วัน)" in titles
    # a row and the first button open the indicator's measures; the second shows its score
    first, second = _buttons(groups[8])
    assert parse_postback(first["data"]) == ("measures", {"indicator": 9, "year": 2569})
    assert parse_postback(second["data"]) == ("indicator_score", {"indicator": 9})
    rows = [n["action"] for n in _walk(groups[8]["body"]) if "action" in n]
    assert len(rows) == 3 and all(r["data"] == first["data"] for r in rows)


def test_measures_alt_text_and_quick_replies() -> None:
    (message,) = CASES["measures S001, 20 by indicator"]()
    assert message["altText"].startswith(
        "มาตรการ ITA ปี 2569 อบต.เชียงพิณ: 20 มาตรการ รายงานครั้งถัดไป 30 ก.ย. 2569 | 1. จัดทำคู่มือ"
    )
    replies = [parse_postback(i["action"]["data"]) for i in message["quickReply"]["items"]]
    assert replies[0] == ("my_tasks", {})
    assert ("measures", {"indicator": 10, "year": 2569}) in replies
    assert replies[-1] == ("help", {})
    assert len(replies) == 12


def test_one_indicator_shows_each_measure_in_full() -> None:
    (message,) = CASES["measures S001, indicator 2"]()
    bubbles = _bubbles(message)
    assert len(bubbles) == 4
    texts = _texts(bubbles[2])
    assert texts[:3] == ["มาตรการ ITA ปีงบประมาณ 2569 · 3/4", m.CHIANGPHIN, "ตัวชี้วัดที่ 2 การใช้งบประมาณ"]
    assert "กำลังดำเนินการ" in texts
    measure = [x for x in m.chiangphin() if 2 in x.indicators][2]
    assert measure.title in texts
    assert [t for t in texts if t[:2] in ("1.", "2.", "3.")] == [f"{n}. {s}" for n, s in enumerate(measure.steps, 1)]
    for fact in (
        "ผู้รับผิดชอบ: สำนักปลัด",
        "ระยะเวลา: 1 ต.ค. 2568 – 30 ก.ย. 2569",
        "การติดตาม: รายงาน ณ สิ้นปีงบประมาณ",
        "รายงานแล้ว 0 จาก 1 รอบ",
    ):
        assert fact in texts
    colours = _coloured(bubbles[2])
    assert colours["รายงานครั้งถัดไป: สิ้นปีงบประมาณ 2569 · 30 ก.ย. 2569 (ครบกำหนดในอีก 7 วัน)"] == style.NEAR_ORANGE
    labels = [b["label"] for b in _buttons(bubbles[2])]
    assert labels == ["งานของฉัน", "มาตรการทั้งหมด", "คะแนนตัวชี้วัดที่ 2"]
    assert "ตัวชี้วัดที่ 2 การใช้งบประมาณ" in message["altText"]
    assert parse_postback(message["quickReply"]["items"][0]["action"]["data"]) == ("measures", {"year": 2569})


def test_overdue_reports_are_red_and_the_report_wording_is_kept() -> None:
    (message,) = CASES["measures S003, quarterly, partly reported"]()
    bubbles = _bubbles(message)
    assert len(bubbles) == 10  # ten measures: one bubble each
    colours = _coloured(bubbles[1])  # indicator 2, quarterly, nothing reported: two quarters overdue
    assert colours["รายงานเกินกำหนด 2 รอบ"] == "#FFFFFF"  # the badge text; its box is red
    badge = next(
        b for b in _walk(bubbles[1]) if any(c.get("text") == "รายงานเกินกำหนด 2 รอบ" for c in b.get("contents", []))
    )
    assert badge["backgroundColor"] == style.BELOW_RED
    assert colours["รายงานครั้งถัดไป: ไตรมาส 1/2565 · 31 ธ.ค. 2564 (เกินกำหนด 95 วัน) · ค้าง 2 รอบ"] == style.BELOW_RED
    texts = [_texts(b) for b in bubbles]
    assert "การติดตาม: ทุกไตรมาส" in texts[0] and "การติดตาม: ปีละ ๒ ครั้ง" in texts[2]
    assert "ระยะเวลา: 1 ต.ค. 2564 – 30 ก.ย. 2565" in texts[0]
    assert "รายงานแล้ว 1 จาก 4 รอบ" in texts[0]
    assert any(t.startswith("ดำเนินการตามคู่มือครบทุกฝ่ายแล้ว") and t.endswith("(10 ม.ค. 2565 · สมชาย ใจดี)") for t in texts[0])
    assert "ดำเนินการแล้ว" in texts[4] and "รายงานครั้งถัดไป: รายงานครบทุกรอบแล้ว" in texts[4]
    assert "รายงานเกินกำหนด" in message["altText"]


def test_more_than_twelve_measures_of_one_indicator_are_trimmed_with_a_note() -> None:
    (message,) = CASES["measures, 20 under one indicator"]()
    bubbles = _bubbles(message)
    assert 1 <= len(bubbles) <= 12
    notes = _texts(bubbles[-1]["footer"])
    assert notes == [f"และอีก {20 - len(bubbles)} มาตรการ"]
    assert "20 มาตรการ" in message["altText"]


def test_huge_measures_fall_back_to_the_overview_within_fifty_kilobytes() -> None:
    (message,) = CASES["measures, huge texts"]()
    assert json_size(message["contents"]) <= CAROUSEL_MAX_BYTES
    summary, group = _bubbles(message)
    assert "12" in _texts(summary)
    assert "และอีก 6 มาตรการ แตะดูทั้งหมด" in _texts(group)


def test_hostile_titles_are_escaped() -> None:
    (message,) = CASES["measures, hostile title"]()
    assert m.HOSTILE in _texts(message["contents"])


def test_no_measures_lists_the_years_that_have_some() -> None:
    (message,) = CASES["no measures"]()
    assert message["text"].startswith("ไม่พบมาตรการ ITA ปี 2570\nมีมาตรการของปี 2564, 2569")
    years = [parse_postback(i["action"]["data"]) for i in message["quickReply"]["items"]][:2]
    assert years == [("measures", {"year": 2569}), ("measures", {"year": 2564})]
    (empty,) = CASES["no measures at all"]()
    assert empty["text"].startswith("ยังไม่มีมาตรการ ITA ในระบบ")


def test_an_indicator_without_measures_says_so() -> None:
    (message,) = views.measures_messages(m.chiangphin(), m.CHIANGPHIN, 2569, m.TODAY_2569, indicator=11)
    assert message["text"].startswith("ยังไม่มีมาตรการ ITA ของตัวชี้วัดที่ 11 ปี 2569")


# --- open items -------------------------------------------------------------------------------


def _task_buttons(bubble: dict[str, Any]) -> list[tuple[str, dict[str, object]]]:
    return [parse_postback(b["data"]) for b in _buttons(bubble)]


def test_my_tasks_are_soonest_first_with_three_buttons_each() -> None:
    items = m.items_due_in([30, -12, 1, 7, 0])
    (message,) = views.my_tasks_messages(items, m.TODAY_2569)
    bubbles = _bubbles(message)
    assert [_texts(b)[0] for b in bubbles] == [
        "เกินกำหนด 12 วัน",
        "ครบกำหนดวันนี้",
        "ครบกำหนดพรุ่งนี้",
        "ครบกำหนดในอีก 7 วัน",
        "ครบกำหนดในอีก 30 วัน",
    ]
    bands = [b["header"]["backgroundColor"] for b in bubbles]
    assert bands == [style.BELOW_RED, style.NEAR_ORANGE, style.NEAR_ORANGE, style.PRIMARY, style.PRIMARY]
    overdue = next(i for i in items if i.days_left == -12)
    assert _texts(bubbles[0])[1] == "สิ้นปีงบประมาณ 2569 · ครบกำหนด 11 ก.ย. 2569"
    assert overdue.title in _texts(bubbles[0])
    done, progress, snooze = _buttons(bubbles[0])
    assert [done["label"], progress["label"], snooze["label"]] == ["เสร็จแล้ว", "รายงานความก้าวหน้า", "เลื่อนเตือน 3 วัน"]
    assert done["data"] == postback_data("my_tasks", action="done", checkpoint=overdue.checkpoint_id)
    assert progress["data"] == postback_data(
        "my_tasks", action="progress", checkpoint=overdue.checkpoint_id, item=overdue.measure_id
    )
    assert snooze["data"] == postback_data("my_tasks", action="snooze", checkpoint=overdue.checkpoint_id, days=3)
    assert _task_buttons(bubbles[0])[2] == (
        "my_tasks",
        {"action": "snooze", "checkpoint": str(overdue.checkpoint_id), "days": "3"},
    )
    assert done["displayText"].startswith("เสร็จแล้ว: จัดประชุมประจำเดือน")
    assert message["altText"].startswith("งานของฉัน: 5 รายการ (เกินกำหนด 1 · ครบกำหนดวันนี้ 1 · พรุ่งนี้ 1) | จัดประชุมประจำเดือน")


def test_my_tasks_show_indicator_names_units_and_snoozes() -> None:
    s003 = sorted(m.talingchan_open_items(), key=lambda i: (i.due, i.measure_id))
    snoozed = replace(s003[0], snoozed_until=date(2022, 4, 8))
    (message,) = views.my_tasks_messages([*s003[1:], snoozed], m.TODAY_2565)
    first = _bubbles(message)[0]
    texts = _texts(first)
    assert texts[2] == f"{indicator_label(2565, snoozed.indicators)} · ปีงบประมาณ 2565"
    assert f"ผู้รับผิดชอบ: {', '.join(snoozed.units)}" in texts
    assert "เลื่อนเตือนไว้ถึง 8 เม.ย. 2565" in texts
    assert texts[1] == "ไตรมาส 1/2565 · ครบกำหนด 31 ธ.ค. 2564"


def test_many_tasks_keep_twelve_bubbles_and_say_how_many_more() -> None:
    (message,) = CASES["my tasks, many"]()
    bubbles = _bubbles(message)
    assert len(bubbles) == 12
    assert _texts(bubbles[-1]["footer"]) == ["และอีก 8 รายการที่ครบกำหนดภายหลัง"]
    assert "งานของฉัน: 20 รายการ" in message["altText"]


def test_no_open_items_is_a_short_text() -> None:
    for case in ("my tasks, none", "no tasks"):
        (message,) = CASES[case]()
        assert message["type"] == "text" and message["text"].startswith("ไม่มีงานมาตรการที่ต้องติดตาม")


# --- reminders ------------------------------------------------------------------------------


def test_one_reminder_push_lists_every_due_item() -> None:
    messages = CASES["reminder, week"]()
    assert len(messages) == 1  # one push, however many items
    (message,) = messages
    assert message["altText"].startswith("เตือนงานมาตรการ ITA: 3 รายการ ครบกำหนดภายใน 7 วัน (กองคลัง) | ครบกำหนดวันนี้:")
    summary, *tasks = _bubbles(message)
    texts = _texts(summary)
    assert texts[:3] == ["เตือนงานมาตรการ ITA", "3 รายการ ครบกำหนดภายใน 7 วัน", "กองคลัง · วันที่ 23 ก.ย. 2569"]
    headings = [t for t in texts if t.startswith("ครบกำหนด")]
    assert headings == ["ครบกำหนดวันนี้", "ครบกำหนดพรุ่งนี้", "ครบกำหนดภายใน 7 วัน"]
    assert any(t.endswith("(30 ก.ย. 2569)") for t in texts)
    assert [_texts(t)[0] for t in tasks] == ["ครบกำหนดวันนี้", "ครบกำหนดพรุ่งนี้", "ครบกำหนดในอีก 7 วัน"]
    for task in tasks:
        assert [intent_values["action"] for _, intent_values in _task_buttons(task)] == ["done", "progress", "snooze"]
    assert parse_postback(_buttons(summary)[0]["data"]) == ("my_tasks", {})


def test_a_single_reminder_is_one_bubble() -> None:
    (message,) = CASES["reminder, one"]()
    assert message["contents"]["type"] == "carousel" and len(_bubbles(message)) == 1
    assert message["altText"].startswith("เตือนงานมาตรการ ITA: 1 รายการ ครบกำหนดภายในพรุ่งนี้ | ครบกำหนดพรุ่งนี้:")


def test_reminder_with_overdue_items_leads_with_them_in_red() -> None:
    (message,) = CASES["reminder, overdue too"]()
    assert message["altText"].startswith(
        "เตือนงานมาตรการ ITA: 4 รายการ ครบกำหนดภายใน 7 วัน (เกินกำหนดแล้ว 1 รายการ) (สำนักปลัด)"
    )
    summary, first, *_ = _bubbles(message)
    assert _coloured(summary)["เกินกำหนด"] == style.BELOW_RED
    assert _texts(first)[0] == "เกินกำหนด 3 วัน"


def test_a_long_reminder_stays_within_limits_and_points_to_my_tasks() -> None:
    (message,) = CASES["reminder, many"]()
    bubbles = _bubbles(message)
    assert len(bubbles) == 12
    assert "และอีก 10 รายการ" in _texts(bubbles[0]["footer"])[-1]
    assert _texts(bubbles[-1]["footer"]) == ['และอีก 14 รายการ ดูทั้งหมดที่ "งานของฉัน"']


@pytest.mark.parametrize(
    ("days", "phrase", "bucket"),
    [
        (-3, "เกินกำหนด 3 วัน", "เกินกำหนด"),
        (0, "ครบกำหนดวันนี้", "ครบกำหนดวันนี้"),
        (1, "ครบกำหนดพรุ่งนี้", "ครบกำหนดพรุ่งนี้"),
        (7, "ครบกำหนดในอีก 7 วัน", "ครบกำหนดภายใน 7 วัน"),
        (8, "ครบกำหนดในอีก 8 วัน", "ครบกำหนดภายหลัง"),
    ],
)
def test_due_phrases(days: int, phrase: str, bucket: str) -> None:
    assert due_phrase(days) == phrase
    assert due_bucket(days) == bucket


def test_rhythms_in_thai() -> None:
    assert rhythm_text("quarterly") == "รายงานทุกไตรมาส"
    assert rhythm_text("half_yearly", "ปีละ ๒ ครั้ง") == "ปีละ ๒ ครั้ง"
    assert rhythm_text("year_end", " ") == "รายงาน ณ สิ้นปีงบประมาณ"
    assert indicator_label(2569, (1, 5)) == "ตัวชี้วัดที่ 1 การปฏิบัติหน้าที่ · 5 การแก้ไขปัญหาการทุจริต"
    assert indicator_label(2500, (1,)) == "ตัวชี้วัดที่ 1"


# --- the weekly overdue summary -------------------------------------------------------------


def test_overdue_summary_groups_by_unit() -> None:
    (message,) = CASES["overdue summary, S003"]()
    assert message["altText"] == (
        "สรุปงานมาตรการ ITA ที่เกินกำหนด สำนักงานเขตตลิ่งชัน: 9 รายการ (ฝ่ายปกครอง 7, ทุกฝ่าย 5, ฝ่ายการคลัง 2)"
    )
    texts = _texts(message["contents"])
    assert texts[:4] == [
        "สรุปงานมาตรการ ITA ที่เกินกำหนด",
        m.TALINGCHAN,
        "ณ วันที่ 5 เม.ย. 2565",
        "เกินกำหนด 9 รายการ · นานสุด 95 วัน · 3 ส่วนงานที่รับผิดชอบ",
    ]
    assert [t for t in texts if t.endswith("รายการ") and "·" in t] == [
        "ฝ่ายปกครอง · 7 รายการ",
        "ทุกฝ่าย · 5 รายการ",
        "ฝ่ายการคลัง · 2 รายการ",
    ]
    assert any("ไตรมาส 1/2565 ครบ 31 ธ.ค. 2564 (เกินกำหนด 95 วัน)" in t for t in texts)
    actions = [parse_postback(b["data"]) for b in _buttons(message["contents"])]
    assert actions == [("my_tasks", {}), ("measures", {"year": 2565})]


def test_overdue_summary_merges_spellings_of_a_unit_and_ignores_items_not_yet_due() -> None:
    items = m.items_due_in([-1, -8, -15, 5])
    items[0] = replace(items[0], units=("สำนักปลัดฯ",))
    items[1] = replace(items[1], units=("สำนักงานปลัด อบต.", "กองคลัง"))
    (message,) = views.overdue_summary_messages(m.CHIANGPHIN, items, m.TODAY_2569)
    assert "อบต.เชียงพิณ: 3 รายการ (" in message["altText"]
    sections = [t for t in _texts(message["contents"]) if t.endswith(" รายการ") and " · " in t]
    assert sections == ["สำนักปลัด · 3 รายการ", "กองคลัง · 1 รายการ"]  # the spelling of the oldest item


def test_a_long_overdue_summary_is_capped() -> None:
    (message,) = CASES["overdue summary, many"]()
    texts = _texts(message["contents"])
    assert sum(1 for t in texts if t.startswith("• ")) == 15
    assert any(t.startswith("และอีก ") for t in texts)
    assert "40 รายการ" in message["altText"]


def test_nothing_overdue_is_said_in_one_line() -> None:
    (message,) = CASES["overdue summary, none"]()
    assert message["text"] == "สรุปงานมาตรการ ITA ของอบต.เชียงพิณ ณ วันที่ 23 ก.ย. 2569: ไม่มีรายงานที่เกินกำหนด ✓"


# --- the task buttons' answers ------------------------------------------------------------------


def test_progress_prompt_asks_for_the_next_message_and_can_be_cancelled() -> None:
    (message,) = CASES["progress prompt"]()
    assert message["text"].startswith("พิมพ์ความก้าวหน้าของ “จัดทำคู่มือ/แนวทางการปฏิบัติงาน")
    assert "ในข้อความถัดไป" in message["text"]
    (cancel,) = message["quickReply"]["items"]
    assert cancel["action"]["label"] == "ยกเลิก"
    assert cancel["action"]["data"] == postback_data("my_tasks", action="cancel")


def test_progress_saved_repeats_the_note() -> None:
    note = "จัดประชุมชี้แจงแล้ว\nผู้เข้าร่วม 25 คน"
    (message,) = views.progress_saved_messages(m.chiangphin()[0].title, note)
    assert message["text"].startswith("บันทึกความก้าวหน้าของ “จัดทำคู่มือ")
    assert message["text"].endswith(f"“{note}”")
    (long,) = CASES["progress saved"]()
    assert long["text"].endswith("…”") and label_length(long["text"]) < 1200


def test_done_and_snooze_confirmations() -> None:
    (done,) = CASES["checkpoint done"]()
    assert "“สิ้นปีงบประมาณ 2569”" in done["text"] and "เสร็จเรียบร้อย" in done["text"]
    (snoozed,) = CASES["snoozed"]()
    assert snoozed["text"].endswith("ถึงวันที่ 26 ก.ย. 2569")
    (missing,) = CASES["task not found"]()
    assert parse_postback(missing["quickReply"]["items"][0]["action"]["data"]) == ("my_tasks", {})
