"""The keyword tables (``lexicon.json``): loaded once, validated, compiled into one trie regex.

Validation fails loudly at start-up (:class:`LexiconError`) when a table is malformed, names an
unknown intent, lists the same normalised term twice (in one table or across tables: a term means
one thing), or when a typo fix would rewrite a correct term.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.normalize import Normalizer, base_normalize, tone_optional, tone_variants
from bot.nlu.trie import compile_trie

LEXICON_PATH = Path(__file__).with_name("lexicon.json")

INTENTS: tuple[str, ...] = (
    "overall_score", "indicator_score", "tool_score", "question_score", "compare_years", "trend",
    "strengths", "weaknesses", "recommendations", "measures", "my_tasks", "ranking", "register",
    "help", "greeting", "unknown",
)
SLOTS: tuple[str, ...] = (
    "indicator", "sub_indicator", "tool", "question", "year", "year_offset", "compare_year",
    "threshold", "code", "scope",
)
TOOLS = ("IIT", "EIT", "OIT")
SCOPES = ("province", "district", "type", "national")
# Evidence that is not a contract slot but comes from the extractors (see slots.py).
FEATURES = ("two_years", "year_range", "years_back", "threshold_below", "threshold_above", "all_tools")
# Thai words inside rule patterns are normalised and get optional tone marks, like the text.
_THAI_RUN = re.compile("[\u0e01-\u0e5b]+")
_SINGLE_CHARACTER_TERMS = frozenset({"🙏"})
SCORE = "score"  # the pseudo-intent of words that ask for a score; shared out by ``score_share``


class LexiconError(ValueError):
    """The keyword tables are malformed or contradict themselves."""


@dataclass(frozen=True)
class Term:
    """What one lexicon term means: a slot value, intent evidence, or filler (neither)."""

    source: str  # where it was declared, for error messages: "indicators.9"
    slot: str | None = None  # "indicator", "tool", "scope", "year_offset"
    value: int | str | None = None
    intents: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A regex over normalised text that adds intent evidence (and optionally a scope).

    Patterns are written in everyday Thai spelling (``หวัดดี``, ``แบบไหน``); the Thai runs are
    normalised at load time and their tone marks made optional. Keep Thai out of ``[...]`` classes.
    """

    pattern: re.Pattern[str]
    intents: Mapping[str, float]
    scope: str | None


@dataclass(frozen=True)
class ScoreShare:
    """How much of the score-word evidence an intent receives, and what it depends on.

    The share goes to an intent when one of the ``requires`` slots or features is present, or, with
    ``requires_own``, when the intent already has evidence of its own (a cue, rule or feature), so
    that a bare "คะแนน" does not make every analysis intent a competitor.
    """

    share: float
    requires: tuple[str, ...] = ()
    requires_own: bool = False

    def applies(self, present: set[str], has_own: bool) -> bool:
        """Whether the intent gets its share: a required slot is present, or it has evidence of its own."""
        if not self.requires and not self.requires_own:
            return True
        return bool(present.intersection(self.requires)) or (self.requires_own and has_own)


@dataclass(frozen=True)
class Params:
    """Scoring constants (see docs/nlu.md)."""

    unknown_base: float
    uncovered_penalty: float
    temperature: float
    alternative_min: float
    max_alternatives: int
    defer_factor: float
    defer_intents: tuple[str, ...]
    min_tone_variant_length: int


@dataclass(frozen=True)
class Lexicon:
    """Everything the matcher needs from the tables, compiled."""

    normalize: Normalizer
    terms: Mapping[str, Term]  # normalised spelling (incl. tone-mark variants) -> meaning
    term_regex: re.Pattern[str]
    rules: tuple[Rule, ...]
    slot_weights: Mapping[str, Mapping[str, float]]
    modifier_slots: frozenset[str]
    score_share: Mapping[str, ScoreShare]
    params: Params


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise LexiconError(f"duplicate key {key!r} in the lexicon file")
        result[key] = value
    return result


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise LexiconError(message)


