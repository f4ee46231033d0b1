"""The small value objects templates read (attributes, not dict keys: Jinja reads attributes of
objects several times faster than keys of dicts through ``row.label``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Action = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Header:
    """The coloured band on top of a bubble."""

    title: str
    agency: str
    subtitle: str


@dataclass(frozen=True, slots=True)
class Line:
    """One line of coloured text."""

    text: str
    colour: str


@dataclass(frozen=True, slots=True)
class Button:
    """A footer button: ``primary``, ``secondary`` or ``link`` around a postback action."""

    style: str
    action: Action


@dataclass(frozen=True, slots=True)
class Row:
    """A score row: label, number and bar, optional ▲▼ change, note and tap action."""

    label: str
    score: str
    width: str
    colour: str
    change: str
    change_colour: str
    note: str | None = None
    note_colour: str | None = None
    action: Action | None = None
    max_lines: int | None = None


@dataclass(frozen=True, slots=True)
class CompareRow:
    """A table row of a comparison: label, before, after, change."""

    label: str
    before: str
    after: str
    colour: str
    change: str
    change_colour: str
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class RankRow:
    """One agency in a ranking table."""

    rank: str
    name: str
    score: str
    highlight: bool


@dataclass(frozen=True, slots=True)
class Group:
    """A titled group of rows (the indicators of one tool)."""

    title: str
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours templates use, as ``colours.<name>``."""

    primary: str
    on_primary_muted: str
    text: str
    muted: str
    track: str
    highlight: str
    good: str
    bad: str


@dataclass(frozen=True, slots=True)
class Focus:
    """A titled list of lines (what the overall summary points at)."""

    title: str
    lines: list[Line]


@dataclass(frozen=True, slots=True)
class IndicatorsBubble:
    """The second bubble of the overall answer: the ten indicators grouped by tool."""

    title: str
    groups: list[Group]
    note: str
    buttons: list[Button]


@dataclass(frozen=True, slots=True)
class ToolBubble:
    """One tool with its indicators."""

    header: Header
    name: str
    score: str
    score_colour: str
    width: str
    label: str | None
    status: Line
    change: Line | None
    parts: list[Row]
    rows: list[Row]
    buttons: list[Button]


@dataclass(frozen=True, slots=True)
class AdviceBubble:
    """One recommendation."""

    title: str
    target: str
    priority: str
    priority_colour: str
    reason: str
    text: str
    steps: list[str]
    buttons: list[Button]


@dataclass(frozen=True, slots=True)
class HelpRow:
    """One thing the bot can do, with a tappable example."""

    what: str
    example: str
    action: Action
