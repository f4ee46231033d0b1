"""Scoring that reproduces the official ITA numbers exactly.

- A tool score is the mean of its indicators, rounded half-up to 2 decimals.
- The overall score is 0.30·IIT + 0.30·EIT + 0.40·OIT computed from the *rounded* tool scores,
  rounded half-up to 2 decimals. (Rounding the tool scores first is what reproduces all five seed
  reports, including S002's 98.85, which is an exact tie when computed from unrounded means.)
- Levels: the letter scale AA-F for 2562-2565; from 2566 the pass levels, which also look at each
  tool (and at the two EIT parts when they are known).

All arithmetic is :class:`decimal.Decimal`; floats never enter a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ita_core.errors import ScoreInputError
from ita_core.framework import TOOLS, Framework, Tool, get_framework
from ita_core.numbers import HUNDRED, mean, parse_decimal, round2

NATIONAL_TARGET = Decimal(85)
EXCELLENT = Decimal(95)

PASS_EXCELLENT = "ผ่านดีเยี่ยม"
PASS_GOOD = "ผ่านดี"
PASS = "ผ่าน"
FAIL = "ไม่ผ่าน"
PASS_LEVELS = (PASS_EXCELLENT, PASS_GOOD, PASS, FAIL)
LETTER_LEVELS = ("AA", "A", "B", "C", "D", "E", "F")
TOOL_LABEL_EXCELLENT = "ยอดเยี่ยม"
TOOL_LABEL_GOOD = "ดี"
EIT_PARTS = ("EIT1", "EIT2")


@dataclass(frozen=True)
class ScoreResult:
    """The computed result of one agency-year."""

    year: int
    indicators: dict[int, Decimal]
    tools: dict[Tool, Decimal]
    overall: Decimal
    level: str
    eit_parts: dict[str, Decimal]  # {"EIT1": .., "EIT2": ..} when known, else empty

    @property
    def meets_national_target(self) -> bool:
        """Whether the overall score reaches the national goal of 85."""
        return self.overall >= NATIONAL_TARGET

    def tool_label(self, tool: Tool) -> str | None:
        """The label the reports give a tool score (ยอดเยี่ยม ≥ 95, ดี ≥ 85), or None below 85."""
        return tool_label(self.tools[tool])

    def as_json(self) -> dict[str, object]:
        """The contract's JSON form of ``ita score``."""
        tools: dict[str, float] = {tool: float(score) for tool, score in self.tools.items()}
        for part, score in self.eit_parts.items():
            tools[part] = float(score)
        return {"year": self.year, "tools": tools, "overall": float(self.overall), "level": self.level}


def tool_label(score: Decimal) -> str | None:
    """ยอดเยี่ยม for ≥ 95, ดี for ≥ 85, otherwise None (labels inferred from the seeds; see docs)."""
    if score >= EXCELLENT:
        return TOOL_LABEL_EXCELLENT
    if score >= NATIONAL_TARGET:
        return TOOL_LABEL_GOOD
    return None


def check_score(value: object, what: str) -> Decimal:
    """Parse one score and check it lies in 0-100."""
    try:
        score = parse_decimal(value)
    except ValueError as exc:
        raise ScoreInputError(f"{what}: {exc}") from None
    if not Decimal(0) <= score <= HUNDRED:
        raise ScoreInputError(f"{what}: {score} is outside 0-100")
    return score


def tool_scores(framework: Framework, indicators: Mapping[int, Decimal]) -> dict[Tool, Decimal]:
    """Each tool's score: the mean of its indicators, rounded half-up to 2 decimals."""
    return {tool: round2(mean([indicators[n] for n in framework.tool_indicators(tool)])) for tool in TOOLS}


def overall_score(framework: Framework, tools: Mapping[Tool, Decimal]) -> Decimal:
    """The weighted overall score from the rounded tool scores, rounded half-up to 2 decimals."""
    return round2(sum((framework.weights[tool] * tools[tool] for tool in TOOLS), Decimal(0)))


def level_for(
    framework: Framework,
    overall: Decimal,
    tools: Mapping[Tool, Decimal],
    eit_parts: Mapping[str, Decimal] | None = None,
) -> str:
    """The level of a result under that year's scale."""
    if framework.scale == "letter":
        for band in framework.letter_bands:
            if overall >= band.minimum:
                return band.level
        return framework.letter_bands[-1].level
    checked = [tools["IIT"], tools["OIT"]]
    if eit_parts and all(part in eit_parts for part in EIT_PARTS):
        checked += [eit_parts[part] for part in EIT_PARTS]
    else:
        checked.append(tools["EIT"])
    if overall >= EXCELLENT and all(score >= EXCELLENT for score in checked):
        return PASS_EXCELLENT
    if overall >= NATIONAL_TARGET and all(score >= NATIONAL_TARGET for score in checked):
        return PASS_GOOD
    if overall >= NATIONAL_TARGET:
        return PASS
    return FAIL


def score_indicators(
    year: int,
    indicators: Mapping[int, object] | Sequence[object],
    eit_parts: Mapping[str, object] | None = None,
) -> ScoreResult:
    """Score the ten indicator values of one agency-year under that year's framework."""
    framework = get_framework(year)
    if not isinstance(indicators, Mapping):
        if len(indicators) != 10:
            raise ScoreInputError(f"expected 10 indicator scores, got {len(indicators)}")
        indicators = {n: v for n, v in enumerate(indicators, start=1)}
    if sorted(indicators) != list(range(1, 11)):
        raise ScoreInputError("indicator scores must be given for exactly indicators 1-10")
    values = {n: check_score(v, f"indicator {n}") for n, v in sorted(indicators.items())}
    parts: dict[str, Decimal] = {}
    for part, value in (eit_parts or {}).items():
        if part not in EIT_PARTS:
            raise ScoreInputError(f"unknown EIT part {part!r} (use EIT1 or EIT2)")
        if not framework.eit_parts:
            raise ScoreInputError(f"fiscal year {year} has no EIT parts")
        parts[part] = check_score(value, part)
    tools = tool_scores(framework, values)
    overall = overall_score(framework, tools)
    return ScoreResult(
        year=year,
        indicators=values,
        tools=tools,
        overall=overall,
        level=level_for(framework, overall, tools, parts),
        eit_parts=parts,
    )


def indicator_from_items(framework: Framework, indicator: int, items: Mapping[str, Decimal]) -> Decimal | None:
    """An indicator's score from its item scores, or None when an item is missing.

    IIT and EIT indicators are the mean of their items (S000: e11-e15 average to the reported 92.74).
    OIT indicators 9 and 10 are the mean of their sub-indicator means. That rule is an *inference*
    documented in the reference (ita_facts.md §2): it is the only one that reproduces S004's OIT of
    95.5 and S001's indicator 10 of 75.00, where a plain item mean does not.
    """
    ind = framework.indicator(indicator)
    if ind.tool == "OIT" and ind.sub_indicators:
        sub_means = []
        for sub in ind.sub_indicators:
            if not sub.questions or any(code not in items for code in sub.questions):
                return None
            sub_means.append(mean([items[code] for code in sub.questions]))
        return round2(mean(sub_means))
    codes = [q.code for q in framework.questions.values() if q.indicator == indicator]
    if not codes or any(code not in items for code in codes):
        return None
    return round2(mean([items[code] for code in codes]))
