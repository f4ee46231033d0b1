"""Recommendations: what an agency should do next, kept as data and ranked by need.

The advice lives in ``ita_core/data/recommendations``:

* ``common.json`` - advice for each of the ten indicators and each tool (IIT, EIT, OIT), valid
  every year;
* ``fyNNNN.json`` - advice for particular items (``o23``, ``e1``, ...) in the numbering of the
  framework year NNNN, for the years listed in its ``applies_to`` (an item block may narrow that
  with ``years``).

The texts are ours, written in plain Thai from what the seed reports found; see
``docs/recommendations.md``. Files are read once per process and validated when loaded, item codes
included (each must exist in the framework of every year it is used for): a broken file raises
:class:`~ita_core.errors.FrameworkError` naming the file and the field.

:func:`recommend` ranks the advice for one agency-year: OIT items that scored 0 first, then OIT
items with part of the score (50), then indicators below the target (lowest first), then other
weaknesses (tools below the target, IIT/EIT items below the target). When nothing is weak it returns
the advice for the lowest indicators, so the agency can keep its standard.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, NoReturn

from ita_core.errors import FrameworkError, ScoreInputError, UnknownYear
from ita_core.framework import TOOLS, Framework, Tool, get_framework, normalize_question_code
from ita_core.numbers import HUNDRED, mean, round2
from ita_core.scoring import check_score

RECOMMENDATION_DIR = Path(__file__).parent / "data" / "recommendations"
COMMON_FILE = "common.json"
INDICATOR_NUMBERS = tuple(range(1, 11))
MIN_ADVICE, MAX_ADVICE = 2, 4  # per indicator and per tool in common.json
DEFAULT_TARGET = Decimal(85)

TargetKind = Literal["question", "indicator", "tool"]

# Priorities, most urgent first (Recommendation.priority).
PRIORITY_OIT_ZERO = 1  # an OIT item that scored 0
PRIORITY_OIT_PARTIAL = 2  # an OIT item with part of the score (50 in 2568)
PRIORITY_INDICATOR = 3  # an indicator below the target
PRIORITY_OTHER = 4  # a tool below the target, or an IIT/EIT item below the target
PRIORITY_MAINTAIN = 5  # nothing weak: keep up the standard

_ITEM_FILE = re.compile(r"fy(\d{4})\.json")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CODE = re.compile(r"[ieo][1-9]\d*")
_UNKNOWN = Decimal(101)  # sorts after every real score


@dataclass(frozen=True)
class Advice:
    """One piece of advice as stored in the data files."""

    id: str
    text: str
    action_steps: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class RecommendationLibrary:
    """All advice, validated: per indicator, per tool, and per (fiscal year, item code)."""

    indicators: Mapping[int, tuple[Advice, ...]]
    tools: Mapping[Tool, tuple[Advice, ...]]
    items: Mapping[tuple[int, str], tuple[Advice, ...]]
    item_files: Mapping[int, str]  # fiscal year -> the item file that covers it

    def for_indicator(self, number: int) -> tuple[Advice, ...]:
        """Advice for one indicator (1-10)."""
        return self.indicators.get(number, ())

    def for_tool(self, tool: Tool) -> tuple[Advice, ...]:
        """Advice for one tool."""
        return self.tools.get(tool, ())

    def for_item(self, year: int, code: str) -> tuple[Advice, ...]:
        """Advice written for one item in one fiscal year; empty when there is none."""
        return self.items.get((year, code), ())

    def item_codes(self, year: int) -> tuple[str, ...]:
        """The item codes that have advice in that fiscal year."""
        return tuple(code for (y, code) in self.items if y == year)

    def all_advice(self) -> tuple[Advice, ...]:
        """Every piece of advice once (for checks and tooling)."""
        seen: dict[str, Advice] = {}
        groups = [*self.indicators.values(), *self.tools.values(), *self.items.values()]
        for group in groups:
            for advice in group:
                seen.setdefault(advice.id, advice)
        return tuple(seen.values())


@dataclass(frozen=True)
class Recommendation:
    """A piece of advice chosen for an agency-year, with why it was chosen."""

    id: str
    text: str
    action_steps: tuple[str, ...]
    target_kind: TargetKind  # what the advice is written for
    target: str  # "o23", "9" or "OIT"
    reason: str  # short Thai reason, e.g. "ข้อ o23 ได้ 0 คะแนน"
    score: Decimal | None  # the score behind the reason, when known
    priority: int  # PRIORITY_*: 1 most urgent ... 5 keep up the standard


# --- ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Need:
    """Something to act on, before it is expanded into recommendations."""

    priority: int
    key: tuple[int, Decimal, Decimal, int]
    target_kind: TargetKind
    target: str
    reason: str
    score: Decimal | None
    advice: tuple[Advice, ...]


def recommend(
    year: int,
    indicators: Mapping[int, Decimal],
    items: Mapping[str, Decimal] | None = None,
    target: Decimal = DEFAULT_TARGET,
    *,
    indicator: int | None = None,
    tool: str | None = None,
    question: str | None = None,
    limit: int = 5,
    library: RecommendationLibrary | None = None,
) -> list[Recommendation]:
    """Advice for one agency-year, most needed first (see the module docstring for the order).

    ``indicators`` maps indicator numbers to scores and may be empty; ``items`` maps item codes
    ("o23", "O23") to scores. ``indicator`` and ``tool`` narrow the answer to that indicator or
    tool (both together: their intersection); ``question`` asks about one item and returns its
    advice, or its indicator's when the item has none, whatever its score (``indicator`` and
    ``tool`` are then ignored). ``library`` replaces the packaged data (tests). Raises
    ScoreInputError for unusable input, UnknownYear for a year without a framework.
    """
    lib = library if library is not None else load_library()
    framework = get_framework(year)
    goal = check_score(target, "target")
    ind_scores = _indicator_scores(indicators)
    item_scores = _item_scores(items or {}, framework)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ScoreInputError(f"limit must be a positive whole number, got {limit!r}")
    if indicator is not None and (
        isinstance(indicator, bool) or not isinstance(indicator, int) or indicator not in INDICATOR_NUMBERS
    ):
        raise ScoreInputError(f"indicator must be 1-10, got {indicator!r}")
    wanted_tool = _tool(tool) if tool is not None else None

    if question is not None:
        needs = [_question_need(question, year, framework, lib, ind_scores, item_scores, goal)]
    else:
        tool_scores = _tool_scores(framework, ind_scores)
        needs = _weaknesses(year, framework, lib, ind_scores, item_scores, tool_scores, goal)
        needs = [n for n in needs if _in_scope(n, framework, indicator, wanted_tool)]
        if not needs:
            needs = _maintenance(framework, lib, ind_scores, tool_scores, goal, indicator, wanted_tool)
    return _expand(needs, limit)


def _weaknesses(
    year: int,
    framework: Framework,
    lib: RecommendationLibrary,
    ind_scores: Mapping[int, Decimal],
    item_scores: Mapping[str, Decimal],
    tool_scores: Mapping[Tool, Decimal],
    goal: Decimal,
) -> list[_Need]:
    order = {code: index for index, code in enumerate(framework.questions)}
    needs: list[_Need] = []
    for code, score in item_scores.items():
        question = framework.questions[code]
        if question.tool == "OIT":
            if score == 0:
                priority = PRIORITY_OIT_ZERO
            elif score < HUNDRED:
                priority = PRIORITY_OIT_PARTIAL
            else:
                continue
            reason = f"ข้อ {code} ได้ {_fmt_item(score)} คะแนน"
            parent = ind_scores.get(question.indicator, _UNKNOWN)
            key = (0, score, parent, order[code])
        elif score < goal:
            priority = PRIORITY_OTHER
            reason = f"ข้อ {code} ได้ {_fmt_item(score)} ต่ำกว่าเป้าหมาย {_fmt(goal)}"
            key = (0, score, Decimal(1), order[code])
        else:
            continue
        needs.append(_item_need(priority, key, year, code, question.indicator, lib, reason, score))
    for number, score in ind_scores.items():
        if score < goal:
            reason = f"ตัวชี้วัดที่ {number} ได้ {_fmt(score)} ต่ำกว่าเป้าหมาย {_fmt(goal)}"
            needs.append(
                _Need(
                    PRIORITY_INDICATOR,
                    (0, score, Decimal(0), number),
                    "indicator",
                    str(number),
                    reason,
                    score,
                    lib.for_indicator(number),
                )
            )
    for index, (name, score) in enumerate(tool_scores.items()):
        if score < goal:
            reason = f"{name} ได้ {_fmt(score)} ต่ำกว่าเป้าหมาย {_fmt(goal)}"
            needs.append(
                _Need(PRIORITY_OTHER, (0, score, Decimal(0), index), "tool", name, reason, score, lib.for_tool(name))
            )
    return needs


def _item_need(
    priority: int,
    key: tuple[int, Decimal, Decimal, int],
    year: int,
    code: str,
    indicator_number: int,
    lib: RecommendationLibrary,
    reason: str,
    score: Decimal | None,
) -> _Need:
    """The need for one item: its own advice, or its indicator's when it has none."""
    advice = lib.for_item(year, code)
    if advice:
        return _Need(priority, key, "question", code, reason, score, advice)
    return _Need(priority, key, "indicator", str(indicator_number), reason, score, lib.for_indicator(indicator_number))


