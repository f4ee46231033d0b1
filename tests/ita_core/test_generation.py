"""The results counter moves with every committed change to agencies or results, and only then."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select, update

from ita_core import generation
from ita_core.db import make_session_factory, unit_of_work
from ita_core.demo import load_demo
from ita_core.models import Agency, Checkpoint, ItemScore, LineUser, Measure, ProgressNote

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


def test_measures_have_their_own_counter(db: Engine) -> None:
    factory = make_session_factory(db)

    def counters() -> tuple[int, int]:
        with factory() as session:
            return generation.current(session), generation.current(session, generation.MEASURES)

    assert counters() == (0, 0)
    with unit_of_work(factory) as session:
        load_demo(session, NOW)  # agencies, results and measures (bulk INSERTs) in one transaction
        assert generation.changed(session, generation.MEASURES) and generation.changed(session)
    assert counters() == (1, 1)
    with unit_of_work(factory) as session:
        checkpoint = session.scalars(select(Checkpoint).order_by(Checkpoint.id).limit(1)).one()
        checkpoint.status = "done"  # a flushed change to a checkpoint: measures only
    assert counters() == (1, 2)
    with unit_of_work(factory) as session:
        session.add(ProgressNote(measure_id=checkpoint.measure_id, text="ดำเนินการแล้ว", created_at=NOW))
    assert counters() == (1, 3)
    with unit_of_work(factory) as session:
        session.execute(update(Measure).where(Measure.id == checkpoint.measure_id).values(title="ใหม่"))  # bulk
    assert counters() == (1, 4)
    with unit_of_work(factory) as session:
        agency = session.scalars(select(Agency).limit(1)).one()
        agency.target = Decimal("95")  # results only
    assert counters() == (2, 4)
