"""Shared fixtures: databases on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL.

Every database test runs once per backend. PostgreSQL is never skipped silently: when
TEST_DATABASE_URL is set (CI sets it) and the server cannot be reached, the run fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ita_core.db import make_engine, normalise_url, upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("ITA_REQUIRE_POSTGRES") and not PG_URL:
        raise pytest.UsageError("ITA_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
    if PG_URL:
        engine = make_engine(PG_URL)
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except Exception as exc:
            raise pytest.UsageError(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {exc}") from exc
        finally:
            engine.dispose()


def _fresh_pg_schema_url(base: str) -> tuple[str, str]:
    """A URL whose connections use a new, empty schema (fast isolation on one PostgreSQL database)."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop_pg_schema(base: str, schema: str) -> None:
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database shared by the session; tests run inside rolled-back transactions."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        eng = make_engine(f"sqlite:///{path}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    assert PG_URL
    url, schema = _fresh_pg_schema_url(PG_URL)
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    _drop_pg_schema(PG_URL, schema)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database (for commands and apps that commit for real)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ita.db'}"
        return
    assert PG_URL
    url, schema = _fresh_pg_schema_url(PG_URL)
    yield url
    _drop_pg_schema(PG_URL, schema)


@pytest.fixture
def fresh_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh, migrated database that commits for real (disposed after the test)."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()
