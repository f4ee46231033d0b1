"""Ranking among peers; ties share a rank."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ita_core.errors import NoResults
from ita_core.ranking import rank_agency
from tests.factories import add_agency, add_result


@pytest.fixture
def peers(session: Session) -> Session:
    spec = [
        ("A1", "อุตรดิตถ์", "อบต.", "90"),
        ("A2", "อุตรดิตถ์", "อบต.", "95"),
        ("A3", "อุตรดิตถ์", "เทศบาลตำบล", "95"),
        ("A4", "ขอนแก่น", "อบต.", "99"),
        ("A5", "ขอนแก่น", "เทศบาลตำบล", "80"),
    ]
    for code, province, type_, score in spec:
        add_agency(session, code, province=province, type_=type_, district=None)
        add_result(session, code, 2568, [score] * 10)
    add_agency(session, "A6", province="ขอนแก่น")
    add_result(session, "A6", 2567, ["70"] * 10)
    return session


def test_national_rank_with_ties(peers: Session) -> None:
    r = rank_agency(peers, "A2", 2568, "national")
    assert (r.rank, r.total) == (2, 5)
    assert rank_agency(peers, "A3", 2568).rank == 2
    assert rank_agency(peers, "A1", 2568).rank == 4
    assert [(e.code, e.rank) for e in r.top] == [("A4", 1), ("A2", 2), ("A3", 2), ("A1", 4), ("A5", 5)]


def test_province_and_type_scopes(peers: Session) -> None:
    r = rank_agency(peers, "A1", 2568, "province")
    assert (r.rank, r.total, r.scope_value) == (3, 3, "อุตรดิตถ์")
    r = rank_agency(peers, "A1", 2568, "type")
    assert (r.rank, r.total, r.scope_value) == (3, 3, "อบต.")


def test_latest_year_and_missing_year(peers: Session) -> None:
    assert rank_agency(peers, "A6").year == 2567
    with pytest.raises(NoResults):
        rank_agency(peers, "A6", 2568)


def test_reported_only_results_and_district_scope(session: Session) -> None:
    add_agency(session, "D1", province="น่าน", district="เมืองน่าน")
    add_agency(session, "D2", province="น่าน", district="เมืองน่าน")
    add_agency(session, "D3", province="น่าน", district="ปัว")
    add_result(session, "D1", 2563, ["90"] * 10)
    add_result(session, "D2", 2563, None, reported={"overall": "94.72"}, level="A")  # reported only
    add_result(session, "D3", 2563, ["99"] * 10)
    r = rank_agency(session, "D1", 2563, "district")
    assert (r.rank, r.total, r.scope_value) == (2, 2, "เมืองน่าน")
    assert [(e.code, e.rank) for e in r.top] == [("D2", 1), ("D1", 2)]
    national = rank_agency(session, "D2", 2563, "national")
    assert (national.rank, national.total) == (2, 3)
