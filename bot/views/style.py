"""Colours and change marks used by every flex template (one place, so the replies look alike)."""

from __future__ import annotations

from decimal import Decimal

from bot.views.context import Palette
from ita_core.analysis import DOWN, SAME, UP
from ita_core.scoring import EXCELLENT, FAIL, PASS, PASS_EXCELLENT, PASS_GOOD

# Brand and neutral colours.
PRIMARY = "#1F4E79"  # header band, primary buttons
TEXT = "#222222"
MUTED = "#777777"
TRACK = "#E6E6E6"  # the empty part of a score bar
ROW_HIGHLIGHT = "#EAF2FB"  # the asking agency's row in a ranking

# Scores against the target.
EXCELLENT_GREEN = "#1B7F3B"  # 95 and above
GOOD_GREEN = "#43A047"  # at or above the target
NEAR_ORANGE = "#F57C00"  # below the target by less than NEAR_GAP
BELOW_RED = "#D32F2F"  # further below the target
NEAR_GAP = Decimal(10)

# Change between years.
UP_GREEN = "#2E7D32"
DOWN_RED = "#C62828"
SAME_GREY = "#757575"

LEVEL_COLOURS: dict[str, str] = {
    PASS_EXCELLENT: "#1B7F3B",
    PASS_GOOD: "#43A047",
    PASS: "#F9A825",
    FAIL: "#D32F2F",
    "AA": "#1B5E20",
    "A": "#2E7D32",
    "B": "#7CB342",
    "C": "#F9A825",
    "D": "#FB8C00",
    "E": "#E64A19",
    "F": "#C62828",
}


def level_colour(level: str | None) -> str:
    """The badge colour of a level (ผ่านดีเยี่ยม..ไม่ผ่าน, AA..F); grey when unknown."""
    return LEVEL_COLOURS.get(level or "", SAME_GREY)


def score_colour(score: Decimal | None, target: Decimal) -> str:
    """Bar colour of a score: dark green ≥ 95, green ≥ target, orange just below, red further below."""
    if score is None:
        return SAME_GREY
    if score >= EXCELLENT and score >= target:
        return EXCELLENT_GREEN
    if score >= target:
        return GOOD_GREEN
    if score >= target - NEAR_GAP:
        return NEAR_ORANGE
    return BELOW_RED


def change_colour(direction: str | None) -> str:
    """Green for up, red for down, grey for the same or unknown."""
    return {UP: UP_GREEN, DOWN: DOWN_RED}.get(direction or SAME, SAME_GREY)

# Priority of a recommendation (ita_core.recommendations.PRIORITY_*): label and colour.
PRIORITY_STYLES: dict[int, tuple[str, str]] = {
    1: ("เร่งด่วนที่สุด", BELOW_RED),
    2: ("เร่งด่วน", NEAR_ORANGE),
    3: ("สำคัญ", NEAR_ORANGE),
    4: ("ควรปรับปรุง", "#F9A825"),
    5: ("รักษามาตรฐาน", GOOD_GREEN),
}

# What the templates see as ``colours``.
PALETTE = Palette(
    primary=PRIMARY,
    on_primary_muted="#CFE0F2",
    text=TEXT,
    muted=MUTED,
    track=TRACK,
    highlight=ROW_HIGHLIGHT,
    good=GOOD_GREEN,
    bad=BELOW_RED,
)
