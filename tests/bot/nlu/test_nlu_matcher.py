"""Intents: a table of real phrasings per intent, negatives included, and the result's shape."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.nlu import INTENTS, SLOTS, IntentMatcher

PHRASES = [
    # overall_score
    ("คะแนน ITA ปีนี้", "overall_score"),
    ("ผลการประเมินปี 67 ผ่านไหมครับ", "overall_score"),
    ("ปีนี้ได้เกรดอะไร", "overall_score"),
    ("ขอดูคะแนนภาพรวมค่ะ", "overall_score"),
    # indicator_score
    ("คะแนนตัวชี้วัดที่ 9", "indicator_score"),
    ("ตัวชี้วัดที่๙ ปี ๒๕๖๗", "indicator_score"),
    ("การใช้ทรัพย์สินของราชการปีที่แล้ว", "indicator_score"),
    ("คะเเนนตัวชี้วัดที่ 2 ค่ะ", "indicator_score"),
    # tool_score
    ("OIT ได้เท่าไหร่", "tool_score"),
    ("คะแนน eit ส่วนที่ 1", "tool_score"),
    ("คะแนนรายเครื่องมือ", "tool_score"),
    # question_score
    ("ข้อ o23", "question_score"),
    ("O12 ได้กี่คะแนน", "question_score"),
    # compare_years
    ("เทียบปี 66 กับ 67", "compare_years"),
    ("ตัวชี้วัดไหนลดลงจากปีที่แล้ว", "compare_years"),
    ("คะแนนดีกว่าปีก่อนไหม", "compare_years"),
    # trend
    ("ย้อนหลัง 5 ปี", "trend"),
    ("แนวโน้มคะแนน OIT", "trend"),
    # strengths / weaknesses
    ("จุดแข็งมีอะไรบ้าง", "strengths"),
    ("ตัวชี้วัดไหนได้คะแนนสูงสุด", "strengths"),
    ("ตัวชี้วัดไหนต่ำกว่า 90", "weaknesses"),
    ("ข้อไหนได้ 0", "weaknesses"),
    ("จุดอ่อนของเรา", "weaknesses"),
    # recommendations
    ("ทำยังไงให้ OIT ดีขึ้น", "recommendations"),
    ("ควรปรับปรุงอย่างไร", "recommendations"),
    ("ข้อเสนอแนะของผู้ประเมิน", "recommendations"),
    # measures / my_tasks
    ("มาตรการตัวชี้วัดที่ 4", "measures"),
    ("มาตราการป้องกันการทุจริต", "measures"),
    ("งานที่ใกล้ครบกำหนด", "my_tasks"),
    ("งานของผมมีอะไรบ้าง", "my_tasks"),
    # ranking / register / help / greeting
    ("อันดับในจังหวัด", "ranking"),
    ("เราอยู่ที่เท่าไหร่ของประเทศ", "ranking"),
    ("ลงทะเบียน AB12CD", "register"),
    ("ผูกบัญชีไลน์", "register"),
    ("ช่วยอะไรได้บ้าง", "help"),
    ("ใช้งานยังไง", "help"),
    ("สวัสดีครับ", "greeting"),
    ("ขอบคุณมากค่ะ", "greeting"),
    ("thx", "greeting"),
    # a greeting in front of a question is not the intent
    ("สวัสดีครับ ขอดูคะแนน OIT ปี 68", "tool_score"),
    # negatives: never forced into an intent
    ("วันนี้ฝนตกไหม", "unknown"),
    ("555", "unknown"),
    ("5555555555", "unknown"),
    ("asdfghjkl", "unknown"),
    ("[sticker]", "unknown"),
    ("[สติกเกอร์]", "unknown"),
    ("😂😂😂", "unknown"),
    ("กินข้าวยัง", "unknown"),
    ("ราคาทองวันนี้เท่าไหร่", "unknown"),
    ("ฝากแจ้งทุกคนส่งเอกสารภายในวันศุกร์", "unknown"),
    ("", "unknown"),
    ("   ", "unknown"),
]


@pytest.mark.parametrize(("text", "intent"), PHRASES)
def test_intents(matcher: IntentMatcher, text: str, intent: str) -> None:
    assert matcher.match(text).intent == intent


def test_contract_object(matcher: IntentMatcher) -> None:
    obj = matcher.match("ตัวชี้วัดที่ 9 ปี 2567").to_json()
    json.dumps(obj)
    assert obj["intent"] in INTENTS
    assert list(obj["slots"]) == list(SLOTS)
    assert 0.0 <= obj["confidence"] <= 1.0
    assert {"alternatives", "slot_only", "followup"} <= set(obj)


def test_out_of_domain_has_no_slots(matcher: IntentMatcher) -> None:
    result = matcher.match("งานวันเด็กปีนี้จัดที่ไหน")
    assert result.intent == "unknown"
    assert all(v is None for v in result.slots.values())
    assert not result.slot_only


def test_confident_when_clear(matcher: IntentMatcher) -> None:
    for text in ("คะแนนตัวชี้วัดที่ 9", "ลงทะเบียน AB12CD", "ย้อนหลัง 5 ปี", "สวัสดีครับ"):
        result = matcher.match(text)
        assert result.confidence >= 0.8, text
        assert result.alternatives == ()


@pytest.mark.parametrize("text", ["ได้เท่าไหร่", "คะแนน", "ขอสรุปจุดแข็งจุดอ่อน", "ตัวชี้วัด"])
def test_unsure_offers_alternatives(matcher: IntentMatcher, text: str) -> None:
    result = matcher.match(text)
    assert result.confidence < 0.7
    assert result.alternatives
    assert all(a.intent != result.intent and a.intent != "unknown" for a in result.alternatives)
    assert all(0 < a.confidence <= result.confidence for a in result.alternatives)


@pytest.mark.parametrize(
    ("text", "slots", "intent"),
    [
        ("แล้วปีที่แล้วล่ะ", {"year_offset": -1}, "unknown"),
        ("แล้วปี 66 ล่ะ", {"year": 2566}, "unknown"),
        ("ตัวชี้วัดที่ 10 ล่ะ", {"indicator": 10}, "indicator_score"),
        ("แล้ว OIT ล่ะ", {"tool": "OIT"}, "tool_score"),
        ("แล้วในจังหวัดล่ะ", {"scope": "province"}, "unknown"),
    ],
)
def test_slot_only_follow_ups(matcher: IntentMatcher, text: str, slots: dict[str, object], intent: str) -> None:
    result = matcher.match(text)
    assert result.slot_only
    assert result.followup
    assert result.intent == intent
    assert {k: v for k, v in result.slots.items() if v is not None} == slots


def test_follow_up_with_its_own_intent_is_not_slot_only(matcher: IntentMatcher) -> None:
    result = matcher.match("แล้วมาตรการตัวชี้วัดที่ 9 ล่ะ")
    assert result.intent == "measures"
    assert result.followup and not result.slot_only


def test_relative_pair_keeps_the_second_offset(matcher: IntentMatcher) -> None:
    result = matcher.match("ปีนี้กับปีที่แล้วต่างกันยังไง")
    assert result.intent == "compare_years"
    assert result.slots["year_offset"] == 0
    assert result.extras == {"compare_year_offset": -1}


def test_years_back_is_reported_as_extra(matcher: IntentMatcher) -> None:
    assert matcher.match("ย้อนหลัง 4 ปี").extras == {"years_back": 4}


def test_matcher_imports_no_web_or_database() -> None:
    code = (
        "import sys, bot.nlu; bot.nlu.get_matcher().match('คะแนน');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'linebot', 'sqlalchemy', 'ita_core')];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