def _question_need(
    question: str,
    year: int,
    framework: Framework,
    lib: RecommendationLibrary,
    ind_scores: Mapping[int, Decimal],
    item_scores: Mapping[str, Decimal],
    goal: Decimal,
) -> _Need:
    code = normalize_question_code(question) if isinstance(question, str) else None
    if code is None or code not in framework.questions:
        raise ScoreInputError(f"no item {question!r} in the FY{year} framework")
    item = framework.questions[code]
    score = item_scores.get(code)
    if score is None:
        priority, reason = PRIORITY_MAINTAIN, f"คำแนะนำสำหรับข้อ {code}"
    elif item.tool == "OIT" and score == 0:
        priority, reason = PRIORITY_OIT_ZERO, f"ข้อ {code} ได้ {_fmt_item(score)} คะแนน"
    elif item.tool == "OIT" and score < HUNDRED:
        priority, reason = PRIORITY_OIT_PARTIAL, f"ข้อ {code} ได้ {_fmt_item(score)} คะแนน"
    elif item.tool != "OIT" and score < goal:
        priority, reason = PRIORITY_OTHER, f"ข้อ {code} ได้ {_fmt_item(score)} ต่ำกว่าเป้าหมาย {_fmt(goal)}"
    else:
        priority, reason = PRIORITY_MAINTAIN, f"ข้อ {code} ได้ {_fmt_item(score)} คะแนน ควรรักษามาตรฐาน"
    key = (0, score if score is not None else _UNKNOWN, ind_scores.get(item.indicator, _UNKNOWN), 0)
    return _item_need(priority, key, year, code, item.indicator, lib, reason, score)


