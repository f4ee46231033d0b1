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
import math
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.answers import Kept
from bot.line_client import MAX_MESSAGES, EncodedMessages
from bot.outbox import Claimed, Sender, SentMarks, enqueue_claimed
from ita_core.fastsql import Prepared
from ita_core.models import WebhookEvent

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 5
STEAL_AGE = 0.25  # seconds an event waits before idle threads of another process take it (PostgreSQL)


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
_CLAIM = (
    update(WebhookEvent)
    .where(WebhookEvent.id == _UNCLAIMED, _waiting(bindparam("now")))
    .values(status="done", handled_at=bindparam("now"), claimed_until=None, attempts=WebhookEvent.attempts + 1)
    .returning(
        WebhookEvent.payload, WebhookEvent.chat_id, WebhookEvent.reply_token, WebhookEvent.event_id, WebhookEvent.type
    )
)
_FAST_CLAIM = Prepared(_CLAIM)  # on the driver: it runs for every event

# The oldest pending event, claimed as above by whoever gets it first: ``ita worker`` processes take
# their events this way, so several of them never reach for the same one (PostgreSQL skips rows
# another worker's claim holds; SQLite has one writer at a time anyway). Events an earlier version
# left ``processing`` are the periodic scan's (``pending_ids``).
_NEXT_PENDING = (
    select(WebhookEvent.id)
    .where(WebhookEvent.status == "pending")
    .order_by(WebhookEvent.id)
    .limit(1)
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_FAST_CLAIM_NEXT = Prepared(
    update(WebhookEvent)
    .where(WebhookEvent.id == _NEXT_PENDING, WebhookEvent.status == "pending")
    .values(status="done", handled_at=bindparam("now"), claimed_until=None, attempts=WebhookEvent.attempts + 1)
    .returning(WebhookEvent.id, *_CLAIM.exported_columns)
)


class ClaimedEvent(NamedTuple):
    """What handling a claimed event needs of its stored row."""

    payload: str
    chat_id: str | None
    reply_token: str | None
    event_id: str
    type: str


class EventHandler(Protocol):
    """Turns one stored event into the messages to answer with."""

    def __call__(self, session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]: ...


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

    def _claim(self, connection: Connection, event_pk: int) -> ClaimedEvent | None:
        """Claim in the connection's transaction (marked done, see ``_CLAIM``): the event's stored
        columns when this worker got it, else None (done, failed, or being claimed by another worker)."""
        rows = _FAST_CLAIM.execute(connection, {"event_pk": event_pk, "now": self.clock()})
        return ClaimedEvent(*rows[0]) if rows else None

    def _claim_next(self, connection: Connection) -> tuple[int, ClaimedEvent] | None:
        """Claim the oldest pending event no one else is claiming: its row id and stored columns."""
        rows = _FAST_CLAIM_NEXT.execute(connection, {"now": self.clock()})
        return (rows[0][0], ClaimedEvent(*rows[0][1:])) if rows else None

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
        ``sent`` in that batch (written here when it is due), not in a transaction of their own.
        """
        if connection is None:
            with self._engine.connect() as pooled:
                return self._process(pooled, event_pk, gate or nullcontext(), marks)
        return self._process(connection, event_pk, gate or nullcontext(), marks)

    def process_next(self, marks: SentMarks | None = None, *, connection: Connection | None = None) -> bool:
        """Claim the oldest pending event and handle it as ``process`` does; False when none was waiting
        (or the one there was went to another worker at the same moment)."""
        if connection is None:
            with self._engine.connect() as pooled:
                return self._process(pooled, None, nullcontext(), marks)
        return self._process(connection, None, nullcontext(), marks)

    def _process(
        self, connection: Connection, event_pk: int | None, gate: AbstractContextManager[Any], marks: SentMarks | None
    ) -> bool:
        answers: list[Claimed] = []
        if not self._handle(connection, event_pk, answers, gate):
            return False
        for claimed in answers:  # committed: now to LINE (no transaction open meanwhile)
            self.sender.deliver_claimed(claimed, connection=connection, marks=marks)
        if marks is not None:
            marks.flush_due(connection)
        return True

    def _handle(
        self, connection: Connection, event_pk: int | None, answers: list[Claimed], gate: AbstractContextManager[Any]
    ) -> bool:
        """Claim (which marks the event done), handle, write the answer to the outbox, commit: one transaction.

        ``event_pk`` None: the oldest pending event (``process_next``).

        False when the event was not claimed here (another worker has it, or it is done). The claim
        commits with the answer, so a crash while handling leaves the event pending (picked up
        again), and a second worker reaching for the same event meanwhile skips it. ``gate`` is held while the handler runs, not while waiting for the commit.
        """
        with self.factory(bind=connection) as session:
            claimed: ClaimedEvent | None = None
            if event_pk is not None:
                claimed = self._claim(session.connection(), event_pk)
            elif (found := self._claim_next(session.connection())) is not None:
                event_pk, claimed = found
            if claimed is None or event_pk is None:
                session.rollback()
                return False
            event: dict[str, Any] = json.loads(claimed.payload)
            now = self.clock()
            try:
                with gate:
                    messages = self.handler(session, event, now)
                if not session.in_transaction() and self._claim(session.connection(), event_pk) is None:
                    # The dispatcher rolled back a failed handler (claim included) and answers with an
                    # apology; claimed again so that it is sent once, unless another worker took it meanwhile.
                    session.rollback()
                    return False
                if messages:
                    target = [claimed.chat_id] if claimed.chat_id else []
                    kind = "reply" if claimed.reply_token else "push"
                    encoded = messages.text if isinstance(messages, Kept) and len(messages) <= MAX_MESSAGES else None
                    for chunk in _chunks(messages, MAX_MESSAGES):
                        answers.append(  # written as ``sending``: this worker sends them once committed
                            enqueue_claimed(
                                session,
                                kind=kind,
                                messages=chunk if encoded is None else EncodedMessages(encoded),
                                now=now,
                                reply_token=claimed.reply_token if kind == "reply" and not answers else None,
                                recipients=target,
                                event_id=event_pk,
                            )
                        )
                        kind = "push"  # a reply token serves one request; the rest is pushed
                session.commit()
            except Exception as exc:
                session.rollback()
                log.exception("event %s (%s) failed", claimed.event_id, claimed.type)
                self._record_failure(event_pk, exc)
                answers.clear()
        return True

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
        return self._waiting_ids(limit)

    def behind_ids(self, limit: int, older_than: float) -> list[int]:
        """Events that have waited more than ``older_than`` seconds, newest first: the backlog of
        another process (or of this one) that idle threads can help with.

        Newest first, because whoever holds the backlog works through it oldest first: the two
        meet in the middle instead of reaching for the same events.
        """
        return self._waiting_ids(limit, older_than=older_than)

    def _waiting_ids(self, limit: int, *, older_than: float | None = None) -> list[int]:
        now = self.clock()
        query = select(WebhookEvent.id).where(_waiting(now)).limit(limit)
        if older_than is None:
            query = query.order_by(WebhookEvent.id)
        else:
            query = query.where(WebhookEvent.received_at < now - timedelta(seconds=older_than))
            query = query.order_by(WebhookEvent.id.desc())
        with self.factory() as session:
            return list(session.scalars(query))

    def process_pending(
        self, limit: int = 100, gate: AbstractContextManager[Any] | None = None, marks: SentMarks | None = None
    ) -> int:
        """Handle whatever is waiting; returns how many events were handled."""
        return sum(1 for pk in self.pending_ids(limit) if self.process(pk, gate, marks))


def _chunks(messages: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


class WorkerPool:
    """Threads inside the web process that handle events as they arrive and scan for leftovers.

    At most ``handling`` of the threads run the handler at a time (the matcher, the queries,
    rendering: CPU); the others may meanwhile wait for a commit or send answers to LINE (waiting on
    the disk or the network). Handling shares the process's GIL with the web requests, and every thread that
    computes makes each request wait longer for it: more threads computing at once do not answer
    more events on a busy machine, they only slow the acknowledgements LINE waits for. Delivery
    needs no such limit, and with LINE a real network away it is most of a thread's time.

    The threads mark the answers they delivered ``sent`` together (``SentMarks``): when a batch is
    due after an event, when idle, and when the pool stops. Each thread keeps one database
    connection from one event to the next (no pool checkout and liveness ping per event).

    Idle threads help other processes: the web server's processes do not get equal shares of the
    requests (a process takes whole keep-alive connections, and one may hold most of them), so
    one process's queue can grow while another's threads wait. When its queue is empty, a thread
    looks in the database for events that have waited more than ``steal_age`` seconds (by default
    0.25 s on PostgreSQL and never on SQLite, see ``__init__``; None: never) and takes a
    few, newest first (``EventProcessor.behind_ids``); the claim makes sure each is handled once,
    and the process that queued them skips them. When nothing is behind, the next look waits
    twice as long as the last, from ``steal_interval`` up to ``steal_backoff`` seconds; right after
    a look that found work, the next may come at once. (The periodic scan, ``scan_interval`` after
    the last event, is for events nobody queued: a crash or a restart.)
    """

    def __init__(
        self,
        processor: EventProcessor,
        threads: int = 4,
        scan_interval: float = 2.0,
        handling: int = 2,
        *,
        steal_age: float | Literal["default"] | None = "default",
        steal_interval: float = 0.1,
        steal_backoff: float = 2.0,
    ) -> None:
        self.processor = processor
        self.threads = threads
        self.scan_interval = scan_interval
        # SQLite: every claim-to-commit takes the file's one write lock, whichever process runs it, so
        # taking over another process's events adds no capacity, and each event taken costs its own
        # process a claim (a turn at that lock) when it pops it: no stealing unless asked for.
        sqlite = processor.factory.kw["bind"].dialect.name == "sqlite"
        self.steal_age: float | None = (None if sqlite else STEAL_AGE) if steal_age == "default" else steal_age
        self.steal_interval = steal_interval
        self.steal_backoff = max(steal_backoff, steal_interval)
        self._steal_lock = threading.Lock()
        self._steal_wait = steal_interval  # how long after an empty look the next one comes
        self._steal_at = 0.0 if self.steal_age is not None else math.inf  # monotonic time of the next look
        self._handling = threading.BoundedSemaphore(max(1, min(handling, threads)))
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._scan_lock = threading.Lock()
        self.marks = SentMarks(processor.factory.kw["bind"])

    def start(self) -> None:
        """Start the threads (idempotent)."""
        if self._workers:
            return
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, name=f"ita-worker-{index}", daemon=True)
            thread.start()
            self._workers.append(thread)

    def submit(self, event_ids: list[int]) -> None:
        """Hand newly stored events to the threads."""
        for event_id in event_ids:
            self._queue.put(event_id)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads after the events in hand."""
        self._stop.set()
        for _ in self._workers:
            self._queue.put(None)
        for thread in self._workers:
            thread.join(timeout)
        self._workers = []
        self.marks.flush()

    def _run(self) -> None:
        scan_at = time.monotonic() + self.scan_interval  # scan after this long without an event
        kept: Connection | None = None  # this thread's connection, kept from one event to the next
        try:
            while not self._stop.is_set():
                event_id = self._next(scan_at)
                if event_id is None:
                    return
                if event_id < 0:  # nothing came: write held marks, scan when due
                    self.marks.flush_due()
                    if time.monotonic() >= scan_at:
                        self._scan()
                        scan_at = time.monotonic() + self.scan_interval
                    continue
                kept = self._process_kept(event_id, kept)
                scan_at = time.monotonic() + self.scan_interval
        finally:
            if kept is not None:
                kept.close()

    def _next(self, scan_at: float) -> int | None:
        """The next event row from the queue (None: stop); when the queue is empty, first a look for
        events left waiting elsewhere, then a wait until one comes or something is due (-1)."""
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            if self._steal():
                return -1  # events are queued now: the caller comes straight back
        # Another thread may be looking right now (a look it finds work in fills the queue, which
        # wakes this one): not before steal_interval, rather than spinning meanwhile.
        steal_at = max(self._steal_at, time.monotonic() + self.steal_interval)
        wait = min(scan_at, steal_at) - time.monotonic()
        if self.marks:  # marks held: wake up to write them when they are due
            wait = min(wait, self.marks.max_delay)
        try:
            return self._queue.get(timeout=max(wait, 0.0))
        except queue.Empty:
            return -1

    def _process_kept(self, event_id: int, kept: Connection | None) -> Connection | None:
        """Handle one event on the thread's kept connection; returns the connection to keep.

        No checkout and no liveness ping per event. A connection that fails is given back and the
        next event gets a fresh one; when the database dropped it (a restart, an idle timeout),
        this event is tried once more on a fresh one at once (the claim makes that safe).
        """
        for attempt in (1, 2):
            connection, kept = kept, None
            try:
                if connection is None:
                    connection = self.processor.connect()
                self.processor.process(event_id, self._handling, self.marks, connection=connection)
                return connection
            except Exception as exc:  # never let a worker thread die (the database may be down)
                lost = bool(getattr(exc, "connection_invalidated", False))
                if connection is not None:
                    _close_quietly(connection)
                if lost and attempt == 1:
                    log.warning("database connection lost; event row %s tried again on a new one", event_id)
                    continue
                log.exception("worker failed on event row %s", event_id)
        return None

    def _steal(self) -> bool:
        """Queue a few events that have waited too long (another process's backlog) when a look is
        due; returns whether any were found."""
        if self.steal_age is None or time.monotonic() < self._steal_at:
            return False
        if not self._steal_lock.acquire(blocking=False):
            return False
        try:
            try:
                found = self.processor.behind_ids(2 * self.threads, self.steal_age)
            except Exception:  # the database may be down: the next look backs off like an empty one
                log.exception("looking for events waiting too long failed")
                found = []
            if found:
                self._steal_wait = self.steal_interval
                self._steal_at = time.monotonic()  # help on as soon as these are done
                self.submit(found)
            else:
                self._steal_at = time.monotonic() + self._steal_wait
                self._steal_wait = min(2 * self._steal_wait, self.steal_backoff)
            return bool(found)
        finally:
            self._steal_lock.release()

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


def run_separately(
    processor: EventProcessor,
    stop: threading.Event,
    *,
    interval: float,
    scan: float,
    once: bool,
    say: Callable[[str], None],
) -> None:
    """``ita worker``: handle events in this process, one at a time, until ``stop`` is set.

    Each pass takes the oldest pending event no one else is claiming until none is left
    (``process_next``), on one connection kept from pass to pass, then writes its ``sent`` marks;
    every ``scan`` seconds, even under a steady stream, it also handles events an earlier version
    left ``processing`` and sends pushes that are due. Idle, it looks again after ``interval``
    seconds. A failed pass is logged and tried again a second later (``once``: it raises).
    """
    marks = SentMarks(processor.factory.kw["bind"])
    kept: Connection | None = None  # as the web processes' threads keep theirs
    scan_at = 0.0
    while True:
        handled = 0
        try:
            if kept is None:
                kept = processor.connect()
            while not stop.is_set() and processor.process_next(marks, connection=kept):
                handled += 1
                if time.monotonic() >= scan_at:
                    break  # the scan's turn
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
            if kept is not None:
                kept.close()
            return
        if not handled:
            stop.wait(interval)


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:  # already broken: the pool replaces it
        log.debug("closing a failed worker connection failed", exc_info=True)