def _weights(raw: Any, where: str, allowed: tuple[str, ...]) -> dict[str, float]:
    _expect(isinstance(raw, dict) and bool(raw), f"{where}: expected a non-empty object of weights")
    for name, weight in raw.items():
        _expect(name in allowed, f"{where}: unknown intent or feature {name!r}")
        _expect(isinstance(weight, int | float) and weight > 0, f"{where}.{name}: weight must be > 0")
    return {str(k): float(v) for k, v in raw.items()}


class _TermTable:
    """Collects terms and refuses a normalised term declared twice."""

    def __init__(self) -> None:
        self.terms: dict[str, Term] = {}

    def add(self, raw: Any, term: Term) -> None:
        _expect(isinstance(raw, str) and raw.strip() != "", f"{term.source}: empty or non-string term")
        key = base_normalize(raw)
        _expect(len(key) >= 2 or key.isascii() or key in _SINGLE_CHARACTER_TERMS,
                f"{term.source}: {raw!r} normalises to {key!r}, too short to match safely")
        previous = self.terms.get(key)
        _expect(previous is None,
                f"term {raw!r} ({key!r}) is declared in {term.source} and in "
                f"{previous.source if previous else ''}")
        self.terms[key] = term

    def with_tone_variants(self, min_length: int) -> dict[str, Term]:
        """Add spellings with tone marks dropped, unless they would collide with a real term."""
        table = dict(self.terms)
        for key, term in self.terms.items():
            if len(key) < min_length:
                continue
            for variant in tone_variants(key):
                if len(variant) >= min_length and variant not in self.terms:
                    table.setdefault(variant, term)
        return table


def _section(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name)
    _expect(isinstance(section, dict), f"{name}: expected an object")
    assert isinstance(section, dict)
    return section


def _names(raw: Any, where: str) -> list[Any]:
    _expect(isinstance(raw, list) and bool(raw), f"{where}: expected a non-empty list of terms")
    assert isinstance(raw, list)
    return raw


def _slot_terms(data: Mapping[str, Any], table: _TermTable) -> None:
    indicators = _section(data, "indicators")
    _expect(sorted(indicators, key=int) == [str(n) for n in range(1, 11)], "indicators: need keys 1..10")
    for number, names in indicators.items():
        for name in _names(names, f"indicators.{number}"):
            table.add(name, Term(f"indicators.{number}", slot="indicator", value=int(number)))
    tools = _section(data, "tools")
    _expect(sorted(tools) == sorted(TOOLS), "tools: need keys IIT, EIT, OIT")
    for tool, names in tools.items():
        for name in _names(names, f"tools.{tool}"):
            table.add(name, Term(f"tools.{tool}", slot="tool", value=tool))
    scopes = _section(data, "scopes")
    _expect(set(scopes) <= set(SCOPES), f"scopes: keys must be among {SCOPES}")
    for scope, names in scopes.items():
        for name in _names(names, f"scopes.{scope}"):
            table.add(name, Term(f"scopes.{scope}", slot="scope", value=scope))
    for offset, names in _section(data, "relative_years").items():
        _expect(re.fullmatch(r"0|-[1-9]", offset) is not None, f"relative_years: bad offset {offset!r}")
        for name in _names(names, f"relative_years.{offset}"):
            table.add(name, Term(f"relative_years.{offset}", slot="year_offset", value=int(offset)))


def _cue_terms(data: Mapping[str, Any], table: _TermTable) -> None:
    for raw in _names(data.get("fillers"), "fillers"):
        table.add(raw, Term("fillers"))
    for intent, words in _section(data, "cues").items():
        where = f"cues.{intent}"
        _expect(intent in (*INTENTS, SCORE), f"cues: unknown intent {intent!r}")
        _expect(isinstance(words, dict) and bool(words), f"{where}: expected an object of term weights")
        for raw, weight in words.items():
            _expect(isinstance(weight, int | float) and weight > 0, f"{where}.{raw}: weight must be > 0")
            table.add(raw, Term(where, intents={intent: float(weight)}))


