"""Handling stored webhook events: exactly once, in a thread pool or in ``ita worker``.

A worker claims an event with an atomic UPDATE that marks it done (a pending event, or one an
earlier version left ``processing`` with an expired lease) and, in the same transaction, handles
it and writes the answer to the outbox (already marked ``sending``: this worker delivers it); it
commits, and then delivers the answer. A crash or a failure before the commit rolls the claim
back with everything else: the event is pending again. The statements that run for every event
go straight to the driver (``ita_core.fastsql``). Events left unhandled by a crash or a restart
are picked up again by the periodic scan.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, Integer, Update, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.answers import Kept
from bot.dispatch import (
    CONTEXT_COLUMNS,
    ConversationRow,
    context_join,
    conversation_ctes,
    forget_context,
    prefetch_context,
    take_deferred_conversation,
)
from bot.line_client import MAX_MESSAGES, EncodedMessages
from bot.outbox import (
    Claimed,
    Sender,
    SentMarks,
    claimed_values,
    enqueue_claimed,
    enqueue_claimed_many,
)
from bot.wakeup import Listener
from ita_core.fastsql import Prepared
from ita_core.models import WebhookEvent

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 5
BATCH = 8  # events a worker claims and handles in one transaction at most (see ``EventProcessor._handle``)


def next_batch(asked: int, got: int, most: int) -> int:
    """How many events to claim next, after a claim that asked for ``asked`` and got ``got``.

    A worker starts with one: events that arrive together are shared out among the workers that
    are idle (each delivers its answers in turn, and LINE may be slow). Only while every claim
    finds as many as it asked for (a backlog: no worker is idle) does the batch grow, doubling up
    to ``most``; a claim that finds fewer sets the next to what it found.
    """
    return min(2 * asked, most) if got >= asked else max(1, got)


def _waiting(now: Any) -> ColumnElement[bool]:
    """An event to handle: pending, or left ``processing`` by an earlier version (which committed its
    claims) with its lease expired by ``now``."""
    return or_(
        WebhookEvent.status == "pending",
        (WebhookEvent.status == "processing") & (WebhookEvent.claimed_until < now),
    )


# Built once (it runs for every event). The claim marks the event done at once: it commits with
# the answer or rolls back with it, so no other transaction ever sees an event in between, and one
# statement does what a claim and a "done" did. An event whose row another worker's claim holds is
# skipped, not waited for (PostgreSQL's SKIP LOCKED; SQLite has one writer at a time anyway): that
# worker is handling it, and if its transaction rolls back the event is pending again for the next
# scan. Waiting would only serialise workers walking the same list of pending ids.
_UNCLAIMED = (
    select(WebhookEvent.id)
    .where(WebhookEvent.id == bindparam("event_pk"))
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_DONE = {"status": "done", "claimed_until": None, "attempts": WebhookEvent.attempts + 1}
_CLAIMED_COLUMNS = (
    WebhookEvent.id, WebhookEvent.payload, WebhookEvent.chat_id, WebhookEvent.reply_token, WebhookEvent.event_id,
    WebhookEvent.type,
)
_CLAIM = (
    update(WebhookEvent)
    .where(WebhookEvent.id == _UNCLAIMED, _waiting(bindparam("now")))
    .values(handled_at=bindparam("now"), **_DONE)
)

# The oldest pending event, claimed as above by whoever gets it first: worker threads and ``ita
# worker`` processes take their events this way, so several of them never reach for the same one
# (PostgreSQL skips rows another worker's claim holds; SQLite has one writer at a time anyway).
# Events an earlier version left ``processing`` are the periodic scan's (``pending_ids``).
# Up to ``batch`` of them at once: a batch is handled in one transaction (see ``EventProcessor``).
_NEXT_PENDING = (
    select(WebhookEvent.id)
    .where(WebhookEvent.status == "pending")
    .order_by(WebhookEvent.id)
    .limit(bindparam("batch", type_=Integer))
    .with_for_update(skip_locked=True)
)
# In a CTE, which PostgreSQL evaluates once: as a plain ``IN (subquery)`` the UPDATE may run the
# subquery again for each row it visits, and a row it has just claimed is then skipped as locked,
# so a claim of one took two events (and a batch, any number).
_PICKED = _NEXT_PENDING.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
_CLAIM_NEXT = (
    update(WebhookEvent)
    .where(WebhookEvent.id.in_(select(_PICKED.c.id)), WebhookEvent.status == "pending")
    .values(handled_at=bindparam("now"), **_DONE)
)


def _with_context(claim: Update) -> Prepared:
    """PostgreSQL: the claim and what the dispatcher reads first for the event's sender and chat
    (``bot.dispatch.CONTEXT_COLUMNS``) in one statement, one round trip: the UPDATE in a CTE, its
    row outer-joined to the context. The CTE runs once whatever the join finds."""
    claimed = claim.returning(*_CLAIMED_COLUMNS, WebhookEvent.user_id).cte("claimed")
    return Prepared(
        select(*claimed.c, *CONTEXT_COLUMNS).select_from(context_join(claimed, claimed.c.user_id, claimed.c.chat_id))
    )


# Built once, on the driver: they run for every event. (id, ClaimedEvent's columns[, user id, context]).
_FAST_CLAIM = Prepared(_CLAIM.returning(*_CLAIMED_COLUMNS))
_FAST_CLAIM_NEXT = Prepared(_CLAIM_NEXT.returning(*_CLAIMED_COLUMNS))
_FAST_CLAIM_WITH_CONTEXT = _with_context(_CLAIM)
_FAST_CLAIM_NEXT_WITH_CONTEXT = _with_context(_CLAIM_NEXT)
_CONTEXT_AT = len(_CLAIMED_COLUMNS) + 1  # where the context starts in a row of the statements with it


class ClaimedEvent(NamedTuple):
    """What handling a claimed event needs of its stored row."""

    payload: str
    chat_id: str | None
    reply_token: str | None
    event_id: str
    type: str


class _Claim(NamedTuple):
    """A claimed event: its row id, stored columns, sender and (PostgreSQL) context read with the claim."""

    pk: int
    event: ClaimedEvent
    user_id: str | None
    context: Sequence[Any] | None  # ``bot.dispatch.CONTEXT_COLUMNS``' values


class EventHandler(Protocol):
    """Turns one stored event into the messages to answer with."""

    def __call__(self, session: Session, event: dict[str, Any], now: datetime) -> Sequence[dict[str, Any]]: ...


class EventProcessor:
    """Claims, handles and answers stored events."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        handler: EventHandler,
        sender: Sender,
        clock: Callable[[], datetime],
    ) -> None:
        self.factory = factory
        engine = factory.kw.get("bind")
        if not isinstance(engine, Engine):
            raise TypeError("EventProcessor needs a session factory bound to an engine")
        self._engine = engine
        self.handler = handler
        self.sender = sender
        self.clock = clock
        # PostgreSQL: the claim reads the context in the same statement (a CTE can hold an UPDATE ...
        # RETURNING), and answers are written with their conversation rows (round trips to save)
        self._postgresql = engine.dialect.name == "postgresql"

    def _claim(self, session: Session, event_pk: int | None, batch: int = 1) -> list[_Claim]:
        """Claim in the session's transaction (marked done, see ``_CLAIM``) the event ``event_pk``, or
        with None the oldest pending ones, up to ``batch``: those this worker got, oldest first (none
        when done, failed, being claimed by another worker, or none waiting).

        On PostgreSQL the claim also reads each event's context for the dispatcher
        (``bot.dispatch.prefetch_context``): one round trip instead of two.
        """
        params: dict[str, Any] = {"now": self.clock()}
        if event_pk is not None:
            params["event_pk"] = event_pk
        else:
            params["batch"] = batch
        connection = session.connection()
        if not self._postgresql:
            rows = (_FAST_CLAIM if event_pk is not None else _FAST_CLAIM_NEXT).execute(connection, params)
            claims = [_Claim(row[0], ClaimedEvent(*row[1:]), None, None) for row in rows]
        else:
            statement = _FAST_CLAIM_WITH_CONTEXT if event_pk is not None else _FAST_CLAIM_NEXT_WITH_CONTEXT
            claims = [
                _Claim(row[0], ClaimedEvent(*row[1 : _CONTEXT_AT - 1]), row[_CONTEXT_AT - 1], row[_CONTEXT_AT:])
                for row in statement.execute(connection, params)
            ]
        if len(claims) > 1:
            claims.sort(key=lambda claim: claim.pk)  # RETURNING promises no order
        return claims

    def connect(self) -> Connection:
        """A pooled connection to hand to ``process`` for many events (close it when done)."""
        return self._engine.connect()

    def process(
        self,
        event_pk: int,
        gate: AbstractContextManager[Any] | None = None,
        marks: SentMarks | None = None,
        *,
        connection: Connection | None = None,
    ) -> bool:
        """Handle one event if it can be claimed; returns whether it was handled here.

        Handling and delivery share one connection: ``connection`` (one the caller keeps for many
        events, no transaction open) or else one pooled checkout (with its liveness ping); no
        transaction is open while LINE is called. ``gate`` is held while the handler runs (see
        ``WorkerPool``), not during delivery. With ``marks``, the answers delivered are marked
        ``sent`` in that batch, written once due in the transaction of a later event (see
        ``_handle``), not in one of their own.
        """
        if connection is None:
            with self._engine.connect() as pooled:
                return bool(self._process(pooled, event_pk, gate or nullcontext(), marks, 1))
        return bool(self._process(connection, event_pk, gate or nullcontext(), marks, 1))

    def process_next(
        self,
        marks: SentMarks | None = None,
        *,
        connection: Connection | None = None,
        gate: AbstractContextManager[Any] | None = None,
        batch: int = 1,
        deliver: Callable[[list[Claimed]], None] | None = None,
    ) -> int:
        """Claim the oldest pending events no one else is claiming, up to ``batch``, and handle them
        as ``process`` does (a batch in one transaction); how many were handled (0: none was waiting).

        ``deliver``: takes the committed answers to send (``Deliveries.put``) instead of this thread
        sending them before it returns."""
        if connection is None:
            with self._engine.connect() as pooled:
                return self._process(pooled, None, gate or nullcontext(), marks, batch, deliver)
        return self._process(connection, None, gate or nullcontext(), marks, batch, deliver)

    def _process(
        self,
        connection: Connection,
        event_pk: int | None,
        gate: AbstractContextManager[Any],
        marks: SentMarks | None,
        batch: int,
        deliver: Callable[[list[Claimed]], None] | None = None,
    ) -> int:
        answers: list[Claimed] = []
        handled = self._handle(connection, event_pk, answers, gate, batch, marks)
        if deliver is not None and answers:
            deliver(answers)
            return handled
        for claimed in answers:  # committed: now to LINE (no transaction open meanwhile)
            self.sender.deliver_claimed(claimed, connection=connection, marks=marks)
        return handled

    def _handle(
        self,
        connection: Connection,
        event_pk: int | None,
        answers: list[Claimed],
        gate: AbstractContextManager[Any],
        batch: int = 1,
        marks: SentMarks | None = None,
    ) -> int:
        """Claim (which marks the events done), handle, write the answers to the outbox, commit: one
        transaction; how many events were handled here, their answers added to ``answers``.

        ``marks`` that are due are written in the same transaction (``_commit``), and held again if
        it rolls back: no transaction of their own while the worker has events to handle
        (on SQLite one turn less at the write lock, on PostgreSQL a BEGIN and a COMMIT less). A
        look that finds no event commits them instead of rolling back.

        ``event_pk`` None: the oldest pending events, up to ``batch`` (``process_next``).

        The claim commits with the answers, so a crash while handling leaves the events pending
        (picked up again), and a second worker reaching for them meanwhile skips them. Events not
        claimed here (another worker has them, or they are done) are not counted. ``gate`` is held
        while a handler runs, not while waiting for the commit.

        A batch shares the round trips of its claim and its commit (and on PostgreSQL one WAL flush).
        If anything in it fails, it is rolled back whole, and its events are then claimed and
        handled one at a time, so that only the culprit fails and the others answer as they would have.
        """
        with self.factory(bind=connection) as session:
            claims = self._claim(session, event_pk, batch)
            if not claims:
                self._end_empty_look(session, marks)
                return 0
            if len(claims) == 1:
                return int(self._handle_one(session, claims[0], answers, gate, marks))
            if self._handle_batch(session, claims, answers, gate, marks):
                return len(claims)
        log.info("a batch of %d events was rolled back; handling them one at a time", len(claims))
        return sum(self._handle(connection, claim.pk, answers, gate, 1, marks) for claim in claims)

    @staticmethod
    def _commit(session: Session, marks: SentMarks | None) -> None:
        """Commit the session's transaction with the due ``marks`` (``SentMarks.take_due``) written in
        it. If writing or committing fails, the marks are held again, not due before ``retry_after``
        (if writing them was what failed, the events tried again next go without them), and the
        error is raised."""
        taken = marks.take_due() if marks is not None else []
        try:
            if taken:
                SentMarks.write(session.connection(), taken)
            session.commit()
        except BaseException:
            if marks is not None and taken:
                marks.give_back(taken, failed=True)
            raise
        if marks is not None and taken:
            marks.written()

    @classmethod
    def _end_empty_look(cls, session: Session, marks: SentMarks | None) -> None:
        """End a transaction that claimed nothing: commit the due ``marks`` in it, or roll it back."""
        if marks is None or not marks.due():
            session.rollback()
            return
        try:
            cls._commit(session, marks)
        except Exception:
            session.rollback()
            log.exception("marking delivered outbox rows sent failed; trying again later")

    def _handle_one(
        self,
        session: Session,
        claim: _Claim,
        answers: list[Claimed],
        gate: AbstractContextManager[Any],
        marks: SentMarks | None = None,
    ) -> bool:
        """Handle one claimed event and commit (see ``_handle``); False when it was not handled here."""
        if claim.context is not None:
            prefetch_context(session, claim.user_id, claim.event.chat_id, claim.context)
        event: dict[str, Any] = json.loads(claim.event.payload)
        now = self.clock()
        try:
            with gate:
                messages = self.handler(session, event, now)
            if not session.in_transaction() and not self._claim(session, claim.pk):
                # The dispatcher rolled back a failed handler (claim included) and answers with an
                # apology; claimed again so that it is sent once, unless another worker took it meanwhile.
                session.rollback()
                return False
            written = self._enqueue(session, claim, messages, now)
            self._commit(session, marks)
        except Exception as exc:
            session.rollback()
            log.exception("event %s (%s) failed", claim.event.event_id, claim.event.type)
            self._record_failure(claim.pk, exc)
            return True
        answers.extend(written)
        return True

    def _handle_batch(
        self,
        session: Session,
        claims: list[_Claim],
        answers: list[Claimed],
        gate: AbstractContextManager[Any],
        marks: SentMarks | None = None,
    ) -> bool:
        """Handle claimed events in order in one transaction and commit; False (all rolled back) when
        any of them failed.

        On PostgreSQL the answers' outbox rows and the chats' conversation rows are held and written
        together, one statement for the batch (``enqueue_claimed_many``), or for the events before
        one whose sender or chat an earlier one had: its handler reads them first.
        """
        written: list[Claimed] = []
        seen: set[str | None] = set()  # senders and chats an earlier event of the batch may have changed
        held = _Held()
        try:
            for claim in claims:
                chat_id = claim.event.chat_id
                if claim.context is not None and claim.user_id not in seen and chat_id not in seen:
                    prefetch_context(session, claim.user_id, chat_id, claim.context)
                else:  # read afresh: an earlier event's handler may have written them in this transaction
                    forget_context(session)
                    written.extend(held.write(session))
                seen.update((claim.user_id, chat_id))
                event: dict[str, Any] = json.loads(claim.event.payload)
                now = self.clock()
                with gate:
                    messages = self.handler(session, event, now)
                if not session.in_transaction():  # the dispatcher rolled back a failed handler: the batch with it
                    return False
                if self._postgresql:
                    held.add(session, claim, messages, now)
                else:
                    written.extend(self._enqueue(session, claim, messages, now))
            written.extend(held.write(session))
            self._commit(session, marks)
        except Exception:
            session.rollback()
            log.debug("a batch of %d events failed", len(claims), exc_info=True)
            return False
        answers.extend(written)
        return True

    def _enqueue(self, session: Session, claim: _Claim, messages: Sequence[dict[str, Any]], now: datetime) -> list[Claimed]:
        """Write an event's answer to the outbox in the session's transaction (``_answer_fields``),
        already claimed for sending (``sending``: this worker sends it once committed). On PostgreSQL
        the answer's rows and the chat's deferred conversation row go in one statement, as a batch's
        do (``_Held``); on SQLite (in process: no round trip to save) row by row, and the deferred
        conversation row is written when the session commits."""
        if self._postgresql:
            held = _Held()
            held.add(session, claim, messages, now)
            return held.write(session)
        return [enqueue_claimed(session, **fields) for fields in _answer_fields(claim, messages, now)]

    def _record_failure(self, event_pk: int, exc: Exception) -> None:
        """Count the failed attempt (its claim was rolled back with it); give up after MAX_EVENT_ATTEMPTS."""
        with self.factory() as session:
            row = session.get(WebhookEvent, event_pk)
            if row is None or row.status == "done":
                return
            row.attempts += 1
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            row.status = "failed" if row.attempts >= MAX_EVENT_ATTEMPTS else "pending"
            row.claimed_until = None
            session.commit()

    def pending_ids(self, limit: int = 100) -> list[int]:
        """Events waiting, oldest first: pending, or processing whose lease expired (a crash or a restart)."""
        query = select(WebhookEvent.id).where(_waiting(self.clock())).order_by(WebhookEvent.id).limit(limit)
        with self.factory() as session:
            return list(session.scalars(query))

    def process_pending(
        self, limit: int = 100, gate: AbstractContextManager[Any] | None = None, marks: SentMarks | None = None
    ) -> int:
        """Handle whatever is waiting; returns how many events were handled."""
        return sum(1 for pk in self.pending_ids(limit) if self.process(pk, gate, marks))


