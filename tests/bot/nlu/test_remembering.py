"""The dispatcher's matcher keeps results by text; every caller gets its own slots."""

from __future__ import annotations

from collections.abc import Callable

from bot.nlu import get_matcher
from bot.nlu.matcher import REMEMBERED_CHARS, MatchResult, remembering


def counting() -> tuple[list[str], Callable[[str], MatchResult]]:
    calls: list[str] = []
    matcher = get_matcher()

    def match(text: str) -> MatchResult:
        calls.append(text)
        return matcher.match(text)

    return calls, match


def test_same_text_matched_once_with_a_fresh_copy_each_time() -> None:
    calls, match = counting()
    remembered = remembering(match, 8)
    first = remembered("คะแนนตัวชี้วัดที่ 9 ปี 2567")
    assert first.intent == "indicator_score" and first.slots["indicator"] == 9
    first.slots["indicator"] = 1  # a caller changing its copy
    first.extras["x"] = 1
    second = remembered("คะแนนตัวชี้วัดที่ 9 ปี 2567")
    assert calls == ["คะแนนตัวชี้วัดที่ 9 ปี 2567"]
    assert second.slots["indicator"] == 9 and "x" not in second.extras
    assert second == get_matcher().match("คะแนนตัวชี้วัดที่ 9 ปี 2567")


def test_least_recent_text_forgotten_and_long_texts_never_kept() -> None:
    calls, match = counting()
    remembered = remembering(match, 2)
    for text in ("จุดอ่อน", "จุดแข็ง", "จุดอ่อน", "ข้อเสนอแนะ", "จุดแข็ง"):
        remembered(text)
    assert calls == ["จุดอ่อน", "จุดแข็ง", "ข้อเสนอแนะ", "จุดแข็ง"]
    long_text = "คะแนนรวม " + "ก" * REMEMBERED_CHARS
    remembered(long_text)
    remembered(long_text)
    assert calls[-2:] == [long_text, long_text]


def test_size_zero_keeps_nothing() -> None:
    _, match = counting()
    assert remembering(match, 0) is match
