"""Database set-up: migrations match the models, SQLite pragmas, URL normalisation."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from ita_core.db import current_revision, make_engine, normalise_url, upgrade
from ita_core.models import Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    first = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == first is not None
    engine.dispose()


def test_sqlite_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_sqlite_commits_survive_a_power_cut(tmp_path: Path) -> None:
    # synchronous=FULL (2) on every connection, the webhook intake's raw one included: in WAL mode
    # NORMAL (1) may lose committed transactions when the OS crashes or the power goes.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
    raw = engine.raw_connection()
    try:
        assert raw.driver_connection.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        raw.close()
    engine.dispose()


def test_postgres_urls_normalised() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_writers_in_many_threads_and_engines(tmp_path: Path) -> None:
    # Two engines on one file stand for two processes' pools; each thread commits 30 times.
    path = tmp_path / "w.db"
    engines = [make_engine(f"sqlite:///{path}") for _ in range(2)]
    with engines[0].begin() as conn:
        conn.execute(text("create table t (n integer)"))
    errors: list[BaseException] = []

    def writer(engine: Engine) -> None:
        try:
            for n in range(30):
                with engine.begin() as conn:
                    conn.execute(text("insert into t values (:n)"), {"n": n})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(engines[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with engines[1].connect() as conn:
        assert conn.execute(text("select count(*) from t")).scalar() == 8 * 30
    assert (tmp_path / "w.db-writelock").exists()
    for engine in engines:
        engine.dispose()


def test_sqlite_write_lock_is_given_back_however_a_transaction_ends(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'x.db'}", connect_args={"timeout": 0.2})
    for end in ("commit", "rollback", "close", "invalidate"):
        conn = engine.connect()
        conn.execute(text("select 1"))  # a transaction: it holds the file's write lock
        if end == "invalidate":
            conn.invalidate()
        else:
            getattr(conn, end)()
        conn.close()
        with other.begin() as conn2:  # would raise "database is locked" if it were still held
            conn2.execute(text("select 1"))
    engine.dispose()
    other.dispose()


def test_urgent_writers_go_first() -> None:
    from ita_core.db import _Gate

    gate = _Gate()
    assert gate.acquire(urgent=False, timeout=1)
    order: list[str] = []

    def wait(name: str, urgent: bool) -> None:
        assert gate.acquire(urgent, timeout=10)
        order.append(name)
        gate.release()

    ordinary = threading.Thread(target=wait, args=("ordinary", False))
    ordinary.start()
    while not gate._ordinary:
        threading.Event().wait(0.005)
    urgent = threading.Thread(target=wait, args=("urgent", True))
    urgent.start()
    while not gate._urgent:
        threading.Event().wait(0.005)
    gate.release()
    ordinary.join()
    urgent.join()
    assert order == ["urgent", "ordinary"]


def test_gate_is_handed_to_waiters_in_turn_and_a_timed_out_waiter_leaves() -> None:
    from ita_core.db import _Gate

    gate = _Gate()
    assert gate.acquire(urgent=False, timeout=1)
    assert not gate.acquire(urgent=True, timeout=0.05)  # held: times out, and leaves the queue
    assert not gate._urgent
    order: list[int] = []

    def wait(n: int) -> None:
        assert gate.acquire(False, timeout=10)
        order.append(n)
        gate.release()

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=wait, args=(n,)))
        threads[-1].start()
        while len(gate._ordinary) < n + 1:  # queued in this order
            threading.Event().wait(0.002)
    gate.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4]
    assert gate.acquire(urgent=False, timeout=0)  # free again: taken at once


def test_answers_are_compressed_with_lz4_where_the_server_has_it(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return  # SQLite stores text as it is: nothing to compress
    with engine.connect() as conn:
        has_lz4 = conn.execute(
            text("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
        ).first()
        methods = {
            f"{table}.{column}": conn.execute(
                text("SELECT attcompression FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attname = :c"),
                {"t": table, "c": column},
            ).scalar_one()
            for table, column in (("outbox", "messages"), ("webhook_events", "payload"))
        }
    expected = "l" if has_lz4 else ""
    assert methods == {"outbox.messages": expected, "webhook_events.payload": expected}


def test_sqlite_checkpoints_run_in_their_own_thread_not_in_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ita_core.db import Checkpointer

    monkeypatch.setattr(Checkpointer, "interval", 0.05)
    path = tmp_path / "c.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        conn.execute(text("create table t (x text)"))
    checkpointer = Checkpointer._running[(os.getpid(), path.resolve())]
    for _ in range(100):  # some 1,500 pages: past SQLite's auto-checkpoint, which would have run in a commit
        with engine.begin() as conn:
            conn.execute(text("insert into t values (:x)"), {"x": os.urandom(30_000).hex()})
    passes = checkpointer.passes
    deadline = time.monotonic() + 10
    while checkpointer.passes < passes + 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    with engine.begin() as conn:  # the WAL was copied in full: this transaction starts it over
        conn.execute(text("insert into t values ('x')"))
    raw = sqlite3.connect(path)
    busy, frames, _copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    raw.close()
    assert busy == 0 and frames < 20, frames  # without the checkpointer: every page written so far
    engine.dispose()


def test_sqlite_checkpointer_stops_with_the_last_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ita_core.db import Checkpointer

    monkeypatch.setattr(Checkpointer, "interval", 0.02)
    engine = make_engine(f"sqlite:///{tmp_path / 'gone.db'}")
    checkpointer = Checkpointer._running[(os.getpid(), (tmp_path / "gone.db").resolve())]
    assert checkpointer.thread.is_alive()
    engine.dispose()
    del engine
    gc.collect()
    checkpointer.thread.join(timeout=5)
    assert not checkpointer.thread.is_alive()
