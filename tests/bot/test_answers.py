"""The answer cache: kept per results generation, emptied when results change, never stale in chat."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import linesim
from bot.answers import AnswerCache, Kept, answer_key
from bot.line_client import compact_json
from ita_core.accounts import create_invite
from ita_core.db import unit_of_work
from ita_core.models import Agency, Assessment, Measure
from tests.bot.conftest import LiveApp


def counting(messages: list[dict[str, object]]) -> tuple[list[int], Callable[[], list[dict[str, object]]]]:
    calls: list[int] = []

    def build() -> list[dict[str, object]]:
        calls.append(1)
        return json.loads(json.dumps(messages))

    return calls, build


def test_kept_within_a_generation_and_each_hit_is_a_copy() -> None:
    cache = AnswerCache(size=8)
    calls, build = counting([{"type": "text", "text": "ก"}])
    first = cache.get_or_build(1, "k", build)
    second = cache.get_or_build(1, "k", build)
    assert first == second and len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    second[0]["text"] = "changed by a caller"
    assert cache.get_or_build(1, "k", build)[0]["text"] == "ก"


def test_a_hit_is_its_kept_text_parsed_only_when_read() -> None:
    cache = AnswerCache(size=8)
    built = [{"type": "text", "text": "ก \"ข\""}, {"type": "text", "text": "ค"}]
    calls, build = counting(built)
    cache.get_or_build(1, "k", build)
    hit = cache.get_or_build(1, "k", build)
    assert len(calls) == 1 and isinstance(hit, Kept) and len(hit) == 2
    assert hit.text == compact_json(built)  # what the worker sends, as it is
    assert hit._messages is None  # nothing parsed for that
    assert hit == built and list(hit) == built and hit[1] == built[1] and hit[0:1] == built[:1]
    with pytest.raises(TypeError):  # not a list: an answer is never re-encoded by accident
        json.dumps(hit)


def test_a_new_generation_empties_it_and_an_older_reader_does_not_refill_it() -> None:
    cache = AnswerCache(size=8)
    calls, build = counting([{"type": "text", "text": "x"}])
    cache.get_or_build(1, "k", build)
    cache.get_or_build(2, "k", build)  # results changed: built again
    assert len(calls) == 2 and len(cache) == 1
    cache.get_or_build(1, "old", build)  # a transaction that still sees generation 1
    cache.get_or_build(1, "k", build)
    assert len(calls) == 4 and len(cache) == 1
    cache.get_or_build(2, "k", build)
    assert len(calls) == 4


def test_bounded_least_recently_used_first_and_zero_keeps_nothing() -> None:
    cache = AnswerCache(size=2)
    calls, build = counting([{"type": "text", "text": "x"}])
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        cache.get_or_build(1, key, build)
    assert len(cache) == 2
    cache.get_or_build(1, "a", build)
    assert len(calls) == 3
    cache.get_or_build(1, "b", build)
    assert len(calls) == 4
    off = AnswerCache(size=0)
    calls, build = counting([{"type": "text", "text": "x"}])
    off.get_or_build(1, "a", build)
    off.get_or_build(1, "a", build)
    assert len(calls) == 2 and len(off) == 0


def test_key_ignores_slots_not_given_and_tells_groups_apart() -> None:
    assert answer_key("trend", "A", False, {"year": None, "indicator": 9}, {}) == answer_key(
        "trend", "A", False, {"indicator": 9}, {}
    )
    assert answer_key("trend", "A", False, {}, {}) != answer_key("trend", "A", True, {}, {})
    assert answer_key("trend", "A", False, {}, {}) != answer_key("trend", "B", False, {}, {})


def test_chat_answer_follows_a_corrected_result(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app()
    factory = live.app.extensions["ita"].session_factory
    with unit_of_work(factory) as session:
        code = create_invite(session, "SAO-CHIANGPHIN", "official", datetime.now(UTC)).code
    user = linesim.user_id()
    live.send_text(user, f"ลงทะเบียน {code}")
    before = json.dumps(live.send_text(user, "ผล ITA ปีล่าสุด"), ensure_ascii=False)
    assert "90.42" in before
    assert json.dumps(live.send_text(user, "ผล ITA ปีล่าสุด"), ensure_ascii=False) == before  # from the cache
    with unit_of_work(factory) as session:  # a correction committed by another process would do the same
        latest = session.scalars(
            select(Assessment).join(Agency).where(Agency.code == "SAO-CHIANGPHIN").order_by(Assessment.fiscal_year.desc())
        ).first()
        assert latest is not None
        latest.overall = Decimal("91.11")
    after = json.dumps(live.send_text(user, "ผล ITA ปีล่าสุด"), ensure_ascii=False)
    assert "91.11" in after and "90.42" not in after
    stats = json.loads(live.get("/healthz").body)["answer_cache"]
    assert stats["size"] == 2048 and stats["entries"] == 1  # emptied by the correction, then refilled
    assert (stats["hits"], stats["misses"]) == (1, 2)


def test_chat_measures_answer_kept_until_the_measures_change(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app()
    factory = live.app.extensions["ita"].session_factory
    kept = live.app.extensions["ita"].processor.handler.measure_answers
    with unit_of_work(factory) as session:
        code = create_invite(session, "SAO-CHIANGPHIN", "official", datetime.now(UTC)).code
    user = linesim.user_id()
    live.send_text(user, f"ลงทะเบียน {code}")
    before = json.dumps(live.send_text(user, "มาตรการมีอะไรบ้าง"), ensure_ascii=False)
    assert json.dumps(live.send_text(user, "มาตรการมีอะไรบ้าง"), ensure_ascii=False) == before
    assert (kept.hits, kept.misses) == (1, 1)
    with unit_of_work(factory) as session:  # an edit, as an import or a progress report makes
        measure = session.scalars(
            select(Measure).join(Agency).where(Agency.code == "SAO-CHIANGPHIN").order_by(Measure.id)
        ).first()
        assert measure is not None and measure.title in before
        measure.title = "มาตรการที่แก้ไขแล้ว"
    after = json.dumps(live.send_text(user, "มาตรการมีอะไรบ้าง"), ensure_ascii=False)
    assert "มาตรการที่แก้ไขแล้ว" in after
    assert (kept.hits, kept.misses) == (1, 2)
    # another official of the same agency gets the kept answer; an unregistered person never does
    with unit_of_work(factory) as session:
        other_code = create_invite(session, "SAO-CHIANGPHIN", "executive", datetime.now(UTC)).code
    other = linesim.user_id()
    live.send_text(other, f"ลงทะเบียน {other_code}")
    assert json.dumps(live.send_text(other, "มาตรการมีอะไรบ้าง"), ensure_ascii=False) == after
    assert (kept.hits, kept.misses) == (2, 2)
    assert "ลงทะเบียน" in json.dumps(live.send_text(linesim.user_id(), "มาตรการมีอะไรบ้าง"), ensure_ascii=False)
    assert (kept.hits, kept.misses) == (2, 2)
    stats = json.loads(live.get("/healthz").body)["measure_answer_cache"]
    assert stats == {"size": 2048, "entries": 1, "hits": 2, "misses": 2}
