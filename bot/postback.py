"""Postback data: structured actions carried by buttons, so a tap skips the intent matcher.

The data is a URL-encoded query string, ``intent=<intent>`` followed by slot values, e.g.
``intent=indicator_score&indicator=9&year=2568``; LINE allows at most 300 characters.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

MAX_POSTBACK_DATA = 300
INT_SLOTS = frozenset({"indicator", "year", "year_offset", "compare_year"})
STR_SLOTS = frozenset({"sub_indicator", "tool", "question", "code", "scope", "threshold"})
EXTRA_KEYS = frozenset({"action", "item", "checkpoint", "days"})  # non-intent actions (measures, reminders)


def postback_data(intent: str, **values: object) -> str:
    """Encode an intent (or action) and its slots; None values are left out."""
    pairs = [("intent", intent)] + [(k, str(v)) for k, v in values.items() if v is not None]
    for key, _ in pairs[1:]:
        if key not in INT_SLOTS | STR_SLOTS | EXTRA_KEYS:
            raise ValueError(f"unknown postback key {key!r}")
    data = urlencode(pairs)
    if len(data) > MAX_POSTBACK_DATA:
        raise ValueError(f"postback data is {len(data)} characters, LINE allows {MAX_POSTBACK_DATA}")
    return data


def parse_postback(data: str) -> tuple[str, dict[str, object]]:
    """Decode postback data into (intent, values); unknown keys are ignored, bad numbers dropped."""
    intent = ""
    values: dict[str, object] = {}
    for key, value in parse_qsl(data, keep_blank_values=False):
        if key == "intent":
            intent = value
        elif key in INT_SLOTS:
            try:
                values[key] = int(value)
            except ValueError:
                continue
        elif key in STR_SLOTS | EXTRA_KEYS:
            values[key] = value
    return intent, values
