"""The in-process worker pool: a bounded number of handlers at a time, deliveries not bounded by it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot import linesim
from bot.app import utcnow
from bot.line_client import LineClient
from bot.outbox import Sender
from bot.worker import EventProcessor, WorkerPool
from ita_core.db import make_engine, make_session_factory
from tests.bot.conftest import LiveApp


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
    processor = EventProcessor(factory, lambda *_: [], Sender(factory, LineClient("http://127.0.0.1:1", None), utcnow), utcnow)
    pool = WorkerPool(processor, threads=1, scan_interval=3600)
    pool.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.worker"):
            pool.submit([1])
            deadline = time.monotonic() + 10
            while not any("worker failed on event row 1" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "the failure was not logged"
                time.sleep(0.02)
        assert all(thread.is_alive() for thread in pool._workers)  # still there for the next event
    finally:
        pool.stop()
        engine.dispose()
