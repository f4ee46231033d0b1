"""The ITA framework of each fiscal year, loaded from the data files in ``ita_core/data/frameworks``.

Each year is one JSON file (``fy2562.json`` ... ``fy2568.json``); a later year without a file of its
own (2569, 2570: up to ``LAST_FOLLOWED_YEAR``) follows the newest earlier file until NACC's changes
are added. Files are read once per process, on first use, and validated when loaded: a broken file
raises :class:`FrameworkError` naming the file and the field (``fy2568.json: indicators[3].tool: ...``,
list indexes counted from 0).

Item-level facts (titles, sub-indicator ranges) carry the confidence and sources of the reference
(``shared/reference/ita_catalog.json``); see ``docs/frameworks.md``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, NoReturn, cast

from ita_core.errors import FrameworkError, UnknownYear
from ita_core.numbers import to_arabic_digits

Tool = Literal["IIT", "EIT", "OIT"]
TOOLS: tuple[Tool, ...] = ("IIT", "EIT", "OIT")
Confidence = Literal["high", "medium", "low"]
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")
ScaleKind = Literal["letter", "pass_levels"]
SCALES: tuple[ScaleKind, ...] = ("letter", "pass_levels")

FRAMEWORK_DIR = Path(__file__).parent / "data" / "frameworks"
# Years after the newest file follow it up to this one. Raise it when a new assessment round opens
# before its framework file exists (see docs/frameworks.md).
LAST_FOLLOWED_YEAR = 2570
CODE_PREFIX: dict[Tool, str] = {"IIT": "i", "EIT": "e", "OIT": "o"}
EIT_PART_KEYS = ("1", "2")

_FILE_NAME = re.compile(r"fy(\d{4})\.json")
_CODE = re.compile(r"[ieo][1-9]\d*")
_LOOSE_CODE = re.compile(r"([ieo])0*(\d+)")

# Caveats for particular following years, beyond the generic one.
_FOLLOW_NOTES: dict[int, tuple[str, ...]] = {
    2569: (
        "One agency's website (RTRDA) lists re-ordered OIT headings for 2569 (about 26 items, e.g. "
        "O21 การประเมินความเสี่ยงการทุจริตในหน่วยงานภาครัฐ); that single source is unverified, so the 2568 "
        "item list is used. Item codes and titles may not match the 2569 assessment.",
    ),
}


@dataclass(frozen=True)
class Question:
    """One assessment item (i1.., e1.., o1..)."""

    code: str  # lower case: "o23"
    title: str | None  # None where the reference has no wording; never invented
    tool: Tool
    indicator: int
    sub_indicator: str | None  # "9.2" or None
    confidence: Confidence
    sources: tuple[str, ...]
    inferred: bool = False
    # A paraphrase of what the item is about, NOT the official wording (the catalog's "[topic]").
    topic: str | None = None
    issue: str | None = None  # the ประเด็นย่อย (sub-issue) an OIT item belongs to, where known
    note: str | None = None  # caveats from the reference (e.g. the likely title when unverified)


@dataclass(frozen=True)
class SubIndicator:
    """A sub-indicator such as 9.2, with the codes of its items."""

    code: str  # "9.2"
    name: str
    questions: tuple[str, ...]
    confidence: Confidence
    sources: tuple[str, ...]
    questions_inferred: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Indicator:
    """One of the ten indicators of a year."""

    number: int
    name: str  # official Thai name
    tool: Tool
    aliases: tuple[str, ...]  # variants people write, e.g. การใช้อำนาจหน้าที่
    name_en: str | None
    sub_indicators: tuple[SubIndicator, ...]
    confidence: Confidence
    sources: tuple[str, ...]
    note: str | None = None

    def matches_name(self, text: str) -> bool:
        """Whether ``text`` is this indicator's name or an alias, ignoring spaces."""
        wanted = _squash(text)
        return any(_squash(name) == wanted for name in (self.name, *self.aliases))


@dataclass(frozen=True)
class LevelBand:
    """A band of the letter scale (2562-2565): ``minimum`` inclusive."""

    level: str
    minimum: Decimal


