"""Views of improvement measures (มาตรการ) and the follow-up work they create: an agency's measures,
a person's open items ("งานของฉัน"), the reminder push, the weekly overdue summary for executives,
and the short confirmations of the task buttons.

Task buttons carry ``my_tasks`` postbacks with an ``action`` (done, progress, snooze, cancel) and
the checkpoint (and measure) they act on; ``bot.handlers.measures`` reads them. Dates are written
the Thai way ("30 ก.ย. 2569") by :mod:`ita_core.thaidate`; ``today`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from bot.views import style
from bot.views.actions import Choice, postback_action
from bot.views.common import Message, buttons, flex_message, help_choice, quick, text_message
from bot.views.context import Button, Header, Line
from bot.views.format import short_agency_name
from bot.views.labels import truncate_label
from bot.views.limits import CAROUSEL_MAX_BUBBLES, CAROUSEL_MAX_BYTES, json_size
from bot.views.render import parse_flex, render_flex, render_flex_text
from ita_core.errors import UnknownYear
from ita_core.fiscal import EXPLICIT, HALF_YEARLY, QUARTERLY, YEAR_END
from ita_core.framework import get_framework
from ita_core.measures import DONE, CheckpointView, MeasureView, OpenItem, normalise_unit
from ita_core.thaidate import format_thai_date, format_thai_period

GROUP_ROWS_MAX = 6  # measures listed in one indicator bubble
STEPS_MAX = 5  # steps shown in a measure's own bubble
TITLE_MAX = 400  # characters of a measure's title shown in a bubble (the reports' longest are ~330)
STEP_MAX = 200
NOTE_MAX = 200
ECHO_MAX = 1000  # characters of a progress note repeated back
SHORT_TITLE = 80  # a title inside a sentence
SUMMARY_ROWS_MAX = 15  # rows of the reminder list and of the overdue summary
SOON_DAYS = 7  # due within this many days: shown in orange

_RHYTHMS = {
    QUARTERLY: "รายงานทุกไตรมาส",
    HALF_YEARLY: "รายงานปีละ 2 ครั้ง",
    YEAR_END: "รายงาน ณ สิ้นปีงบประมาณ",
    EXPLICIT: "รายงานตามวันที่กำหนด",
}
_BUCKETS = ("เกินกำหนด", "ครบกำหนดวันนี้", "ครบกำหนดพรุ่งนี้", f"ครบกำหนดภายใน {SOON_DAYS} วัน", "ครบกำหนดภายหลัง")


# --- what the templates read -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureRow:
    """One measure in an indicator's list: title, who, next report; tapping shows its details."""

    title: str
    tags: str | None
    who: str
    next: Line
    action: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SummaryBubble:
    """The first bubble of the overview: how many measures, what is overdue, what is next."""

    kind: ClassVar[str] = "summary"
    header: Header
    count: str
    lines: list[Line]
    buttons: list[Button]
    note: str | None


@dataclass(frozen=True, slots=True)
class GroupBubble:
    """The measures of one indicator."""

    kind: ClassVar[str] = "group"
    header: Header
    rows: list[MeasureRow]
    more: Line | None
    buttons: list[Button]
    note: str | None


@dataclass(frozen=True, slots=True)
class DetailBubble:
    """One measure in full: status, title, steps, who, when, next report, latest progress."""

    kind: ClassVar[str] = "detail"
    header: Header
    status: Line
    title: str
    steps: list[str]
    facts: list[Line]
    progress: Line | None
    buttons: list[Button]
    note: str | None


@dataclass(frozen=True, slots=True)
class TaskBubble:
    """One open checkpoint with its three buttons (done, report progress, snooze)."""

    band: str
    due: str
    when: str
    topic: str
    title: str
    lines: list[Line]
    buttons: list[Button]
    note: str | None


@dataclass(frozen=True, slots=True)
class Section:
    """A coloured title over lines (a bucket of a reminder, a unit of the overdue summary)."""

    title: str
    colour: str
    lines: list[Line]


@dataclass(frozen=True, slots=True)
class ListBubble:
    """A list of items in sections, with a header band, buttons and a note."""

    header: Header
    headline: Line | None
    sections: list[Section]
    buttons: list[Button]
    note: str | None


# --- small pieces --------------------------------------------------------------------------------