def _maintenance(
    framework: Framework,
    lib: RecommendationLibrary,
    ind_scores: Mapping[int, Decimal],
    tool_scores: Mapping[Tool, Decimal],
    goal: Decimal,
    indicator: int | None,
    tool: Tool | None,
) -> list[_Need]:
    """Nothing is weak: advice for the lowest indicators (and their tools) to keep the standard."""
    numbers = [
        n
        for n in INDICATOR_NUMBERS
        if (indicator is None or n == indicator) and (tool is None or framework.indicator(n).tool == tool)
    ]
    known = [n for n in numbers if n in ind_scores]
    needs: list[_Need] = []
    for n in known or numbers:
        score = ind_scores.get(n)
        if score is None:
            reason = f"คำแนะนำทั่วไปสำหรับตัวชี้วัดที่ {n}"
        else:
            reason = f"ตัวชี้วัดที่ {n} ได้ {_fmt(score)} ถึงเป้าหมาย {_fmt(goal)} แล้ว ควรรักษามาตรฐาน"
        key = (0, score if score is not None else _UNKNOWN, Decimal(0), n)
        needs.append(_Need(PRIORITY_MAINTAIN, key, "indicator", str(n), reason, score, lib.for_indicator(n)))
    if indicator is None:
        for index, name in enumerate(TOOLS):
            if tool is not None and name != tool:
                continue
            tool_score = tool_scores.get(name)
            if tool_score is None:
                reason = f"คำแนะนำทั่วไปสำหรับ {name}"
            else:
                reason = f"{name} ได้ {_fmt(tool_score)} ถึงเป้าหมาย {_fmt(goal)} แล้ว ควรรักษามาตรฐาน"
            key = (1, tool_score if tool_score is not None else _UNKNOWN, Decimal(0), index)
            needs.append(_Need(PRIORITY_MAINTAIN, key, "tool", name, reason, tool_score, lib.for_tool(name)))
    return needs


