"""Webhook intake: check the body is a LINE webhook, store each event durably, once.

Storing is an INSERT that ignores an event id already stored, so a redelivered event
(``deliveryContext.isRedelivery``) or a retried request is stored, and so handled, only once.

Under load the webhook stores through an :class:`IntakeWriter`: the events of requests that arrive
while a transaction is committing are stored together in the next one (group commit), so a burst
costs one commit (one WAL flush on PostgreSQL, one write lock on SQLite) per batch, not per request.
Each request still waits for the commit that holds its events before it is answered.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Engine, Table
from sqlalchemy.orm import Session

from bot.wakeup import Notifier
from ita_core.db import begin_sqlite_transaction
from ita_core.fastsql import drop_cursor, kept_cursor, recordset_insert, recordset_json
from ita_core.models import WebhookEvent

log = logging.getLogger(__name__)


class BadWebhook(ValueError):
    """The body is not JSON, or not a LINE webhook."""


def parse_webhook_body(body: bytes) -> list[dict[str, Any]]:
    """The events of a webhook body; BadWebhook when it is not one."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadWebhook("body is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise BadWebhook("body is not a LINE webhook (no events list)")
    if not isinstance(document.get("destination", ""), str):
        raise BadWebhook("destination is not a string")
    events = document["events"]
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise BadWebhook(f"events[{index}] has no type")
    return events


def event_row(event: dict[str, Any], now: datetime, *, nested: bool = False) -> dict[str, Any]:
    """The stored form of one event.

    ``nested``: the payload is left as the event itself, for PostgreSQL's recordset INSERT
    (``_insert``), which stores the JSON text of a nested object exactly as written: the same text
    as ``payload_text``, encoded once with the rest of the batch instead of twice. PostgreSQL only:
    SQLite's INSERT takes the payload's text.
    """
    payload: Any = event if nested else payload_text(event)
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id:
        # Very old events lack an id: the payload itself identifies them.
        event_id = "sha256:" + hashlib.sha256(payload_text(event).encode()).hexdigest()[:56]
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    assert isinstance(source, dict)
    user_id = source.get("userId")
    chat_id = source.get("groupId") or source.get("roomId") or user_id
    delivery = event.get("deliveryContext") if isinstance(event.get("deliveryContext"), dict) else {}
    assert isinstance(delivery, dict)
    timestamp = event.get("timestamp")
    return {
        "event_id": event_id[:64],
        "type": str(event["type"])[:32],
        "source_type": str(source.get("type") or "")[:16] or None,
        "user_id": user_id if isinstance(user_id, str) else None,
        "chat_id": chat_id if isinstance(chat_id, str) else None,
        "reply_token": event.get("replyToken") if isinstance(event.get("replyToken"), str) else None,
        "timestamp_ms": timestamp if isinstance(timestamp, int) else None,
        "redelivery": bool(delivery.get("isRedelivery")),
        "payload": payload,
        "received_at": now,
        "status": "pending",
        "attempts": 0,
    }