def due_phrase(days_left: int) -> str:
    """How far a due date is: "เกินกำหนด 3 วัน", "ครบกำหนดวันนี้", "ครบกำหนดพรุ่งนี้", "ครบกำหนดในอีก 5 วัน"."""
    if days_left < 0:
        return f"เกินกำหนด {-days_left} วัน"
    if days_left == 0:
        return "ครบกำหนดวันนี้"
    if days_left == 1:
        return "ครบกำหนดพรุ่งนี้"
    return f"ครบกำหนดในอีก {days_left} วัน"


def due_colour(days_left: int) -> str:
    """Red when overdue, orange within a week, plain text further ahead."""
    if days_left < 0:
        return style.BELOW_RED
    return style.NEAR_ORANGE if days_left <= SOON_DAYS else style.TEXT


def due_bucket(days_left: int) -> str:
    """The reminder list a due date falls in: overdue, today, tomorrow, within 7 days, later."""
    if days_left < 0:
        return _BUCKETS[0]
    if days_left <= 1:
        return _BUCKETS[1 + days_left]
    return _BUCKETS[3] if days_left <= SOON_DAYS else _BUCKETS[4]


def rhythm_text(monitoring: str, written: str | None = None) -> str:
    """The monitoring rhythm in Thai: the report's own words when kept, else "รายงานทุกไตรมาส" etc."""
    return written.strip() if written and written.strip() else _RHYTHMS.get(monitoring, monitoring)


def indicator_label(year: int, numbers: Sequence[int]) -> str:
    """Indicators with their names: "ตัวชี้วัดที่ 1 การปฏิบัติหน้าที่ · 5 การแก้ไขปัญหาการทุจริต"."""
    if not numbers:
        return "ไม่ระบุตัวชี้วัด"
    names = [f"{n} {_indicator_name(year, n)}".rstrip() for n in numbers]
    return "ตัวชี้วัดที่ " + " · ".join(names)


def _indicator_name(year: int, number: int) -> str:
    try:
        return get_framework(year).indicator(number).name
    except (UnknownYear, KeyError):
        return ""


def _clip(text: str, limit: int) -> str:
    """Text cut at a character boundary safe for Thai (never between a letter and its marks)."""
    text = " ".join(text.split())
    head = text[: limit * 2 + 2]
    if len(head) < len(text):
        # Splitting a long title into clusters is slow; Thai averages under two code points a cluster, so
        # when the head alone has more than ``limit`` clusters it is cut exactly as the whole would be.
        cut = truncate_label(head, limit)
        if cut != head.strip():
            return cut
    return truncate_label(text, limit)


def _units(units: Sequence[str]) -> str:
    return ", ".join(u for u in units if u.strip()) or "ไม่ระบุ"


def _my_tasks_choice(label: str = "งานของฉัน") -> Choice:
    return Choice.of(label, "my_tasks", display="งานของฉัน")


def _measures_choice(year: int | None, label: str = "มาตรการทั้งหมด") -> Choice:
    return Choice.of(label, "measures", year=year, display=f"มาตรการปี {year}" if year else "มาตรการ")


def _task_choices(item: OpenItem) -> list[Choice]:
    """The three buttons of an open item."""
    short = _clip(item.title, 40)
    return [
        Choice.of("เสร็จแล้ว", "my_tasks", action="done", checkpoint=item.checkpoint_id, display=f"เสร็จแล้ว: {short}"),
        Choice.of(
            "รายงานความก้าวหน้า",
            "my_tasks",
            action="progress",
            checkpoint=item.checkpoint_id,
            item=item.measure_id,
            display=f"รายงานความก้าวหน้า: {short}",
        ),
        Choice.of(
            "เลื่อนเตือน 3 วัน", "my_tasks", action="snooze", checkpoint=item.checkpoint_id, days=3,
            display=f"เลื่อนเตือน 3 วัน: {short}",
        ),
    ]  # fmt: skip


def _sorted_items(items: Sequence[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due, i.measure_id, i.checkpoint_id))


def _render_within(
    name: str, context_for: Callable[[int], dict[str, Any]], count: int, minimum: int = 1
) -> dict[str, Any] | None:
    """Render with the first ``count`` bubbles, fewer while over LINE's 50 KB; None when not even ``minimum`` fit."""
    for shown in range(count, max(minimum, 1) - 1, -1):
        text = render_flex_text(name, context_for(shown))
        container = parse_flex(name, text)
        if len(text.encode()) <= CAROUSEL_MAX_BYTES or json_size(container) <= CAROUSEL_MAX_BYTES:
            return container
    return None


