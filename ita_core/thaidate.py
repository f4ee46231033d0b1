"""Thai dates as reports write them: "1 ตุลาคม 2568", "30 ก.ย. 69", "๓๐ ก.ย. ๒๕๖๙", ISO "2026-09-30".

Years in Thai forms are Buddhist era (B.E. = C.E. + 543); a two-digit year means 25xx. Periods
such as "1 ตุลาคม 2568 – 30 กันยายน 2569" or "ประจำปีงบประมาณ พ.ศ. ๒๕๖๕" parse to a
:class:`~ita_core.fiscal.DateRange`. Every failure is a :class:`ThaiDateError` naming the input.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from ita_core.errors import ItaError
from ita_core.fiscal import BE_OFFSET, DateRange, fiscal_year_range
from ita_core.numbers import to_arabic_digits

MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTH_ABBREVIATIONS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
# Spoken short forms ("กันยา") and a very common misspelling of July.
_EXTRA_NAMES = {
    "มกรา": 1,
    "กุมภา": 2,
    "มีนา": 3,
    "เมษา": 4,
    "พฤษภา": 5,
    "มิถุนา": 6,
    "กรกฎา": 7,
    "กรกฏา": 7,
    "กรกฏาคม": 7,
    "สิงหา": 8,
    "กันยา": 9,
    "ตุลา": 10,
    "พฤศจิกา": 11,
    "ธันวา": 12,
}


def _month_key(text: str) -> str:
    return re.sub(r"[\s.]", "", text)


_MONTH_NUMBERS: dict[str, int] = {
    **{_month_key(name): n for n, name in enumerate(MONTHS, start=1)},
    **{_month_key(abbr): n for n, abbr in enumerate(MONTH_ABBREVIATIONS, start=1)},
    **_EXTRA_NAMES,
}

_THAI_FORM = re.compile(
    r"^(?:(?P<day>\d{1,2})\s*)?(?P<month>[\u0e01-\u0e4e][\u0e01-\u0e4e.\s]*?)\s*(?P<year>\d{2}|\d{4})?$"
)
_NUMERIC_FORM = re.compile(r"^(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>\d{2}|\d{4})$")
_ISO_FORM = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_ERA = re.compile(r"(?P<era>พ|ค)\s*\.\s*ศ\s*\.?|\b(?:B\.?E\.?)")
_FISCAL_YEAR = re.compile(r"^(?:ประจำ)?\s*ปีงบ(?:ประมาณ)?\s*(?P<year>\d{2}|\d{4})$")
_PERIOD_PREFIX = re.compile(r"^(?:ตั้งแต่|ระหว่าง)\s*(?:วันที่)?\s*")
_PERIOD_SEPARATORS = (
    re.compile(r"\s*[–—―−~]\s*"),
    re.compile(r"\s*ถึง\s*(?:วันที่)?\s*"),
    re.compile(r"\s+-\s+"),
    re.compile(r"\s+to\s+", re.IGNORECASE),
)


class ThaiDateError(ItaError, ValueError):
    """A date or period that cannot be read; the message names the text and what was expected."""


@dataclass(frozen=True)
class _Parts:
    day: int | None
    month: int
    year: int | None  # Christian era, once known


def _clean(text: str) -> str:
    text = to_arabic_digits(text).replace("\u00a0", " ").replace("\u200b", "")
    return re.sub(r"\s+", " ", text).strip()


def _year_from(digits: str, original: str, *, thai_form: bool, era: str | None) -> int:
    """The Christian-era year for a written year (B.E. 4-digit, B.E. 2-digit, or C.E. where allowed)."""
    number = int(digits)
    if era == "ค":
        return number
    if len(digits) == 2:
        return 2500 + number - BE_OFFSET
    if 2400 <= number <= 2700:
        return number - BE_OFFSET
    if 1900 <= number <= 2200 and not thai_form:
        return number
    if 1900 <= number <= 2200:
        raise ThaiDateError(
            f"{original!r}: {number} looks like a Christian-era year; write the Buddhist-era year {number + BE_OFFSET}"
        )
    raise ThaiDateError(f"{original!r}: {number} is not a Buddhist-era year such as 2569")


def _make_date(year: int, month: int, day: int, original: str) -> date:
    if not 1 <= month <= 12:
        raise ThaiDateError(f"{original!r}: month {month} is not 1–12")
    try:
        return date(year, month, day)
    except ValueError:
        last = calendar.monthrange(year, month)[1]
        raise ThaiDateError(
            f"{original!r}: {MONTHS[month - 1]} {year + BE_OFFSET} has {last} days, so day {day} does not exist"
        ) from None


def _month_number(name: str, original: str) -> int:
    number = _MONTH_NUMBERS.get(_month_key(name))
    if number is None:
        raise ThaiDateError(f"{original!r}: {name.strip()!r} is not a Thai month (write e.g. 'ตุลาคม', 'ต.ค.' or 'ตค')")
    return number


def _parts(text: str, original: str) -> _Parts:
    """Day (optional), month and year (optional) of a date in any accepted form."""
    era_match = _ERA.search(text)
    era = era_match.group("era") if era_match else None
    text = _ERA.sub(" ", text)
    text = re.sub(r"^วันที่\s*", "", re.sub(r"\s+", " ", text).strip())
    if m := _ISO_FORM.match(text):
        year = _year_from(m.group("year"), original, thai_form=False, era=era)
        return _Parts(int(m.group("day")), int(m.group("month")), year)
    if m := _NUMERIC_FORM.match(text):
        year = _year_from(m.group("year"), original, thai_form=False, era=era)
        return _Parts(int(m.group("day")), int(m.group("month")), year)
    if m := _THAI_FORM.match(text):
        month = _month_number(m.group("month"), original)
        digits = m.group("year")
        written = _year_from(digits, original, thai_form=True, era=era) if digits else None
        day = int(m.group("day")) if m.group("day") else None
        return _Parts(day, month, written)
    raise ThaiDateError(
        f"{original!r} is not a date; write e.g. '30 กันยายน 2569', '30 ก.ย. 69', '30/9/2569' or '2026-09-30'"
    )


def parse_thai_date(value: object) -> date:
    """A date from a Thai-written text (or a date/datetime cell); raise ThaiDateError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ThaiDateError(f"{value!r} is not a date")
    return _parse_date_text(value)


