"""The results counter moves with every committed change to agencies or results, and only then."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select

from ita_core import generation
from ita_core.db import make_session_factory, unit_of_work
from ita_core.demo import load_demo
from ita_core.models import Agency, ItemScore, LineUser

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(fresh_engine: Engine) -> Engine:
    return fresh_engine


def value(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        return generation.current(session)


def test_starts_at_zero_and_moves_once_per_commit_that_changes_results(db: Engine) -> None:
    factory = make_session_factory(db)
    assert value(db) == 0
    with unit_of_work(factory) as session:
        load_demo(session, NOW)  # agencies (ORM flush) and results (bulk INSERTs) in one transaction
        assert generation.changed(session)
    assert value(db) == 1
    with unit_of_work(factory) as session:
        agency = session.scalars(select(Agency).limit(1)).one()
        agency.target = Decimal("90")  # a flushed change to an agency
    assert value(db) == 2
    with unit_of_work(factory) as session:
        session.execute(delete(ItemScore).where(ItemScore.code == "o1"))  # a bulk statement
    assert value(db) == 3


def test_other_tables_and_rollbacks_leave_it_alone(db: Engine) -> None:
    factory = make_session_factory(db)
    with unit_of_work(factory) as session:
        session.add(LineUser(line_user_id="U" + "0" * 32, role="official", active=True, followed_at=NOW))
    assert value(db) == 0
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        load_demo(session, NOW)
        raise RuntimeError("abandoned")
    assert value(db) == 0
    with unit_of_work(factory) as session:  # the flag of the abandoned transaction is gone
        assert not generation.changed(session)
        session.get(LineUser, 1)
    assert value(db) == 0