def _more_measures(count: int) -> str | None:
    return f"และอีก {count} มาตรการ" if count > 0 else None


# --- measures ------------------------------------------------------------------------------------


def measures_messages(
    measures: Sequence[MeasureView], agency_name: str, year: int, today: date, *, indicator: int | None = None
) -> list[Message]:
    """An agency's measures for a fiscal year: what, for which indicators, who, when, status, next report.

    Up to twelve measures (or those of one ``indicator``) get a bubble each; more are shown as an
    overview bubble and one bubble per indicator, each measure tappable for its details.
    """
    number = int(indicator) if indicator is not None else None
    chosen = [m for m in measures if number is None or number in m.indicators]
    if not chosen:
        return no_measures_messages(year, (), indicator=number)
    contents = None
    if number is not None or len(chosen) <= CAROUSEL_MAX_BUBBLES:
        total = len(chosen)
        shown = min(total, CAROUSEL_MAX_BUBBLES)

        def details(n: int) -> dict[str, Any]:
            bubbles = [
                _detail_bubble(m, agency_name, year, today, index, total, filtered=number is not None)
                for index, m in enumerate(chosen[:n], start=1)
            ]
            bubbles[-1] = _with_note(bubbles[-1], _more_measures(total - n))
            return {"bubbles": bubbles}

        contents = _render_within("measures", details, shown, shown if number is None else 1)
    if contents is None:
        contents = _overview(chosen, agency_name, year, today)
    alt = _measures_alt(chosen, agency_name, year, today, number)
    return [flex_message(alt, contents, _measures_quick(chosen, year, number))]


def _with_note(bubble: DetailBubble, note: str | None) -> DetailBubble:
    return bubble if note is None else replace(bubble, note=note)


def _open_checkpoints(measure: MeasureView) -> list[CheckpointView]:
    return sorted((c for c in measure.checkpoints if not c.is_done), key=lambda c: (c.due, c.id))


def _next_line(measure: MeasureView, today: date, *, prefix: str = "") -> Line:
    """The next report due (red when overdue), or that every report is in."""
    pending = _open_checkpoints(measure)
    if not pending:
        if measure.checkpoints or measure.status == DONE:
            return Line(f"{prefix}รายงานครบทุกรอบแล้ว", style.GOOD_GREEN)
        return Line(f"{prefix}ยังไม่มีกำหนดรายงาน", style.MUTED)
    first = pending[0]
    days = (first.due - today).days
    text = f"{prefix}{first.label} · {format_thai_date(first.due)} ({due_phrase(days)})"
    late = sum(1 for c in pending if c.due < today)
    if late > 1:
        text += f" · ค้าง {late} รอบ"
    return Line(text, due_colour(days))


def _is_done(measure: MeasureView) -> bool:
    return measure.status == DONE or bool(measure.checkpoints and not _open_checkpoints(measure))


def _status(measure: MeasureView, today: date) -> Line:
    if _is_done(measure):
        return Line("ดำเนินการแล้ว", style.GOOD_GREEN)
    pending = _open_checkpoints(measure)
    late = sum(1 for c in pending if c.is_overdue(today))
    if late:
        return Line(f"รายงานเกินกำหนด {late} รอบ", style.BELOW_RED)
    if today < measure.period_start:
        return Line("ยังไม่เริ่ม", style.MUTED)
    if today > measure.period_end:
        return Line("สิ้นสุดระยะเวลาแล้ว", style.MUTED)
    return Line("กำลังดำเนินการ", style.PRIMARY)


def _latest_progress(measure: MeasureView) -> Line | None:
    if not measure.notes:
        return None
    note = max(measure.notes, key=lambda n: (n.created_at, n.id))
    who = f" · {note.author_name}" if note.author_name else ""
    return Line(f"{_clip(note.text, NOTE_MAX)} ({format_thai_date(note.created_at.date())}{who})", style.MUTED)


