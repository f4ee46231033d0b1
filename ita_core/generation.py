"""A database counter that moves whenever agencies or results change, so answers can be cached safely.

Every session in the process is watched (SQLAlchemy session events, installed when this module
is imported, which ``ita_core.db`` does): a flush that adds, changes or deletes a row of a
results table, or an ORM-enabled INSERT/UPDATE/DELETE on one run through ``Session.execute`` (the
bulk import does that), marks the session; when it commits, the same transaction adds one to
``data_generation.results``. So a reader that finds the counter unchanged knows no import,
correction or deletion has been committed since, in this process or any other, whichever code
path made it. Writing those tables without a Session (a bare Connection) is not seen: don't.

Changes are over-counted, never missed: a marked savepoint that is rolled back still counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from ita_core.fastsql import Prepared
from ita_core.models import Agency, Assessment, DataGeneration, IndicatorScore, ItemScore, SubIndicatorScore

RESULTS = "results"
RESULT_MODELS: tuple[type, ...] = (Agency, Assessment, IndicatorScore, SubIndicatorScore, ItemScore)
RESULT_TABLES = frozenset(model.__tablename__ for model in RESULT_MODELS)  # type: ignore[attr-defined]
_FLAG = "ita_results_changed"
_FAST_READ = Prepared(select(DataGeneration.value).where(DataGeneration.name == RESULTS))
_BUMP = update(DataGeneration).where(DataGeneration.name == RESULTS).values(value=DataGeneration.value + 1)


def current(session: Session) -> int:
    """The results counter as this session's transaction sees it (one plain query)."""
    rows = _FAST_READ.execute(session.connection(), {})
    value = rows[0][0] if rows else None
    if value is None:
        raise LookupError("data_generation has no 'results' row: run `ita db upgrade`")
    return int(value)


def changed(session: Session) -> bool:
    """Whether this session has written results not yet committed."""
    return bool(session.info.get(_FLAG))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if changed(session):
        return
    for objects in (session.new, session.dirty, session.deleted):
        if any(isinstance(obj, RESULT_MODELS) for obj in objects):
            session.info[_FLAG] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if changed(state.session) or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in RESULT_TABLES:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # a pending change may mark the session now
    if session.info.pop(_FLAG, False):
        session.connection().execute(_BUMP)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_transaction():  # the whole transaction; after a savepoint the outer one may still commit
        session.info.pop(_FLAG, None)
