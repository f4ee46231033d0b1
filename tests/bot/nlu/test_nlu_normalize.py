"""Normalisation: what the matcher sees of a message."""

from __future__ import annotations

import pytest

from bot.nlu.normalize import Normalizer, base_normalize, tone_optional, tone_variants


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ตัวชี้วัดที่ ๙ ปี ๒๕๖๗", "ตัวชี้วัดที่ 9 ปี 2567"),  # Thai digits
        ("ตัว\u200bชี้\u200dวัด\ufeff", "ตัวชี้วัด"),  # zero-width characters
        ("ครับบบบบ", "ครับ"),  # repeated letters
        ("555555", "555555"),  # never digits
        ("ค่าาาา", "ค่า"),
        ("ＯＩＴ　２０２４", "oit 2024"),  # full-width Latin and digits, ideographic space
        ("OiT", "oit"),  # case
        ("คะเเนน", "คะแน"),  # เ+เ typed for แ (and the double น collapses on both sides)
        ("ต่ํากว่า", "ต่ำกว่า"),  # nikhahit + sara aa typed for sara am
        ("ตํ่ากว่า", "ต่ำกว่า"),
        ("ตัวช้ีวัด", "ตัวชี้วัด"),  # tone mark typed before the vowel
        ("ตัวชี้  วัด   ที่  9", "ตัวชี้วัดที่ 9"),  # spaces between Thai letters
        ("  oit   ได้  ", "oit ได้"),
        ("ปี 2,567", "ปี 2567"),
        ("???!!!", "?!"),
    ],
)
def test_base_normalize(raw: str, expected: str) -> None:
    assert base_normalize(raw) == expected


def test_typo_table_fixes_whole_substrings() -> None:
    normalize = Normalizer({"ตัวชีวัด": "ตัวชี้วัด", "มาตราการ": "มาตรการ"})
    assert normalize("ตัวชีวัดที่ 4") == "ตัวชี้วัดที่ 4"
    assert normalize("มาตราการปีนี้") == "มาตรการปีนี้"
    assert normalize("ตัวชี้วัดที่ 4") == "ตัวชี้วัดที่ 4"


def test_collapsed_runs_are_marked_for_sharing() -> None:
    normalized = Normalizer({}).with_marks("เรื่องงบประมาณ")
    assert normalized.text == "เรื่องบประมาณ"
    assert normalized.shared == frozenset({5})  # the ง that stands for "งง"


def test_marks_follow_typo_fixes() -> None:
    normalized = Normalizer({"มาตราการ": "มาตรการ"}).with_marks("มาตราการของงาน")
    assert normalized.text == "มาตรการของาน"
    assert normalized.text[min(normalized.shared)] == "ง"


def test_tone_variants_drop_marks() -> None:
    assert tone_variants("ตัวชี้วัด") == {"ตัวชีวัด"}
    assert tone_variants("คะแน") == set()


def test_tone_optional_regex() -> None:
    import re

    pattern = re.compile(tone_optional("ต่ำกว่า"))
    assert pattern.fullmatch("ต่ำกว่า")
    assert pattern.fullmatch("ตำกวา")