@dataclass(frozen=True)
class Framework:
    """Everything the scoring engine and the chat need to know about one fiscal year."""

    year: int  # Buddhist Era fiscal year
    data_year: int  # the year whose file this is (2569 -> 2568 until NACC publishes changes)
    scale: ScaleKind
    weights: dict[Tool, Decimal]  # {"IIT": 0.30, "EIT": 0.30, "OIT": 0.40}
    tool_names: dict[Tool, str]  # Thai names of the tools that year
    indicators: tuple[Indicator, ...]  # exactly ten, numbered 1..10
    questions: dict[str, Question]  # by lower-case code
    letter_bands: tuple[LevelBand, ...] = ()  # for scale == "letter", highest first
    eit_parts: bool = False  # EIT reported in two parts (2566 onward)
    # How sure the reference is of this year's item structure (codes -> indicators and
    # sub-indicators); a following year (year != data_year) is always "low".
    confidence: Confidence = "high"
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    scale_confidence: Confidence = "high"
    weights_confidence: Confidence = "high"
    eit_part_names: dict[str, str] = field(default_factory=dict)  # {"1": "... (EIT Public)", "2": ...}

    @property
    def follows_earlier_year(self) -> bool:
        """True when this year has no file of its own and uses ``data_year``'s."""
        return self.year != self.data_year

    def indicator(self, number: int) -> Indicator:
        """The indicator with that number (1-10); KeyError if none."""
        for ind in self.indicators:
            if ind.number == number:
                return ind
        raise KeyError(number)

    def tool_indicators(self, tool: Tool) -> tuple[int, ...]:
        """Numbers of the indicators a tool covers, in order."""
        return tuple(ind.number for ind in self.indicators if ind.tool == tool)

    def sub_indicator(self, code: str) -> SubIndicator:
        """The sub-indicator with that code ("9.2"); KeyError if none."""
        for ind in self.indicators:
            for sub in ind.sub_indicators:
                if sub.code == code:
                    return sub
        raise KeyError(code)

    def question(self, code: str) -> Question:
        """The item with that code; "O23", "o 23" and "o๒๓" all find o23. KeyError if none."""
        normal = normalize_question_code(code)
        if normal is None or normal not in self.questions:
            raise KeyError(code)
        return self.questions[normal]

    def indicator_questions(self, number: int) -> tuple[Question, ...]:
        """The known items of one indicator, in order (may be empty where the reference has none)."""
        return tuple(q for q in self.questions.values() if q.indicator == number)

    def tool_questions(self, tool: Tool) -> tuple[Question, ...]:
        """The known items of one tool, in order."""
        return tuple(q for q in self.questions.values() if q.tool == tool)

    def find_indicator(self, text: str) -> Indicator | None:
        """The indicator whose name or alias is ``text`` (spaces ignored), or None."""
        for ind in self.indicators:
            if ind.matches_name(text):
                return ind
        return None


def normalize_question_code(text: str) -> str | None:
    """``"O๐๕"`` -> ``"o5"``: lower case, ASCII digits, no spaces or leading zeros; None if not a code."""
    squashed = _squash(to_arabic_digits(text)).lower()
    match = _LOOSE_CODE.fullmatch(squashed)
    if match is None or int(match.group(2)) == 0:
        return None
    return f"{match.group(1)}{int(match.group(2))}"


def _squash(text: str) -> str:
    return "".join(text.split())


# --- the registry -----------------------------------------------------------------------------


@functools.cache
def _file_paths() -> dict[int, Path]:
    """The framework files present, by fiscal year (scanned on first use)."""
    paths: dict[int, Path] = {}
    for path in sorted(FRAMEWORK_DIR.glob("fy*.json")):
        match = _FILE_NAME.fullmatch(path.name)
        if match:
            paths[int(match.group(1))] = path
    if not paths:
        raise FrameworkError(f"{FRAMEWORK_DIR}: no framework files (fyNNNN.json)")
    return paths


@functools.cache
def _framework_of_file(year: int) -> Framework:
    return load_framework_file(_file_paths()[year])


