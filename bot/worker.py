"""Handling stored webhook events: exactly once, in a thread pool or in ``ita worker``.

A worker claims an event with an atomic UPDATE (pending, or processing with an expired lease
after a crash), handles it in one transaction that also writes the answer to the outbox and marks
the event done, commits, and then delivers the answer. Events left unhandled by a crash or a
restart are picked up again by the periodic scan.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.outbox import Sender, enqueue
from ita_core.db import affected_rows
from ita_core.models import WebhookEvent

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_EVENT_ATTEMPTS = 5


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
        self.handler = handler
        self.sender = sender
        self.clock = clock

    def claim(self, event_pk: int) -> bool:
        """Take an event for handling; False when another worker has it or it is done."""
        now = self.clock()
        with self.factory() as session:
            claimed = affected_rows(
                session.execute(
                    update(WebhookEvent)
                    .where(
                        WebhookEvent.id == event_pk,
                        or_(
                            WebhookEvent.status == "pending",
                            (WebhookEvent.status == "processing") & (WebhookEvent.claimed_until < now),
                        ),
                    )
                    .values(status="processing", claimed_until=now + LEASE, attempts=WebhookEvent.attempts + 1)
                )
            )
            session.commit()
        return bool(claimed)

    def process(self, event_pk: int) -> bool:
        """Handle one event if it can be claimed; returns whether it was handled here."""
        if not self.claim(event_pk):
            return False
        outbox_ids: list[int] = []
        with self.factory() as session:
            row = session.get(WebhookEvent, event_pk)
            assert row is not None
            event: dict[str, Any] = json.loads(row.payload)
            now = self.clock()
            try:
                messages = self.handler(session, event, now)
                if messages:
                    target = [row.chat_id] if row.chat_id else []
                    kind = "reply" if row.reply_token else "push"
                    for chunk in _chunks(messages, 5):
                        outbox_ids.append(
                            enqueue(
                                session,
                                kind=kind,
                                messages=chunk,
                                now=now,
                                reply_token=row.reply_token if kind == "reply" and not outbox_ids else None,
                                recipients=target,
                                event_id=row.id,
                            ).id
                        )
                        kind = "push"  # a reply token serves one request; the rest is pushed
                row.status = "done"
                row.handled_at = now
                row.claimed_until = None
                session.commit()
            except Exception as exc:
                session.rollback()
                log.exception("event %s (%s) failed", row.event_id, row.type)
                self._record_failure(event_pk, exc)
                return True
        for outbox_id in outbox_ids:
            self.sender.deliver(outbox_id)
        return True

    def _record_failure(self, event_pk: int, exc: Exception) -> None:
        with self.factory() as session:
            row = session.get(WebhookEvent, event_pk)
            if row is None:
                return
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            row.status = "failed" if row.attempts >= MAX_EVENT_ATTEMPTS else "pending"
            row.claimed_until = None
            session.commit()

    def pending_ids(self, limit: int = 100) -> list[int]:
        """Events waiting: pending, or processing whose lease expired (a crash or a restart)."""
        now = self.clock()
        with self.factory() as session:
            return list(
                session.scalars(
                    select(WebhookEvent.id)
                    .where(
                        or_(
                            WebhookEvent.status == "pending",
                            (WebhookEvent.status == "processing") & (WebhookEvent.claimed_until < now),
                        )
                    )
                    .order_by(WebhookEvent.id)
                    .limit(limit)
                )
            )

    def process_pending(self, limit: int = 100) -> int:
        """Handle whatever is waiting; returns how many events were handled."""
        return sum(1 for pk in self.pending_ids(limit) if self.process(pk))


def _chunks(messages: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


class WorkerPool:
    """Threads inside the web process that handle events as they arrive and scan for leftovers."""

    def __init__(self, processor: EventProcessor, threads: int = 4, scan_interval: float = 2.0) -> None:
        self.processor = processor
        self.threads = threads
        self.scan_interval = scan_interval
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._scan_lock = threading.Lock()

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

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                event_id = self._queue.get(timeout=self.scan_interval)
            except queue.Empty:
                self._scan()
                continue
            if event_id is None:
                return
            try:
                self.processor.process(event_id)
            except Exception:  # never let a worker thread die
                log.exception("worker failed on event row %s", event_id)

    def _scan(self) -> None:
        if not self._scan_lock.acquire(blocking=False):
            return
        try:
            self.processor.process_pending()
            self.processor.sender.deliver_due()
        except Exception:
            log.exception("scan for pending events failed")
        finally:
            self._scan_lock.release()
