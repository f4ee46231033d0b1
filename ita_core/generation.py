"""Database counters that move whenever a group of tables changes, so answers built from them can be cached.

Two counters, rows of ``data_generation``: ``results`` (agencies and their results) and
``measures`` (measures, their checkpoints and progress notes). Every session in the process is
watched (SQLAlchemy session events, installed when this module is imported, which
``ita_core.db`` does): a flush that adds, changes or deletes a row of a watched table, or an
ORM-enabled INSERT/UPDATE/DELETE on one run through ``Session.execute`` (the bulk imports do
that), marks the session; when it commits, the same transaction adds one to that group's
counter. So a reader that finds a counter unchanged knows no import, correction or deletion of
that group has been committed since, in this process or any other, whichever code path made it.
Writing those tables without a Session (a bare Connection) is not seen: don't.

Changes are over-counted, never missed: a marked savepoint that is rolled back still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from ita_core.fastsql import Prepared
from ita_core.models import (
    Agency,
    Assessment,
    Checkpoint,
    DataGeneration,
    IndicatorScore,
    ItemScore,
    Measure,
    ProgressNote,
    SubIndicatorScore,
)

RESULTS = "results"
MEASURES = "measures"
RESULT_MODELS: tuple[type, ...] = (Agency, Assessment, IndicatorScore, SubIndicatorScore, ItemScore)
MEASURE_MODELS: tuple[type, ...] = (Measure, Checkpoint, ProgressNote)
WATCHED: Mapping[str, tuple[type, ...]] = {RESULTS: RESULT_MODELS, MEASURES: MEASURE_MODELS}
_COUNTER_OF_TABLE = {model.__tablename__: name for name, models in WATCHED.items() for model in models}  # type: ignore[attr-defined]
_FLAG = "ita_generations_changed"  # session.info: the set of counters this transaction moves
_FAST_READ = Prepared(select(DataGeneration.value).where(DataGeneration.name == bindparam("name")))
_BUMP = update(DataGeneration).where(DataGeneration.name == bindparam("counter")).values(value=DataGeneration.value + 1)


def current(session: Session, name: str = RESULTS) -> int:
    """A counter as this session's transaction sees it (one plain query)."""
    rows = _FAST_READ.execute(session.connection(), {"name": name})
    value = rows[0][0] if rows else None
    if value is None:
        raise missing(name)
    return int(value)


def missing(name: str) -> LookupError:
    """The error when a counter's row is not there: the database's schema is behind the code."""
    return LookupError(f"data_generation has no {name!r} row: run `ita db upgrade`")


def changed(session: Session, name: str = RESULTS) -> bool:
    """Whether this session has written rows of that counter's tables, not yet committed."""
    return name in session.info.get(_FLAG, ())


def _mark(session: Session, name: str) -> None:
    session.info.setdefault(_FLAG, set()).add(name)


def _counter_of(obj: object) -> str | None:
    return _COUNTER_OF_TABLE.get(getattr(obj, "__tablename__", ""))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if len(session.info.get(_FLAG, ())) == len(WATCHED):
        return  # every counter moves already
    for objects in (session.new, session.dirty, session.deleted):
        for obj in objects:
            name = _counter_of(obj)
            if name is not None:
                _mark(session, name)


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = _COUNTER_OF_TABLE.get(getattr(table, "name", ""))
    if name is not None:
        _mark(state.session, name)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # a pending change may mark the session now
    for name in sorted(session.info.pop(_FLAG, ())):  # always in the same order: no deadlock between two
        session.connection().execute(_BUMP, {"counter": name})


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_transaction():  # the whole transaction; after a savepoint the outer one may still commit
        session.info.pop(_FLAG, None)