def _in_scope(need: _Need, framework: Framework, indicator: int | None, tool: Tool | None) -> bool:
    """Whether a need concerns the indicator and/or tool asked about."""
    if need.target_kind == "tool":
        need_indicator: int | None = None
        need_tool: str = need.target
    else:
        if need.target_kind == "question":
            need_indicator = framework.questions[need.target].indicator
        else:
            need_indicator = int(need.target)
        need_tool = framework.indicator(need_indicator).tool
    if indicator is not None and need_indicator != indicator:
        # An item that fell back to its indicator's advice keeps the indicator as its target.
        return False
    return tool is None or need_tool == tool


def _expand(needs: Sequence[_Need], limit: int) -> list[Recommendation]:
    """Turn ranked needs into recommendations: by priority, then round-robin over the needs of
    one priority (first advice of each, then second ...), each advice once."""
    ordered = sorted(needs, key=lambda n: (n.priority, n.key))
    result: list[Recommendation] = []
    seen: set[str] = set()
    index = 0
    while index < len(ordered) and len(result) < limit:
        tier = [n for n in ordered[index:] if n.priority == ordered[index].priority]
        index += len(tier)
        depth = max((len(n.advice) for n in tier), default=0)
        for round_number in range(depth):
            for need in tier:
                if round_number >= len(need.advice):
                    continue
                advice = need.advice[round_number]
                if advice.id in seen:
                    continue
                seen.add(advice.id)
                result.append(
                    Recommendation(
                        id=advice.id,
                        text=advice.text,
                        action_steps=advice.action_steps,
                        target_kind=need.target_kind,
                        target=need.target,
                        reason=need.reason,
                        score=need.score,
                        priority=need.priority,
                    )
                )
                if len(result) >= limit:
                    return result
    return result


# --- input checks -----------------------------------------------------------------------------


def _indicator_scores(indicators: Mapping[int, Decimal]) -> dict[int, Decimal]:
    scores: dict[int, Decimal] = {}
    for number, value in indicators.items():
        if isinstance(number, bool) or not isinstance(number, int) or number not in INDICATOR_NUMBERS:
            raise ScoreInputError(f"unknown indicator {number!r}: indicators are numbered 1-10")
        scores[number] = check_score(value, f"indicator {number}")
    return scores


def _item_scores(items: Mapping[str, Decimal], framework: Framework) -> dict[str, Decimal]:
    scores: dict[str, Decimal] = {}
    for raw, value in items.items():
        code = normalize_question_code(raw) if isinstance(raw, str) else None
        if code is None or code not in framework.questions:
            raise ScoreInputError(f"no item {raw!r} in the FY{framework.year} framework")
        scores[code] = check_score(value, f"item {code}")
    return scores


def _tool(value: str) -> Tool:
    name = value.strip().upper() if isinstance(value, str) else ""
    for tool in TOOLS:
        if tool == name:
            return tool
    raise ScoreInputError(f"unknown tool {value!r}: expected one of {', '.join(TOOLS)}")


