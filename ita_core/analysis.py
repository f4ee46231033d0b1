"""Analysis of an agency's results: summary, strengths and weaknesses, year-on-year, trend."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ita_core.agencies import get_agency
from ita_core.errors import NoResults
from ita_core.framework import TOOLS, get_framework
from ita_core.models import Agency, Assessment
from ita_core.scoring import NATIONAL_TARGET, tool_label

UP = "เพิ่มขึ้น"
DOWN = "ลดลง"
SAME = "คงที่"


@dataclass(frozen=True)
class AgencyYear:
    """Everything stored about one agency-year, with the computed values filled in."""

    agency_code: str
    agency_name: str
    agency_type: str
    province: str
    district: str | None
    agency_target: Decimal | None
    year: int
    indicators: dict[int, Decimal]
    tools: dict[str, Decimal]  # computed; the reported value where nothing could be computed
    overall: Decimal | None
    level: str | None
    eit_parts: dict[str, Decimal]
    sub_indicators: dict[str, Decimal]
    items: dict[str, Decimal]
    source: str

    @property
    def target(self) -> Decimal:
        """The agency's own analysis target, or the national 85."""
        return self.agency_target if self.agency_target is not None else NATIONAL_TARGET

    @property
    def meets_national_target(self) -> bool | None:
        """Whether the overall score reaches 85 (None when there is no overall score)."""
        return None if self.overall is None else self.overall >= NATIONAL_TARGET


def result_years(session: Session, agency_code: str) -> tuple[int, ...]:
    """The fiscal years for which the agency has results, oldest first."""
    agency = get_agency(session, agency_code)
    return tuple(
        session.scalars(
            select(Assessment.fiscal_year).where(Assessment.agency_id == agency.id).order_by(Assessment.fiscal_year)
        )
    )


def load_agency_year(session: Session, agency_code: str, year: int | None = None) -> AgencyYear:
    """One agency-year (the latest when ``year`` is None); NoResults lists the years that exist."""
    agency = get_agency(session, agency_code)
    query = (
        select(Assessment)
        .where(Assessment.agency_id == agency.id)
        .options(
            selectinload(Assessment.indicator_scores),
            selectinload(Assessment.item_scores),
            selectinload(Assessment.sub_indicator_scores),
        )
    )
    if year is None:
        assessment = session.scalar(query.order_by(Assessment.fiscal_year.desc()).limit(1))
    else:
        assessment = session.scalar(query.where(Assessment.fiscal_year == year))
    if assessment is None:
        raise NoResults(agency.code, year, result_years(session, agency.code))
    return _to_agency_year(agency, assessment)


def load_agency_years(session: Session, agency_code: str) -> list[AgencyYear]:
    """All years of an agency, oldest first."""
    agency = get_agency(session, agency_code)
    assessments = session.scalars(
        select(Assessment)
        .where(Assessment.agency_id == agency.id)
        .order_by(Assessment.fiscal_year)
        .options(
            selectinload(Assessment.indicator_scores),
            selectinload(Assessment.item_scores),
            selectinload(Assessment.sub_indicator_scores),
        )
    ).all()
    return [_to_agency_year(agency, a) for a in assessments]


def _to_agency_year(agency: Agency, a: Assessment) -> AgencyYear:
    tools: dict[str, Decimal] = {}
    for tool, computed, reported in (
        ("IIT", a.iit, a.reported_iit),
        ("EIT", a.eit, a.reported_eit),
        ("OIT", a.oit, a.reported_oit),
    ):
        value = computed if computed is not None else reported
        if value is not None:
            tools[tool] = value
    return AgencyYear(
        agency_code=agency.code,
        agency_name=agency.name,
        agency_type=agency.type,
        province=agency.province,
        district=agency.district,
        agency_target=agency.target,
        year=a.fiscal_year,
        indicators={s.indicator: s.score for s in a.indicator_scores},
        tools=tools,
        overall=a.overall if a.overall is not None else a.reported_overall,
        level=a.level if a.level is not None else a.reported_level,
        eit_parts={k: v for k, v in (("EIT1", a.eit1), ("EIT2", a.eit2)) if v is not None},
        sub_indicators={s.code: s.score for s in a.sub_indicator_scores},
        items={s.code: s.score for s in a.item_scores},
        source=a.source,
    )


@dataclass(frozen=True)
class IndicatorStanding:
    """One indicator against a target."""

    number: int
    name: str
    tool: str
    score: Decimal
    gap: Decimal  # score minus target (negative below target)


@dataclass(frozen=True)
class ItemStanding:
    """One item's score, with its title where the framework knows it."""

    code: str
    title: str | None
    indicator: int
    score: Decimal


@dataclass(frozen=True)
class Analysis:
    """Strengths, weaknesses and problem items of one agency-year against a target."""

    result: AgencyYear
    target: Decimal
    strengths: list[IndicatorStanding]  # at or above target, best first
    weaknesses: list[IndicatorStanding]  # below target, worst first
    lowest_items: list[ItemStanding]  # lowest item scores, worst first
    oit_zero: list[ItemStanding]  # OIT items that scored 0
    oit_half: list[ItemStanding]  # OIT items that scored 50
    tool_labels: dict[str, str | None]

    @property
    def meets_national_target(self) -> bool | None:
        """Whether the year meets the national target of 85."""
        return self.result.meets_national_target


