"""Thai number words (หนึ่ง … เก้า, สิบ, ยี่สิบ, ร้อย) as a regex and a parser, for 0-100.

pythainlp's ``text_to_num`` drops a trailing number word, and we only ever need small numbers
after a marker ("ตัวชี้วัดที่เก้า", "ต่ำกว่าแปดสิบห้า", "ย้อนหลังสามปี"), so this is self-contained.
"""

from __future__ import annotations

import re

UNITS = {
    "หนึ่ง": 1, "เอ็ด": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5,
    "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9,
}
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_TENS_PREFIX = "สอง|ยี่|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า"
_TENS = f"(?:(?:{_TENS_PREFIX})?สิบ(?:{_UNIT})?)"
_HUNDRED = f"(?:(?:หนึ่ง)?ร้อย(?:{_TENS}|{_UNIT})?)"

# Ordered so the longest reading wins: ร้อย before สิบ before a bare unit.
NUMBER_WORD = f"(?:{_HUNDRED}|{_TENS}|{_UNIT}|ศูนย์)"
NUMBER = rf"(?:\d+|{NUMBER_WORD})"
_NUMBER_WORD_RE = re.compile(NUMBER_WORD)


def parse_thai_number(word: str) -> int | None:
    """Value of a Thai number word such as ``แปดสิบห้า`` (85); None if it is not one."""
    if not word or _NUMBER_WORD_RE.fullmatch(word) is None:
        return None
    if word == "ศูนย์":
        return 0
    total = 0
    rest = word
    if "ร้อย" in rest:
        head, rest = rest.split("ร้อย", 1)
        total += 100 * (UNITS.get(head, 1) if head else 1)
    if "สิบ" in rest:
        head, rest = rest.split("สิบ", 1)
        total += 10 * (2 if head == "ยี่" else UNITS.get(head, 1) if head else 1)
    if rest:
        total += UNITS[rest]
    return total


def parse_number(token: str) -> int | None:
    """Value of ASCII digits or a Thai number word."""
    if token.isdigit():
        return int(token)
    return parse_thai_number(token)
