"""The Thai fiscal calendar and the checkpoints a monitoring rhythm gives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ita_core.fiscal import (
    checkpoint_schedule,
    fiscal_quarter_of,
    fiscal_year_of,
    fiscal_year_range,
    half_year_ends,
    local_today,
    quarter_ends,
)

BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 9, 30), 2568),
        (date(2025, 10, 1), 2569),
        (date(2025, 12, 31), 2569),
        (date(2026, 1, 1), 2569),
        (date(2026, 9, 30), 2569),
        (date(2026, 10, 1), 2570),
        (date(2021, 10, 1), 2565),
    ],
)
def test_fiscal_year_of(day: date, year: int) -> None:
    assert fiscal_year_of(day) == year


def test_fiscal_year_range() -> None:
    assert fiscal_year_range(2569) == (date(2025, 10, 1), date(2026, 9, 30))
    assert fiscal_year_range(2565) == (date(2021, 10, 1), date(2022, 9, 30))
    start, end = fiscal_year_range(2569)
    assert fiscal_year_of(start) == fiscal_year_of(end) == 2569


def test_quarter_and_half_year_ends() -> None:
    assert quarter_ends(2569) == [date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
    assert half_year_ends(2569) == [date(2026, 3, 31), date(2026, 9, 30)]
    assert quarter_ends(2565)[0] == date(2021, 12, 31)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2025, 10, 1), (2569, 1)),
        (date(2025, 12, 31), (2569, 1)),
        (date(2026, 1, 1), (2569, 2)),
        (date(2026, 4, 30), (2569, 3)),
        (date(2026, 9, 30), (2569, 4)),
    ],
)
def test_fiscal_quarter_of(day: date, quarter: tuple[int, int]) -> None:
    assert fiscal_quarter_of(day) == quarter


def test_local_today_is_bangkok_date() -> None:
    # 17:30 UTC on 30 Sep is already 1 Oct in Bangkok (UTC+7): a new fiscal year.
    now = datetime(2026, 9, 30, 17, 30, tzinfo=UTC)
    assert local_today(now, BANGKOK) == date(2026, 10, 1)
    assert local_today(now, ZoneInfo("UTC")) == date(2026, 9, 30)
    with pytest.raises(ValueError, match="naive"):
        local_today(datetime(2026, 9, 30, 12, 0), BANGKOK)


def _schedule(rhythm: str, start: date, end: date, explicit: tuple[date, ...] = ()) -> list[tuple[date, str]]:
    return [(c.due, c.label) for c in checkpoint_schedule(rhythm, start, end, explicit)]


def test_fy2569_rhythms() -> None:
    start, end = fiscal_year_range(2569)
    assert _schedule("quarterly", start, end) == [
        (date(2025, 12, 31), "ไตรมาส 1/2569"),
        (date(2026, 3, 31), "ไตรมาส 2/2569"),
        (date(2026, 6, 30), "ไตรมาส 3/2569"),
        (date(2026, 9, 30), "ไตรมาส 4/2569"),
    ]
    assert _schedule("half_yearly", start, end) == [
        (date(2026, 3, 31), "รอบ 6 เดือน/2569"),
        (date(2026, 9, 30), "รอบ 12 เดือน/2569"),
    ]
    assert _schedule("year_end", start, end) == [(date(2026, 9, 30), "สิ้นปีงบประมาณ 2569")]


def test_fy2565_rhythms() -> None:
    start, end = fiscal_year_range(2565)
    assert [d for d, _ in _schedule("quarterly", start, end)] == [
        date(2021, 12, 31),
        date(2022, 3, 31),
        date(2022, 6, 30),
        date(2022, 9, 30),
    ]
    assert _schedule("half_yearly", start, end)[0] == (date(2022, 3, 31), "รอบ 6 เดือน/2565")
    assert _schedule("year_end", start, end) == [(date(2022, 9, 30), "สิ้นปีงบประมาณ 2565")]


def test_period_end_off_the_calendar_is_a_final_checkpoint() -> None:
    start, end = date(2025, 10, 1), date(2026, 8, 15)
    assert _schedule("quarterly", start, end) == [
        (date(2025, 12, 31), "ไตรมาส 1/2569"),
        (date(2026, 3, 31), "ไตรมาส 2/2569"),
        (date(2026, 6, 30), "ไตรมาส 3/2569"),
        (date(2026, 8, 15), "สิ้นสุดมาตรการ"),
    ]
    assert _schedule("year_end", start, end) == [(date(2026, 8, 15), "สิ้นสุดมาตรการ")]
    # A short period with no quarter end inside still has one checkpoint.
    assert _schedule("quarterly", date(2026, 1, 10), date(2026, 2, 20)) == [(date(2026, 2, 20), "สิ้นสุดมาตรการ")]


def test_period_across_two_fiscal_years() -> None:
    days = [d for d, _ in _schedule("year_end", date(2025, 1, 1), date(2026, 9, 30))]
    assert days == [date(2025, 9, 30), date(2026, 9, 30)]
    half = _schedule("half_yearly", date(2025, 1, 1), date(2025, 12, 31))
    assert half == [
        (date(2025, 3, 31), "รอบ 6 เดือน/2568"),
        (date(2025, 9, 30), "รอบ 12 เดือน/2568"),
        (date(2025, 12, 31), "สิ้นสุดมาตรการ"),
    ]


def test_explicit_dates() -> None:
    start, end = fiscal_year_range(2569)
    given = (date(2026, 5, 31), date(2026, 1, 31), date(2026, 5, 31))
    assert _schedule("explicit", start, end, given) == [
        (date(2026, 1, 31), "ครั้งที่ 1"),
        (date(2026, 5, 31), "ครั้งที่ 2"),
    ]


def test_schedule_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        checkpoint_schedule("quarterly", date(2026, 9, 30), date(2025, 10, 1))
    with pytest.raises(ValueError, match="unknown monitoring rhythm"):
        checkpoint_schedule("monthly", date(2025, 10, 1), date(2026, 9, 30))