@lru_cache(maxsize=4096)  # an import repeats the same few dates thousands of times
def _parse_date_text(original: str) -> date:
    text = _clean(original)
    if not text:
        raise ThaiDateError("the date is empty")
    parts = _parts(text, original)
    if parts.day is None:
        raise ThaiDateError(f"{original!r} has no day; write e.g. '30 ก.ย. 2569'")
    if parts.year is None:
        raise ThaiDateError(f"{original!r} has no year; write e.g. '30 ก.ย. 2569'")
    return _make_date(parts.year, parts.month, parts.day, original)


def _split_period(text: str, original: str) -> tuple[str, str]:
    for separator in _PERIOD_SEPARATORS:
        pieces = separator.split(text)
        if len(pieces) == 2 and pieces[0] and pieces[1]:
            return pieces[0], pieces[1]
    if text.count("-") == 1:  # "1 ต.ค. 68-30 ก.ย. 69"
        first, second = text.split("-")
        if first.strip() and second.strip():
            return first.strip(), second.strip()
    raise ThaiDateError(f"{original!r} is not a period; write e.g. '1 ตุลาคม 2568 – 30 กันยายน 2569' or 'ปีงบประมาณ 2569'")


def parse_period(value: str) -> DateRange:
    """A period such as "1 ตุลาคม 2568 – 30 กันยายน 2569", "ต.ค. 68 ถึง ก.ย. 69" or "ปีงบประมาณ 2569"."""
    return _parse_period_text(value)


@lru_cache(maxsize=4096)
def _parse_period_text(original: str) -> DateRange:
    text = _clean(original)
    if not text:
        raise ThaiDateError("the period is empty")
    bare = _ERA.sub(" ", text)
    if m := _FISCAL_YEAR.match(re.sub(r"\s+", " ", bare).strip()):
        digits = m.group("year")
        return fiscal_year_range(_year_from(digits, original, thai_form=True, era=None) + BE_OFFSET)
    first_text, second_text = _split_period(_PERIOD_PREFIX.sub("", text), original)
    first = _parts(first_text, original)
    second = _parts(second_text, original)
    if second.year is None:
        raise ThaiDateError(f"{original!r}: the end of the period has no year")
    end_day = second.day if second.day is not None else calendar.monthrange(second.year, second.month)[1]
    end = _make_date(second.year, second.month, end_day, original)
    start_day = first.day if first.day is not None else 1
    if first.year is None:
        # "1 ตุลาคม – 30 กันยายน 2569": the start is the latest such day not after the end.
        year = second.year if (first.month, start_day) <= (second.month, end_day) else second.year - 1
        start = _make_date(year, first.month, start_day, original)
    else:
        start = _make_date(first.year, first.month, start_day, original)
    if end < start:
        raise ThaiDateError(
            f"{original!r}: the period ends ({format_thai_date(end)}) before it starts ({format_thai_date(start)})"
        )
    return DateRange(start, end)


def format_thai_date(day: date, *, long: bool = False) -> str:
    """A date as Thai readers expect it: "30 ก.ย. 2569" (or "30 กันยายน 2569" with ``long``)."""
    names = MONTHS if long else MONTH_ABBREVIATIONS
    return f"{day.day} {names[day.month - 1]} {day.year + BE_OFFSET}"


def format_thai_period(start: date, end: date, *, long: bool = False) -> str:
    """A period as "1 ต.ค. 2568 – 30 ก.ย. 2569"."""
    return f"{format_thai_date(start, long=long)} – {format_thai_date(end, long=long)}"
