"""Engines, sessions and migrations.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so the web process and a
worker can share the file); PostgreSQL is the production engine. The schema is owned by Alembic
(``ita_core/migrations``); ``upgrade`` is idempotent.

SQLite takes one writer at a time, and every transaction here is a writer (BEGIN IMMEDIATE). A
writer that finds the file locked does not wait on the lock: SQLite's busy handler sleeps and
retries, 1, 2, 5, 10 ... up to 100 ms at a time, so under contention (webhook requests and worker
threads in two gunicorn processes) a waiter keeps missing the moment the lock is free and waits
hundreds of milliseconds. So transactions on a SQLite file first take a lock of our own that a
waiter blocks on and is woken from as soon as it is released: a thread lock within the process,
then ``flock`` on ``<database>-writelock`` between processes. SQLite's own locking is unchanged
underneath (and still guards against any other program).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ita_core import generation  # noqa: F401  (installs the listeners that count changes to results and measures)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept Heroku-style ``postgres://`` URLs and select the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; for SQLite, create the folder and switch on WAL and foreign keys."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        lock: _WriteLock | None = None
        file: Path | None = None
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            file = Path(database).resolve()
            lock = _WriteLock(file.with_name(file.name + "-writelock"))
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("factory", _SQLiteConnection)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", functools.partial(_sqlite_on_connect, lock))
        if file is not None:
            Checkpointer.serve(file, engine)
        # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(lock: _WriteLock | None, dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, _SQLiteConnection):
        dbapi_connection.write_lock = lock
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: each commit syncs the WAL, so a committed transaction survives a power cut or an OS
        # crash, as on PostgreSQL. NORMAL (WAL mode's usual choice) survives only the application
        # crashing: a webhook event acknowledged to LINE (which then never redelivers it) could be
        # lost, or a handled event come back and be answered twice. The webhook's group commit
        # shares one sync among a batch; the full path on SQLite answers some 3-4 % fewer events
        # a second at its limit (docs/benchmarks.md).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        if lock is not None:
            # Commits do not copy the WAL into the database file (SQLite's auto-checkpoint runs in
            # whichever commit crosses 1,000 pages, holding the write lock through the copy and the
            # file's sync: 15-150 ms on a database of some hundred MB). ``Checkpointer`` does it.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    begin_sqlite_transaction(connection.connection.driver_connection)


def begin_sqlite_transaction(dbapi_connection: Any, *, urgent: bool = False) -> None:
    """Begin a transaction on a SQLite connection, as every transaction here begins.

    IMMEDIATE takes the write lock up front, so concurrent writers wait instead of failing with
    "database is locked" when a read transaction later tries to write; the wait is on our own lock
    first (see the module's docstring), where ``urgent`` goes before the process's other waiting
    threads. For a connection used through the driver, not SQLAlchemy.
    """
    if isinstance(dbapi_connection, _SQLiteConnection):
        dbapi_connection.begin_immediate(urgent)
    else:  # a connection factory of the caller's own
        dbapi_connection.execute("BEGIN IMMEDIATE")


WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes a WAL file is cut back to when it starts over


class Checkpointer:
    """Copies a SQLite file's WAL into the database in a thread of its own, never in a commit.

    One per database file and process, started by ``make_engine`` for a file database (whose
    connections have ``wal_autocheckpoint=0``), running while any engine on the file is alive.
    Every ``interval`` seconds it runs a PASSIVE checkpoint on a connection of its own: it takes
    none of the locks writers wait for, copies what no reader still needs, and syncs the file;
    once the WAL is copied in full, the next transaction starts it over from the beginning (and
    cuts the file back to ``WAL_SIZE_LIMIT``). When the last connection to the file closes,
    SQLite checkpoints by itself.
    """

    _running: ClassVar[dict[tuple[int, Path], Checkpointer]] = {}
    _guard = threading.Lock()
    interval = 0.1

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()
        self.thread = threading.Thread(target=self._run, name=f"sqlite-checkpoint-{path.name}", daemon=True)
        self.passes = 0  # checkpoints run (tests)

    @classmethod
    def serve(cls, path: Path, engine: Engine) -> Checkpointer:
        """The checkpointer of ``path`` in this process, started if needed, now also serving ``engine``."""
        key = (os.getpid(), path)
        with cls._guard:
            found = cls._running.get(key)
            new = found is None or not found.thread.is_alive()
            if new:
                found = cls._running[key] = cls(path)
            assert found is not None
            found.engines.add(engine)  # before the thread starts: it ends when it finds none
            if new:
                found.thread.start()
        return found

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                time.sleep(self.interval)
                with self._guard:
                    if not self.engines:  # every engine on the file is gone
                        if self._running.get((os.getpid(), self.path)) is self:
                            del self._running[(os.getpid(), self.path)]
                        return
                if connection is None and not self.path.exists():
                    continue  # not made yet (or deleted): not this thread's to create
                try:
                    if connection is None:
                        connection = sqlite3.connect(self.path, timeout=1, isolation_level=None,
                                                     check_same_thread=False)
                        connection.execute("PRAGMA synchronous=FULL")
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.passes += 1
                except sqlite3.Error:  # the file gone (a test's), or locked a moment: next time
                    if connection is not None:
                        connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()


class _Gate:
    """A lock handed from one holder straight to the next, urgent acquirers before ordinary ones.

    ``release`` wakes only the waiter it hands the gate to: with a condition's ``notify_all`` every
    waiting thread woke, and each queued for the GIL to find the gate taken and sleep again (a dozen
    threads, on a busy process, for every transaction on the file). Waiters are served first come,
    first served within their queue.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locked = False
        self._urgent: deque[threading.Lock] = deque()
        self._ordinary: deque[threading.Lock] = deque()

    def acquire(self, urgent: bool, timeout: float) -> bool:
        with self._mutex:
            if not self._locked:
                self._locked = True
                return True
            waiter = threading.Lock()
            waiter.acquire()
            queue = self._urgent if urgent else self._ordinary
            queue.append(waiter)
        if waiter.acquire(timeout=timeout):
            return True  # handed over: the gate is this thread's now
        with self._mutex:
            if waiter in queue:
                queue.remove(waiter)
                return False
        return True  # handed over between the timeout and taking the mutex

    def release(self) -> None:
        with self._mutex:
            queue = self._urgent or self._ordinary
            if queue:
                queue.popleft().release()  # the gate stays locked: it is the waiter's now
            else:
                self._locked = False


class _WriteLock:
    """Who may write to one SQLite file: a gate within the process, ``flock`` between processes.

    Built per engine; the state behind it is one per file and process (re-made after a fork, when
    the parent's gate may have been copied while held). Urgent writers (the webhook storing events
    while LINE waits for its 200) go before the other threads of their process that are waiting.
    """

    _states: ClassVar[dict[tuple[int, Path], tuple[_Gate, list[int]]]] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout  # as SQLite's busy timeout: then "database is locked"

    def _state(self) -> tuple[_Gate, list[int]]:
        key = (os.getpid(), self.path)
        state = self._states.get(key)
        if state is None:
            with self._guard:
                state = self._states.setdefault(key, (_Gate(), []))
        return state

    def acquire(self, urgent: bool = False) -> None:
        """Block until this thread may write (raises "database is locked" after ``timeout``)."""
        gate, fd = self._state()
        if not gate.acquire(urgent, self.timeout):
            raise sqlite3.OperationalError("database is locked")
        if fcntl is None:  # no flock (Windows): SQLite's busy handler arbitrates between processes
            return
        try:
            if not fd:
                fd.append(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644))
            fcntl.flock(fd[0], fcntl.LOCK_EX)
        except BaseException:
            gate.release()
            raise

    def release(self) -> None:
        """Let the next writer in."""
        gate, fd = self._state()
        try:
            if fcntl is not None and fd:
                fcntl.flock(fd[0], fcntl.LOCK_UN)
        finally:
            gate.release()


class _SQLiteConnection(sqlite3.Connection):
    """A pysqlite connection that takes the file's write lock to begin and gives it back at the end.

    The transaction ends in ``commit``, ``rollback`` (also SQLAlchemy's reset when a connection goes
    back to the pool) or ``close``; whichever comes first releases the lock, once.
    """

    write_lock: _WriteLock | None = None
    _held: _WriteLock | None = None

    def begin_immediate(self, urgent: bool = False) -> None:
        lock = self.write_lock
        if lock is not None:
            lock.acquire(urgent)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        self._held = lock

    def _release(self) -> None:
        lock, self._held = self._held, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def __del__(self) -> None:
        self._release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory used for every unit of work (one webhook event, one job run, one command)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session for one unit of work, committed here and only here (rolled back on error)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def affected_rows(result: Any) -> int:
    """Rows changed by an UPDATE/DELETE (``Result`` is typed without ``rowcount``)."""
    return int(getattr(result, "rowcount", 0) or 0)


def alembic_config(engine: Engine) -> Any:
    """An Alembic ``Config`` pointing at the packaged migrations and at ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
