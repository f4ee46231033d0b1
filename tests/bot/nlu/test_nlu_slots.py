"""Slot extraction, one table per slot. Each row: a phrase and the exact non-null slots."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlu import SLOTS, IntentMatcher
from bot.nlu.slots import year_value


def _slots(matcher: IntentMatcher, text: str) -> dict[str, Any]:
    result = matcher.match(text)
    assert set(result.slots) == set(SLOTS)
    return {k: v for k, v in result.slots.items() if v is not None}


INDICATORS = [
    ("คะแนนตัวชี้วัดที่ 9", {"indicator": 9}),
    ("ตัวชี้วัดที่๙", {"indicator": 9}),
    ("ตัวชี้วัดที่ ๑๐", {"indicator": 10}),
    ("ตัวชี้วัดที่เก้า", {"indicator": 9}),
    ("ตัวชี้วัดที่สิบ", {"indicator": 10}),
    ("ตัวชี้วัดที่หนึ่ง", {"indicator": 1}),
    ("ตัวชีวัดที่ 4", {"indicator": 4}),
    ("ตัวชี้วัดดที่ 5", {"indicator": 5}),
    ("ตัวขี้วัด 3", {"indicator": 3}),
    ("ตช.9", {"indicator": 9}),
    ("indicator 2", {"indicator": 2}),
    ("indicator seven", {"indicator": 7}),
    ("การปฏิบัติหน้าที่", {"indicator": 1}),
    ("การใช้งบประมาณ", {"indicator": 2}),
    ("ใช้อำนาจหน้าที่", {"indicator": 3}),
    ("การใช้ทรัพย์สินของราชการ", {"indicator": 4}),
    ("ทรัพย์สินทางราชการ", {"indicator": 4}),
    ("ทรัพสินราชการ", {"indicator": 4}),
    ("การแก้ไขปัญหาการทุจริต", {"indicator": 5}),
    ("แก้ปัญหาทุจริต", {"indicator": 5}),
    ("คุณภาพการดำเนินงาน", {"indicator": 6}),
    ("ประสิทธิภาพการสื่อสาร", {"indicator": 7}),
    ("การสื่อสาร", {"indicator": 7}),
    ("การปรับปรุงระบบการทำงาน", {"indicator": 8}),
    ("การปรับปรุงการทำงาน", {"indicator": 8}),
    ("การเปิดเผยข้อมูล", {"indicator": 9}),
    ("การป้องกันการทุจริต", {"indicator": 10}),
    ("ป้องกันทุจริต", {"indicator": 10}),
    ("ตัวชี้วัด 9.2", {"indicator": 9, "sub_indicator": "9.2"}),
    ("ตัวชี้วัดย่อย 10.1", {"indicator": 10, "sub_indicator": "10.1"}),
    ("9.2 ล่ะ", {"indicator": 9, "sub_indicator": "9.2"}),
    # overlaps
    ("การเปิดเผยข้อมูลสาธารณะ", {"tool": "OIT"}),  # the tool, not indicator 9
    ("ปีงบประมาณ 2567", {"year": 2567}),  # not indicator 2
    ("เรื่องงบประมาณได้เท่าไร", {"indicator": 2}),  # งง collapsed at a word junction
    ("ตัวชี้วัดที่ 10ปีที่แล้ว", {"indicator": 10, "year_offset": -1}),
]

YEARS = [
    ("คะแนน ita ปี 2567", {"year": 2567}),
    ("คะแนน ita ปี ๒๕๖๗", {"year": 2567}),
    ("คะแนน ita ปี 67", {"year": 2567}),
    ("คะแนน ita ปีงบ 67", {"year": 2567}),
    ("คะแนน ita ปีงบฯ 67", {"year": 2567}),
    ("คะแนน ita ปีงบประมาณ พ.ศ. 2567", {"year": 2567}),
    ("คะแนน ita พศ2567", {"year": 2567}),
    ("คะแนน ita ค.ศ. 2024", {"year": 2567}),
    ("คะแนน ita C.E. 2024", {"year": 2567}),
    ("คะแนน ita 2024", {"year": 2567}),
    ("คะแนน ita fy2024", {"year": 2567}),
    ("คะแนน ita67", {"year": 2567}),
    ("คะแนน ita ปีนี้", {"year_offset": 0}),
    ("คะแนน ita ล่าสุด", {"year_offset": 0}),
    ("คะแนน ita ปีที่แล้ว", {"year_offset": -1}),
    ("คะแนน ita ปีก่อน", {"year_offset": -1}),
    ("คะแนน ita ปีก่อนโน้น", {"year_offset": -2}),
    ("คะแนน ita สองปีก่อน", {"year_offset": -2}),
    ("คะแนน ita 3 ปีที่แล้ว", {"year_offset": -3}),
    ("คะแนน ita last year", {"year_offset": -1}),
    ("เทียบปี 66 กับ 67", {"year": 2566, "compare_year": 2567}),
    ("66 vs 67", {"year": 2566, "compare_year": 2567}),
    ("เทียบ 2023 กับ 2024", {"year": 2566, "compare_year": 2567}),
    ("ปี 65-66 ต่างกันไหม", {"year": 2565, "compare_year": 2566}),
    ("ตั้งแต่ปี 2563 ถึง 2568", {"year": 2563, "compare_year": 2568}),
    ("ย้อนหลัง 5 ปี", {}),  # a span, not year 5 or indicator 5
    ("ย้อนหลังห้าปี", {}),
    ("5 ปีย้อนหลัง", {}),
]

QUESTIONS = [
    ("ข้อ o23", {"question": "o23"}),
    ("O23", {"question": "o23"}),
    ("o 23 ได้เท่าไหร่", {"question": "o23"}),
    ("ข้อ o-23", {"question": "o23"}),
    ("o๒๓", {"question": "o23"}),
    ("คะแนนข้อ I5", {"question": "i5"}),
    ("e10 ได้เท่าไร", {"question": "e10"}),
    ("o05", {"question": "o5"}),
    ("ข้อโอ 9", {"question": "o9"}),
    ("OIT ข้อ 15", {"question": "o15", "tool": "OIT"}),
    ("ข้อ 20 ของ OIT", {"question": "o20", "tool": "OIT"}),
    ("e-service ได้เท่าไหร่", {}),
]

THRESHOLDS = [
    ("ตัวชี้วัดไหนต่ำกว่า 90", {"threshold": 90}),
    ("ตัวชี้วัดไหนต่ำกว่า85", {"threshold": 85}),
    ("ตัวชี้วัดที่ต่ำกว่า ๘๕", {"threshold": 85}),
    ("ตัวชี้วัดที่ต่ำกว่าแปดสิบห้า", {"threshold": 85}),
    ("ตัวชี้วัดที่น้อยกว่า 80.5", {"threshold": 80.5}),
    ("ไม่ถึง 90 คะแนน", {"threshold": 90}),
    ("ตัวชี้วัดที่ 85 ลงมา", {"threshold": 85}),
    ("ตัวชี้วัดที่ได้ 90 ขึ้นไป", {"threshold": 90}),
    ("indicators below 85", {"threshold": 85}),
]

CODES_AND_SCOPES = [
    ("ลงทะเบียน AB12CD", {"code": "AB12CD"}),
    ("ลงทะเบียน ab12cd", {"code": "AB12CD"}),
    ("register xy-77-88", {"code": "XY-77-88"}),
    ("รหัสลงทะเบียนของผมคือ K7M2P9", {"code": "K7M2P9"}),
    ("K7Q2W9", {"code": "K7Q2W9"}),
    ("ลงทะเบียนยังไง", {}),
    ("อันดับในจังหวัด", {"scope": "province"}),
    ("อันดับในอำเภอ", {"scope": "district"}),
    ("อันดับในหน่วยงานประเภทเดียวกัน", {"scope": "type"}),
    ("อันดับระดับประเทศ", {"scope": "national"}),
    ("เทียบกับ อบต. อื่นๆ เราอยู่อันดับไหน", {"scope": "type"}),
    ("งานในจังหวัดที่ต้องส่ง", {}),  # a scope word outside ranking is not a scope
]


@pytest.mark.parametrize(("text", "expected"), INDICATORS + YEARS + QUESTIONS + THRESHOLDS + CODES_AND_SCOPES)
def test_slots(matcher: IntentMatcher, text: str, expected: dict[str, Any]) -> None:
    assert _slots(matcher, text) == expected


@pytest.mark.parametrize(
    ("digits", "ce", "value"),
    [
        ("2567", False, 2567),
        ("2024", False, 2567),
        ("67", False, 2567),
        ("24", True, 2567),
        ("24", False, 2567),
        ("1234", False, None),
        ("05", False, None),
    ],
)
def test_year_value(digits: str, ce: bool, value: int | None) -> None:
    assert year_value(digits, ce=ce) == value
