"""Lengths of labels as LINE counts them: grapheme clusters, so Thai vowels and tone marks are free.

LINE counts action labels (buttons, quick replies) in grapheme clusters (Unicode UAX #29), not in
code points: "ข้อเสนอแนะ" is 10 code points but 7 clusters. This is a small approximation of the
extended grapheme cluster rules that is exact for Thai, Latin, digits and common emoji.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ELLIPSIS = "…"
_ZWJ = "\u200d"
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
# Characters that extend the previous cluster although they are not marks by category:
# Thai SARA AM and Lao AM (Grapheme_Cluster_Break=SpacingMark), emoji skin-tone modifiers.
_EXTENDERS = frozenset({"\u0e33", "\u0eb3", *map(chr, range(0x1F3FB, 0x1F400))})
_REGIONAL = range(0x1F1E6, 0x1F200)


def _extends(ch: str) -> bool:
    return ch in _EXTENDERS or unicodedata.category(ch) in _MARK_CATEGORIES


def grapheme_clusters(text: str) -> list[str]:
    """Split text into (approximate) extended grapheme clusters."""
    clusters: list[str] = []
    joined = False  # the previous character was a zero-width joiner
    flag_open = False  # an odd regional indicator is waiting for its pair
    for ch in text:
        regional = ord(ch) in _REGIONAL
        if clusters and (joined or ch == _ZWJ or _extends(ch) or (regional and flag_open)):
            clusters[-1] += ch
            flag_open = False if regional else flag_open
        elif clusters and ch == "\n" and clusters[-1] == "\r":
            clusters[-1] += ch
        else:
            clusters.append(ch)
            flag_open = regional
        joined = ch == _ZWJ
    return clusters


def label_length(text: str) -> int:
    """The length LINE gives a label: grapheme clusters (combining marks do not count)."""
    return len(grapheme_clusters(text))


@lru_cache(maxsize=4096)  # the same labels (agency names, questions) come back with every answer
def truncate_label(text: str, limit: int = 20) -> str:
    """``text`` cut to at most ``limit`` clusters, ending in "…" when cut; never splits a cluster."""
    text = text.strip()
    if len(text) <= limit:  # never more clusters than code points: the common case costs nothing
        return text
    clusters = grapheme_clusters(text)
    if len(clusters) <= limit:
        return text
    return "".join(clusters[: limit - 1]).rstrip() + ELLIPSIS