def analyse(result: AgencyYear, target: Decimal | None = None, lowest: int = 5) -> Analysis:
    """Strengths and weaknesses against ``target`` (default: the agency's own, else 85)."""
    goal = target if target is not None else result.target
    framework = get_framework(result.year)
    standings = [
        IndicatorStanding(
            number=n,
            name=framework.indicator(n).name,
            tool=framework.indicator(n).tool,
            score=score,
            gap=score - goal,
        )
        for n, score in sorted(result.indicators.items())
    ]
    items = []
    for code, score in result.items.items():
        question = framework.questions.get(code)
        items.append(
            ItemStanding(
                code=code,
                title=question.title if question else None,
                indicator=question.indicator if question else 0,
                score=score,
            )
        )
    items.sort(key=lambda i: (i.score, _code_number(i.code)))
    oit = [i for i in items if i.code.startswith("o")]
    return Analysis(
        result=result,
        target=goal,
        strengths=sorted((s for s in standings if s.gap >= 0), key=lambda s: (-s.score, s.number)),
        weaknesses=sorted((s for s in standings if s.gap < 0), key=lambda s: (s.score, s.number)),
        lowest_items=[i for i in items if i.score < 100][:lowest],
        oit_zero=[i for i in oit if i.score == 0],
        oit_half=[i for i in oit if i.score == 50],
        tool_labels={tool: tool_label(score) for tool, score in result.tools.items()},
    )


def _code_number(code: str) -> int:
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits) if digits else 0


@dataclass(frozen=True)
class Change:
    """How one score moved between two years."""

    key: str  # "overall", "IIT", "4"
    name: str
    before: Decimal | None
    after: Decimal | None
    delta: Decimal | None
    direction: str | None  # เพิ่มขึ้น / ลดลง / คงที่, None when a side is missing


def change(key: str, name: str, before: Decimal | None, after: Decimal | None) -> Change:
    """The change from ``before`` to ``after`` with the label the reports use."""
    if before is None or after is None:
        return Change(key, name, before, after, None, None)
    delta = after - before
    direction = UP if delta > 0 else DOWN if delta < 0 else SAME
    return Change(key, name, before, after, delta, direction)


@dataclass(frozen=True)
class Comparison:
    """Year-on-year comparison of two agency-years."""

    before: AgencyYear
    after: AgencyYear
    overall: Change
    tools: list[Change]
    indicators: list[Change]

    @property
    def improved(self) -> list[Change]:
        """Indicators that went up, most first."""
        return sorted((c for c in self.indicators if c.direction == UP), key=lambda c: -(c.delta or 0))

    @property
    def declined(self) -> list[Change]:
        """Indicators that went down, most first."""
        return sorted((c for c in self.indicators if c.direction == DOWN), key=lambda c: c.delta or 0)


def compare(before: AgencyYear, after: AgencyYear) -> Comparison:
    """Compare two years of the same agency (indicator names from the later year's framework)."""
    framework = get_framework(after.year)
    return Comparison(
        before=before,
        after=after,
        overall=change("overall", "คะแนนรวม", before.overall, after.overall),
        tools=[change(t, t, before.tools.get(t), after.tools.get(t)) for t in TOOLS],
        indicators=[
            change(str(n), framework.indicator(n).name, before.indicators.get(n), after.indicators.get(n))
            for n in range(1, 11)
        ],
    )


def compare_years(session: Session, agency_code: str, year_a: int, year_b: int) -> Comparison:
    """Compare two fiscal years of an agency (order-independent: earlier year first)."""
    first, second = sorted((year_a, year_b))
    return compare(load_agency_year(session, agency_code, first), load_agency_year(session, agency_code, second))


def previous_year_change(session: Session, result: AgencyYear) -> Comparison | None:
    """Comparison with the agency's closest earlier year, if it has one."""
    years = [y for y in result_years(session, result.agency_code) if y < result.year]
    if not years:
        return None
    return compare(load_agency_year(session, result.agency_code, years[-1]), result)


@dataclass(frozen=True)
class TrendPoint:
    """One year of a trend."""

    year: int
    overall: Decimal | None
    level: str | None
    tools: dict[str, Decimal]
    indicators: dict[int, Decimal]


@dataclass(frozen=True)
class Trend:
    """An agency's results over several years, oldest first."""

    agency_code: str
    agency_name: str
    points: list[TrendPoint]
    changes: list[Change]  # overall change between consecutive years

    @property
    def direction(self) -> str | None:
        """Overall direction from the first to the last year."""
        known = [p.overall for p in self.points if p.overall is not None]
        if len(known) < 2:
            return None
        return change("overall", "คะแนนรวม", known[0], known[-1]).direction

    @property
    def best(self) -> TrendPoint | None:
        """The year with the highest overall score."""
        known = [p for p in self.points if p.overall is not None]
        return max(known, key=lambda p: (p.overall, p.year)) if known else None


def trend(session: Session, agency_code: str, last: int = 5) -> Trend:
    """The last ``last`` years of results of an agency."""
    years = load_agency_years(session, agency_code)
    if not years:
        agency = get_agency(session, agency_code)
        raise NoResults(agency.code, None, ())
    chosen = years[-last:] if last > 0 else years
    points = [TrendPoint(y.year, y.overall, y.level, y.tools, y.indicators) for y in chosen]
    changes = [
        change("overall", f"{a.year}→{b.year}", a.overall, b.overall) for a, b in pairwise(points)
    ]
    return Trend(chosen[0].agency_code, chosen[0].agency_name, points, changes)
