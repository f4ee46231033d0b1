"""The in-process worker pool: a bounded number of handlers at a time, deliveries not bounded by it."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import linesim
from bot.app import utcnow
from bot.intake import event_row
from bot.line_client import LineClient
from bot.outbox import Sender
from bot.worker import EventProcessor, WorkerPool
from ita_core.db import make_engine, make_session_factory, unit_of_work
from ita_core.models import WebhookEvent
from tests.bot.conftest import TOKEN, LiveApp


def silent_processor(factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> EventProcessor:
    """A processor whose handler answers nothing and whose LINE is nowhere (port 1)."""
    return EventProcessor(
        factory, lambda *_: [], Sender(factory, LineClient("http://127.0.0.1:1", None), utcnow), clock
    )


def test_at_most_two_events_are_handled_at_once_and_all_are_answered(
    make_live_app: Callable[..., LiveApp], backend: str
) -> None:
    lock = threading.Lock()
    running = [0]
    most = [0]
    release = threading.Event()

    def handler(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(0.05)  # overlap: the four threads all have an event in hand
        with lock:
            running[0] -= 1
        return [{"type": "text", "text": "รับทราบ"}]

    live = make_live_app(load_demo=False, handler=handler, ITA_WORKER_THREADS="4")
    live.fake.set_delay(0.2, "/v2/bot/message/reply")  # deliveries overlap the handling of later events
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อความ {n}") for n in range(12)]
    assert live.deliver(*events).status == 200  # one body: all twelve queued at once
    for event in events:
        assert live.replies_to(event)
    # SQLite: each event's transaction (claim, handling, answer) holds the file's one write lock
    assert most[0] == (1 if backend == "sqlite" else 2)


def test_a_database_that_cannot_be_reached_does_not_stop_the_threads(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    factory = make_session_factory(engine)
    processor = silent_processor(factory)
    pool = WorkerPool(processor, threads=1, scan_interval=3600)
    pool.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.worker"):
            pool.submit([1])
            deadline = time.monotonic() + 10
            while not any("worker failed while handling pending events" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "the failure was not logged"
                time.sleep(0.02)
        assert all(thread.is_alive() for thread in pool._workers)  # still there for the next event
    finally:
        pool.stop()
        engine.dispose()


def test_idle_threads_of_another_process_take_over_its_backlog(make_live_app: Callable[..., LiveApp]) -> None:
    # Two web processes on one database; every request reaches the first (its keep-alive
    # connections). The second's pool is never woken and has no periodic scan: only its threads'
    # looks for pending events (every poll interval while idle) can bring it work.
    first = make_live_app(load_demo=False, handler=lambda *_: [{"type": "text", "text": "first"}])
    engine = make_engine(first.app.extensions["ita"].settings.database_url)
    factory = make_session_factory(engine)
    sender = Sender(factory, LineClient(first.fake.base_url, TOKEN), utcnow)
    answer = [{"type": "text", "text": "second"}]
    second = WorkerPool(
        EventProcessor(factory, lambda *_: answer, sender, utcnow),
        threads=2,
        scan_interval=3600,
        poll_interval=0.05,
        poll_backoff=0.5,
    )
    second.start()
    try:
        first.fake.set_delay(1.0, "/v2/bot/message/reply")  # the first's threads: a second per answer
        events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อความ {n}") for n in range(8)]
        assert first.deliver(*events).status == 200
        answered_by = {}
        for event in events:
            (message,) = first.replies_to(event, timeout=20)  # one answer each
            answered_by[event["replyToken"]] = message["text"]
    finally:
        second.stop()
        engine.dispose()
    by_whom = Counter(answered_by.values())
    # alone, the first's four threads would take two seconds for eight events; the second's two
    # threads take the oldest pending ones as soon as they look
    assert by_whom["second"] >= 2, by_whom
    assert by_whom["first"] >= 2, by_whom
    assert not [r for r in first.fake.requests() if not r.accepted]  # nothing sent twice
    with make_session_factory(first.app.extensions["ita"].engine)() as session:
        ids = [event["webhookEventId"] for event in events]
        rows = session.scalars(select(WebhookEvent).where(WebhookEvent.event_id.in_(ids))).all()
    assert [(r.status, r.attempts) for r in rows] == [("done", 1)] * len(events)  # each claimed once


def test_a_woken_pool_answers_at_once_and_an_idle_one_looks_on_its_own(fresh_engine: Engine) -> None:
    # Events stored without a wake-up (another process's intake) are found by the next look.
    factory = make_session_factory(fresh_engine)
    handled: list[str] = []
    processor = EventProcessor(
        factory,
        lambda _s, event, _n: handled.append(event["webhookEventId"]) or [],
        Sender(factory, LineClient("http://127.0.0.1:1", None), utcnow),
        utcnow,
    )
    pool = WorkerPool(processor, threads=2, scan_interval=3600, poll_interval=0.05, poll_backoff=0.2)
    pool.start()
    try:
        events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อความ {n}") for n in range(3)]
        with unit_of_work(factory) as session:
            session.add_all(WebhookEvent(**event_row(event, utcnow())) for event in events)
        deadline = time.monotonic() + 5
        while len(handled) < 3:
            assert time.monotonic() < deadline, "an idle pool did not look for pending events"
            time.sleep(0.01)
        assert sorted(handled) == sorted(e["webhookEventId"] for e in events)
        time.sleep(0.5)  # its looks have backed off to one every 0.2 s per thread
        later = linesim.text_event(linesim.user_source(linesim.user_id()), "อีกข้อความ")
        with unit_of_work(factory) as session:
            row = WebhookEvent(**event_row(later, utcnow()))
            session.add(row)
            session.flush()
            pk = row.id
        started = time.monotonic()
        pool.submit([pk])
        while len(handled) < 4:
            assert time.monotonic() < started + 5
            time.sleep(0.002)
        assert handled[-1] == later["webhookEventId"]
    finally:
        pool.stop()
    assert len(handled) == 4  # each once


def test_pending_ids_are_waiting_events_oldest_first(fresh_engine: Engine) -> None:
    now = utcnow()
    factory = make_session_factory(fresh_engine)

    def stored(seconds_ago: float, status: str = "pending", lease: float | None = None) -> int:
        event = linesim.text_event(linesim.user_source(linesim.user_id()), "ข้อความ")
        row = WebhookEvent(**event_row(event, now - timedelta(seconds=seconds_ago)))
        row.status = status
        row.claimed_until = None if lease is None else now + timedelta(seconds=lease)
        with unit_of_work(factory) as session:
            session.add(row)
            session.flush()
            return row.id

    oldest = stored(9)
    expired_lease = stored(8, "processing", lease=-1)  # left by a crash: waiting again
    stored(7, "processing", lease=60)  # in hand elsewhere
    stored(6, "done")
    stored(5, "failed")
    newest = stored(0.1)
    processor = silent_processor(factory, clock=lambda: now)
    assert processor.pending_ids(10) == [oldest, expired_lease, newest]
    assert processor.pending_ids(2) == [oldest, expired_lease]