def _detail_bubble(
    measure: MeasureView, agency_name: str, year: int, today: date, index: int, total: int, *, filtered: bool
) -> DetailBubble:
    done = sum(1 for c in measure.checkpoints if c.is_done)
    facts = [
        Line(f"ผู้รับผิดชอบ: {_units(measure.units)}", style.TEXT),
        Line(f"ระยะเวลา: {format_thai_period(measure.period_start, measure.period_end)}", style.TEXT),
        Line(f"การติดตาม: {rhythm_text(measure.monitoring, measure.monitoring_text)}", style.TEXT),
    ]
    if measure.checkpoints:
        facts.append(Line(f"รายงานแล้ว {done} จาก {len(measure.checkpoints)} รอบ", style.TEXT))
    facts.append(_next_line(measure, today, prefix="รายงานครั้งถัดไป: "))
    steps = [f"{n}. {_clip(step, STEP_MAX)}" for n, step in enumerate(measure.steps[:STEPS_MAX], start=1)]
    if len(measure.steps) > STEPS_MAX:
        steps.append(f"และอีก {len(measure.steps) - STEPS_MAX} ขั้นตอน")
    choices = [_my_tasks_choice()]
    if filtered:
        choices.append(_measures_choice(year))
    if measure.indicators:
        first = measure.indicators[0]
        choices.append(Choice.of(f"คะแนนตัวชี้วัดที่ {first}", "indicator_score", indicator=first))
    return DetailBubble(
        header=Header(
            f"มาตรการ ITA ปีงบประมาณ {year} · {index}/{total}", agency_name, indicator_label(year, measure.indicators)
        ),
        status=_status(measure, today),
        title=_clip(measure.title, TITLE_MAX),
        steps=steps,
        facts=facts,
        progress=_latest_progress(measure),
        buttons=buttons(choices),
        note=None,
    )


def _overview(chosen: Sequence[MeasureView], agency_name: str, year: int, today: date) -> dict[str, Any]:
    """A summary bubble and one bubble per (first) indicator, trimmed to LINE's limits."""
    groups: dict[int, list[MeasureView]] = {}
    for measure in chosen:
        groups.setdefault(measure.indicators[0] if measure.indicators else 0, []).append(measure)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == 0, kv[0]))
    group_bubbles = [_group_bubble(key, members, agency_name, year, today) for key, members in ordered]
    summary = _summary_bubble(chosen, agency_name, year, today)

    def context(n: int) -> dict[str, Any]:
        shown = group_bubbles[: n - 1]
        left = sum(len(members) for _, members in ordered[n - 1 :])
        note = f'{_more_measures(left)} ในตัวชี้วัดอื่น ถามเช่น "มาตรการตัวชี้วัดที่ 9"' if left else summary.note
        return {"bubbles": [SummaryBubble(summary.header, summary.count, summary.lines, summary.buttons, note), *shown]}

    count = min(len(group_bubbles) + 1, CAROUSEL_MAX_BUBBLES)
    contents = _render_within("measures", context, count)
    assert contents is not None  # one summary bubble always fits
    return contents


def _summary_bubble(chosen: Sequence[MeasureView], agency_name: str, year: int, today: date) -> SummaryBubble:
    indicators = {n for m in chosen for n in m.indicators}
    done = sum(1 for m in chosen if _is_done(m))
    lines = [Line(f"ครอบคลุม {len(indicators)} ตัวชี้วัด", style.TEXT)]
    periods = {(m.period_start, m.period_end) for m in chosen}
    if len(periods) == 1:
        start, end = next(iter(periods))
        lines.append(Line(f"ระยะเวลา {format_thai_period(start, end)}", style.TEXT))
    lines.append(Line(f"ดำเนินการแล้ว {done} · อยู่ระหว่างดำเนินการ {len(chosen) - done}", style.TEXT))
    late = [c for m in chosen for c in _open_checkpoints(m) if c.due < today]
    if late:
        measures_late = len({c.measure_id for c in late})
        lines.append(Line(f"รายงานเกินกำหนด {len(late)} รอบ ใน {measures_late} มาตรการ", style.BELOW_RED))
    else:
        lines.append(Line("✓ ไม่มีรายงานที่เกินกำหนด", style.GOOD_GREEN))
    upcoming = [c for m in chosen for c in _open_checkpoints(m) if c.due >= today]
    if upcoming:
        due = min(c.due for c in upcoming)
        same_day = sum(1 for c in upcoming if c.due == due)
        days = (due - today).days
        lines.append(
            Line(f"รายงานครั้งถัดไป {format_thai_date(due)} ({due_phrase(days)}) {same_day} มาตรการ", due_colour(days))
        )
    units: dict[str, tuple[str, int]] = {}
    for measure in chosen:
        for unit in dict.fromkeys(normalise_unit(u) for u in measure.units if u.strip()):
            name, count = units.get(unit, (unit, 0))
            units[unit] = (name, count + 1)
    if units:
        ranked = sorted(units.values(), key=lambda nc: -nc[1])
        lines.append(Line("ผู้รับผิดชอบ: " + " · ".join(f"{name} {count}" for name, count in ranked), style.TEXT))
    return SummaryBubble(
        header=Header(f"มาตรการ ITA ปีงบประมาณ {year}", agency_name, "ภาพรวมมาตรการของหน่วยงาน"),
        count=str(len(chosen)),
        lines=lines,
        buttons=buttons([_my_tasks_choice()]),
        note="เลื่อนดูมาตรการรายตัวชี้วัด แตะมาตรการเพื่อดูรายละเอียด",
    )


