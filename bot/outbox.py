"""The outbox: every message to LINE is written to the database first, then delivered.

- A row is written in the same transaction as the work that produced it (handling an event,
  a reminder run), so work and message are committed together or not at all.
- Delivery marks the row ``sending`` and commits *before* calling LINE, then records the result.
  After a crash in between, a push or multicast is sent again with the same X-Line-Retry-Key, so
  LINE delivers it once (it answers 409 to the copy, which counts as delivered). A reply cannot be
  deduplicated by LINE, so a reply left ``sending`` is not sent again (status ``unknown``).
  The answer to a webhook event is written ``sending`` already, in the event's own transaction,
  and sent by the same worker right after the commit (``enqueue_claimed``): one transaction less.
- The worker threads mark the answers they delivered ``sent`` in batches (``SentMarks``), not in
  a transaction per answer; a crash before a batch is written is a crash during the call.
- A reply whose token has expired is sent as a push instead.
- 5xx, timeouts and 429 are retried with backoff; a 429 that says the monthly quota is used up
  stops delivery (status ``quota``) until an admin retries; other 4xx fail for good.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.line_client import EncodedMessages, LineApiError, LineClient, LineNotConfigured, check_count, compact_json
from ita_core.fastsql import Prepared, driver_cursor, recordset_insert, recordset_json
from ita_core.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SENDING_LEASE = timedelta(minutes=2)
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)  # LINE allows one minute; keep a margin


def enqueue(session: Session, **fields: Any) -> OutboxMessage:
    """Write one message request to the outbox (flushed; the caller commits).

    Takes the keyword arguments of ``outbox_values``. With ``render``, ``messages`` is that
    renderer's input, rendered just before the first send.
    """
    row = OutboxMessage(**outbox_values(**fields))
    session.add(row)
    session.flush()
    return row


def new_retry_key() -> str:
    """A new X-Line-Retry-Key: a version 7 UUID (RFC 9562: 48 bits of milliseconds since the epoch,
    then random bits). Any UUID serves LINE; time-ordered ones go in at the end of the outbox's
    unique index instead of at a random page of it, so a commit writes one index page, not one per row."""
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | secrets.randbits(76)
    value = value & ~(0b11 << 62) | 0b10 << 62  # the RFC's variant
    return str(uuid.UUID(int=value))

@dataclass(frozen=True)
class Claimed:
    """An outbox row marked ``sending`` by this process: what delivering it needs."""

    outbox_id: int
    kind: str
    reply_token: str | None
    retry_key: str
    recipients: str  # JSON list
    messages: str  # JSON list (or a renderer's input while ``render`` is set)
    attempts: int
    created_at: datetime
    render: str | None = None


def enqueue_claimed(session: Session, **fields: Any) -> Claimed:
    """``enqueue`` as one Core INSERT, for a row this process sends right after its transaction commits.

    For the hot path (a reply per webhook event): no ORM object, no unit-of-work flush.

    The row is written already ``sending`` (attempt 1, leased), so delivery needs no claim of its
    own: a crash before the call leaves it as a crash during the call does (a reply is then not
    sent again, a push is, with its retry key). Takes the keyword arguments of ``outbox_values``.
    """
    values = claimed_values(**fields)
    pk: int = _FAST_INSERT.execute(session.connection(), values)[0][0]
    return _claimed(pk, values)


def claimed_values(**fields: Any) -> dict[str, Any]:
    """The column values of a row ``enqueue_claimed`` writes: ``outbox_values``, already ``sending``."""
    values = outbox_values(**fields)
    values.update(status="sending", attempts=1, next_attempt_at=fields["now"] + SENDING_LEASE)
    return values


def _claimed(pk: int, values: Mapping[str, Any]) -> Claimed:
    return Claimed(
        pk,
        values["kind"],
        values["reply_token"],
        values["retry_key"],
        values["recipients"],
        values["messages"],
        1,
        values["created_at"],
        values["render"],
    )


def enqueue_claimed_many(
    session: Session, rows: Sequence[Mapping[str, Any]], ctes: Sequence[tuple[str, str]] = ()
) -> list[Claimed]:
    """PostgreSQL: ``enqueue_claimed`` for many rows (``claimed_values``) in one statement, one round
    trip, in order. ``ctes``: (SQL, its JSON parameter) of data-modifying statements run in the same
    one (``WITH name AS (SQL)``; each SQL names its parameter ``%s`` once), such as a batch's
    conversation rows (``bot.dispatch.conversation_ctes``)."""
    prefix = ", ".join(f"w{index} AS ({sql})" for index, (sql, _) in enumerate(ctes))
    statement = _claimed_many_sql(("WITH " + prefix + " ") if prefix else "")
    cursor = driver_cursor(session.connection())
    cursor.execute(statement, (*(param for _, param in ctes), recordset_json(rows)))
    # RETURNING promises no order: match by retry key (a new UUID per row)
    ids = {key: pk for pk, key in cursor.fetchall()}
    return [_claimed(ids[row["retry_key"]], row) for row in rows]


@functools.cache
def _claimed_many_sql(prefix: str) -> str:
    return prefix + recordset_insert(_OUTBOX.name, tuple(_CLAIMED_COLUMNS), suffix="RETURNING id, retry_key")


def outbox_values(
    *,
    kind: str,
    messages: Sequence[dict[str, Any]] | dict[str, Any] | EncodedMessages,
    now: datetime,
    reply_token: str | None = None,
    recipients: Sequence[str] = (),
    purpose: str = "reply",
    event_id: int | None = None,
    dedupe_key: str | None = None,
    render: str | None = None,
) -> dict[str, Any]:
    """The column values of a new outbox row (see ``enqueue``)."""
    if kind not in ("reply", "push", "multicast"):
        raise ValueError(f"unknown outbox kind {kind!r}")
    if isinstance(messages, EncodedMessages):
        if render:
            raise ValueError("a renderer's input is not encoded messages")
        text = messages.text
    else:
        if not render:
            check_count(list(messages))
        text = compact_json(messages if render else list(messages))
    return {
        "kind": kind,
        "purpose": purpose,
        "reply_token": reply_token,
        "recipients": json.dumps(list(recipients)),
        "messages": text,
        "retry_key": new_retry_key(),
        "dedupe_key": dedupe_key,
        "event_id": event_id,
        "render": render,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    quota_exhausted: bool = False
    errors: list[str] = field(default_factory=list)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


Renderer = Callable[[Session, dict[str, Any]], list[dict[str, Any]]]
_OUTBOX = cast(Table, OutboxMessage.__table__)
_MARK_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("outbox_id"))
    .values(status="sent", last_error=None, sent_at=bindparam("sent_at"))
)
# The INSERT ``enqueue_claimed`` runs, a parameter per column ``outbox_values`` gives, returning the
# new row's id (many rows at once: ``enqueue_claimed_many``).
_CLAIMED_COLUMNS = outbox_values(kind="reply", messages=EncodedMessages("[]"), now=datetime.min)  # its keys
_FAST_INSERT = Prepared(insert(_OUTBOX).values({name: bindparam(name) for name in _CLAIMED_COLUMNS}).returning(_OUTBOX.c.id))
_FAST_MARK_SENT = Prepared(_MARK_SENT)  # a reply per event
# PostgreSQL: a batch of ``SentMarks`` in one statement (ids and times as two arrays, unnested in step).
_MARK_SENT_MANY = text(
    "UPDATE outbox SET status = 'sent', last_error = NULL, sent_at = marks.sent_at"
    " FROM unnest(CAST(:ids AS INTEGER[]), CAST(:times AS TIMESTAMP WITH TIME ZONE[])) AS marks (id, sent_at)"
    " WHERE outbox.id = marks.id"
)
# ``Sender.deliver``'s claim, built once: pending and due -> sending, returning what sending needs
# (``Claimed``'s fields after the id, in order).
_CLAIM_FOR_SENDING = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("outbox_id"),
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= bindparam("now"),
    )
    .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=bindparam("lease_until"))
    .returning(
        OutboxMessage.kind,
        OutboxMessage.reply_token,
        OutboxMessage.retry_key,
        OutboxMessage.recipients,
        OutboxMessage.messages,
        OutboxMessage.attempts,
        OutboxMessage.created_at,
        OutboxMessage.render,
    )
)


@contextmanager
def _begin(engine: Engine, connection: Connection | None) -> Iterator[Connection]:
    """A transaction on ``connection`` (held by the caller, none open), or on a pooled one; committed on leaving."""
    if connection is not None:
        with connection.begin():
            yield connection
        return
    with engine.begin() as pooled:
        yield pooled


class SentMarks:
    """Rows delivered by the worker threads, marked ``sent`` together in one transaction.

    Marking every delivered answer in a transaction of its own costs each chat message a second
    transaction: three more round trips on PostgreSQL, a second turn at SQLite's one write lock. The
    marks are held here and written together (one executemany) once ``max_batch`` have gathered or
    the oldest has waited ``max_delay`` seconds: by a worker in the transaction of the next event it
    handles (``take_due``, ``write``; held again if that rolls back, not due before
    ``retry_after``), so that they take no transaction of their own while events keep coming; else
    when the worker threads are idle (``flush_due``) and when they stop (``flush``).

    A crash before the marks are written leaves those rows ``sending``, exactly as a crash during
    the call to LINE does: a reply then ends ``unknown`` (never sent twice), a push is sent again
    with its retry key and LINE's 409 counts as delivered. A failed write is logged and the marks are
    held for another try ``retry_after`` seconds later (a database that is down is not asked twenty
    times a second).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 64,
        max_delay: float = 0.05,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.retry_after = retry_after
        self.clock = clock
        self._lock = threading.Lock()
        self._held: list[dict[str, Any]] = []
        self._due_at = 0.0  # when the held marks are to be written (if not max_batch of them before)
        self._failed = False  # the last write failed: wait for _due_at, however many are held

    def __len__(self) -> int:
        return len(self._held)

    def add(self, outbox_id: int, sent_at: datetime) -> None:
        """Hold a mark until the next ``flush``."""
        with self._lock:
            if not self._held:
                self._due_at = self.clock() + self.max_delay
            self._held.append({"outbox_id": outbox_id, "sent_at": sent_at})

    def due(self) -> bool:
        """Whether the held marks should be written now."""
        held = len(self._held)
        if held == 0:
            return False
        return self.clock() >= self._due_at or (held >= self.max_batch and not self._failed)

    def flush_due(self, connection: Connection | None = None) -> int:
        """Write the held marks if they are due; how many were written."""
        return self.flush(connection) if self.due() else 0

    def flush(self, connection: Connection | None = None) -> int:
        """Write every held mark now, in one transaction on ``connection`` (one the caller holds and is
        not using) or on a pooled one; how many were written."""
        batch = self.take()
        if not batch:
            return 0
        try:
            with _begin(self.engine, connection) as conn:
                self.write(conn, batch)
        except Exception:
            log.exception(
                "marking %d delivered outbox row(s) sent failed; trying again in %s s", len(batch), self.retry_after
            )
            self.give_back(batch, failed=True)
            return 0
        self._failed = False
        return len(batch)

    def take_due(self) -> list[dict[str, Any]]:
        """The held marks if they are due (``take``), else none: for a worker to write in the
        transaction it is about to commit anyway (``write``), instead of one of their own."""
        return self.take() if self.due() else []

    def take(self) -> list[dict[str, Any]]:
        """Every held mark, no longer held: the caller writes them (``write``) in its transaction, and
        gives them back (``give_back``) if that transaction does not commit."""
        with self._lock:
            batch, self._held = self._held, []
        return batch

    def written(self) -> None:
        """The marks last taken were committed."""
        self._failed = False

    def give_back(self, batch: list[dict[str, Any]], *, failed: bool = False) -> None:
        """Hold again marks taken whose transaction did not commit (first, as the oldest); ``failed``:
        their write failed, so none is due again before ``retry_after``."""
        if not batch:
            return
        with self._lock:
            self._held[:0] = batch
            if failed:
                self._due_at, self._failed = self.clock() + self.retry_after, True

    @staticmethod
    def write(conn: Connection, batch: list[dict[str, Any]]) -> None:
        """Mark the rows of ``batch`` sent in ``conn``'s transaction."""
        if not batch:
            return
        if conn.dialect.name == "postgresql":  # one statement for the batch, not one per row
            conn.execute(_MARK_SENT_MANY, {"ids": [m["outbox_id"] for m in batch],
                                           "times": [m["sent_at"] for m in batch]})
        else:  # in process: executemany costs no round trips
            conn.execute(_MARK_SENT, batch)


