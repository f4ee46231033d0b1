"""PostgreSQL LISTEN/NOTIFY: the webhook's intake wakes idle ``ita worker`` processes (bot/wakeup.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import linesim
from bot.app import create_app, utcnow
from bot.fakeline import FakeLine
from bot.intake import IntakeWriter
from bot.line_client import LineClient
from bot.outbox import Sender
from bot.wakeup import CHANNEL, Listener, Notifier
from bot.worker import EventProcessor, run_separately
from ita_core.db import make_session_factory
from tests.bot.conftest import TOKEN

REPLY = "/v2/bot/message/reply"


@pytest.fixture
def pg(fresh_engine: Engine, backend: str) -> Engine:
    if backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY: PostgreSQL only")
    return fresh_engine


@pytest.fixture
def listening(pg: Engine) -> Iterator[Any]:
    """A psycopg connection listening on the channel, as a worker's would."""
    raw: Any = pg.raw_connection()
    driver = raw.driver_connection
    driver.autocommit = True
    driver.execute(f"LISTEN {CHANNEL}")
    yield driver
    raw.invalidate()


def received(driver: Any) -> int:
    return sum(1 for _ in driver.notifies(timeout=0.3))


def events(count: int) -> list[dict[str, Any]]:
    return [linesim.text_event(linesim.user_source(linesim.user_id()), "ช่วยเหลือ") for _ in range(count)]


def test_the_intake_notifies_when_new_events_are_stored_at_most_once_per_gap(pg: Engine, listening: Any) -> None:
    now = [100.0]
    writer = IntakeWriter(pg, notifier=Notifier(gap=0.02, clock=lambda: now[0]))
    first = events(2)
    writer.store(first, utcnow())
    assert received(listening) == 1
    writer.store(events(1), utcnow())  # within the gap: the workers were woken already
    assert received(listening) == 0
    now[0] += 1
    writer.store(first, utcnow())  # a redelivery: nothing new, no one to wake
    assert received(listening) == 0
    writer.store(events(1), utcnow())
    assert received(listening) == 1
    writer.close()


def test_without_a_notifier_nothing_is_sent(pg: Engine, listening: Any) -> None:
    writer = IntakeWriter(pg)
    writer.store(events(1), utcnow())
    assert received(listening) == 0
    writer.close()


def test_web_processes_without_worker_threads_notify(database_url: str, backend: str) -> None:
    config = {"DATABASE_URL": database_url, "LINE_CHANNEL_SECRET": "s"}
    alone = create_app({**config, "ITA_WORKER_THREADS": "0"}).extensions["ita"]
    threads = create_app({**config, "ITA_WORKER_THREADS": "1"}).extensions["ita"]
    try:
        # PostgreSQL only; with threads of their own, their pool is woken directly
        assert (alone.intake.notifier is not None) == (backend == "postgresql")
        assert threads.intake.notifier is None
    finally:
        threads.pool.stop()
        for svc in (alone, threads):
            svc.engine.dispose()


def test_a_listener_is_woken_by_a_notification_and_stops_when_told(pg: Engine) -> None:
    listener = Listener(pg)
    stop = threading.Event()
    assert listener.wait(0.2, stop) is False  # nothing sent: the timeout
    writer = IntakeWriter(pg, notifier=Notifier())
    threading.Timer(0.3, lambda: writer.store(events(1), utcnow())).start()
    assert listener.wait(60, stop) is True
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert listener.wait(60, stop) is False
    assert time.monotonic() - started < 30  # told to stop, not timed out
    listener.close()
    writer.close()


def test_an_idle_ita_worker_answers_as_soon_as_events_are_stored(pg: Engine, fake_line: FakeLine) -> None:
    factory = make_session_factory(pg)
    line = LineClient(fake_line.base_url, TOKEN)
    processor = EventProcessor(factory, lambda *_: [{"type": "text", "text": "รับทราบ"}],
                               Sender(factory, line, utcnow), utcnow)
    stop = threading.Event()
    said: list[str] = []
    # An interval far longer than the test waits: only the notification can wake it in time.
    worker = threading.Thread(target=run_separately, args=(processor, stop),
                              kwargs={"interval": 120.0, "scan": 120.0, "once": False, "say": said.append,
                                      "listener": Listener(pg)})
    worker.start()
    writer = IntakeWriter(pg, notifier=Notifier())
    try:
        time.sleep(0.5)  # the worker's first pass finds nothing, and it waits
        sent = events(3)
        for event in sent:
            fake_line.register_reply_token(event["replyToken"])
        writer.store(sent, utcnow())
        tokens = {event["replyToken"] for event in sent}
        deadline = time.monotonic() + 20
        while len({r.body["replyToken"] for r in fake_line.accepted(REPLY)} & tokens) < len(tokens):
            assert time.monotonic() < deadline, "the idle worker was not woken"
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(30)
        writer.close()
    assert not worker.is_alive()