def framework_years() -> tuple[int, ...]:
    """The fiscal years that have a framework: every file's year, then following years."""
    paths = _file_paths()
    return tuple(range(min(paths), max(max(paths), LAST_FOLLOWED_YEAR) + 1))


@functools.cache
def get_framework(year: int) -> Framework:
    """The framework of a fiscal year (B.E.); UnknownYear if there is none. Cached per process."""
    years = framework_years()
    if isinstance(year, bool) or not isinstance(year, int) or year not in years:
        raise UnknownYear(year, years)
    data_year = max(y for y in _file_paths() if y <= year)
    base = _framework_of_file(data_year)
    if data_year == year:
        return base
    follow = (
        f"FY{year} has no framework file yet: it follows fy{data_year}.json until NACC's {year} "
        f"framework is added. Item-level confidence and sources describe {data_year}."
    )
    return replace(
        base,
        year=year,
        confidence="low",
        notes=(follow, *_FOLLOW_NOTES.get(year, ()), *base.notes),
    )


def clear_framework_cache() -> None:
    """Forget loaded frameworks so the files are read again (for tests and tooling)."""
    get_framework.cache_clear()
    _framework_of_file.cache_clear()
    _file_paths.cache_clear()


# --- loading and validation -----------------------------------------------------------------


def load_framework_file(path: Path | str) -> Framework:
    """Read and validate one framework file; FrameworkError names the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{path.name}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkError(f"{path.name}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return _Parser(path.name).framework(data)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _show(options: Sequence[str]) -> str:
    return ", ".join(options)


class _Parser:
    """Turns the JSON of one file into a Framework, failing on the first problem with its path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> NoReturn:
        raise FrameworkError(f"{self.source}: {path or '(top level)'}: {message}")

    # scalar readers

    def fields(
        self, value: object, path: str, required: set[str], optional: frozenset[str] = frozenset()
    ) -> dict[str, object]:
        if not isinstance(value, dict):
            self.fail(path, f"expected an object, got {_type_name(value)}")
        for key in sorted(required):
            if key not in value:
                self.fail(_join(path, key), "missing required field")
        for key in value:
            if key not in required and key not in optional:
                self.fail(_join(path, str(key)), "unexpected field")
        return cast(dict[str, object], value)

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_type_name(value)}")
        if not value.strip():
            self.fail(path, "must not be empty")
        return value

    def optional_text(self, value: object, path: str) -> str | None:
        return None if value is None else self.text(value, path)

    def integer(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {_type_name(value)}")
        return value

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_type_name(value)}")
        return value

    def choice(self, value: object, path: str, options: Sequence[str]) -> str:
        if not isinstance(value, str) or value not in options:
            self.fail(path, f"{value!r} is not one of {_show(options)}")
        return value

    def confidence(self, value: object, path: str) -> Confidence:
        return cast(Confidence, self.choice(value, path, CONFIDENCES))

    def tool(self, value: object, path: str) -> Tool:
        return cast(Tool, self.choice(value, path, TOOLS))

    def decimal(self, value: object, path: str) -> Decimal:
        # Strings only: a JSON float such as 0.3 would already have lost its exact value.
        if not isinstance(value, str):
            self.fail(path, f'expected a decimal string such as "0.30", got {_type_name(value)}')
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.fail(path, f"{value!r} is not a decimal number")
        if not number.is_finite():
            self.fail(path, f"{value!r} is not a decimal number")
        return number

    def texts(self, value: object, path: str, *, non_empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_type_name(value)}")
        if non_empty and not value:
            self.fail(path, "must not be empty")
        items = tuple(self.text(item, _join(path, i)) for i, item in enumerate(value))
        for i, item in enumerate(items):
            if item in items[:i]:
                self.fail(_join(path, i), f"duplicate {item!r}")
        return items

    def items(self, value: object, path: str) -> list[object]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_type_name(value)}")
        return value

    # the file

    _TOP_REQUIRED = frozenset(
        {
            "fiscal_year", "scale", "scale_confidence", "weights", "weights_confidence", "tool_names",
            "eit_parts", "confidence", "sources", "notes", "indicators", "questions",
        }
    )  # fmt: skip
    _TOP_OPTIONAL = frozenset({"letter_bands", "eit_part_names"})

    def framework(self, data: object) -> Framework:
        top = self.fields(data, "", set(self._TOP_REQUIRED), self._TOP_OPTIONAL)
        year = self.integer(top["fiscal_year"], "fiscal_year")
        name_match = _FILE_NAME.fullmatch(self.source)
        if name_match and int(name_match.group(1)) != year:
            self.fail("fiscal_year", f"{year} does not match the file name")
        if not 2500 <= year <= 2700:
            self.fail("fiscal_year", f"{year} is not a Buddhist Era year")
        scale = cast(ScaleKind, self.choice(top["scale"], "scale", SCALES))
        bands = self.letter_bands(top.get("letter_bands"), scale)
        weights = self.weights(top["weights"])
        tool_names_raw = self.fields(top["tool_names"], "tool_names", set(TOOLS))
        tool_names: dict[Tool, str] = {
            tool: self.text(tool_names_raw[tool], _join("tool_names", tool)) for tool in TOOLS
        }
        eit_parts = self.boolean(top["eit_parts"], "eit_parts")
        part_names = self.eit_part_names(top.get("eit_part_names"), eit_parts)
        indicators = self.indicators(top["indicators"])
        questions = self.questions(top["questions"], indicators)
        self.check_membership(indicators, questions)
        return Framework(
            year=year,
            data_year=year,
            scale=scale,
            weights=weights,
            tool_names=tool_names,
            indicators=indicators,
            questions=questions,
            letter_bands=bands,
            eit_parts=eit_parts,
            confidence=self.confidence(top["confidence"], "confidence"),
            sources=self.texts(top["sources"], "sources", non_empty=True),
            notes=self.texts(top["notes"], "notes"),
            scale_confidence=self.confidence(top["scale_confidence"], "scale_confidence"),
            weights_confidence=self.confidence(top["weights_confidence"], "weights_confidence"),
            eit_part_names=part_names,
        )

    def letter_bands(self, value: object, scale: ScaleKind) -> tuple[LevelBand, ...]:
        path = "letter_bands"
        if scale != "letter":
            if value not in (None, []):
                self.fail(path, f"only a letter scale has bands (scale is {scale!r})")
            return ()
        if value is None:
            self.fail(path, "missing required field (scale is 'letter')")
        raw = self.items(value, path)
        if not raw:
            self.fail(path, "must not be empty")
        bands: list[LevelBand] = []
        for i, item in enumerate(raw):
            where = _join(path, i)
            band = self.fields(item, where, {"level", "minimum"})
            level = self.text(band["level"], _join(where, "level"))
            minimum = self.decimal(band["minimum"], _join(where, "minimum"))
            if not Decimal(0) <= minimum <= Decimal(100):
                self.fail(_join(where, "minimum"), f"{minimum} is outside 0-100")
            if bands and minimum >= bands[-1].minimum:
                self.fail(
                    _join(where, "minimum"),
                    f"bands must go from highest to lowest ({minimum} after {bands[-1].minimum})",
                )
            if any(b.level == level for b in bands):
                self.fail(_join(where, "level"), f"duplicate level {level!r}")
            bands.append(LevelBand(level=level, minimum=minimum))
        if bands[-1].minimum != 0:
            self.fail(_join(path, len(bands) - 1) + ".minimum", "the lowest band must start at 0")
        return tuple(bands)

    def weights(self, value: object) -> dict[Tool, Decimal]:
        raw = self.fields(value, "weights", set(TOOLS))
        weights: dict[Tool, Decimal] = {}
        for tool in TOOLS:
            weight = self.decimal(raw[tool], _join("weights", tool))
            if not Decimal(0) < weight <= Decimal(1):
                self.fail(_join("weights", tool), f"{weight} is not between 0 and 1")
            weights[tool] = weight
        total = sum(weights.values(), Decimal(0))
        if total != 1:
            self.fail("weights", f"weights sum to {total}, not 1")
        return weights

    def eit_part_names(self, value: object, eit_parts: bool) -> dict[str, str]:
        path = "eit_part_names"
        if not eit_parts:
            if value not in (None, {}):
                self.fail(path, "only a year with eit_parts has EIT part names")
            return {}
        if value is None:
            self.fail(path, "missing required field (eit_parts is true)")
        raw = self.fields(value, path, set(EIT_PART_KEYS))
        return {key: self.text(raw[key], _join(path, key)) for key in EIT_PART_KEYS}

    def indicators(self, value: object) -> tuple[Indicator, ...]:
        path = "indicators"
        raw = self.items(value, path)
        indicators: list[Indicator] = []
        sub_codes: set[str] = set()
        for i, item in enumerate(raw):
            where = _join(path, i)
            ind = self.fields(
                item,
                where,
                {"number", "name", "tool", "name_en", "aliases", "confidence", "sources", "sub_indicators"},
                frozenset({"note"}),
            )
            number = self.integer(ind["number"], _join(where, "number"))
            if number != i + 1:
                self.fail(
                    _join(where, "number"),
                    f"expected indicator {i + 1} here (numbers run 1-10 in order), got {number}",
                )
            name = self.text(ind["name"], _join(where, "name"))
            aliases = self.texts(ind["aliases"], _join(where, "aliases"))
            if name in aliases:
                self.fail(_join(where, "aliases"), f"{name!r} is the official name, not an alias")
            subs = self.sub_indicators(ind["sub_indicators"], _join(where, "sub_indicators"), number, sub_codes)
            indicators.append(
                Indicator(
                    number=number,
                    name=name,
                    tool=self.tool(ind["tool"], _join(where, "tool")),
                    aliases=aliases,
                    name_en=self.optional_text(ind["name_en"], _join(where, "name_en")),
                    sub_indicators=subs,
                    confidence=self.confidence(ind["confidence"], _join(where, "confidence")),
                    sources=self.texts(ind["sources"], _join(where, "sources"), non_empty=True),
                    note=self.optional_text(ind.get("note"), _join(where, "note")),
                )
            )
        if len(indicators) != 10:
            self.fail(path, f"expected exactly 10 indicators (1-10), got {len(indicators)}")
        for tool in TOOLS:
            if not any(ind.tool == tool for ind in indicators):
                self.fail(path, f"no indicator belongs to {tool}")
        return tuple(indicators)

    def sub_indicators(self, value: object, path: str, number: int, seen: set[str]) -> tuple[SubIndicator, ...]:
        raw = self.items(value, path)
        subs: list[SubIndicator] = []
        listed: set[str] = set()
        for i, item in enumerate(raw):
            where = _join(path, i)
            sub = self.fields(
                item,
                where,
                {"code", "name", "questions", "confidence", "sources", "questions_inferred"},
                frozenset({"note"}),
            )
            code = self.text(sub["code"], _join(where, "code"))
            if not re.fullmatch(rf"{number}\.[1-9]\d*", code):
                self.fail(
                    _join(where, "code"),
                    f"{code!r} is not a sub-indicator code of indicator {number} (like '{number}.1')",
                )
            if code in seen:
                self.fail(_join(where, "code"), f"duplicate sub-indicator {code!r}")
            seen.add(code)
            codes = self.texts(sub["questions"], _join(where, "questions"))
            for j, qcode in enumerate(codes):
                if not _CODE.fullmatch(qcode):
                    self.fail(_join(_join(where, "questions"), j), f"{qcode!r} is not an item code like 'o23'")
                if qcode in listed:
                    self.fail(_join(_join(where, "questions"), j), f"{qcode!r} is already in another sub-indicator")
                listed.add(qcode)
            subs.append(
                SubIndicator(
                    code=code,
                    name=self.text(sub["name"], _join(where, "name")),
                    questions=codes,
                    confidence=self.confidence(sub["confidence"], _join(where, "confidence")),
                    sources=self.texts(sub["sources"], _join(where, "sources"), non_empty=True),
                    questions_inferred=self.boolean(sub["questions_inferred"], _join(where, "questions_inferred")),
                    note=self.optional_text(sub.get("note"), _join(where, "note")),
                )
            )
        return tuple(subs)

    def questions(self, value: object, indicators: Sequence[Indicator]) -> dict[str, Question]:
        path = "questions"
        raw = self.items(value, path)
        by_number = {ind.number: ind for ind in indicators}
        questions: dict[str, Question] = {}
        for i, item in enumerate(raw):
            where = _join(path, i)
            q = self.fields(
                item,
                where,
                {"code", "title", "tool", "indicator", "sub_indicator", "confidence", "sources", "inferred"},
                frozenset({"topic", "issue", "note"}),
            )
            code = self.text(q["code"], _join(where, "code"))
            if not _CODE.fullmatch(code):
                self.fail(_join(where, "code"), f"{code!r} is not a lower-case item code like 'o23'")
            if code in questions:
                self.fail(_join(where, "code"), f"duplicate code {code!r}")
            tool = self.tool(q["tool"], _join(where, "tool"))
            if code[0] != CODE_PREFIX[tool]:
                self.fail(
                    _join(where, "code"),
                    f"{code!r} does not start with {CODE_PREFIX[tool]!r} as {tool} items do",
                )
            number = self.integer(q["indicator"], _join(where, "indicator"))
            ind = by_number.get(number)
            if ind is None:
                self.fail(_join(where, "indicator"), f"{number} is not an indicator (1-10)")
            if ind.tool != tool:
                self.fail(_join(where, "tool"), f"{tool!r} but indicator {number} belongs to {ind.tool}")
            sub_code = self.optional_text(q["sub_indicator"], _join(where, "sub_indicator"))
            sub_codes = [sub.code for sub in ind.sub_indicators]
            if sub_code is not None and sub_code not in sub_codes:
                known = _show(sub_codes) if sub_codes else "none"
                self.fail(
                    _join(where, "sub_indicator"),
                    f"{sub_code!r} is not a sub-indicator of indicator {number} (it has: {known})",
                )
            if sub_code is None and sub_codes:
                self.fail(
                    _join(where, "sub_indicator"),
                    f"indicator {number} has sub-indicators, so the item must name one",
                )
            title = self.optional_text(q["title"], _join(where, "title"))
            if title is not None and title.startswith("[topic"):
                self.fail(_join(where, "title"), "a paraphrase is not a title: put it in 'topic'")
            questions[code] = Question(
                code=code,
                title=title,
                tool=tool,
                indicator=number,
                sub_indicator=sub_code,
                confidence=self.confidence(q["confidence"], _join(where, "confidence")),
                sources=self.texts(q["sources"], _join(where, "sources"), non_empty=True),
                inferred=self.boolean(q["inferred"], _join(where, "inferred")),
                topic=self.optional_text(q.get("topic"), _join(where, "topic")),
                issue=self.optional_text(q.get("issue"), _join(where, "issue")),
                note=self.optional_text(q.get("note"), _join(where, "note")),
            )
        return questions

    def check_membership(self, indicators: Sequence[Indicator], questions: Mapping[str, Question]) -> None:
        """Each sub-indicator lists exactly the items that name it."""
        for i, ind in enumerate(indicators):
            for s, sub in enumerate(ind.sub_indicators):
                where = f"indicators[{i}].sub_indicators[{s}].questions"
                for j, code in enumerate(sub.questions):
                    question = questions.get(code)
                    if question is None:
                        self.fail(f"{where}[{j}]", f"{code!r} is not in questions")
                    if question.sub_indicator != sub.code:
                        self.fail(
                            f"{where}[{j}]",
                            f"{code!r} names sub_indicator {question.sub_indicator!r}, not {sub.code!r}",
                        )
        position = {code: i for i, code in enumerate(questions)}
        for code, question in questions.items():
            if question.sub_indicator is None:
                continue
            ind = indicators[question.indicator - 1]
            sub = next(sub for sub in ind.sub_indicators if sub.code == question.sub_indicator)
            if code not in sub.questions:
                self.fail(
                    f"questions[{position[code]}].sub_indicator",
                    f"sub-indicator {sub.code} does not list {code!r}",
                )


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
