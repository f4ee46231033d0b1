"""Thai number words."""

from __future__ import annotations

import pytest

from bot.nlu.numbers import parse_number, parse_thai_number


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("หนึ่ง", 1),
        ("สอง", 2),
        ("สาม", 3),
        ("สี่", 4),
        ("ห้า", 5),
        ("หก", 6),
        ("เจ็ด", 7),
        ("แปด", 8),
        ("เก้า", 9),
        ("สิบ", 10),
        ("สิบเอ็ด", 11),
        ("ยี่สิบ", 20),
        ("ยี่สิบห้า", 25),
        ("แปดสิบ", 80),
        ("แปดสิบห้า", 85),
        ("เก้าสิบเก้า", 99),
        ("ร้อย", 100),
        ("หนึ่งร้อย", 100),
        ("ศูนย์", 0),
    ],
)
def test_thai_number_words(word: str, value: int) -> None:
    assert parse_thai_number(word) == value


@pytest.mark.parametrize("word", ["", "สี", "เก่า", "สามารถ", "ห้าม"])
def test_not_number_words(word: str) -> None:
    assert parse_thai_number(word) is None


def test_trailing_word_is_kept() -> None:
    # pythainlp's text_to_num drops a trailing number word; ours must not.
    assert parse_thai_number("แปดสิบห้า") == 85
    assert parse_number("85") == 85