def payload_text(event: dict[str, Any]) -> str:
    """The stored payload of an event: its compact JSON."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def insert_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[int | None]:
    """Insert stored-form rows (``event_row``) in the connection's transaction, skipping ids already stored.

    Returns, for each row in order, its new id, or None when its event id was stored before (or
    earlier in ``rows``).
    """
    return _insert(connection.dialect, connection.connection, rows)


def _insert(dialect: Dialect, dbapi_connection: Any, rows: Sequence[dict[str, Any]]) -> list[int | None]:
    """The INSERTs themselves, on the driver's own cursor: this runs for every webhook request, and
    SQLAlchemy's statement machinery costs more than the database does here."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if dialect.name == "postgresql":
        # All rows as one JSON parameter (``ita_core.fastsql.recordset_insert``): one round trip, on
        # the cursor kept on the connection (no new driver cursor per batch).
        cursor = kept_cursor(dbapi_connection)
        try:
            cursor.execute(_pg_insert_sql(columns), (recordset_json(rows),))
            returned = cursor.fetchall()
        except BaseException:
            drop_cursor(dbapi_connection)
            raise
        # RETURNING yields only the rows really inserted, in no promised order: match by event id.
        inserted: dict[str, int] = {}
        for pk, event_id in returned:
            inserted.setdefault(event_id, pk)
        return [inserted.pop(row["event_id"], None) for row in rows]
    if dialect.name != "sqlite":
        raise NotImplementedError(f"webhook intake supports SQLite and PostgreSQL, not {dialect.name}")
    # One statement per row (SQLite runs in process: no round trips), values converted by the columns'
    # own SQLAlchemy types so they are stored exactly as the ORM stores them.
    sql, converters = _sqlite_insert(dialect, columns)
    cursor = dbapi_connection.cursor()
    try:
        ids: list[int | None] = []
        for row in rows:
            cursor.execute(sql, [row[name] if convert is None else convert(row[name])
                                 for name, convert in zip(columns, converters, strict=True)])
            found = cursor.fetchone()
            ids.append(found[0] if found else None)
        return ids
    finally:
        cursor.close()


@cache
def _pg_insert_sql(columns: tuple[str, ...]) -> str:
    """INSERT ... SELECT FROM json_populate_recordset(rows) ON CONFLICT DO NOTHING RETURNING id, event_id."""
    return recordset_insert(
        WebhookEvent.__tablename__, columns, suffix="ON CONFLICT (event_id) DO NOTHING RETURNING id, event_id"
    )


def _sqlite_insert(dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, list[Any]]:
    """INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING id, and each column's bind converter."""
    key = (id(dialect), columns)
    found = _SQLITE_INSERTS.get(key)
    if found is None:
        table = cast(Table, WebhookEvent.__table__)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING id"
        )
        converters = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        found = _SQLITE_INSERTS[key] = (sql, converters)
    return found


_SQLITE_INSERTS: dict[tuple[int, tuple[str, ...]], tuple[str, list[Any]]] = {}


