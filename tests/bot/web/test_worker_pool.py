"""The in-process worker pool: a bounded number of handlers at a time, deliveries not bounded by it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import linesim
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