def _group_bubble(key: int, members: Sequence[MeasureView], agency_name: str, year: int, today: date) -> GroupBubble:
    detail = Choice.of(
        f"ดูมาตรการตัวชี้วัดที่ {key}", "measures", indicator=key, year=year, display=f"มาตรการตัวชี้วัดที่ {key} ปี {year}"
    ) if key else _measures_choice(year)  # fmt: skip
    rows = [
        MeasureRow(
            title=_clip(m.title, TITLE_MAX),
            tags=f"ตัวชี้วัดที่ {', '.join(str(n) for n in m.indicators)}" if len(m.indicators) > 1 else None,
            who=f"ผู้รับผิดชอบ: {_units(m.units)}",
            next=_next_line(m, today, prefix="ถัดไป: "),
            action=postback_action(detail),
        )
        for m in members[:GROUP_ROWS_MAX]
    ]
    more = None
    if len(members) > GROUP_ROWS_MAX:
        more = Line(f"และอีก {len(members) - GROUP_ROWS_MAX} มาตรการ แตะดูทั้งหมด", style.MUTED)
    choices = [detail]
    if key:
        choices.append(Choice.of(f"คะแนนตัวชี้วัดที่ {key}", "indicator_score", indicator=key))
    return GroupBubble(
        header=Header(
            f"มาตรการ ITA ปีงบประมาณ {year}",
            agency_name,
            f"{indicator_label(year, [key] if key else [])} · {len(members)} มาตรการ",
        ),
        rows=rows,
        more=more,
        buttons=buttons(choices),
        note=None,
    )


def _measures_alt(
    chosen: Sequence[MeasureView], agency_name: str, year: int, today: date, indicator: int | None
) -> str:
    alt = f"มาตรการ ITA ปี {year} {short_agency_name(agency_name)}"
    if indicator is not None:
        alt += f" {indicator_label(year, [indicator])}"
    alt += f": {len(chosen)} มาตรการ"
    late = sum(1 for m in chosen for c in _open_checkpoints(m) if c.due < today)
    if late:
        alt += f" รายงานเกินกำหนด {late} รอบ"
    upcoming = [c.due for m in chosen for c in _open_checkpoints(m) if c.due >= today]
    if upcoming:
        alt += f" รายงานครั้งถัดไป {format_thai_date(min(upcoming))}"
    return alt + " | " + " | ".join(f"{n}. {_clip(m.title, 60)}" for n, m in enumerate(chosen, start=1))


def _measures_quick(chosen: Sequence[MeasureView], year: int, indicator: int | None) -> list[Choice]:
    numbers = sorted({n for m in chosen for n in m.indicators}) if indicator is None else []
    by_indicator = [
        Choice.of(f"มาตรการตัวชี้วัดที่ {n}", "measures", indicator=n, year=year, display=f"มาตรการตัวชี้วัดที่ {n} ปี {year}")
        for n in numbers
    ]
    first = [_measures_choice(year)] if indicator is not None else []
    return quick(first, [_my_tasks_choice()], by_indicator, [help_choice()])


