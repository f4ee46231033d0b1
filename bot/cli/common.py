"""Shared plumbing of the ``ita`` commands: settings, database sessions, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings
from ita_core.db import make_engine, make_session_factory, unit_of_work
from ita_core.errors import ImportRejected, ItaError


class CliState:
    """Per-invocation state: settings and the engine, made on first use."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def state() -> CliState:
    """The state of the running ``ita`` invocation."""
    ctx = click.get_current_context()
    found = ctx.find_object(CliState)
    if found is None:
        found = ctx.ensure_object(CliState)
        ctx.call_on_close(found.close)
    return found


def settings() -> Settings:
    """Settings for this invocation, read once."""
    return state().settings


def engine() -> Engine:
    """The engine for DATABASE_URL, made once per invocation."""
    return state().engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One session for the command, committed once at the end (rolled back on error)."""
    with unit_of_work(make_session_factory(engine())) as session:
        yield session


def utcnow() -> datetime:
    """The current instant (aware, UTC)."""
    return datetime.now(UTC)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    click.echo(json.dumps(document, ensure_ascii=False, default=_default))


def fail_on_domain_errors(as_json: bool) -> Any:
    """Context manager turning domain errors into a clean message (and JSON when asked) plus exit 1."""
    return _DomainErrors(as_json)


class _DomainErrors:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> Literal[False]:
        if exc is None or not isinstance(exc, ItaError):
            return False
        if self.as_json:
            payload: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc).split("\n")[0]}
            if isinstance(exc, ImportRejected):
                payload["problems"] = [p.as_dict() for p in exc.problems]
            emit_json(payload)
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(1)