def _check_typos(normalizer: Normalizer, terms: Mapping[str, Term]) -> None:
    for wrong, right in normalizer.typos.items():
        _expect(wrong != right and bool(wrong), f"typos: {wrong!r} maps to itself or is empty")
        for key, term in terms.items():
            _expect(wrong not in key, f"typos: {wrong!r} occurs inside the correct term {key!r} ({term.source})")
        for other in normalizer.typos:
            _expect(other not in right, f"typos: the fix {right!r} contains the typo {other!r}")


def _rules(data: Mapping[str, Any]) -> tuple[Rule, ...]:
    rules = []
    for index, raw in enumerate(data.get("rules", [])):
        where = f"rules[{index}]"
        pattern = raw.get("pattern")
        _expect(isinstance(pattern, str) and pattern != "", f"{where}: missing pattern")
        _expect(pattern == pattern.lower(), f"{where}: write patterns in lower case (text is case-folded)")
        try:
            compiled = re.compile(_THAI_RUN.sub(lambda m: tone_optional(m.group(0)), pattern))
        except re.error as exc:
            raise LexiconError(f"{where}: bad regex: {exc}") from exc
        scope = raw.get("scope")
        _expect(scope is None or scope in SCOPES, f"{where}: unknown scope {scope!r}")
        rules.append(Rule(compiled, _weights(raw.get("intents"), where, INTENTS), scope))
    return tuple(rules)


def _score_share(data: Mapping[str, Any]) -> dict[str, ScoreShare]:
    shares = {}
    for intent, raw in data.get("score_share", {}).items():
        _expect(intent in INTENTS, f"score_share: unknown intent {intent!r}")
        if isinstance(raw, int | float):
            shares[intent] = ScoreShare(float(raw))
        else:
            requires = tuple(raw.get("requires", ()))
            _expect(set(requires) <= {*SLOTS, *FEATURES}, f"score_share.{intent}: unknown slot in requires")
            shares[intent] = ScoreShare(float(raw["share"]), requires, bool(raw.get("requires_own", False)))
    return shares


def _params(raw: Mapping[str, Any]) -> Params:
    try:
        params = Params(
            unknown_base=float(raw["unknown_base"]),
            uncovered_penalty=float(raw["uncovered_penalty"]),
            temperature=float(raw["temperature"]),
            alternative_min=float(raw["alternative_min"]),
            max_alternatives=int(raw["max_alternatives"]),
            defer_factor=float(raw["defer_factor"]),
            defer_intents=tuple(raw["defer_intents"]),
            min_tone_variant_length=int(raw["min_tone_variant_length"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LexiconError(f"params: {exc!r}") from exc
    _expect(params.temperature > 0, "params.temperature must be > 0")
    _expect(set(params.defer_intents) <= set(INTENTS), "params.defer_intents: unknown intent")
    return params


def build_lexicon(data: Mapping[str, Any]) -> Lexicon:
    """Validate the parsed tables and compile them."""
    params = _params(data.get("params", {}))
    table = _TermTable()
    _slot_terms(data, table)
    _cue_terms(data, table)
    normalizer = Normalizer(data.get("typos", {}))
    _check_typos(normalizer, table.terms)
    terms = table.with_tone_variants(params.min_tone_variant_length)
    slot_weights = {}
    for slot, weights in data.get("slot_weights", {}).items():
        _expect(slot in (*SLOTS, *FEATURES), f"slot_weights: unknown slot or feature {slot!r}")
        slot_weights[slot] = _weights(weights, f"slot_weights.{slot}", INTENTS)
    modifiers = frozenset(data.get("modifier_slots", ()))
    _expect(modifiers <= set(SLOTS), "modifier_slots: unknown slot")
    return Lexicon(
        normalize=normalizer,
        terms=terms,
        term_regex=compile_trie(terms),
        rules=_rules(data),
        slot_weights=slot_weights,
        modifier_slots=modifiers,
        score_share=_score_share(data),
        params=params,
    )


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read, validate and compile a lexicon file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{path}: {exc}") from exc
    return build_lexicon(data)
