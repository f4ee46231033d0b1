"""Ranking among peer agencies: national, same province, same district, same agency type.

Ties share a rank (standard competition ranking: 1, 2, 2, 4). The score ranked is the overall
score computed from the indicators, or the reported one where indicators are not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, Subquery, case, func, select, union_all
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


ScoreSource = tuple[ColumnElement[Decimal | None], list[ColumnElement[bool]]]


def _peer_sources(fiscal_year: int, filters: list[ColumnElement[bool]]) -> list[ScoreSource]:
    """Where the peers' ranked scores come from, as (score expression, conditions) pairs.

    Nationally the score is split by origin (the computed overall, else the reported one) so that
    the (fiscal_year, overall) index answers the counts and "best first" by itself: a condition or
    an order on ``coalesce(overall, reported_overall)`` cannot use it and reads every assessment of
    the year (over 8,000). Within a province, district or type, the peers are a set of agency ids:
    their index finds the agencies and the (agency_id, fiscal_year) key each one's assessment,
    whatever the table statistics (SQLite has none unless ANALYZE is run).
    """
    year = Assessment.fiscal_year == fiscal_year
    if filters:
        peers = Assessment.agency_id.in_(select(Agency.id).where(*filters).correlate(None))
        return [(_score_column(), [year, peers, _score_column().is_not(None)])]
    return [
        (Assessment.overall.expression, [year, Assessment.overall.is_not(None)]),
        (
            Assessment.reported_overall.expression,
            [year, Assessment.overall.is_(None), Assessment.reported_overall.is_not(None)],
        ),
    ]


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
    better = total = 0
    best: list[Subquery] = []
    for score, conditions in _peer_sources(fiscal_year, filters):
        count, above = session.execute(
            select(func.count(), func.count(case((score > raw_score, 1)))).select_from(Assessment).where(*conditions)
        ).one()
        total += count
        better += above
        best.append(
            select(Agency.code.label("code"), Agency.name.label("name"), score.label("score"))
            .join(Agency, Agency.id == Assessment.agency_id)
            .where(*conditions)
            .order_by(score.desc(), Agency.code)
            .limit(top)
            .subquery()
        )
    # The best of each source, merged in SQL so that ties are ordered by the database's collation as before.
    merged = (union_all(*(select(part) for part in best)) if len(best) > 1 else select(best[0])).subquery()
    top_rows = session.execute(
        select(merged.c.code, merged.c.name, merged.c.score).order_by(merged.c.score.desc(), merged.c.code).limit(top)
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
