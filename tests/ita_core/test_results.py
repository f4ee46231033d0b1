"""Storing results: validation of whole batches, re-import, changes, dry runs, mismatches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ita_core.errors import ImportRejected
from ita_core.models import Assessment, IndicatorScore, ItemScore
from ita_core.results import RawResult, import_results
from tests.factories import NOW, S001_2567, S001_2568, add_agency, add_result


def raw(row: int, code: str, year: object, indicators: list[object] | None = None, **kw: object) -> RawResult:
    r = RawResult(row=row, agency_code=code, year=year, indicators={n: v for n, v in enumerate(indicators or [], 1)})
    r.columns.update({"agency": "agency_code", "year": "fiscal_year"})
    r.columns.update({f"ind{n}": f"ind{n}" for n in range(1, 11)})
    for key, value in kw.items():
        setattr(r, key, value)
    return r


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_import_computes_and_stores(session: Session) -> None:
    add_agency(session, "SAO-A")
    plan = add_result(session, "SAO-A", 2568, S001_2568, reported={"overall": "90.42"}, level="ผ่าน")
    assert [r.agency_code for r in plan.new] == ["SAO-A"]
    assert plan.mismatches == []
    a = session.scalars(select(Assessment)).one()
    assert (a.iit, a.eit, a.oit, a.overall, a.level) == (
        Decimal("98.24"),
        Decimal("99.83"),
        Decimal("77.50"),
        Decimal("90.42"),
        "ผ่าน",
    )
    assert a.reported_overall == Decimal("90.42")
    assert count(session, IndicatorScore) == 10


def test_reimport_same_changes_nothing(session: Session) -> None:
    add_agency(session, "SAO-A")
    add_result(session, "SAO-A", 2568, S001_2568, items={"o22": "50", "o23": "0"})
    first = session.scalars(select(Assessment)).one().imported_at
    plan = add_result(session, "SAO-A", 2568, S001_2568, items={"o22": "50", "o23": "0"})
    assert not plan.has_changes
    assert len(plan.unchanged) == 1
    assert "nothing to change" in "\n".join(plan.summary_lines())
    assert session.scalars(select(Assessment)).one().imported_at == first


def test_changed_file_reports_what_changed(session: Session) -> None:
    add_agency(session, "SAO-A")
    add_result(session, "SAO-A", 2568, S001_2568, items={"o23": "0"})
    changed = list(S001_2568)
    changed[3] = "92.00"
    plan = add_result(session, "SAO-A", 2568, changed, items={"o23": "100"})
    assert len(plan.changed) == 1
    _, changes = plan.changed[0]
    assert "indicator 4 91.18 → 92.00" in changes
    assert "item o23 0.00 → 100.00" in changes
    assert session.scalar(select(IndicatorScore.score).where(IndicatorScore.indicator == 4)) == Decimal("92.00")
    assert session.scalar(select(ItemScore.score).where(ItemScore.code == "o23")) == Decimal(100)
    assert count(session, Assessment) == 1


def test_dry_run_writes_nothing(session: Session) -> None:
    add_agency(session, "SAO-A")
    plan = import_results(session, [raw(2, "SAO-A", 2568, list(S001_2568))], NOW, dry_run=True)
    assert len(plan.new) == 1
    assert count(session, Assessment) == 0


def test_bad_batch_rejected_whole_with_every_problem(session: Session) -> None:
    add_agency(session, "SAO-A")
    add_agency(session, "SAO-B")
    rows = [
        raw(2, "SAO-A", 2568, list(S001_2568)),  # fine on its own
        raw(3, "SAO-B", 2568, ["100"] * 9 + ["101"]),  # out of range
        raw(4, "SAO-X", 2568, list(S001_2568)),  # unknown agency
        raw(5, "SAO-A", 2568, list(S001_2568)),  # duplicate of row 2
        raw(6, "SAO-B", 2567, list(S001_2567), items={"o99": "100"}),  # unknown item for that year
        raw(7, "SAO-B", "ปี", list(S001_2567)),  # bad year
        raw(8, "SAO-B", 2560, list(S001_2567)),  # year without a framework
    ]
    rows[4].columns["item:o99"] = "o99"
    with pytest.raises(ImportRejected) as info:
        import_results(session, rows, NOW)
    problems = {(p.row, p.column) for p in info.value.problems}
    assert (3, "ind10") in problems
    assert (4, "agency_code") in problems
    assert (5, "agency_code") in problems
    assert (6, "o99") in problems
    assert (7, "fiscal_year") in problems
    assert (8, "fiscal_year") in problems
    messages = " | ".join(str(p) for p in info.value.problems)
    assert "outside 0-100" in messages and "unknown agency 'SAO-X'" in messages and "duplicate" in messages
    assert count(session, Assessment) == 0


def test_partial_indicators_rejected(session: Session) -> None:
    add_agency(session, "SAO-A")
    with pytest.raises(ImportRejected, match="give all ten or none"):
        import_results(session, [raw(2, "SAO-A", 2568, ["100"] * 7)], NOW)


def test_level_must_belong_to_the_year_scale(session: Session) -> None:
    add_agency(session, "SAO-A")
    with pytest.raises(ImportRejected, match="level 'A' is not one of"):
        import_results(session, [raw(2, "SAO-A", 2568, list(S001_2568), reported_level="A")], NOW)


def test_mismatch_between_reported_and_computed_is_flagged(session: Session) -> None:
    add_agency(session, "SAO-A")
    plan = add_result(session, "SAO-A", 2568, S001_2568, reported={"overall": "90.45", "OIT": "77.50"}, level="ผ่านดี")
    assert any("reported overall 90.45 but computed 90.42" in m for m in plan.mismatches)
    assert any("reported level ผ่านดี but computed ผ่าน" in m for m in plan.mismatches)
    assert not any("OIT" in m for m in plan.mismatches)
    a = session.scalars(select(Assessment)).one()
    assert a.overall == Decimal("90.42") and a.reported_overall == Decimal("90.45")


def test_indicators_derived_from_items(session: Session) -> None:
    from ita_core.framework import get_framework

    framework = get_framework(2568)
    items: dict[str, object] = {code: "100" for code in framework.questions}
    items.update({"o22": "50", "o23": "0"})
    add_agency(session, "SAO-A")
    add_result(session, "SAO-A", 2568, None, items=items)
    a = session.scalars(select(Assessment)).one()
    assert a.overall is not None
    assert session.scalar(select(ItemScore.score).where(ItemScore.code == "o23")) == Decimal(0)


def test_reported_only_result_is_kept(session: Session) -> None:
    add_agency(session, "PAO-A", type_="อบจ.")
    add_result(session, "PAO-A", 2563, None, reported={"overall": "94.72", "OIT": "95.5"}, level="A")
    a = session.scalars(select(Assessment)).one()
    assert a.overall is None and a.reported_overall == Decimal("94.72") and a.reported_oit == Decimal("95.50")