class Sender:
    """Delivers outbox rows; each delivery uses its own short transactions."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        client: LineClient,
        clock: Callable[[], datetime],
        renderers: Mapping[str, Renderer] | None = None,
    ) -> None:
        self.factory = factory
        self.client = client
        self.clock = clock
        if renderers is None:
            from bot.jobs import default_renderers

            renderers = default_renderers()
        self.renderers = MappingProxyType(dict(renderers))

    def deliver(self, outbox_id: int, report: DeliveryReport | None = None, *, connection: Connection | None = None) -> str:
        """Deliver one row now if it is due; returns its new status.

        ``connection``: a pooled connection the caller holds and is not using (no transaction), for
        both of this delivery's transactions instead of a checkout each.
        """
        report = report or DeliveryReport()
        now = self.clock()
        with self._session(connection) as session:
            # The claim returns what sending needs (RETURNING), so a plain row is not read back in a
            # transaction of its own. Core statements: nothing of the outbox is loaded in this session.
            row = (
                session.connection()
                .execute(_CLAIM_FOR_SENDING, {"outbox_id": outbox_id, "now": now, "lease_until": now + SENDING_LEASE})
                .first()
            )
            session.commit()
            if row is None:
                return "skipped"
            claimed = Claimed(outbox_id, *tuple(row))  # RETURNING lists Claimed's fields in order
            if claimed.render:
                rendered = self._render(session, claimed)
                if rendered is None:
                    return "skipped"
                claimed = rendered
        return self.deliver_claimed(claimed, report, connection=connection, now=now)

    def _render(self, session: Session, claimed: Claimed) -> Claimed | None:
        """Render a row's messages once, before the first attempt (every retry sends exactly this)."""
        row = session.get(OutboxMessage, claimed.outbox_id)
        assert row is not None and row.render is not None
        rendered = self.renderers[row.render](session, json.loads(row.messages))
        if not rendered:  # nothing left to say (e.g. every reminded item was done meanwhile)
            row.status, row.render, row.last_error = "skipped", None, "nothing to send when rendered"
            session.commit()
            return None
        row.messages = compact_json(rendered)
        row.render = None
        session.commit()
        return replace(claimed, messages=row.messages, render=None)

    def deliver_claimed(
        self,
        claimed: Claimed,
        report: DeliveryReport | None = None,
        *,
        connection: Connection | None = None,
        now: datetime | None = None,
        marks: SentMarks | None = None,
    ) -> str:
        """Send a row already marked ``sending`` (by ``deliver`` or ``enqueue_claimed``) and record the result.

        With ``marks``, a row delivered as asked is marked ``sent`` with that batch, not at once.
        """
        report = report or DeliveryReport()
        now = now or self.clock()
        outbox_id, kind, attempts = claimed.outbox_id, claimed.kind, claimed.attempts
        status, error = self._send(
            kind,
            claimed.reply_token,
            json.loads(claimed.recipients),
            EncodedMessages(claimed.messages),  # as stored: checked when written, not parsed again
            claimed.retry_key,
            claimed.created_at,
            now,
        )
        if status == "sent" and error is None:  # the common case, on the driver
            report.sent += 1
            if marks is not None:
                marks.add(outbox_id, self.clock())
                return status
            with _begin(self.factory.kw["bind"], connection) as conn:
                _FAST_MARK_SENT.execute(conn, {"outbox_id": outbox_id, "sent_at": self.clock()})
            return status
        with self._session(connection) as session:
            values: dict[str, Any] = {"status": status, "last_error": error}
            if status == "sent":
                values["sent_at"] = self.clock()
                report.sent += 1
            elif status == "pending":
                if attempts >= MAX_ATTEMPTS:
                    values["status"] = status = "failed"
                    report.failed += 1
                else:
                    values["next_attempt_at"] = now + _backoff(attempts)
                    report.retried += 1
            elif status == "quota":
                report.quota_exhausted = True
            else:
                report.failed += 1
            if error:
                report.errors.append(f"outbox {outbox_id}: {error}")
            if kind == "reply" and status == "sent" and error:
                values["kind"] = "push"
            session.connection().execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))
            session.commit()
        return status

    def _session(self, connection: Connection | None) -> Session:
        return self.factory() if connection is None else self.factory(bind=connection)

    def _send(
        self,
        kind: str,
        token: str | None,
        recipients: list[str],
        messages: EncodedMessages,
        retry_key: str,
        created: datetime,
        now: datetime,
    ) -> tuple[str, str | None]:
        try:
            if kind == "reply" and token and now - created <= REPLY_TOKEN_LIFETIME:
                try:
                    self.client.reply(token, messages)
                    return "sent", None
                except LineApiError as exc:
                    if not exc.invalid_reply_token or not recipients:
                        raise
                    log.info("reply token expired or used; pushing instead")
                    self.client.push(recipients[0], messages, retry_key)
                    return "sent", "reply token invalid: sent as push"
            if kind in ("reply", "push"):
                if not recipients:
                    return "failed", "no recipient"
                self.client.push(recipients[0], messages, retry_key)
            else:
                self.client.multicast(recipients, messages, retry_key)
            return "sent", None
        except LineNotConfigured as exc:
            return "failed", str(exc)
        except LineApiError as exc:
            if exc.already_accepted:
                return "sent", None
            if exc.quota_exhausted:
                log.error("LINE monthly message quota is used up; delivery stopped")
                return "quota", exc.message
            if exc.transient:
                return "pending", f"{exc.status or 'unreachable'}: {exc.message}"
            return "failed", f"{exc.status}: {exc.message}"

    def deliver_due(self, limit: int = 500) -> DeliveryReport:
        """Deliver every due row (and re-send pushes left ``sending`` by a crash)."""
        report = DeliveryReport()
        now = self.clock()
        with self.factory() as session:
            # Rows stuck in "sending" past their lease: a push/multicast is safe to send again (same
            # retry key); a reply is not, since LINE cannot tell the copy apart.
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now)
                .where(OutboxMessage.kind != "reply")
                .values(status="pending")
            )
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now)
                .where(OutboxMessage.kind == "reply")
                .values(status="unknown", last_error="interrupted while sending a reply; not resent")
            )
            session.commit()
            ids = session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id)
                .limit(limit)
            ).all()
        for outbox_id in ids:
            self.deliver(outbox_id, report)
            if report.quota_exhausted:
                break
        return report


UNDELIVERED = ("failed", "quota", "unknown")  # what an admin has to look at (``ita outbox``)


def failed_messages(session: Session) -> list[OutboxMessage]:
    """Rows that did not get through (failed, quota, unknown), newest first."""
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.status.in_(UNDELIVERED)).order_by(OutboxMessage.id.desc())
        )
    )


def undelivered_counts(connection: Connection) -> dict[str, int]:
    """How many rows are in each of the statuses an admin has to look at (0 for none): one indexed
    query (``ix_outbox_status_next``), cheap enough for every health check."""
    counts = dict.fromkeys(UNDELIVERED, 0)
    rows = connection.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(UNDELIVERED))
        .group_by(OutboxMessage.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts
