"""Measures and open items for the reply views, built from the seed measures in the demo data.

S001 (อบต.เชียงพิณ, FY2569): 20 measures, reported at the fiscal-year end (30 ก.ย. 2569).
S003 (สำนักงานเขตตลิ่งชัน, FY2565): 10 measures, quarterly or twice a year, partly reported.
No database: the views take ``MeasureView`` and ``OpenItem`` values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import ita_core
from ita_core.fiscal import checkpoint_schedule
from ita_core.measures import DONE, OPEN, CheckpointView, MeasureView, NoteView, OpenItem

Messages = list[dict[str, Any]]
CHIANGPHIN = "องค์การบริหารส่วนตำบลเชียงพิณ"
TALINGCHAN = "สำนักงานเขตตลิ่งชัน"
LONG_NAME = "องค์การบริหารส่วนตำบลบ้านใหม่สามัคคีพัฒนาเจริญสุขเกษมสันต์"
# A week before the end of FY2569: S001's year-end reports are due in 7 days.
TODAY_2569 = date(2026, 9, 23)
# Early in Q3 of FY2565: the reports of 31 Dec 2564 and 31 Mar 2565 are due or overdue.
TODAY_2565 = date(2022, 4, 5)

_DEMO = Path(ita_core.__file__).parent / "data" / "demo.json"


def _seed_rows(agency: str) -> list[dict[str, Any]]:
    rows = json.loads(_DEMO.read_text(encoding="utf-8"))["measures"]
    return [row for row in rows if row["agency"] == agency]


def seed_measures(agency: str = "SAO-CHIANGPHIN", *, agency_id: int = 1, first_id: int = 1) -> list[MeasureView]:
    """The demo measures of an agency as the database would return them (checkpoints from the rhythm)."""
    out = []
    checkpoint_id = first_id * 100
    for measure_id, row in enumerate(_seed_rows(agency), start=first_id):
        start, end = date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"])
        schedule = checkpoint_schedule(
            row["monitoring"], start, end, [date.fromisoformat(d) for d in row["checkpoints"]]
        )
        checkpoints = []
        for planned in schedule:
            checkpoint_id += 1
            checkpoints.append(
                CheckpointView(checkpoint_id, measure_id, planned.due, planned.label, OPEN, None, None, None)
            )
        out.append(
            MeasureView(
                id=measure_id,
                agency_id=agency_id,
                agency_code=agency,
                fiscal_year=row["fiscal_year"],
                code=None,
                indicators=tuple(row["indicators"]),
                title=row["title"],
                steps=tuple(row["steps"]),
                units=tuple(row["units"]),
                period_start=start,
                period_end=end,
                period_text=row["period_text"],
                monitoring=row["monitoring"],
                monitoring_text=row["monitoring_text"],
                status="active",
                source=row["source"],
                checkpoints=tuple(checkpoints),
                notes=(),
            )
        )
    return out


def reported(measure: MeasureView, done: int, note: str | None = None, when: datetime | None = None) -> MeasureView:
    """The measure with its first ``done`` checkpoints marked done and, optionally, a progress note."""
    at = when or datetime(2022, 1, 10, 9, 30)
    checkpoints = tuple(
        replace(c, status=DONE, done_at=at, done_by="Uabc") if index < done else c
        for index, c in enumerate(measure.checkpoints)
    )
    notes = measure.notes
    if note is not None:
        notes = (*notes, NoteView(len(notes) + 1, measure.id, None, "Uabc", "สมชาย ใจดี", at, note))
    status = DONE if all(c.status == DONE for c in checkpoints) else measure.status
    return replace(measure, checkpoints=checkpoints, notes=notes, status=status)


def chiangphin() -> list[MeasureView]:
    """S001's 20 measures of FY2569, nothing reported yet."""
    return seed_measures("SAO-CHIANGPHIN")


def talingchan() -> list[MeasureView]:
    """S003's 10 measures of FY2565: some reported for Q1 / the first half, others not."""
    measures = seed_measures("BMA-TALINGCHAN", agency_id=2, first_id=101)
    out = []
    for index, measure in enumerate(measures):
        if index % 3 == 0:
            measure = reported(measure, 1, "ดำเนินการตามคู่มือครบทุกฝ่ายแล้ว รายงานผลต่อผู้อำนวยการเขตเมื่อ 10 ม.ค. 2565")
        elif index == 4:
            measure = reported(measure, len(measure.checkpoints))
        out.append(measure)
    return out


def open_item(measure: MeasureView, checkpoint: CheckpointView, today: date) -> OpenItem:
    """An open item as ``ita_core.measures.open_items`` returns it."""
    return OpenItem(
        checkpoint_id=checkpoint.id,
        measure_id=measure.id,
        agency_id=measure.agency_id,
        fiscal_year=measure.fiscal_year,
        indicators=measure.indicators,
        title=measure.title,
        units=measure.units,
        due=checkpoint.due,
        label=checkpoint.label,
        snoozed_until=checkpoint.snoozed_until,
        days_left=(checkpoint.due - today).days,
    )


