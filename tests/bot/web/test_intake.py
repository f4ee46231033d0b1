"""The webhook's group commit (IntakeWriter): concurrent requests, duplicates, failures, a lost connection."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from bot import linesim
from bot.intake import IntakeWriter, event_row, store_events
from ita_core.db import make_session_factory, unit_of_work
from ita_core.models import WebhookEvent


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    return fresh_engine


def stored(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {pk: event_id for pk, event_id in conn.execute(select(WebhookEvent.id, WebhookEvent.event_id))}


def test_concurrent_requests_each_get_their_own_new_ids(engine: Engine) -> None:
    writer = IntakeWriter(engine, max_batch=7)  # small batches: many hand-overs between requests
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อ {n}") for n in range(400)]
    results: list[tuple[list[dict[str, Any]], list[int]]] = []
    errors: list[BaseException] = []

    def request_thread(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                # 1-3 events, often ones another request (or this one) sent too: redeliveries
                sent = [rng.choice(events) for _ in range(rng.randint(1, 3))]
                results.append((sent, writer.store(sent, datetime.now(UTC))))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=request_thread, args=(seed,)) for seed in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = stored(engine)
    new_ids = [pk for _, ids in results for pk in ids]
    assert sorted(new_ids) == sorted(rows)  # every row stored was reported new to exactly one request
    for sent, ids in results:
        assert {rows[pk] for pk in ids} <= {event["webhookEventId"] for event in sent}
    assert len(rows) == len({event["webhookEventId"] for sent, _ in results for event in sent})
    writer.close()


def test_a_request_that_fails_does_not_fail_the_others(engine: Engine) -> None:
    poison = linesim.text_event(linesim.user_source(linesim.user_id()), "ล้ม")

    class Flaky(IntakeWriter):
        def _store(self, rows: list[dict[str, Any]]) -> list[int | None]:
            if any(row["event_id"] == poison["webhookEventId"] for row in rows):
                raise RuntimeError("this batch cannot be stored")
            return super()._store(rows)

    writer = Flaky(engine)
    good = [linesim.text_event(linesim.user_source(linesim.user_id()), "ดี") for _ in range(3)]
    # Queue three requests behind one in progress, so that they are committed together.
    writer._committing = True
    outcomes: dict[str, Any] = {}

    def send(name: str, events: list[dict[str, Any]]) -> None:
        try:
            outcomes[name] = writer.store(events, datetime.now(UTC))
        except RuntimeError as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=send, args=("a", good[:2])),
        threading.Thread(target=send, args=("poison", [poison])),
        threading.Thread(target=send, args=("b", good[2:])),
    ]
    for thread in threads:
        thread.start()
    while len(writer._queue) < 3:
        threading.Event().wait(0.01)
    writer._hand_over()  # what the request in progress does when it is done
    for thread in threads:
        thread.join()
    assert isinstance(outcomes["poison"], RuntimeError)
    assert len(outcomes["a"]) == 2 and len(outcomes["b"]) == 1
    assert sorted(stored(engine).values()) == sorted(event["webhookEventId"] for event in good)
    writer.close()


def test_rows_are_stored_as_the_orm_stores_them(engine: Engine) -> None:
    bangkok = timezone(timedelta(hours=7))
    now = datetime(2026, 11, 21, 13, 45, 6, 789012, tzinfo=bangkok)
    by_orm = linesim.text_event(linesim.user_source(linesim.user_id()), 'ผล "ITA" \\ ปี\n๒๕๖๗ 😀')
    by_writer = dict(by_orm, webhookEventId=linesim.event_id())
    by_writer["deliveryContext"] = {"isRedelivery": True}
    with unit_of_work(make_session_factory(engine)) as session:
        session.add(WebhookEvent(**event_row(by_orm, now)))
    writer = IntakeWriter(engine)
    writer.store([by_writer], now)
    writer.close()
    with make_session_factory(engine)() as session:
        first, second = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    for row, event in ((first, by_orm), (second, by_writer)):
        assert row.payload == event_row(event, now)["payload"]
        assert row.received_at == now
        assert (row.type, row.source_type, row.user_id, row.chat_id, row.reply_token, row.timestamp_ms) == (
            "message",
            "user",
            event["source"]["userId"],
            event["source"]["userId"],
            event["replyToken"],
            event["timestamp"],
        )
        assert (row.status, row.attempts, row.claimed_until) == ("pending", 0, None)
    assert (first.redelivery, second.redelivery) == (False, True)
    with engine.connect() as conn:  # and in the same storage format, for SQL that reads it
        formats = conn.execute(text("select received_at from webhook_events")).scalars().all()
    assert formats[0] == formats[1]


def test_store_events_in_a_session(engine: Engine) -> None:
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), "ซ้ำ")] * 2
    events.append(linesim.follow_event(linesim.user_source(linesim.user_id())))
    with unit_of_work(make_session_factory(engine)) as session:
        first = store_events(session, events, datetime.now(UTC))
    with unit_of_work(make_session_factory(engine)) as session:
        again = store_events(session, events, datetime.now(UTC))
    assert len(first) == 2 and again == []


def test_writer_replaces_a_connection_the_server_closed(engine: Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("a server that drops connections: PostgreSQL only")
    writer = IntakeWriter(engine)
    assert writer.store([linesim.text_event(linesim.user_source(linesim.user_id()), "หนึ่ง")], datetime.now(UTC))
    pid = writer._raw.driver_connection.info.backend_pid
    with engine.connect() as conn:
        conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    assert writer.store([linesim.text_event(linesim.user_source(linesim.user_id()), "สอง")], datetime.now(UTC))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one() == 2
    writer.close()
