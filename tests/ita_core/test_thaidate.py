"""Thai dates and periods as the reports write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ita_core.errors import ItaError
from ita_core.thaidate import ThaiDateError, format_thai_date, format_thai_period, parse_period, parse_thai_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 ตุลาคม 2568", date(2025, 10, 1)),
        ("30 กันยายน 2569", date(2026, 9, 30)),
        ("30 ก.ย. 69", date(2026, 9, 30)),
        ("30 ก.ย. 2569", date(2026, 9, 30)),
        ("๓๐ ก.ย. ๒๕๖๙", date(2026, 9, 30)),
        ("1 ต.ค. 2568", date(2025, 10, 1)),
        ("1 ตค 2568", date(2025, 10, 1)),
        ("1 ต.ค 68", date(2025, 10, 1)),
        ("1ต.ค.68", date(2025, 10, 1)),
        ("1 ตุลา 68", date(2025, 10, 1)),
        ("31 ธ.ค. 2568", date(2025, 12, 31)),
        ("31 มี.ค. 69", date(2026, 3, 31)),
        ("30 มิ.ย. 69", date(2026, 6, 30)),
        ("15 กรกฏาคม 2569", date(2026, 7, 15)),  # the common misspelling of กรกฎาคม
        ("15 กรกฎาคม 2569", date(2026, 7, 15)),
        ("29 ก.พ. 2567", date(2024, 2, 29)),
        ("30 กันยายน พ.ศ. 2569", date(2026, 9, 30)),
        ("30 กันยายน พ.ศ.๒๕๖๙", date(2026, 9, 30)),
        ("วันที่ 30 กันยายน 2569", date(2026, 9, 30)),
        ("  30\u00a0ก.ย.  2569 ", date(2026, 9, 30)),
        ("2026-09-30", date(2026, 9, 30)),
        ("2026-09-30 00:00:00", date(2026, 9, 30)),
        ("2569-09-30", date(2026, 9, 30)),
        ("30/9/2569", date(2026, 9, 30)),
        ("30/09/69", date(2026, 9, 30)),
        ("30-09-2569", date(2026, 9, 30)),
        ("30/09/2026", date(2026, 9, 30)),
    ],
)
def test_parse_thai_date(text: str, expected: date) -> None:
    assert parse_thai_date(text) == expected


def test_date_cells_pass_through() -> None:
    assert parse_thai_date(date(2026, 9, 30)) == date(2026, 9, 30)
    assert parse_thai_date(datetime(2026, 9, 30, 0, 0)) == date(2026, 9, 30)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("30 กันยา", "no year"),
        ("ก.ย. 2569", "no day"),
        ("31 ก.ย. 2569", "has 30 days"),
        ("29 ก.พ. 2569", "has 28 days"),
        ("30 กันยายน 2026", "Christian-era year; write the Buddhist-era year 2569"),
        ("30 ก.ย. 1969", "Christian-era"),
        ("30 ก.ย. 3000", "not a Buddhist-era year"),
        ("30 สิงหาย 2569", "not a Thai month"),
        ("tomorrow", "is not a date"),
        ("30/13/2569", "month 13"),
        ("2569", "is not a date"),
    ],
)
def test_bad_dates_are_clear(text: str, fragment: str) -> None:
    with pytest.raises(ThaiDateError) as info:
        parse_thai_date(text)
    assert fragment in str(info.value)


def test_errors_are_domain_and_value_errors() -> None:
    with pytest.raises(ItaError):
        parse_thai_date("x")
    with pytest.raises(ValueError):
        parse_thai_date(42)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1 ตุลาคม 2568 – 30 กันยายน 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 ตุลาคม 2568 - 30 กันยายน 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 ตุลาคม 2568—30 กันยายน 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 ต.ค. 68-30 ก.ย. 69", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 ต.ค. 68 ถึง 30 ก.ย. 69", date(2025, 10, 1), date(2026, 9, 30)),
        ("ตั้งแต่วันที่ 1 ต.ค. 2568 ถึงวันที่ 30 ก.ย. 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("๑ ตุลาคม ๒๕๖๘ – ๓๐ กันยายน ๒๕๖๙", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 ตุลาคม – 30 กันยายน 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("1 มกราคม – 30 มิถุนายน 2569", date(2026, 1, 1), date(2026, 6, 30)),
        ("ต.ค. 2568 – ก.ย. 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("ม.ค. 69 - ก.พ. 69", date(2026, 1, 1), date(2026, 2, 28)),
        ("2025-10-01 - 2026-09-30", date(2025, 10, 1), date(2026, 9, 30)),
        ("2025-10-01 – 2026-09-30", date(2025, 10, 1), date(2026, 9, 30)),
        ("ประจำปีงบประมาณ พ.ศ. ๒๕๖๕", date(2021, 10, 1), date(2022, 9, 30)),
        ("ปีงบประมาณ 2569", date(2025, 10, 1), date(2026, 9, 30)),
        ("ปีงบ 69", date(2025, 10, 1), date(2026, 9, 30)),
    ],
)
def test_parse_period(text: str, start: date, end: date) -> None:
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        # S001 mistypes one row's period this way.
        ("1 ตุลาคม 2569 – 30 กันยายน 2569", "ends (30 ก.ย. 2569) before it starts (1 ต.ค. 2569)"),
        ("1 ตุลาคม 2568", "is not a period"),
        ("1 ตุลาคม 2568 – 30 กันยา", "has no year"),
        ("1 ตุลาคม 2568 – 31 กันยายน 2569", "has 30 days"),
        ("", "empty"),
    ],
)
def test_bad_periods_are_clear(text: str, fragment: str) -> None:
    with pytest.raises(ThaiDateError) as info:
        parse_period(text)
    assert fragment in str(info.value)


def test_format_back_to_thai() -> None:
    assert format_thai_date(date(2026, 9, 30)) == "30 ก.ย. 2569"
    assert format_thai_date(date(2025, 10, 1), long=True) == "1 ตุลาคม 2568"
    assert format_thai_period(date(2025, 10, 1), date(2026, 9, 30)) == "1 ต.ค. 2568 – 30 ก.ย. 2569"
    assert format_thai_period(date(2025, 10, 1), date(2026, 9, 30), long=True) == "1 ตุลาคม 2568 – 30 กันยายน 2569"


@pytest.mark.parametrize("day", [date(2025, 10, 1), date(2026, 2, 28), date(2024, 2, 29), date(2026, 12, 31)])
def test_format_and_parse_round_trip(day: date) -> None:
    assert parse_thai_date(format_thai_date(day)) == day
    assert parse_thai_date(format_thai_date(day, long=True)) == day