def no_measures_messages(year: int | None, years: Sequence[int], *, indicator: int | None = None) -> list[Message]:
    """No measures for that year (or indicator): say so, list the years that have some."""
    known = sorted(set(years))
    what = "มาตรการ ITA"
    if indicator is not None:
        what += f" ของตัวชี้วัดที่ {indicator}"
    if year is not None:
        what += f" ปี {year}"
    choices = [_measures_choice(y, f"มาตรการปี {y}") for y in reversed(known[-10:])]
    if indicator is not None and year is not None and year not in known:
        choices.insert(0, _measures_choice(year, f"มาตรการปี {year}"))
    if not known:
        text = f"ยังไม่มี{what} ในระบบ"
        if indicator is None:
            text += "\nผู้ดูแลระบบนำเข้ามาตรการได้ด้วยคำสั่ง ita measures import"
        return [text_message(text, [*choices, help_choice()])]
    text = f'ไม่พบ{what}\nมีมาตรการของปี {", ".join(str(y) for y in known)}\nพิมพ์ เช่น "มาตรการปี {known[-1]}"'
    return [text_message(text, [*choices, _my_tasks_choice(), help_choice()])]


# --- open items: งานของฉัน and reminders ------------------------------------------------------------


def _task_bubble(item: OpenItem, today: date, note: str | None = None) -> TaskBubble:
    days = item.days_left
    band = style.BELOW_RED if days < 0 else style.NEAR_ORANGE if days <= 1 else style.PRIMARY
    lines = [Line(f"ผู้รับผิดชอบ: {_units(item.units)}", style.TEXT)]
    if item.snoozed_until is not None and item.snoozed_until >= today:
        lines.append(Line(f"เลื่อนเตือนไว้ถึง {format_thai_date(item.snoozed_until)}", style.MUTED))
    return TaskBubble(
        band=band,
        due=due_phrase(days),
        when=f"{item.label} · ครบกำหนด {format_thai_date(item.due)}",
        topic=f"{indicator_label(item.fiscal_year, item.indicators)} · ปีงบประมาณ {item.fiscal_year}",
        title=_clip(item.title, TITLE_MAX),
        lines=lines,
        buttons=buttons(_task_choices(item)),
        note=note,
    )


def _counts_phrase(items: Sequence[OpenItem]) -> str:
    """Counts of the urgent buckets that have items: "เกินกำหนด 1 · ครบกำหนดวันนี้ 1 · พรุ่งนี้ 1"."""
    parts = []
    for name, test in (
        ("เกินกำหนด", lambda d: d < 0),
        ("ครบกำหนดวันนี้", lambda d: d == 0),
        ("พรุ่งนี้", lambda d: d == 1),
    ):
        count = sum(1 for i in items if test(i.days_left))
        if count:
            parts.append(f"{name} {count}")
    return " · ".join(parts)


def _task_carousel(
    ordered: Sequence[OpenItem], today: date, summary: ListBubble | None, more_note: Callable[[int], str]
) -> dict[str, Any]:
    room = CAROUSEL_MAX_BUBBLES - (1 if summary else 0)

    def context(n: int) -> dict[str, Any]:
        left = len(ordered) - n
        tasks = [_task_bubble(item, today) for item in ordered[:n]]
        if left and tasks:
            tasks[-1] = _task_bubble(ordered[n - 1], today, more_note(left))
        return {"summary": summary, "tasks": tasks}

    contents = _render_within("tasks", context, min(len(ordered), room))
    assert contents is not None  # one task bubble (title cut to TITLE_MAX) always fits
    return contents


def my_tasks_messages(items: Sequence[OpenItem], today: date) -> list[Message]:
    """งานของฉัน: the person's open items, soonest first, each with done / report progress / snooze."""
    if not items:
        return no_tasks_messages()
    ordered = _sorted_items(items)
    contents = _task_carousel(ordered, today, None, lambda left: f"และอีก {left} รายการที่ครบกำหนดภายหลัง")
    alt = f"งานของฉัน: {len(ordered)} รายการ"
    counts = _counts_phrase(ordered)
    if counts:
        alt += f" ({counts})"
    alt += " | " + " | ".join(
        f"{_clip(i.title, 50)} {due_phrase(i.days_left)} {format_thai_date(i.due)}" for i in ordered
    )
    replies = [_measures_choice(ordered[0].fiscal_year, "มาตรการ"), help_choice()]
    return [flex_message(alt, contents, replies)]


def no_tasks_messages() -> list[Message]:
    """Nothing open for this person."""
    text = 'ไม่มีงานมาตรการที่ต้องติดตามในขณะนี้ ✓\nดูมาตรการทั้งหมดของหน่วยงานได้โดยพิมพ์ "มาตรการ"'
    return [text_message(text, [_measures_choice(None, "มาตรการ"), help_choice()])]


