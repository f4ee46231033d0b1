"""PostgreSQL: the webhook tells idle ``ita worker`` processes that events are waiting (LISTEN/NOTIFY).

An idle ``ita worker`` looks for new events every ``--interval`` seconds (0.2 by default), so at low
load that look, not the work, was most of the time between a message and its answer. On PostgreSQL
the web processes that store events but do not handle them (``ITA_WORKER_THREADS=0``) send a
notification on ``CHANNEL`` after a batch of new events is committed, and an idle worker waits for
it (``Listener.wait``) instead of sleeping: it looks at once. The interval stays as the fallback
(a notification sent while no worker was listening, a lost connection).

Under load the notifications are rate-limited (``Notifier.gap``): workers with a backlog do not wait,
and one notification per gap is enough to wake any that are idle. A notification is only a hint:
workers claim events from the table as before, so a spare or missed one changes nothing but timing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from ita_core.fastsql import drop_cursor, kept_cursor

log = logging.getLogger(__name__)

CHANNEL = "ita_events"


class Notifier:
    """Sends ``NOTIFY ita_events`` on a connection the caller holds, at most once per ``gap`` seconds."""

    def __init__(self, gap: float = 0.02, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = gap
        self.clock = clock
        self._last = float("-inf")

    def notify(self, dbapi_connection: Any) -> bool:
        """Notify unless one was sent less than ``gap`` ago; True when sent. Never raises: the events
        are stored already, and the workers' interval is the fallback."""
        now = self.clock()
        if now - self._last < self.gap:
            return False
        self._last = now
        try:
            kept_cursor(dbapi_connection).execute("SELECT pg_notify(%s, '')", (CHANNEL,))
        except Exception:
            drop_cursor(dbapi_connection)
            log.warning("could not notify the workers; they will look after their interval", exc_info=True)
            return False
        return True


class Listener:
    """An idle ``ita worker``'s wait: until a notification on ``CHANNEL`` or ``timeout``, whichever first.

    Holds one connection of its own (LISTEN needs a session outside any transaction). If it cannot
    listen (the connection is lost, the server restarts), it sleeps out the timeout and tries to
    listen again at the next wait.
    """

    SLICE = 0.25  # seconds between looks at ``stop`` while waiting

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self.engine = engine
        self._raw: Any = None

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Wait up to ``timeout`` seconds, or until ``stop`` is set (seen within ``SLICE`` seconds); True
        when woken by a notification (all those already received are taken)."""
        deadline = time.monotonic() + timeout
        try:
            connection = self._connection()
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if any(True for _ in connection.notifies(timeout=min(left, self.SLICE), stop_after=1)):
                    for _ in connection.notifies(timeout=0):  # one look serves them all
                        pass
                    return True
        except Exception:
            log.warning("listening for new events failed; looking again after the interval", exc_info=True)
            self._discard()
            stop.wait(max(0.0, deadline - time.monotonic()))
        return False

    def _connection(self) -> Any:
        if self._raw is None:
            raw: Any = self.engine.raw_connection()
            try:
                driver = raw.driver_connection
                driver.autocommit = True
                driver.execute(f"LISTEN {CHANNEL}")
            except BaseException:
                raw.invalidate()
                raise
            self._raw = raw
        return self._raw.driver_connection

    def _discard(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()  # never back to the pool: it is listening
            except Exception:
                log.debug("closing a broken listening connection failed", exc_info=True)

    def close(self) -> None:
        """Stop listening and let the connection go."""
        self._discard()
