"""Prepared statements on the driver store exactly what SQLAlchemy stores, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, bindparam, insert, select, update

from ita_core.db import make_session_factory
from ita_core.fastsql import Prepared
from ita_core.models import OutboxMessage

NOW = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=UTC)
ROW = {
    "kind": "reply",
    "purpose": "reply",
    "reply_token": "t" * 32,
    "recipients": '["U1"]',
    "messages": '[{"type":"text","text":"สวัสดี"}]',
    "retry_key": "00000000-0000-4000-8000-000000000001",
    "status": "sending",
    "attempts": 1,
    "next_attempt_at": NOW + timedelta(minutes=2),
    "created_at": NOW,
}


@pytest.fixture
def db(fresh_engine: Engine) -> Engine:
    return fresh_engine


def test_insert_returning_and_update_round_trip_through_the_orm(db: Engine) -> None:
    table = OutboxMessage.__table__
    fast_insert = Prepared(insert(table).returning(table.c.id))
    fast_update = Prepared(
        update(OutboxMessage)
        .where(OutboxMessage.id == bindparam("outbox_id"))
        .values(status="sent", last_error=None, sent_at=bindparam("sent_at"))
    )
    with db.connect() as connection:
        with connection.begin():
            (first,) = fast_insert.execute(connection, ROW)[0]
            (second,) = fast_insert.execute(connection, {**ROW, "retry_key": ROW["retry_key"][:-1] + "2"})[0]
        with connection.begin():
            assert fast_update.execute(connection, {"outbox_id": first, "sent_at": NOW + timedelta(seconds=1)}) == []
    with make_session_factory(db)() as session:
        rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
        assert set(rows) == {first, second}
        assert rows[first].status == "sent" and rows[first].sent_at == NOW + timedelta(seconds=1)
        assert rows[second].status == "sending" and rows[second].sent_at is None
        assert rows[second].created_at == NOW and rows[second].next_attempt_at == NOW + timedelta(minutes=2)
        assert rows[second].messages == ROW["messages"]


def test_select_converts_values_as_sqlalchemy_does(db: Engine) -> None:
    table = OutboxMessage.__table__
    fast_insert = Prepared(insert(table).returning(table.c.id))
    fast_select = Prepared(
        select(table.c.id, table.c.created_at, table.c.sent_at).where(table.c.retry_key == bindparam("key"))
    )
    with db.connect() as connection, connection.begin():
        fast_insert.execute(connection, ROW)
        rows = fast_select.execute(connection, {"key": ROW["retry_key"]})
        reference = connection.execute(
            select(table.c.id, table.c.created_at, table.c.sent_at).where(table.c.retry_key == ROW["retry_key"])
        ).all()
    assert rows == [tuple(reference[0])]
    assert rows[0][1] == NOW and rows[0][1].tzinfo is not None and rows[0][2] is None


def test_needs_a_transaction(db: Engine) -> None:
    fast = Prepared(update(OutboxMessage).values(status="x"))
    with db.connect() as connection, pytest.raises(RuntimeError):
        fast.execute(connection, {})


def test_literals_are_stored_as_given_and_a_failed_statement_leaves_the_connection_usable(db: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    table = OutboxMessage.__table__
    fast_insert = Prepared(insert(table).returning(table.c.id))
    # literals bound at compile time go through their column's bind processor too (an aware datetime)
    fast_mark = Prepared(
        update(OutboxMessage).where(OutboxMessage.id == bindparam("outbox_id")).values(status="sent", sent_at=NOW)
    )
    with db.connect() as connection:
        with connection.begin():
            (pk,) = fast_insert.execute(connection, ROW)[0]
        with pytest.raises(IntegrityError), connection.begin():  # the same retry key twice
            try:
                fast_insert.execute(connection, ROW)
            except Exception as exc:
                raise IntegrityError("insert", {}, exc) from exc
        with connection.begin():  # the kept cursor was dropped with the failure: a new one works
            fast_mark.execute(connection, {"outbox_id": pk})
            assert fast_insert.execute(connection, {**ROW, "retry_key": ROW["retry_key"][:-1] + "3"})[0][0] > pk
    with make_session_factory(db)() as session:
        row = session.get(OutboxMessage, pk)
        assert row is not None and row.status == "sent" and row.sent_at == NOW
