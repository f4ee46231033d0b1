"""The ITA framework of each fiscal year, loaded from the data files in ``ita_core/data/frameworks``.

Each year is one JSON file (``fy2562.json`` ... ``fy2568.json``); a year without a file of its own
(2569) follows the newest earlier year until NACC publishes changes. Files are read once per
process and validated when loaded: a broken file raises :class:`FrameworkError` naming the file
and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Tool = Literal["IIT", "EIT", "OIT"]
TOOLS: tuple[Tool, ...] = ("IIT", "EIT", "OIT")
Confidence = Literal["high", "medium", "low"]
ScaleKind = Literal["letter", "pass_levels"]


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


@dataclass(frozen=True)
class SubIndicator:
    """A sub-indicator such as 9.2, with the codes of its items."""

    code: str  # "9.2"
    name: str
    questions: tuple[str, ...]
    confidence: Confidence
    sources: tuple[str, ...]
    questions_inferred: bool = False


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
    confidence: Confidence = "high"
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

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
