"""Analysis: strengths and weaknesses, year-on-year comparison, trend."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ita_core.analysis import analyse, compare_years, load_agency_year, previous_year_change, result_years, trend
from ita_core.errors import AgencyNotFound, NoResults
from tests.factories import S001_2567, S001_2568, add_agency, add_result

D = Decimal


@pytest.fixture
def chiangphin(session: Session) -> Session:
    add_agency(session, "SAO-CP")
    add_result(
        session, "SAO-CP", 2568, S001_2568, items={"o6": "50", "o13": "50", "o22": "50", "o23": "0", "o21": "100"}
    )
    add_result(session, "SAO-CP", 2567, S001_2567)
    return session


def test_latest_year_by_default(chiangphin: Session) -> None:
    result = load_agency_year(chiangphin, "sao-cp")
    assert result.year == 2568 and result.overall == D("90.42") and result.level == "ผ่าน"
    assert result.meets_national_target is True
    assert result_years(chiangphin, "SAO-CP") == (2567, 2568)


def test_missing_year_lists_available_years(chiangphin: Session) -> None:
    with pytest.raises(NoResults) as info:
        load_agency_year(chiangphin, "SAO-CP", 2560)
    assert info.value.years == (2567, 2568)
    with pytest.raises(AgencyNotFound):
        load_agency_year(chiangphin, "NOPE")


def test_strengths_weaknesses_default_target(chiangphin: Session) -> None:
    report = analyse(load_agency_year(chiangphin, "SAO-CP"))
    assert report.target == D(85)
    assert [w.number for w in report.weaknesses] == [10, 9]  # worst first
    assert report.weaknesses[0].gap == D("-10.00")
    assert report.strengths[0].score == D(100)
    assert [i.code for i in report.oit_zero] == ["o23"]
    assert [i.code for i in report.oit_half] == ["o6", "o13", "o22"]
    assert report.lowest_items[0].code == "o23"
    assert report.tool_labels["OIT"] is None and report.tool_labels["IIT"] == "ยอดเยี่ยม"


def test_agency_target_and_explicit_target(session: Session) -> None:
    add_agency(session, "SAO-T", target="95")
    add_result(session, "SAO-T", 2568, S001_2568)
    result = load_agency_year(session, "SAO-T")
    assert [w.number for w in analyse(result).weaknesses] == [10, 9, 4]
    assert [w.number for w in analyse(result, D(80)).weaknesses] == [10]


def test_compare_years_labels(chiangphin: Session) -> None:
    comparison = compare_years(chiangphin, "SAO-CP", 2568, 2567)
    assert (comparison.before.year, comparison.after.year) == (2567, 2568)
    assert comparison.overall.delta == D("-4.74") and comparison.overall.direction == "ลดลง"
    by_key = {c.key: c for c in comparison.indicators}
    assert by_key["2"].direction == "เพิ่มขึ้น" and by_key["2"].delta == D("6.67")
    assert by_key["1"].direction == "คงที่"
    assert by_key["10"].delta == D("-25.00")
    assert comparison.declined[0].key == "10"
    assert comparison.improved[0].key == "2"


def test_previous_year_change(chiangphin: Session) -> None:
    latest = load_agency_year(chiangphin, "SAO-CP")
    change = previous_year_change(chiangphin, latest)
    assert change is not None and change.before.year == 2567
    assert previous_year_change(chiangphin, load_agency_year(chiangphin, "SAO-CP", 2567)) is None


def test_trend(chiangphin: Session) -> None:
    add_result(chiangphin, "SAO-CP", 2566, ["90"] * 10)
    t = trend(chiangphin, "SAO-CP", last=5)
    assert [p.year for p in t.points] == [2566, 2567, 2568]
    assert t.best is not None and t.best.year == 2567
    assert [c.direction for c in t.changes] == ["เพิ่มขึ้น", "ลดลง"]
    assert t.direction == "เพิ่มขึ้น"
    assert [p.year for p in trend(chiangphin, "SAO-CP", last=2).points] == [2567, 2568]
