"""Regexes of the slot extractors, built from normalised literals.

Literals go through :func:`bot.nlu.normalize.tone_optional`, so they are written in everyday
spelling here ("คะแนน", "ต่ำกว่า") and still match the normalised text ("คะแน", "ตำกวา").
"""

from __future__ import annotations

import re

from bot.nlu.normalize import tone_optional
from bot.nlu.numbers import NUMBER_WORD


def alt(*words: str) -> str:
    """A non-capturing alternation of literals, longest first, tone marks optional."""
    parts = sorted({tone_optional(w) if not w.isascii() else re.escape(w) for w in words}, key=len, reverse=True)
    return "(?:" + "|".join(parts) + ")"


def latin(*words: str) -> str:
    """An alternation of Latin words with ASCII word boundaries."""
    return r"(?<![a-z])" + alt(*words) + r"(?![a-z])"


NUM = rf"(?:\d{{1,2}}|{NUMBER_WORD})"
SCORE_NUM = rf"(?:\d{{1,3}}(?:\.\d{{1,2}})?|{NUMBER_WORD})"
POINTS = r"\s*" + alt("คะแนน", "%", "เปอร์เซ็นต์", "เปอร์เซ็น", "percent", "points", "point", "pts") + "?"
TOOL = r"(?<![a-z])(?P<tool>iit|eit|oit)(?![a-z])"

# --- registration code -------------------------------------------------------------------------
REGISTER_CUE = re.compile(
    alt("ลงทะเบียน", "รหัสลงทะเบียน", "รหัสเชิญ", "รหัส", "โค้ด", "โค๊ด", "ผูกบัญชี", "เชื่อมบัญชี",
        "เชื่อมต่อบัญชี", "ยืนยันตัวตน", "สมัครใช้งาน", "สมัคร", "ผูกไลน์", "เชื่อมไลน์")
    + "|" + latin("register", "registration", "code", "invite code", "invite", "activate", "sign up", "signup",
                  "link account")
)
CODE_TOKEN = re.compile(r"(?<![a-z0-9])[a-z0-9](?:[a-z0-9-]{2,22}[a-z0-9])(?![a-z0-9])")

# --- questions ---------------------------------------------------------------------------------
ITEM_WORD = alt("ข้อที่", "ข้อ", "item", "no.", "no", "#")
QUESTION_AFTER_TOOL = re.compile(TOOL + rf"\s*{ITEM_WORD}\s*(?P<n>\d{{1,2}})(?!\d)")
QUESTION_BEFORE_TOOL = re.compile(
    alt("ข้อที่", "ข้อ") + r"\s*(?P<n>\d{1,2})(?!\d)\s*" + alt("ของ", "ใน", "ส่วน", "จาก", "of", "in") + "?"
    + r"\s*" + TOOL
)
QUESTION_CODE = re.compile(r"(?<![a-z0-9])(?P<letter>[ieo])\s?[-.]?\s?0*(?P<n>\d{1,2})(?!\d|\.\d|[a-z])")
QUESTION_THAI_LETTER = re.compile(alt("ข้อ") + r"\s*(?P<letter>ไอ|อี|โอ)\s*0*(?P<n>\d{1,2})(?!\d)")
THAI_LETTER = {"ไอ": "i", "อี": "e", "โอ": "o"}
EIT_PART = re.compile(r"(?<![a-z])eit\s*" + alt("ส่วนที่", "ตอนที่", "part") + r"?\s*[12](?![\d.])")

# --- indicators --------------------------------------------------------------------------------
EN_NUMBERS = {w: i for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1)}
_EN_NUMBER = r"(?<![a-z])(?:" + "|".join(EN_NUMBERS) + r")(?![a-z])"
INDICATOR_MARK = (
    "(?:" + tone_optional("ตัวชี้วัด") + "(?:" + tone_optional("ย่อย") + ")?|" + tone_optional("ตัวที่")
    + r"|(?<![a-z])(?:indicator|ind\.?|kpi)|" + alt("ตชว", "ตช") + r"\.?)"
)
INDICATOR = re.compile(
    INDICATOR_MARK + r"\s*" + alt("ที่", "no.", "no", "#", "number") + r"?\s*"
    + rf"(?:(?P<n>\d{{1,2}})(?:\s?\.\s?(?P<sub>\d))?(?!\d)|(?P<word>{NUMBER_WORD})|(?P<en>{_EN_NUMBER}))"
)
BARE_SUB_INDICATOR = re.compile(r"(?<![\d.])(?P<n>10|[1-9])\s?\.\s?(?P<sub>[1-9])(?![\d.])")
NOT_SUB_BEFORE = re.compile(alt("ได้", "กว่า", "เกิน", "ถึง", "version", "v") + r"\s*$")
NOT_SUB_AFTER = re.compile(r"\s*(?:" + alt("คะแนน", "%", "เปอร์เซ็นต์", "point", "points", "น.", "นาฬิกา", "โมง")
                           + ")")