def _tool_scores(framework: Framework, ind_scores: Mapping[int, Decimal]) -> dict[Tool, Decimal]:
    """Each tool's score where all its indicators are known: their mean, rounded half-up to 2 dp."""
    scores: dict[Tool, Decimal] = {}
    for tool in TOOLS:
        numbers = framework.tool_indicators(tool)
        if numbers and all(n in ind_scores for n in numbers):
            scores[tool] = round2(mean([ind_scores[n] for n in numbers]))
    return scores


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _fmt_item(value: Decimal) -> str:
    """Item scores read best as whole numbers when they are ("0.00" -> "0"); others as given."""
    if value == value.to_integral_value():
        return format(value.to_integral_value(), "f")
    return format(value, "f")


# --- loading and validation ---------------------------------------------------------------------


def load_library(directory: Path | str | None = None) -> RecommendationLibrary:
    """The advice in ``directory`` (default: the packaged data), validated; cached per directory."""
    path = Path(directory) if directory is not None else RECOMMENDATION_DIR
    return _load_cached(path.resolve())


def clear_recommendation_cache() -> None:
    """Forget loaded advice so the files are read again (for tests and tooling)."""
    _load_cached.cache_clear()


@functools.cache
def _load_cached(directory: Path) -> RecommendationLibrary:
    common_path = directory / COMMON_FILE
    indicators, tools = _Reader(common_path).common(_read_json(common_path))
    items: dict[tuple[int, str], tuple[Advice, ...]] = {}
    item_files: dict[int, str] = {}
    ids = {advice.id: COMMON_FILE for group in (*indicators.values(), *tools.values()) for advice in group}
    item_paths = sorted(p for p in directory.glob("fy*.json") if _ITEM_FILE.fullmatch(p.name))
    for path in item_paths:
        _Reader(path).item_file(_read_json(path), items, item_files, ids)
    return RecommendationLibrary(indicators=indicators, tools=tools, items=items, item_files=item_files)


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{_label(path)}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkError(
            f"{_label(path)}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _join(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)


class _Reader:
    """Validates one data file, failing on the first problem with the file and field named."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = _label(path)

    def fail(self, field: str, message: str) -> NoReturn:
        raise FrameworkError(f"{self.label}: {field or '(top level)'}: {message}")

    def fields(
        self, value: object, field: str, required: set[str], optional: set[str] | None = None
    ) -> dict[str, object]:
        if not isinstance(value, dict):
            self.fail(field, f"expected an object, got {type(value).__name__}")
        for key in sorted(required):
            if key not in value:
                self.fail(_join(field, key), "missing required field")
        allowed = required | (optional or set())
        for key in value:
            if key not in allowed:
                self.fail(_join(field, str(key)), "unexpected field")
        return value

    def text(self, value: object, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "expected a non-empty string")
        return value.strip()

    def integer(self, value: object, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"expected a whole number, got {value!r}")
        return value

    def array(self, value: object, field: str) -> list[object]:
        if not isinstance(value, list) or not value:
            self.fail(field, "expected a non-empty list")
        return value

    def advice_list(self, value: object, field: str, low: int = 1, high: int | None = None) -> tuple[Advice, ...]:
        entries = self.array(value, field)
        if len(entries) < low or (high is not None and len(entries) > high):
            bound = f"{low}-{high}" if high is not None else f"at least {low}"
            self.fail(field, f"expected {bound} recommendations, got {len(entries)}")
        return tuple(self.advice(entry, _join(field, i)) for i, entry in enumerate(entries))

    def advice(self, value: object, field: str) -> Advice:
        data = self.fields(value, field, {"id", "text", "source"}, {"action_steps"})
        ident = self.text(data["id"], _join(field, "id"))
        if not _SLUG.fullmatch(ident):
            self.fail(_join(field, "id"), f"{ident!r} is not a slug (lower-case letters, digits and hyphens)")
        steps: tuple[str, ...] = ()
        if "action_steps" in data:
            raw = self.array(data["action_steps"], _join(field, "action_steps"))
            steps = tuple(self.text(step, _join(_join(field, "action_steps"), i)) for i, step in enumerate(raw))
        return Advice(
            id=ident,
            text=self.text(data["text"], _join(field, "text")),
            action_steps=steps,
            source=self.text(data["source"], _join(field, "source")),
        )

    def common(self, value: object) -> tuple[dict[int, tuple[Advice, ...]], dict[Tool, tuple[Advice, ...]]]:
        data = self.fields(value, "", {"about", "indicators", "tools"})
        self.text(data["about"], "about")
        raw_indicators = self.fields(data["indicators"], "indicators", {str(n) for n in INDICATOR_NUMBERS})
        raw_tools = self.fields(data["tools"], "tools", set(TOOLS))
        indicators = {
            n: self.advice_list(raw_indicators[str(n)], _join("indicators", str(n)), MIN_ADVICE, MAX_ADVICE)
            for n in INDICATOR_NUMBERS
        }
        tools = {t: self.advice_list(raw_tools[t], _join("tools", t), MIN_ADVICE, MAX_ADVICE) for t in TOOLS}
        seen: set[str] = set()
        for field, group in [
            *((f"indicators.{n}", g) for n, g in indicators.items()),
            *((f"tools.{t}", g) for t, g in tools.items()),
        ]:
            for i, advice in enumerate(group):
                if advice.id in seen:
                    self.fail(f"{field}[{i}].id", f"duplicate id {advice.id!r}")
                seen.add(advice.id)
        return indicators, tools

    def item_file(
        self,
        value: object,
        items: dict[tuple[int, str], tuple[Advice, ...]],
        item_files: dict[int, str],
        ids: dict[str, str],
    ) -> None:
        """Validate one fyNNNN.json and add its advice to ``items`` (by year and code)."""
        data = self.fields(value, "", {"about", "framework_year", "applies_to", "items"})
        self.text(data["about"], "about")
        base = self.integer(data["framework_year"], "framework_year")
        match = _ITEM_FILE.fullmatch(self.path.name)
        if match is None or int(match.group(1)) != base:
            self.fail("framework_year", f"{base} does not match the file name")
        applies = self.years(data["applies_to"], "applies_to")
        if base not in applies:
            self.fail("applies_to", f"must include the framework year {base}")
        for year in applies:
            if year in item_files:
                self.fail("applies_to", f"FY{year} is already covered by {item_files[year]}")
            item_files[year] = self.path.name
        for i, entry in enumerate(self.array(data["items"], "items")):
            field = _join("items", i)
            block = self.fields(entry, field, {"code", "recommendations"}, {"years"})
            code = self.text(block["code"], _join(field, "code"))
            if not _CODE.fullmatch(code):
                self.fail(_join(field, "code"), f"{code!r} is not a lower-case item code like o23")
            years = applies
            if "years" in block:
                years = self.years(block["years"], _join(field, "years"))
                outside = [y for y in years if y not in applies]
                if outside:
                    self.fail(_join(field, "years"), f"{outside} not in applies_to")
            advice = self.advice_list(block["recommendations"], _join(field, "recommendations"))
            for j, piece in enumerate(advice):
                if piece.id in ids:
                    self.fail(
                        _join(_join(_join(field, "recommendations"), j), "id"),
                        f"duplicate id {piece.id!r} (also in {ids[piece.id]})",
                    )
                ids[piece.id] = self.path.name
            for year in years:
                self.check_code(code, year, _join(field, "code"))
                if (year, code) in items:
                    self.fail(_join(field, "code"), f"{code} has advice twice for FY{year}")
                items[(year, code)] = advice

    def years(self, value: object, field: str) -> tuple[int, ...]:
        raw = self.array(value, field)
        years = tuple(self.integer(y, _join(field, i)) for i, y in enumerate(raw))
        if len(set(years)) != len(years):
            self.fail(field, "a year is listed twice")
        return years

    def check_code(self, code: str, year: int, field: str) -> None:
        try:
            framework = get_framework(year)
        except UnknownYear:
            self.fail(field, f"no ITA framework for FY{year}")
        if code not in framework.questions:
            self.fail(field, f"{code} is not an item of the FY{year} framework")
