"""The Thai fiscal calendar: fiscal years, quarter and half-year ends, local "today", checkpoints.

Fiscal year N (Buddhist era) runs from 1 October N−544 to 30 September N−543 (Christian era):
FY2569 is 1 Oct 2025 – 30 Sep 2026. Its quarters end on 31 Dec, 31 Mar, 30 Jun and 30 Sep; its
halves on 31 Mar and 30 Sep. ``now`` is always passed in so callers (and tests) control time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

BE_OFFSET = 543  # Buddhist era = Christian era + 543

QUARTERLY = "quarterly"
HALF_YEARLY = "half_yearly"
YEAR_END = "year_end"
EXPLICIT = "explicit"
RHYTHMS = (QUARTERLY, HALF_YEARLY, YEAR_END, EXPLICIT)

PERIOD_END_LABEL = "สิ้นสุดมาตรการ"


class DateRange(NamedTuple):
    """An inclusive range of dates."""

    start: date
    end: date


def fiscal_year_of(day: date) -> int:
    """The Buddhist-era fiscal year a date falls in (1 Oct 2025 → 2569)."""
    return day.year + BE_OFFSET + (1 if day.month >= 10 else 0)


def fiscal_year_range(year: int) -> DateRange:
    """First and last day of Buddhist-era fiscal year ``year``."""
    return DateRange(date(year - BE_OFFSET - 1, 10, 1), date(year - BE_OFFSET, 9, 30))


def quarter_ends(year: int) -> list[date]:
    """The four quarter ends of fiscal year ``year``: 31 Dec, 31 Mar, 30 Jun, 30 Sep."""
    ce = year - BE_OFFSET
    return [date(ce - 1, 12, 31), date(ce, 3, 31), date(ce, 6, 30), date(ce, 9, 30)]


def half_year_ends(year: int) -> list[date]:
    """The two half-year ends of fiscal year ``year``: 31 Mar and 30 Sep."""
    ce = year - BE_OFFSET
    return [date(ce, 3, 31), date(ce, 9, 30)]


def fiscal_quarter_of(day: date) -> tuple[int, int]:
    """(fiscal year, quarter 1–4) of a date: 15 Nov 2025 → (2569, 1)."""
    return fiscal_year_of(day), (day.month - 10) % 12 // 3 + 1


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar date at instant ``now`` in time zone ``tz`` (e.g. Asia/Bangkok)."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime")
    return now.astimezone(tz).date()


@dataclass(frozen=True)
class ScheduledCheckpoint:
    """A checkpoint a measure's monitoring rhythm calls for."""

    due: date
    label: str


def checkpoint_schedule(
    rhythm: str, start: date, end: date, explicit: tuple[date, ...] | list[date] = ()
) -> list[ScheduledCheckpoint]:
    """Checkpoints of a measure running ``start``..``end`` under a monitoring rhythm.

    quarterly: the quarter ends inside the period; half_yearly: the 31 Mar and 30 Sep inside it;
    year_end: the fiscal-year ends (30 Sep) inside it; explicit: exactly the given dates. For the
    three calendar rhythms the period's end is a final checkpoint too when it is not already one,
    so every measure is reported on when it ends.
    """
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    if rhythm == EXPLICIT:
        dates = sorted(set(explicit))
        return [ScheduledCheckpoint(d, f"ครั้งที่ {n}") for n, d in enumerate(dates, start=1)]
    if rhythm not in RHYTHMS:
        raise ValueError(f"unknown monitoring rhythm {rhythm!r}; use one of {', '.join(RHYTHMS)}")
    out: list[ScheduledCheckpoint] = []
    for year in range(fiscal_year_of(start), fiscal_year_of(end) + 1):
        out.extend(c for c in _rhythm_checkpoints(rhythm, year) if start <= c.due <= end)
    if not out or out[-1].due != end:
        out.append(ScheduledCheckpoint(end, PERIOD_END_LABEL))
    return out


def _rhythm_checkpoints(rhythm: str, year: int) -> list[ScheduledCheckpoint]:
    if rhythm == QUARTERLY:
        return [ScheduledCheckpoint(d, f"ไตรมาส {n}/{year}") for n, d in enumerate(quarter_ends(year), start=1)]
    if rhythm == HALF_YEARLY:
        first, second = half_year_ends(year)
        return [ScheduledCheckpoint(first, f"รอบ 6 เดือน/{year}"), ScheduledCheckpoint(second, f"รอบ 12 เดือน/{year}")]
    return [ScheduledCheckpoint(fiscal_year_range(year).end, f"สิ้นปีงบประมาณ {year}")]
