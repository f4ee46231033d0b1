"""Delivery through the outbox against the fake LINE API: retries, 409, 429, quota, crashes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import linesim
from bot.fakeline import FakeLine
from bot.line_client import LineClient
from bot.outbox import Claimed, Sender, SentMarks, enqueue, enqueue_claimed
from ita_core.db import make_engine, make_session_factory, upgrade
from ita_core.models import OutboxMessage
from tests.bot.conftest import TOKEN

TEXT = [{"type": "text", "text": "แจ้งเตือน"}]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(factory: sessionmaker[Session], fake_line: FakeLine, clock: Clock) -> Sender:
    return Sender(factory, LineClient(fake_line.base_url, TOKEN), clock)


def push(factory: sessionmaker[Session], clock: Clock, to: list[str] | None = None, kind: str = "push") -> int:
    with factory() as session:
        row = enqueue(
            session, kind=kind, messages=TEXT, now=clock(), recipients=to or [linesim.user_id()], purpose="test"
        )
        session.commit()
        return row.id


def status(factory: sessionmaker[Session], outbox_id: int) -> OutboxMessage:
    with factory() as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row


def test_push_sent_with_retry_key(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    oid = push(factory, clock)
    assert sender.deliver(oid) == "sent"
    (request,) = fake_line.accepted("/v2/bot/message/push")
    assert request.headers["X-Line-Retry-Key"] == status(factory, oid).retry_key
    assert sender.deliver(oid) == "skipped"  # never twice


def test_500_and_429_retried_with_backoff_same_key(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    oid = push(factory, clock)
    fake_line.fail_next(500, count=1)
    fake_line.fail_next(429, count=1)
    assert sender.deliver(oid) == "pending"
    assert sender.deliver_due().sent == 0  # not due yet: backing off
    clock.advance(seconds=6)
    assert sender.deliver_due().retried == 1  # the 429
    clock.advance(seconds=11)
    assert sender.deliver_due().sent == 1
    keys = {r.headers["X-Line-Retry-Key"] for r in fake_line.requests("/v2/bot/message/push")}
    assert keys == {status(factory, oid).retry_key}
    assert len(fake_line.accepted("/v2/bot/message/push")) == 1


def test_crash_between_send_and_bookkeeping(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    oid = push(factory, clock)
    # LINE accepts the message but the answer is lost (the process dies before recording it).
    fake_line.fail_next(500, count=1, after_accept=True)
    assert sender.deliver(oid) == "pending"
    clock.advance(seconds=10)
    assert sender.deliver_due().sent == 1  # LINE answers 409 to the retry: counted as delivered
    assert status(factory, oid).status == "sent"
    # The user got it once: LINE took the first request and refused the copy with 409.
    assert [r.status for r in fake_line.requests("/v2/bot/message/push")] == [500, 409]


def test_killed_while_sending_is_resent_with_same_key(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    oid = push(factory, clock)
    with factory() as session:  # as if a process marked it "sending", then died
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == oid)
            .values(status="sending", next_attempt_at=clock() + timedelta(minutes=2))
        )
        session.commit()
    assert sender.deliver_due().sent == 0  # lease not expired yet
    clock.advance(minutes=3)
    assert sender.deliver_due().sent == 1
    assert len(fake_line.accepted("/v2/bot/message/push")) == 1


def test_quota_exhausted_stops_and_keeps_messages(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    ids = [push(factory, clock) for _ in range(3)]
    fake_line.exhaust_quota()
    report = sender.deliver_due()
    assert report.quota_exhausted and report.sent == 0
    assert len(fake_line.requests("/v2/bot/message/push")) == 1  # stopped after the first refusal
    assert [status(factory, i).status for i in ids] == ["quota", "pending", "pending"]


def test_permanent_error_fails_with_reason(factory: sessionmaker[Session], sender: Sender, clock: Clock) -> None:
    with factory() as session:
        row = enqueue(session, kind="push", messages=[{"type": "nope"}], now=clock(), recipients=[linesim.user_id()])
        session.commit()
        oid = row.id
    assert sender.deliver(oid) == "failed"
    assert "400" in (status(factory, oid).last_error or "")
    from bot.outbox import failed_messages

    with factory() as session:
        assert [r.id for r in failed_messages(session)] == [oid]


def test_expired_reply_token_falls_back_to_push(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    user = linesim.user_id()
    with factory() as session:
        row = enqueue(session, kind="reply", messages=TEXT, now=clock(), reply_token="expired-token", recipients=[user])
        session.commit()
        oid = row.id
    assert sender.deliver(oid) == "sent"
    (request,) = fake_line.accepted("/v2/bot/message/push")
    assert request.body["to"] == user


def test_multicast(factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock) -> None:
    users = [linesim.user_id() for _ in range(3)]
    oid = push(factory, clock, to=users, kind="multicast")
    assert sender.deliver(oid) == "sent"
    (request,) = fake_line.accepted("/v2/bot/message/multicast")
    assert request.body["to"] == users
    with factory() as session:
        assert json.loads(session.scalars(select(OutboxMessage.recipients)).one()) == users


def test_two_senders_at_once_deliver_each_message_once(
    factory: sessionmaker[Session], fake_line: FakeLine, clock: Clock
) -> None:
    import threading

    ids = [push(factory, clock) for _ in range(20)]
    senders = [Sender(factory, LineClient(fake_line.base_url, TOKEN), clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    reports = []

    def run(sender: Sender) -> None:
        barrier.wait()
        reports.append(sender.deliver_due())

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 20
    keys = [r.headers["X-Line-Retry-Key"] for r in fake_line.requests("/v2/bot/message/push")]
    assert len(keys) == len(set(keys)) == 20
    assert {status(factory, i).status for i in ids} == {"sent"}


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def claimed_push(factory: sessionmaker[Session], clock: Clock) -> Claimed:
    """A push written already ``sending``, as a worker writes an event's answer."""
    with factory() as session:
        claimed = enqueue_claimed(session, kind="push", messages=TEXT, now=clock(), recipients=[linesim.user_id()])
        session.commit()
    return claimed


