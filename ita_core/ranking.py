"""Ranking among peer agencies: national, same province, same district, same agency type.

Ties share a rank (standard competition ranking: 1, 2, 2, 4). The score ranked is the overall
score computed from the indicators, or the reported one where indicators are not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ita_core.agencies import get_agency
from ita_core.errors import NoResults
from ita_core.models import Agency, Assessment

Scope = Literal["national", "province", "district", "type"]
SCOPES: tuple[Scope, ...] = ("national", "province", "district", "type")


@dataclass(frozen=True)
class RankEntry:
    """One agency in a ranking table."""

    rank: int
    code: str
    name: str
    score: Decimal


@dataclass(frozen=True)
class Rank:
    """An agency's rank among its peers in one year."""

    agency_code: str
    year: int
    scope: Scope
    scope_value: str | None  # the province, district or type; None for national
    rank: int
    total: int
    score: Decimal
    top: list[RankEntry]


def _score_column() -> ColumnElement[Decimal | None]:
    return func.coalesce(Assessment.overall, Assessment.reported_overall)


def _peer_filter(agency: Agency, scope: Scope) -> tuple[list[ColumnElement[bool]], str | None]:
    if scope == "province":
        return [Agency.province == agency.province], agency.province
    if scope == "district":
        if agency.district is None:
            return [Agency.province == agency.province, Agency.district.is_(None)], None
        return [Agency.province == agency.province, Agency.district == agency.district], agency.district
    if scope == "type":
        return [Agency.type == agency.type], agency.type
    return [], None


def rank_agency(
    session: Session, agency_code: str, year: int | None = None, scope: Scope = "national", top: int = 5
) -> Rank:
    """Rank of the agency in ``year`` (latest with results when None) among peers in ``scope``."""
    agency = get_agency(session, agency_code)
    query = select(Assessment.fiscal_year, _score_column()).where(Assessment.agency_id == agency.id)
    if year is None:
        row = session.execute(
            query.where(_score_column().is_not(None)).order_by(Assessment.fiscal_year.desc()).limit(1)
        ).first()
    else:
        row = session.execute(query.where(Assessment.fiscal_year == year)).first()
    if row is None or row[1] is None:
        years = tuple(session.scalars(select(Assessment.fiscal_year).where(Assessment.agency_id == agency.id)))
        raise NoResults(agency.code, year, tuple(sorted(years)))
    fiscal_year, raw_score = row
    assert raw_score is not None
    filters, scope_value = _peer_filter(agency, scope)
    base = (
        select(func.count())
        .select_from(Assessment)
        .join(Agency, Agency.id == Assessment.agency_id)
        .where(Assessment.fiscal_year == fiscal_year, _score_column().is_not(None), *filters)
    )
    better = session.scalar(base.where(_score_column() > raw_score)) or 0
    total = session.scalar(base) or 0
    top_rows = session.execute(
        select(Agency.code, Agency.name, _score_column().label("score"))
        .join(Agency, Agency.id == Assessment.agency_id)
        .where(Assessment.fiscal_year == fiscal_year, _score_column().is_not(None), *filters)
        .order_by(_score_column().desc(), Agency.code)
        .limit(top)
    ).all()
    entries = _competition_ranks([(c, n, sc) for c, n, sc in top_rows if sc is not None])
    return Rank(
        agency_code=agency.code,
        year=fiscal_year,
        scope=scope,
        scope_value=scope_value,
        rank=better + 1,
        total=total,
        score=raw_score,
        top=entries,
    )


def _competition_ranks(rows: list[tuple[str, str, Decimal]]) -> list[RankEntry]:
    """Ranks for a best-first list: equal scores share the rank of the first of them."""
    entries: list[RankEntry] = []
    for index, (code, name, score) in enumerate(rows):
        rank = entries[-1].rank if entries and score == entries[-1].score else index + 1
        entries.append(RankEntry(rank=rank, code=code, name=name, score=score))
    return entries