def items_due_in(
    days: Sequence[int], today: date = TODAY_2569, measures: Sequence[MeasureView] | None = None
) -> list[OpenItem]:
    """Open items of S001's measures due ``days`` from ``today`` (negative: overdue), in the given order."""
    pool = list(measures if measures is not None else chiangphin())
    out = []
    for index, offset in enumerate(days):
        measure = pool[index % len(pool)]
        checkpoint = replace(measure.checkpoints[-1], id=9000 + index, due=today + timedelta(days=offset))
        out.append(open_item(measure, checkpoint, today))
    return out


def talingchan_open_items(today: date = TODAY_2565) -> list[OpenItem]:
    """Every open checkpoint of S003 due before the end of the year, as an official would see them."""
    return [
        open_item(m, c, today)
        for m in talingchan()
        for c in m.checkpoints
        if c.status == OPEN and c.due <= today + timedelta(days=90)
    ]


def huge_measures(count: int = 12) -> list[MeasureView]:
    """Measures with very long titles, steps and notes (far beyond the reports')."""
    base = chiangphin()[0]
    return [
        replace(
            reported(base, 0, "ก้าวหน้า" * 200, datetime(2026, 3, 1, 10, 0)),
            id=500 + n,
            title="จัดทำคู่มือการปฏิบัติงาน" * 40,
            steps=tuple("ขั้นตอนที่ยาวมากเพื่อทดสอบขนาดของข้อความ" * 12 for _ in range(9)),
            units=("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม", "ทุกส่วนราชการที่มีงานให้บริการ"),
        )
        for n in range(count)
    ]


def one_indicator(measures: Sequence[MeasureView], number: int) -> list[MeasureView]:
    """All the measures moved under one indicator (more than twelve of them)."""
    return [replace(m, indicators=(number,)) for m in measures]


HOSTILE = 'มาตรการ "ทดสอบ" \\ แบ็กสแลช\nบรรทัดใหม่ {{ x }} {% y %} </script> 🇹🇭 \u2028'


def measure_cases() -> dict[str, Callable[[], Messages]]:
    """Every measures/tasks view with realistic data, for the shared template checks."""
    from bot.views import messages as views

    s001, s003 = chiangphin(), talingchan()
    week = items_due_in([7, 1, 0])
    return {
        "measures S001, 20 by indicator": lambda: views.measures_messages(s001, CHIANGPHIN, 2569, TODAY_2569),
        "measures S001, indicator 2": lambda: views.measures_messages(s001, CHIANGPHIN, 2569, TODAY_2569, indicator=2),
        "measures S003, quarterly, partly reported": lambda: views.measures_messages(
            s003, TALINGCHAN, 2565, TODAY_2565
        ),
        "measures, 20 under one indicator": lambda: views.measures_messages(
            one_indicator(s001, 9), LONG_NAME, 2569, TODAY_2569, indicator=9
        ),
        "measures, huge texts": lambda: views.measures_messages(huge_measures(), LONG_NAME, 2569, TODAY_2569),
        "measures, hostile title": lambda: views.measures_messages(
            [replace(s001[0], title=HOSTILE, units=(HOSTILE,))], HOSTILE, 2569, TODAY_2569
        ),
        "no measures": lambda: views.no_measures_messages(2570, [2564, 2569]),
        "no measures at all": lambda: views.no_measures_messages(None, []),
        "my tasks": lambda: views.my_tasks_messages(items_due_in([30, -12, 1, 7, 0]), TODAY_2569),
        "my tasks, S003": lambda: views.my_tasks_messages(talingchan_open_items(), TODAY_2565),
        "my tasks, many": lambda: views.my_tasks_messages(items_due_in(range(-5, 15)), TODAY_2569),
        "my tasks, none": lambda: views.my_tasks_messages([], TODAY_2569),
        "no tasks": lambda: views.no_tasks_messages(),
        "reminder, week": lambda: views.reminder_messages(week, TODAY_2569, "กองคลัง"),
        "reminder, one": lambda: views.reminder_messages(items_due_in([1]), TODAY_2569, None),
        "reminder, overdue too": lambda: views.reminder_messages(items_due_in([-3, 0, 7, 7]), TODAY_2569, "สำนักปลัด"),
        "reminder, many": lambda: views.reminder_messages(items_due_in([7] * 20 + [-2] * 5), TODAY_2569, "สำนักปลัด"),
        "overdue summary": lambda: views.overdue_summary_messages(
            CHIANGPHIN, items_due_in([-1, -8, -15, -30, 5]), TODAY_2569
        ),
        "overdue summary, S003": lambda: views.overdue_summary_messages(
            TALINGCHAN, talingchan_open_items(), TODAY_2565
        ),
        "overdue summary, many": lambda: views.overdue_summary_messages(
            LONG_NAME, items_due_in(range(-40, 0)), TODAY_2569
        ),
        "overdue summary, none": lambda: views.overdue_summary_messages(CHIANGPHIN, items_due_in([3]), TODAY_2569),
        "progress prompt": lambda: views.progress_prompt_messages(s001[0].title),
        "progress saved": lambda: views.progress_saved_messages(s001[0].title, "จัดทำร่างคู่มือแล้ว " * 400),
        "checkpoint done": lambda: views.checkpoint_done_messages(s001[3].title, "สิ้นปีงบประมาณ 2569"),
        "snoozed": lambda: views.snoozed_messages(s001[3].title, date(2026, 9, 26)),
        "task not found": lambda: views.task_not_found_messages(),
    }