def test_sent_marks_are_written_together(
    factory: sessionmaker[Session], sender: Sender, fake_line: FakeLine, clock: Clock
) -> None:
    marks = SentMarks(factory.kw["bind"])
    rows = [claimed_push(factory, clock) for _ in range(3)]
    clock.advance(seconds=1)
    assert [sender.deliver_claimed(row, marks=marks) for row in rows] == ["sent"] * 3
    assert len(fake_line.accepted("/v2/bot/message/push")) == 3
    assert {status(factory, row.outbox_id).status for row in rows} == {"sending"}  # held, not yet written
    assert len(marks) == 3
    assert marks.flush() == 3
    assert len(marks) == 0 and marks.flush() == 0
    for row in rows:
        stored = status(factory, row.outbox_id)
        assert stored.status == "sent" and stored.sent_at == clock()


def test_sent_marks_fall_due_by_count_or_age(factory: sessionmaker[Session], clock: Clock) -> None:
    ticks = Ticks()
    marks = SentMarks(factory.kw["bind"], max_batch=3, max_delay=0.05, clock=ticks)
    rows = [claimed_push(factory, clock) for _ in range(3)]
    assert not marks.due()
    marks.add(rows[0].outbox_id, clock())
    ticks.now += 0.04
    marks.add(rows[1].outbox_id, clock())
    assert not marks.due() and marks.flush_due() == 0
    ticks.now += 0.01  # the oldest has waited max_delay
    assert marks.due() and marks.flush_due() == 2
    marks.add(rows[2].outbox_id, clock())
    assert not marks.due()
    for _ in range(2):  # the same id twice: a harmless repeat of the same UPDATE
        marks.add(rows[2].outbox_id, clock())
    assert marks.due()  # three held
    assert marks.flush_due() == 3
    assert {status(factory, row.outbox_id).status for row in rows} == {"sent"}


def test_sent_marks_kept_when_the_write_fails(factory: sessionmaker[Session], clock: Clock, tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no outbox table: the UPDATE fails
    ticks = Ticks()
    marks = SentMarks(broken, max_batch=2, max_delay=0.05, retry_after=1.0, clock=ticks)
    rows = [claimed_push(factory, clock) for _ in range(3)]
    marks.add(rows[0].outbox_id, clock())
    marks.add(rows[1].outbox_id, clock())
    assert marks.flush_due() == 0  # due (two held), tried, failed
    assert len(marks) == 2  # held for another try
    marks.add(rows[2].outbox_id, clock())
    ticks.now += 0.5
    assert not marks.due()  # a second after the failure, however many are held
    ticks.now += 0.5
    assert marks.due()
    broken.dispose()
    marks.engine = factory.kw["bind"]
    assert marks.flush_due() == 3
    assert {status(factory, row.outbox_id).status for row in rows} == {"sent"}
    marks.add(rows[0].outbox_id, clock())
    marks.add(rows[1].outbox_id, clock())
    assert marks.due()  # by count again, now that writing works


def test_sent_marks_keep_each_rows_own_time(factory: sessionmaker[Session], clock: Clock) -> None:
    # PostgreSQL writes a batch as one statement over two arrays: each id must get its own time
    rows = [claimed_push(factory, clock) for _ in range(4)]
    marks = SentMarks(factory.kw["bind"])
    start = clock()
    for index, row in enumerate(rows[:3]):
        marks.add(row.outbox_id, start + timedelta(seconds=10 * (index + 1)))
    assert marks.flush() == 3
    for index, row in enumerate(rows[:3]):
        stored = status(factory, row.outbox_id)
        assert (stored.status, stored.sent_at) == ("sent", start + timedelta(seconds=10 * (index + 1)))
    assert status(factory, rows[3].outbox_id).status == "sending"  # not in the batch: untouched


def test_retry_keys_are_time_ordered_uuids() -> None:
    """Version 7: valid for LINE's X-Line-Retry-Key (a UUID), and later keys sort after earlier ones,
    so the outbox's unique index grows at its end."""
    import time
    import uuid

    from bot.outbox import new_retry_key

    keys = []
    for _ in range(3):
        keys.append(new_retry_key())
        time.sleep(0.002)
    parsed = [uuid.UUID(key) for key in keys]
    assert [key.version for key in parsed] == [7, 7, 7]
    assert all(key.variant == uuid.RFC_4122 for key in parsed)
    assert keys == sorted(keys) and len(set(keys)) == 3
    assert abs(int(keys[0].replace("-", "")[:12], 16) - time.time() * 1000) < 5_000  # its milliseconds
    assert len({new_retry_key() for _ in range(1_000)}) == 1_000  # random within a millisecond
