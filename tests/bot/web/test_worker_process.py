"""``ita worker``: separate processes that take the oldest waiting event each, exactly once between them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot import linesim
from bot.app import utcnow
from bot.cli import cli
from bot.fakeline import FakeLine
from bot.intake import IntakeWriter
from bot.line_client import LineClient
from bot.outbox import Sender
from bot.worker import EventProcessor
from ita_core.db import make_session_factory, unit_of_work
from ita_core.demo import load_demo
from ita_core.models import WebhookEvent
from tests.bot.conftest import TOKEN

REPLY = "/v2/bot/message/reply"


@pytest.fixture
def demo_engine(fresh_engine: Engine) -> Iterator[Engine]:
    with unit_of_work(make_session_factory(fresh_engine)) as session:
        load_demo(session, utcnow())
    yield fresh_engine


def store(engine: Engine, fake: FakeLine, count: int, text: str = "ช่วยเหลือ") -> list[dict[str, Any]]:
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), text) for _ in range(count)]
    for event in events:
        fake.register_reply_token(event["replyToken"])
    writer = IntakeWriter(engine)
    writer.store(events, utcnow())
    writer.close()
    return events


def answers_per_token(fake: FakeLine, events: list[dict[str, Any]]) -> Counter[str]:
    tokens = {event["replyToken"] for event in events}
    return Counter(r.body["replyToken"] for r in fake.accepted(REPLY) if r.body.get("replyToken") in tokens)


def rows(engine: Engine, events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    ids = [event["webhookEventId"] for event in events]
    with make_session_factory(engine)() as session:
        found = session.scalars(select(WebhookEvent).where(WebhookEvent.event_id.in_(ids)))
        return [(row.status, row.attempts) for row in found]


def test_process_next_takes_the_oldest_pending_event(fresh_engine: Engine, fake_line: FakeLine) -> None:
    first, second, third = store(fresh_engine, fake_line, 3)
    factory = make_session_factory(fresh_engine)
    with unit_of_work(factory) as session:  # the first is in another worker's hands (an old version's lease)
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.event_id == first["webhookEventId"])
            .values(status="processing", claimed_until=datetime(2999, 1, 1, tzinfo=UTC))
        )
    seen: list[str] = []

    def handler(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        seen.append(event["webhookEventId"])
        return [{"type": "text", "text": "รับทราบ"}]

    processor = EventProcessor(factory, handler, Sender(factory, LineClient(fake_line.base_url, TOKEN), utcnow), utcnow)
    with processor.connect() as connection:
        assert processor.process_next(connection=connection)
        assert processor.process_next(connection=connection)
        assert not processor.process_next(connection=connection)  # nothing pending is left
    assert seen == [second["webhookEventId"], third["webhookEventId"]]
    assert answers_per_token(fake_line, [second, third]) == {second["replyToken"]: 1, third["replyToken"]: 1}


def test_worker_once_answers_what_is_waiting(
    demo_engine: Engine, database_url: str, fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events = store(demo_engine, fake_line, 5)
    for name, value in (("DATABASE_URL", database_url), ("LINE_CHANNEL_ACCESS_TOKEN", TOKEN),
                        ("LINE_API_BASE_URL", fake_line.base_url)):  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    result = CliRunner().invoke(cli, ["worker", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "handled 5 event(s)" in result.output
    assert answers_per_token(fake_line, events) == {event["replyToken"]: 1 for event in events}
    assert rows(demo_engine, events) == [("done", 1)] * 5


def test_worker_compiles_the_templates_before_the_first_event(
    demo_engine: Engine, database_url: str, fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.views.render import environment, warm

    templates = environment()
    templates.cache.clear()  # as in a new process
    for name, value in (("DATABASE_URL", database_url), ("LINE_CHANNEL_ACCESS_TOKEN", TOKEN),
                        ("LINE_API_BASE_URL", fake_line.base_url)):  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["worker", "--once"], catch_exceptions=False)  # nothing is waiting
    assert result.exit_code == 0, result.output
    assert len(templates.cache) == warm() > 0


def test_worker_processes_side_by_side_answer_each_event_once(
    demo_engine: Engine, database_url: str, fake_line: FakeLine, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "ITA_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE_URL=fake_line.base_url)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    waiting = store(demo_engine, fake_line, 20)  # before they start
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", "--interval", "0.05"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    try:
        arriving = store(demo_engine, fake_line, 20)  # while they run (and look for new ones)
        events = waiting + arriving
        deadline = time.monotonic() + 60
        while len(answers_per_token(fake_line, events)) < len(events):
            assert time.monotonic() < deadline, "not every event was answered"
            assert all(worker.poll() is None for worker in workers), "a worker exited"
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            # SIGTERM: the pass in hand is finished, then it exits (0); one still starting up has none
            assert worker.wait(20) in (0, -signal.SIGTERM)
    assert answers_per_token(fake_line, events) == {event["replyToken"]: 1 for event in events}
    assert not fake_line.rejected()  # no reply token was used twice
    assert rows(demo_engine, events) == [("done", 1)] * len(events)
    # every answer was sent from the workers' delivery threads, and marked sent before they exited
    assert outbox_statuses(demo_engine) == {"sent": len(events)}


def outbox_statuses(engine: Engine) -> Counter[str]:
    from ita_core.models import OutboxMessage

    with make_session_factory(engine)() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


def test_deliveries_send_the_answers_in_order_from_a_thread_of_their_own(
    fresh_engine: Engine, fake_line: FakeLine, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    from bot.outbox import Claimed, SentMarks
    from bot.worker import Deliveries

    events = store(fresh_engine, fake_line, 4)
    factory = make_session_factory(fresh_engine)
    senders: list[str] = []

    class Recording(Sender):
        def deliver_claimed(self, claimed: Claimed, *args: Any, **kwargs: Any) -> str:
            senders.append(threading.current_thread().name)
            if len(senders) == 2:
                raise RuntimeError("a bug while sending")  # the row stays sending; the thread goes on
            return super().deliver_claimed(claimed, *args, **kwargs)

    def handler(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        return [{"type": "text", "text": "รับทราบ"}]

    sender = Recording(factory, LineClient(fake_line.base_url, TOKEN), utcnow)
    processor = EventProcessor(factory, handler, sender, utcnow)
    marks = SentMarks(fresh_engine)
    deliveries = Deliveries(sender, marks, depth=2)
    with processor.connect() as connection:
        assert processor.process_next(marks, connection=connection, batch=8, deliver=deliveries.put) == 4
    deliveries.wait()
    assert senders == ["ita-deliveries"] * 4
    assert "delivering outbox row" in caplog.text
    replied = [r.body["replyToken"] for r in fake_line.accepted(REPLY)]
    assert replied == [events[0]["replyToken"], events[2]["replyToken"], events[3]["replyToken"]]  # in order
    assert len(marks) == 3
    deliveries.close()
    assert marks.flush() == 3
    assert outbox_statuses(fresh_engine) == {"sent": 3, "sending": 1}
