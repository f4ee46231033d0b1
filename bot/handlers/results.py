"""Answers about an agency's results: overall, indicator, tool, item, compare, trend, analysis, ranking."""

from __future__ import annotations

from decimal import Decimal

from bot.dispatch import Ctx, Messages
from bot.views import messages as views
from ita_core import analysis
from ita_core.errors import NoResults
from ita_core.numbers import parse_decimal
from ita_core.ranking import SCOPES, Scope, rank_agency
from ita_core.recommendations import recommend

TREND_YEARS = 5


def resolve_year(ctx: Ctx, code: str) -> int:
    """The year asked: explicit, or relative to the agency's latest results (ปีที่แล้ว = one before)."""
    year = ctx.slots.get("year")
    if isinstance(year, int):
        return year
    years = analysis.result_years(ctx.session, code)
    if not years:
        raise NoResults(code, None, ())
    offset = ctx.slots.get("year_offset") or 0
    index = len(years) - 1 + int(offset)
    if index < 0:
        raise NoResults(code, years[0] + index, years)
    return years[index]


def _target(ctx: Ctx) -> Decimal | None:
    threshold = ctx.slots.get("threshold")
    if threshold is None:
        return None
    try:
        value = parse_decimal(threshold)
    except ValueError:
        return None
    return value if Decimal(0) < value <= Decimal(100) else None


def overall_score(ctx: Ctx) -> Messages:
    """คะแนนรวม: score, level, tools, target met, change from the previous year."""
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    report = analysis.analyse(result)
    previous = analysis.previous_year_change(ctx.session, result)
    return views.overall_messages(result, report, previous, public=ctx.in_group)


def indicator_score(ctx: Ctx) -> Messages:
    """One indicator (or a sub-indicator such as 9.2): score, tool, lowest items, top recommendations."""
    number = ctx.slots.get("indicator")
    sub = ctx.slots.get("sub_indicator")
    if number is None and sub:
        number = int(str(sub).split(".")[0])
    if number is None:
        return views.choose_indicator_messages(ctx.slots.get("year"))
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    report = analysis.analyse(result)
    previous = analysis.previous_year_change(ctx.session, result)
    recs = recommend(result.year, result.indicators, result.items, report.target, indicator=int(number), limit=3)
    return views.indicator_messages(result, int(number), report, recs, previous, sub_indicator=sub, public=ctx.in_group)


def tool_score(ctx: Ctx) -> Messages:
    """IIT / EIT / OIT score(s)."""
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    previous = analysis.previous_year_change(ctx.session, result)
    tool = ctx.slots.get("tool")
    return views.tool_messages(result, tool, previous, public=ctx.in_group)


def question_score(ctx: Ctx) -> Messages:
    """One item such as o23."""
    item = ctx.slots.get("question")
    if not item:
        return views.choose_indicator_messages()
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    previous = analysis.previous_year_change(ctx.session, result)
    report = analysis.analyse(result)
    recs = recommend(result.year, result.indicators, result.items, report.target, question=str(item), limit=2)
    return views.question_messages(result, str(item), previous, recs, public=ctx.in_group)


def compare_years(ctx: Ctx) -> Messages:
    """Change between two years; with one year, against the year before it; with none, the last two."""
    code = ctx.require_agency()
    years = analysis.result_years(ctx.session, code)
    first = ctx.slots.get("year")
    second = ctx.slots.get("compare_year")
    if first is None:
        first = resolve_year(ctx, code)
    if second is None:
        earlier = [y for y in years if y < first]
        if not earlier:
            later = [y for y in years if y > first]
            if not later:
                raise NoResults(code, None if first in years else first, years)
            second = later[0]
        else:
            second = earlier[-1]
    comparison = analysis.compare_years(ctx.session, code, int(first), int(second))
    return views.compare_messages(comparison, public=ctx.in_group)


def trend(ctx: Ctx) -> Messages:
    """History over the last years."""
    code = ctx.require_agency()
    years = ctx.extras.get("years_back")
    last = int(years) if isinstance(years, int) and 1 < years <= 10 else TREND_YEARS
    return views.trend_messages(analysis.trend(ctx.session, code, last=last), public=ctx.in_group)


def strengths(ctx: Ctx) -> Messages:
    """Indicators at or above the target."""
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    return views.strengths_messages(analysis.analyse(result, _target(ctx)), public=ctx.in_group)


def weaknesses(ctx: Ctx) -> Messages:
    """Indicators and items below the target (85, the agency's own, or the number asked)."""
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    return views.weaknesses_messages(analysis.analyse(result, _target(ctx)), public=ctx.in_group)


def recommendations(ctx: Ctx) -> Messages:
    """What to do, ranked by need, optionally for one indicator, tool or item."""
    code = ctx.require_agency()
    result = analysis.load_agency_year(ctx.session, code, resolve_year(ctx, code))
    report = analysis.analyse(result, _target(ctx))
    number = ctx.slots.get("indicator")
    if number is None and ctx.slots.get("sub_indicator"):
        number = int(str(ctx.slots["sub_indicator"]).split(".")[0])
    recs = recommend(
        result.year,
        result.indicators,
        result.items,
        report.target,
        indicator=number,
        tool=ctx.slots.get("tool"),
        question=ctx.slots.get("question"),
        limit=5,
    )
    return views.recommendations_messages(
        result,
        recs,
        indicator=number,
        tool=ctx.slots.get("tool"),
        question=ctx.slots.get("question"),
        public=ctx.in_group,
    )


def ranking(ctx: Ctx) -> Messages:
    """Rank among peers (national by default; province, district or agency type when asked)."""
    code = ctx.require_agency()
    asked = ctx.slots.get("scope")
    scope: Scope = asked if asked in SCOPES else "national"
    year = ctx.slots.get("year")
    if year is None and ctx.slots.get("year_offset"):
        year = resolve_year(ctx, code)
    rank = rank_agency(ctx.session, code, year, scope)
    return views.ranking_messages(rank, public=ctx.in_group)