# --- years -------------------------------------------------------------------------------------
_BE_MARK = alt("ปีงบประมาณ", "ปีงบฯ", "ปีงบ", "งบปี", "ปี", "พ.ศ.", "พ.ศ", "พศ.", "พศ", "ไอทีเอ") + r"|(?<![a-z])(?:b\.e\.|be|ita|fy)"
_CE_MARK = alt("ค.ศ.", "ค.ศ", "คศ.", "คศ") + r"|(?<![a-z])(?:c\.e\.|ce|a\.d\.)"
YEAR_MARK = re.compile(rf"(?:(?P<be>{_BE_MARK})|(?P<ce>{_CE_MARK}))\s*(?P<num>\d{{4}}|\d{{2}})(?!\d)")
KEEP_MARK = ("ita", "ไอทีเอ")  # marker words that are also cues: not consumed
_RANGE_WORDS = ("ถึง", "จนถึง", "จน", "to", "-", "–", "~")
_PAIR_WORDS = ("กับ", "และ", "เทียบกับ", "เทียบ", "vs.", "vs", "versus", "and", "&", ",", "/", "หรือ", "or")
YEAR_CONTINUATION = re.compile(
    r"(?P<conn>\s*(?:(?P<range>" + alt(*_RANGE_WORDS) + r")|(?P<pair>" + alt(*_PAIR_WORDS) + r"))\s*|\s+)"
    + rf"(?:{_BE_MARK}|{_CE_MARK})?\s*(?P<num>\d{{4}}|\d{{2}})(?!\d)"
)
BARE_YEAR_PAIR = re.compile(
    r"(?<![\d.])(?P<a>\d{2})(?P<conn>\s*(?:(?P<range>" + alt(*_RANGE_WORDS) + r")|(?P<pair>"
    + alt("กับ", "และ", "เทียบกับ", "เทียบ", "vs.", "vs", "versus", "and") + r"))\s*|\s+)(?P<b>\d{2})(?![\d.%])"
)
TOOL_YEAR = re.compile(r"(?<![a-z])(?:iit|eit|oit)\s*(?P<num>\d{4}|\d{2})(?![\d.])")  # "oit67": a year
BARE_YEAR = re.compile(r"(?<![\d.a-z])(?P<num>\d{4})(?![\d.])")
RANGE_START = re.compile(alt("ตั้งแต่", "since", "from", "จาก") + r"\s*(?:" + _BE_MARK + "|" + _CE_MARK + r")?\s*$")
NOT_YEAR_AFTER = re.compile(r"\s*(?:" + alt("คะแนน", "%", "เปอร์เซ็นต์", "points", "point", "บาท", "คน", "ข้อ",
                                             "ขึ้นไป", "ลงมา", "ลงไป") + ")")
SINCE_YEAR = re.compile(alt("ตั้งแต่", "since", "from") + r"\s*" + alt("ปีงบ", "ปี") + r"?\s*(?P<num>\d{2})(?![\d.])")

YEARS_BACK = re.compile(
    "(?:" + alt("ย้อนหลัง", "ย้อนไป", "ในรอบ", "รอบ", "ช่วง", "ทั้ง") + "|" + latin("last", "past", "previous")
    + rf")\s*(?P<n>{NUM})\s*" + alt("ปีงบประมาณ", "ปีงบ", "ปี", "years", "year")
    + rf"|(?P<n2>{NUM})\s*" + alt("ปีงบประมาณ", "ปีงบ", "ปี", "years", "year") + r"\s*"
    + alt("ย้อนหลัง", "ที่ผ่านมา", "หลังสุด", "ล่าสุด", "หลัง", "back", "ที่ผ่านๆมา")
)
YEARS_AGO = re.compile(
    alt("เมื่อ") + rf"?\s*(?P<n>{NUM})\s*" + alt("ปีงบ", "ปี") + r"\s*" + alt("ที่แล้ว", "ก่อน", "ที่ผ่านมาแล้ว")
    + r"|(?P<n2>\d{1,2})\s*years?\s*ago"
)

# --- thresholds --------------------------------------------------------------------------------
_BELOW = alt("ต่ำกว่า", "น้อยกว่า", "ไม่ถึง", "ไม่เกิน", "ไม่ถึงเกณฑ์", "ต่ำกว่าเกณฑ์", "below", "under",
             "less than", "lower than", "<=", "<")
_ABOVE = alt("ไม่ต่ำกว่า", "ไม่น้อยกว่า", "สูงกว่า", "มากกว่า", "เกินกว่า", "เกิน", "ตั้งแต่", "above", "over",
             "more than", "higher than", "greater than", "at least", ">=", ">")
_NEUTRAL = alt("เกณฑ์", "เป้าหมาย", "เป้า", "target", "threshold", "cutoff", "cut-off")
THRESHOLD = re.compile(
    rf"(?:(?P<below>{_BELOW})|(?P<above>{_ABOVE})|(?P<neutral>{_NEUTRAL}))\s*"
    + alt("เกณฑ์", "ร้อยละ", "ที่", "คะแนน") + rf"?\s*(?P<num>{SCORE_NUM})(?![\d.])" + POINTS
)
THRESHOLD_SUFFIX = re.compile(
    r"(?<![\d.])(?P<num>\d{1,3}(?:\.\d{1,2})?)" + POINTS + r"\s*"
    + rf"(?:(?P<below>{alt('ลงมา', 'ลงไป', 'or less', 'or below')})|(?P<above>{alt('ขึ้นไป', 'or more', 'or above', '+')}))"
)

# --- follow-ups --------------------------------------------------------------------------------
FOLLOWUP = re.compile(
    "^(?:" + alt("แล้ว", "และ", "ส่วน", "งั้น", "ถ้าเป็น", "แล้วก็") + "|" + latin("and", "what about", "how about")
    + ")|" + alt("ล่ะ", "ละ", "หละ", "ล่า", "เล่า") + r"\s*" + alt("ครับ", "คับ", "ค่ะ", "คะ", "จ้า", "จ้ะ", "นะ")
    + r"?[\s?!.]*$"
)
COUNTED = re.compile(r"[\u0e01-\u0e4fa-z0-9]")  # characters that count for coverage
