"""Numbers, changes and names written the way the reports write them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ita_core.analysis import DOWN, SAME, UP, Change

_TWO = Decimal("0.01")
NO_SCORE = "–"

# Long agency-type prefixes and the abbreviations officials use (longest first).
_SHORT_PREFIXES = (
    ("องค์การบริหารส่วนจังหวัด", "อบจ."),
    ("องค์การบริหารส่วนตำบล", "อบต."),
    ("เทศบาลนคร", "ทน."),
    ("เทศบาลเมือง", "ทม."),
    ("เทศบาลตำบล", "ทต."),
)


def score_text(value: Decimal | None) -> str:
    """A score with two decimals ("90.42", "100.00"), or "–" when unknown."""
    if value is None:
        return NO_SCORE
    return format(value.quantize(_TWO, rounding=ROUND_HALF_UP), "f")


def number_text(value: Decimal) -> str:
    """A number without needless decimals: 85 -> "85", 87.5 -> "87.50"."""
    return str(int(value)) if value == value.to_integral_value() else score_text(value)


def bar_percent(value: Decimal | None) -> str:
    """The width of a score bar's filled part, a whole percentage 1-100 (LINE wants a positive width)."""
    if value is None:
        return "1%"
    return f"{max(1, min(100, int(value.to_integral_value(rounding=ROUND_HALF_UP))))}%"


def change_mark(change: Change | None) -> str:
    """"▲ 0.71", "▼ 4.74", "คงที่", or "" when a year is missing."""
    if change is None or change.direction is None or change.delta is None:
        return ""
    if change.direction == SAME:
        return "คงที่"
    arrow = "▲" if change.direction == UP else "▼"
    return f"{arrow} {score_text(abs(change.delta))}"


def change_phrase(change: Change | None) -> str:
    """"เพิ่มขึ้น 0.71", "ลดลง 4.74", "คงที่", or "" (for altText and plain text)."""
    if change is None or change.direction is None or change.delta is None:
        return ""
    if change.direction == SAME:
        return SAME
    return f"{UP if change.direction == UP else DOWN} {score_text(abs(change.delta))}"


def short_agency_name(name: str) -> str:
    """"องค์การบริหารส่วนตำบลเชียงพิณ" -> "อบต.เชียงพิณ" (for altText and labels)."""
    for prefix, short in _SHORT_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return short + name[len(prefix) :]
    return name


def question_label(code: str) -> str:
    """The item code as the reports print it: "o23" -> "O23"."""
    return code.upper()