def store_events(session: Session, events: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Store events, skipping ids already stored; returns the ids of the rows inserted now."""
    ids = insert_rows(session.connection(), [event_row(e, now) for e in events])
    return [pk for pk in ids if pk is not None]


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Job:
    """The rows of one webhook request, waiting for the transaction that stores them."""

    rows: list[dict[str, Any]]
    ids: list[int] = field(default_factory=list)
    error: BaseException | None = None
    # held from creation; released (once) to wake the request: the cheapest primitive there is
    wake: threading.Lock = field(default_factory=_held_lock)
    lead: bool = False  # woken to commit the queue, not because its rows are stored


class IntakeWriter:
    """Stores the events of concurrent webhook requests in shared transactions (group commit).

    ``store`` returns once the events are committed, exactly as ``store_events`` in a unit of work
    of its own would: the ids inserted now, or the error. A request that finds no transaction in
    progress commits everything queued so far, its own rows included; the requests arriving
    meanwhile queue, and when that commit is done the first of them is woken to commit the next
    batch while the others sleep on. If a shared transaction fails, each request's rows are tried
    again on their own, so one request's failure is never another's.
    """

    def __init__(self, engine: Engine, max_batch: int = 500, notifier: Notifier | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch  # rows per transaction
        # PostgreSQL: tell idle ``ita worker`` processes when new events are stored (``bot.wakeup``)
        self.notifier = notifier if engine.dialect.name == "postgresql" else None
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._committing = False
        self._raw: Any = None  # the pooled connection batches are stored through, once opened
        self._nested = engine.dialect.name == "postgresql"  # payloads encoded once (``event_row``)

    def store(self, events: Sequence[dict[str, Any]], now: datetime) -> list[int]:
        """Store events durably, skipping ids already stored; the ids of the rows inserted now."""
        if not events:
            return []
        job = _Job([event_row(e, now, nested=self._nested) for e in events])
        with self._lock:
            self._queue.append(job)
            lead = not self._committing
            self._committing = True
        if not lead:
            job.wake.acquire()
        if lead or job.lead:
            self._lead(job)
        if job.error is not None:
            raise job.error
        return job.ids

    def _lead(self, job: _Job) -> None:
        """Commit batches from the queue until ``job``'s rows are stored, then hand over or stand down."""
        try:
            while True:
                with self._lock:
                    batch = self._take()  # the queue still holds ``job``, so it is not empty
                try:
                    self._commit(batch)
                except BaseException:  # interrupted (not a database error): these rows are not stored
                    for other in batch:
                        if other is not job:
                            other.error = RuntimeError("storing the webhook events was interrupted")
                    raise
                finally:
                    for other in batch:
                        if other is not job:
                            other.wake.release()
                if self.notifier is not None and self._raw is not None and any(other.ids for other in batch):
                    self.notifier.notify(self._raw)  # after the others are woken: only this request waits for it
                if any(other is job for other in batch):
                    return
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        """Wake the first queued request to commit the next batch, or mark that none is in progress."""
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.wake.release()
            else:
                self._committing = False

    def _take(self) -> list[_Job]:
        """Queued jobs up to ``max_batch`` rows (at least one job); the caller holds the lock."""
        batch = [self._queue.popleft()]
        count = len(batch[0].rows)
        while self._queue and count + len(self._queue[0].rows) <= self.max_batch:
            count += len(self._queue[0].rows)
            batch.append(self._queue.popleft())
        return batch

    def _commit(self, batch: list[_Job]) -> None:
        try:
            ids = self._store([row for job in batch for row in job.rows])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for job in batch:  # each on its own, so only the culprit fails
                    self._commit([job])
            return
        start = 0
        for job in batch:
            job.ids = [pk for pk in ids[start : start + len(job.rows)] if pk is not None]
            start += len(job.rows)

    def _store(self, rows: list[dict[str, Any]]) -> list[int | None]:
        """One transaction on the writer's own connection, through the driver (see ``_insert``).

        The connection is kept between batches (only the committing request uses it): no pool
        checkout, no liveness ping, and on PostgreSQL one round trip per batch (autocommit: the
        single INSERT is its own transaction). A connection found dead is replaced and the batch
        tried once more, as the pool's ping would have done.
        """
        reused = self._raw is not None
        try:
            return self._transaction(self._connection(), rows)
        except Exception as exc:
            dialect = self.engine.dialect
            lost = (
                reused
                and self._raw is not None
                and isinstance(exc, dialect.loaded_dbapi.Error)
                and dialect.is_disconnect(exc, self._raw.driver_connection, None)
            )
            self._discard()
            if not lost:
                raise
        return self._transaction(self._connection(), rows)

    def _transaction(self, raw: Any, rows: list[dict[str, Any]]) -> list[int | None]:
        dialect = self.engine.dialect
        if dialect.name != "sqlite":
            return _insert(dialect, raw, rows)  # autocommit
        begin_sqlite_transaction(raw.driver_connection, urgent=True)  # LINE is waiting for the 200
        try:
            ids = _insert(dialect, raw, rows)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        return ids

    def _connection(self) -> Any:
        if self._raw is None:
            raw: Any = self.engine.raw_connection()
            if self.engine.dialect.name != "sqlite":
                raw.driver_connection.autocommit = True
            self._raw = raw
        return self._raw

    def _discard(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()
            except Exception:  # already unusable: nothing more to release
                log.debug("closing a broken intake connection failed", exc_info=True)

    def close(self) -> None:
        """Give the writer's connection back (an app shutting down, a test)."""
        with self._lock:
            raw: Any = self._raw
            self._raw = None
        if raw is not None:
            if self.engine.dialect.name != "sqlite":
                raw.driver_connection.autocommit = False
            raw.close()