def _answer_fields(claim: _Claim, messages: Sequence[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The outbox rows (``outbox_values``' arguments) of an event's answer: 5 messages per request,
    the first replied with the event's reply token, the rest pushed. An answer from the answer
    cache that fits one request is sent as the JSON text it was kept as (never parsed here)."""
    claimed = claim.event
    target = [claimed.chat_id] if claimed.chat_id else []
    kind = "reply" if claimed.reply_token else "push"
    chunks: list[Any]
    if isinstance(messages, Kept) and 0 < len(messages) <= MAX_MESSAGES:
        chunks = [EncodedMessages(messages.text)]
    else:
        chunks = _chunks(messages, MAX_MESSAGES)
    rows: list[dict[str, Any]] = []
    for chunk in chunks:
        rows.append(
            {
                "kind": kind,
                "messages": chunk,
                "now": now,
                "reply_token": claimed.reply_token if kind == "reply" and not rows else None,
                "recipients": target,
                "event_id": claim.pk,
            }
        )
        kind = "push"  # a reply token serves one request; the rest is pushed
    return rows


class _Held:
    """PostgreSQL: a batch's answer rows (``claimed_values``) and conversation rows not written yet."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.conversations: list[ConversationRow] = []

    def add(self, session: Session, claim: _Claim, messages: Sequence[dict[str, Any]], now: datetime) -> None:
        """Hold an event's answer rows, and the conversation row its handler deferred
        (``bot.dispatch.defer_conversation``), taken out of the session."""
        self.rows.extend(claimed_values(**fields) for fields in _answer_fields(claim, messages, now))
        remembered = take_deferred_conversation(session)
        if remembered is not None:
            self.conversations.append(remembered)

    def write(self, session: Session) -> list[Claimed]:
        """Write what is held, one statement; the answers written, in order."""
        if not self.rows and not self.conversations:
            return []
        written = enqueue_claimed_many(session, self.rows, conversation_ctes(self.conversations))
        self.rows, self.conversations = [], []
        return written


def _chunks(messages: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [list(messages[i : i + size]) for i in range(0, len(messages), size)]


class WorkerPool:
    """Threads inside the web process that handle events as they arrive and scan for leftovers.

    Each thread claims the **oldest pending event no one else is claiming** (``process_next``, as
    ``ita worker`` does), whichever process stored it, and goes on until none is left; then it
    waits. A webhook request that stored events wakes up to that many waiting threads
    (``submit``); a thread that waited ``poll_interval`` without being woken looks once anyway, so
    the processes' threads share one another's work: the web server does not share requests out
    evenly (a gunicorn process takes whole keep-alive connections, and under the webhook benchmark
    one of two processes held 26 of 32 connections), and no process's backlog waits while another's
    threads idle. While nothing comes, each thread's looks back off from ``poll_interval`` to one
    every ``poll_backoff`` seconds. A claim never takes an event another worker holds, and every
    claim that finds one handles it: no event is claimed twice, and no claim is wasted on an event
    already done, as claiming queued ids was when threads also took over other processes' events.
    While there is a backlog, a thread claims several events at once and handles them in one
    transaction (up to ``batch``; see ``next_batch`` and ``EventProcessor._handle``).

    At most ``handling`` of the threads run the handler at a time (the matcher, the queries,
    rendering: CPU); the others may meanwhile wait for a commit or send answers to LINE (waiting on
    the disk or the network). Handling shares the process's GIL with the web requests, and every thread that
    computes makes each request wait longer for it: more threads computing at once do not answer
    more events on a busy machine, they only slow the acknowledgements LINE waits for. Delivery
    needs no such limit, and with LINE a real network away it is most of a thread's time.

    The threads mark the answers they delivered ``sent`` together (``SentMarks``): once a batch is
    due, in the transaction of the next event a thread handles (or of its next look that finds
    none), when idle, and when the pool stops. Each thread keeps one database
    connection from one event to the next (no pool checkout and liveness ping per event). The
    periodic scan, ``scan_interval`` after a thread last handled an event, picks up events an
    earlier version left ``processing`` and sends pushes that are due.
    """

    def __init__(
        self,
        processor: EventProcessor,
        threads: int = 4,
        scan_interval: float = 2.0,
        handling: int = 2,
        *,
        poll_interval: float = 0.1,
        poll_backoff: float = 2.0,
        batch: int = BATCH,
    ) -> None:
        self.processor = processor
        self.batch = max(1, batch)
        self.threads = threads
        self.scan_interval = scan_interval
        self.poll_interval = poll_interval
        self.poll_backoff = max(poll_backoff, poll_interval)
        self._handling = threading.BoundedSemaphore(max(1, min(handling, threads)))
        self._arrivals = threading.Condition()
        self._arrived = 0  # how many times events were submitted (a thread compares it with what it saw)
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._scan_lock = threading.Lock()
        self.marks = SentMarks(processor.factory.kw["bind"])

    def start(self) -> None:
        """Start the threads (idempotent)."""
        if self._workers:
            return
        self._stop.clear()
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, name=f"ita-worker-{index}", daemon=True)
            thread.start()
            self._workers.append(thread)

    def submit(self, event_ids: list[int]) -> None:
        """Newly stored events: wake up to as many waiting threads (they claim the oldest pending first)."""
        if not event_ids:
            return
        with self._arrivals:
            self._arrived += 1
            self._arrivals.notify(min(len(event_ids), self.threads))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads after the events in hand."""
        self._stop.set()
        with self._arrivals:
            self._arrivals.notify_all()
        for thread in self._workers:
            thread.join(timeout)
        self._workers = []
        self.marks.flush()

    def _run(self) -> None:
        scan_at = time.monotonic() + self.scan_interval  # scan after this long without an event
        kept: Connection | None = None  # this thread's connection, kept from one event to the next
        poll = self.poll_interval  # how long to wait for a wake-up before looking anyway
        seen = -1  # the arrivals count this thread last acted on (-1: look at once)
        try:
            while not self._stop.is_set():
                seen = self._wait(seen, min(poll, max(scan_at - time.monotonic(), 0.0)))
                if self._stop.is_set():
                    return
                handled, kept = self._drain(kept)
                if handled:
                    poll = self.poll_interval
                    scan_at = time.monotonic() + self.scan_interval
                else:
                    poll = min(2 * poll, self.poll_backoff)
                self.marks.flush_due()
                if time.monotonic() >= scan_at:
                    self._scan()
                    scan_at = time.monotonic() + self.scan_interval
        finally:
            if kept is not None:
                kept.close()

    def _wait(self, seen: int, timeout: float) -> int:
        """Wait until events arrive that this thread has not acted on, ``timeout`` passes, or held
        ``sent`` marks are due; returns the arrivals count to act on."""
        with self._arrivals:
            if self._arrived == seen and not self._stop.is_set():
                if self.marks:  # marks held: wake up to write them when they are due
                    timeout = min(timeout, self.marks.max_delay)
                self._arrivals.wait(timeout)
            return self._arrived

    def _drain(self, kept: Connection | None) -> tuple[int, Connection | None]:
        """Handle the oldest pending events until none is left (or the pool stops): how many were
        handled here, and the connection to keep.

        No checkout and no liveness ping per event. A connection that fails is given back and the
        next look gets a fresh one; when the database dropped it (a restart, an idle timeout), the
        look is made once more on a fresh one at once (a claim rolled back with it is pending again).
        """
        handled = 0
        lost_once = False
        batch = 1
        while not self._stop.is_set():
            connection, kept = kept, None
            try:
                if connection is None:
                    connection = self.processor.connect()
                found = self.processor.process_next(
                    self.marks, connection=connection, gate=self._handling, batch=batch
                )
            except Exception as exc:  # never let a worker thread die (the database may be down)
                lost = bool(getattr(exc, "connection_invalidated", False))
                if connection is not None:
                    _close_quietly(connection)
                if lost and not lost_once:
                    lost_once = True
                    log.warning("database connection lost; looking for pending events again on a new one")
                    continue
                log.exception("worker failed while handling pending events")
                return handled, None
            kept = connection
            if not found:
                break
            handled += found
            batch = next_batch(batch, found, self.batch)
        return handled, kept

    def _scan(self) -> None:
        if not self._scan_lock.acquire(blocking=False):
            return
        try:
            self.processor.process_pending(gate=self._handling, marks=self.marks)
            self.processor.sender.deliver_due()
        except Exception:
            log.exception("scan for pending events failed")
        finally:
            self._scan_lock.release()


class Deliveries:
    """``ita worker``: a thread of its own that sends the answers the handling thread committed.

    The handling thread claims and handles the next events while the answers before them are on
    their way to LINE, instead of waiting for each call: one process answers more events a second,
    and with fewer processes the batches are bigger (fewer transactions, less CPU per event). At
    most ``depth`` answers wait (``put`` blocks beyond that: a slow LINE slows the handling down,
    as it did when the handling thread sent them itself). The answers are committed ``sending``
    before they are queued, so a crash leaves the ones waiting as a crash during the call to LINE
    does (``bot.outbox``). Delivered answers are marked ``sent`` in ``marks``, which the handling
    thread writes with its next transaction.
    """

    def __init__(self, sender: Sender, marks: SentMarks, depth: int = 2 * BATCH) -> None:
        self.sender = sender
        self.marks = marks
        self._queue: queue.Queue[Claimed | None] = queue.Queue(maxsize=max(1, depth))
        self._thread = threading.Thread(target=self._run, name="ita-deliveries", daemon=True)
        self._thread.start()

    def put(self, answers: list[Claimed]) -> None:
        """Queue committed answers to send, in order (blocks while ``depth`` are waiting)."""
        for claimed in answers:
            self._queue.put(claimed)

    def wait(self) -> None:
        """Return once every answer queued so far has been sent (or has failed)."""
        self._queue.join()

    def close(self) -> None:
        """Send what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            claimed = self._queue.get()
            try:
                if claimed is None:
                    return
                self.sender.deliver_claimed(claimed, marks=self.marks)
            except Exception:  # the row stays ``sending``: as a crash during the call would leave it
                log.exception("delivering outbox row %s failed", claimed.outbox_id if claimed else None)
            finally:
                self._queue.task_done()


def run_separately(
    processor: EventProcessor,
    stop: threading.Event,
    *,
    interval: float,
    scan: float,
    once: bool,
    say: Callable[[str], None],
    listener: Listener | None = None,
) -> None:
    """``ita worker``: handle events in this process, one batch at a time, until ``stop`` is set.

    Each pass takes the oldest pending events no one else is claiming until none is left
    (``process_next``), on one connection kept from pass to pass, and hands the committed answers to
    ``Deliveries`` (with ``once``, it sends them itself); then it writes its ``sent`` marks;
    every ``scan`` seconds, even under a steady stream, it also handles events an earlier version
    left ``processing`` and sends pushes that are due. Idle, it looks again after ``interval``
    seconds, or at once when ``listener`` (PostgreSQL) hears that new events were stored
    (``bot.wakeup``). A failed pass is logged and tried again a second later (``once``: it raises).
    """
    marks = SentMarks(processor.factory.kw["bind"])
    # answers go to LINE from a thread of their own while this one handles the next events
    deliveries = None if once else Deliveries(processor.sender, marks)
    deliver = deliveries.put if deliveries is not None else None
    kept: Connection | None = None  # as the web processes' threads keep theirs
    scan_at = 0.0
    while True:
        handled = 0
        try:
            if kept is None:
                kept = processor.connect()
            batch = 1
            while not stop.is_set() and (
                found := processor.process_next(marks, connection=kept, batch=batch, deliver=deliver)
            ):
                handled += found
                batch = next_batch(batch, found, BATCH)
                if time.monotonic() >= scan_at:
                    break  # the scan's turn
            if deliveries is not None and (stop.is_set() or time.monotonic() >= scan_at):
                deliveries.wait()  # their marks, before they are written below
            marks.flush()
            if once or time.monotonic() >= scan_at:
                handled += processor.process_pending(limit=200, marks=marks)
                marks.flush()
                report = processor.sender.deliver_due()
                scan_at = time.monotonic() + scan
                if report.sent or report.failed:
                    say(f"outbox: sent {report.sent}, failed {report.failed}")
        except Exception:
            if once:
                raise
            log.exception("worker pass failed; trying again in %.1f s", max(interval, 1.0))
            if kept is not None:
                _close_quietly(kept)
                kept = None
            stop.wait(max(interval, 1.0))
            continue
        if handled:
            say(f"handled {handled} event(s)")
        if once or stop.is_set():
            if deliveries is not None:
                deliveries.close()
                marks.flush()
            if kept is not None:
                kept.close()
            if listener is not None:
                listener.close()
            return
        if not handled:
            if listener is not None:
                listener.wait(interval, stop)
            else:
                stop.wait(interval)


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:  # already broken: the pool replaces it
        log.debug("closing a failed worker connection failed", exc_info=True)