def _headline(items: Sequence[OpenItem]) -> str:
    """What a reminder is about: "3 รายการ ครบกำหนดภายใน 7 วัน", "1 รายการ ครบกำหนดวันนี้"."""
    latest = max(i.days_left for i in items)
    if latest < 0:
        when = "เกินกำหนด"
    elif latest <= 1:
        when = "ครบกำหนดวันนี้" if latest == 0 else "ครบกำหนดภายในพรุ่งนี้"
    else:
        when = f"ครบกำหนดภายใน {latest} วัน"
    text = f"{len(items)} รายการ {when}"
    late = sum(1 for i in items if i.overdue)
    if late and latest >= 0:
        text += f" (เกินกำหนดแล้ว {late} รายการ)"
    return text


def reminder_messages(items: Sequence[OpenItem], today: date, person_unit: str | None) -> list[Message]:
    """The one reminder push of a run for one person: every due item, with its three buttons.

    More than one item: a list bubble first (by overdue / today / tomorrow / within 7 days), then
    one bubble per item (soonest first) with done / report progress / snooze.
    """
    if not items:
        return no_tasks_messages()
    ordered = _sorted_items(items)
    headline = _headline(ordered)
    summary = None
    if len(ordered) > 1:
        sections: dict[str, list[Line]] = {}
        for item in ordered[:SUMMARY_ROWS_MAX]:
            sections.setdefault(due_bucket(item.days_left), []).append(
                Line(f"• {_clip(item.title, 90)} ({format_thai_date(item.due)})", style.TEXT)
            )
        left = len(ordered) - SUMMARY_ROWS_MAX
        summary = ListBubble(
            header=Header(
                "เตือนงานมาตรการ ITA",
                headline,
                " · ".join(p for p in (person_unit, f"วันที่ {format_thai_date(today)}") if p),
            ),
            headline=None,
            sections=[
                Section(bucket, _bucket_colour(bucket), lines) for bucket in _BUCKETS if (lines := sections.get(bucket))
            ],
            buttons=buttons([_my_tasks_choice("ดูงานของฉัน")]),
            note=(f"และอีก {left} รายการ · " if left > 0 else "")
            + "เลื่อนดูการ์ดถัดไปเพื่อกดเสร็จแล้ว รายงานความก้าวหน้า หรือเลื่อนเตือน",
        )
    contents = _task_carousel(ordered, today, summary, lambda left: f'และอีก {left} รายการ ดูทั้งหมดที่ "งานของฉัน"')
    alt = f"เตือนงานมาตรการ ITA: {headline}"
    if person_unit:
        alt += f" ({person_unit})"
    alt += " | " + " | ".join(f"{due_phrase(i.days_left)}: {_clip(i.title, 50)} ({i.label})" for i in ordered)
    replies = [_my_tasks_choice(), _measures_choice(ordered[0].fiscal_year, "มาตรการ"), help_choice()]
    return [flex_message(alt, contents, replies)]


def _bucket_colour(bucket: str) -> str:
    if bucket == _BUCKETS[0]:
        return style.BELOW_RED
    return style.NEAR_ORANGE if bucket in _BUCKETS[1:3] else style.PRIMARY


def overdue_summary_messages(agency_name: str, items: Sequence[OpenItem], today: date) -> list[Message]:
    """The weekly summary for executives: overdue checkpoints by responsible unit, longest overdue first.

    An item shared by several units is listed under each of them and counted once in the total.
    """
    late = sorted((i for i in items if i.due < today), key=lambda i: (i.due, i.measure_id, i.checkpoint_id))
    who = short_agency_name(agency_name)
    if not late:
        text = f"สรุปงานมาตรการ ITA ของ{who} ณ วันที่ {format_thai_date(today)}: ไม่มีรายงานที่เกินกำหนด ✓"
        return [text_message(text, [_measures_choice(None, "มาตรการ"), help_choice()])]
    units: dict[str, tuple[str, list[OpenItem]]] = {}
    for item in late:
        for unit in item.units or ("ไม่ระบุผู้รับผิดชอบ",):
            key = normalise_unit(unit) or unit
            units.setdefault(key, (unit.strip() or "ไม่ระบุผู้รับผิดชอบ", []))[1].append(item)
    ranked = sorted(units.values(), key=lambda nu: (-len(nu[1]), nu[1][0].due))
    sections, rows = [], 0
    for name, members in ranked:
        room = max(0, SUMMARY_ROWS_MAX - rows)
        lines = [
            Line(
                f"• {_clip(i.title, 90)} · {i.label} ครบ {format_thai_date(i.due)} ({due_phrase(i.days_left)})",
                style.TEXT,
            )
            for i in members[:room]
        ]
        if len(members) > len(lines):
            lines.append(Line(f"และอีก {len(members) - len(lines)} รายการ", style.MUTED))
        rows += len(members[:room])
        sections.append(Section(f"{name} · {len(members)} รายการ", style.BELOW_RED, lines))
    year = max(i.fiscal_year for i in late)
    oldest = max(-i.days_left for i in late)
    bubble = ListBubble(
        header=Header("สรุปงานมาตรการ ITA ที่เกินกำหนด", agency_name, f"ณ วันที่ {format_thai_date(today)}"),
        headline=Line(
            f"เกินกำหนด {len(late)} รายการ · นานสุด {oldest} วัน · {len(ranked)} ส่วนงานที่รับผิดชอบ", style.BELOW_RED
        ),
        sections=sections,
        buttons=buttons([_my_tasks_choice("ดูงานค้างทั้งหมด"), _measures_choice(year, f"มาตรการปี {year}")]),
        note="นับเฉพาะรอบรายงานที่ยังไม่บันทึกว่าเสร็จ · รายการที่หลายส่วนงานรับผิดชอบร่วมกันแสดงในทุกส่วนงาน",
    )
    contents = render_flex("reminder_overdue", {"bubble": bubble})
    alt = (
        f"สรุปงานมาตรการ ITA ที่เกินกำหนด {who}: {len(late)} รายการ ("
        + ", ".join(f"{name} {len(members)}" for name, members in ranked)
        + ")"
    )
    return [
        flex_message(alt, contents, [_my_tasks_choice("งานค้างทั้งหมด"), _measures_choice(year, "มาตรการ"), help_choice()])
    ]


# --- the task buttons' answers ------------------------------------------------------------------------


def _quoted(title: str) -> str:
    return f"“{_clip(title, SHORT_TITLE)}”"


def progress_prompt_messages(title: str) -> list[Message]:
    """After "รายงานความก้าวหน้า": ask for the note as the next message, with a cancel button."""
    text = (
        f"พิมพ์ความก้าวหน้าของ {_quoted(title)} ในข้อความถัดไป\n"
        'เช่น "จัดประชุมชี้แจงบุคลากรแล้ว 25 คน อยู่ระหว่างจัดทำคู่มือ"\n'
        'หากไม่ต้องการรายงาน แตะหรือพิมพ์ "ยกเลิก"'
    )
    return [text_message(text, [Choice.of("ยกเลิก", "my_tasks", action="cancel", display="ยกเลิก")])]


def progress_saved_messages(title: str, text: str) -> list[Message]:
    """The note was recorded: repeat it back so the person sees what was kept."""
    body = truncate_label(text.strip(), ECHO_MAX)  # keeps the person's line breaks
    reply = f"บันทึกความก้าวหน้าของ {_quoted(title)} แล้ว:\n“{body}”"
    return [text_message(reply, [_my_tasks_choice(), _measures_choice(None, "มาตรการ")])]


def checkpoint_done_messages(title: str, label: str) -> list[Message]:
    """A checkpoint was marked done."""
    text = f"✓ บันทึกแล้ว: รอบ “{label}” ของมาตรการ {_quoted(title)} เสร็จเรียบร้อย"
    return [text_message(text, [_my_tasks_choice(), _measures_choice(None, "มาตรการ")])]


def snoozed_messages(title: str, until: date) -> list[Message]:
    """Reminders of a checkpoint are held until ``until``."""
    text = f"เลื่อนการเตือนของ {_quoted(title)} แล้ว งดเตือนรายการนี้ถึงวันที่ {format_thai_date(until)}"
    return [text_message(text, [_my_tasks_choice()])]


def task_not_found_messages() -> list[Message]:
    """The tapped item no longer exists or is not the agency's."""
    text = 'ไม่พบรายการนี้ อาจถูกแก้ไขหรือลบไปแล้ว ดูรายการล่าสุดได้ที่ "งานของฉัน"'
    return [text_message(text, [_my_tasks_choice(), help_choice()])]
