"""Numbers as Thai officials write them: Thai digits, ``๙๙.๘๕``, commas, stray spaces."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


def to_arabic_digits(text: str) -> str:
    """Replace Thai digits with ASCII digits."""
    return text.translate(THAI_DIGITS)


def parse_decimal(value: object) -> Decimal:
    """Parse a score written as text or number (Thai digits allowed); raise ValueError if it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() gives the shortest string that round-trips, so 99.85 stays 99.85.
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"not a number: {value!r}")
    text = to_arabic_digits(value).strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not text:
        raise ValueError("empty value")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def round2(value: Decimal) -> Decimal:
    """Round half-up to two decimal places, as the official reports do."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def mean(values: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Exact arithmetic mean of Decimals (no rounding)."""
    if not values:
        raise ValueError("mean of no values")
    return sum(values, Decimal(0)) / Decimal(len(values))
