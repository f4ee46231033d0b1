"""Text normalisation shared by the matcher's input and its lexicon.

Every keyword, typo key and pattern literal goes through the same function as the user's message,
so spelling noise is removed on both sides in the same way: Thai digits become ASCII, zero-width
characters disappear, full-width Latin becomes ASCII, case is folded, runs of a repeated Thai letter
collapse to one (``ครับบบบ`` → ``ครับ``, and ``คะแนน`` → ``คะแน`` on both sides), digits are never
touched (``555`` stays ``555``), and spaces between two Thai characters are dropped because Thai
writers put them anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b\u0e4c"  # ่ ้ ๊ ๋ and ์ (thanthakhat), the marks people drop

_TRANSLATE: dict[int, str | None] = {ord(d): str(i) for i, d in enumerate(THAI_DIGITS)}
_TRANSLATE.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)})  # full-width ASCII
_TRANSLATE[0x3000] = " "  # ideographic space
for _cp in (0x00AD, 0x034F, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
            *range(0x2060, 0x2065)):
    _TRANSLATE[_cp] = None  # zero-width and direction marks

# Mis-typed composed vowels: "ํา" (nikhahit + sara aa) for "ำ", also with a tone mark in between,
# "เเ" (two sara e) for "แ", and a tone mark typed before the upper vowel it belongs after.
_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_DOUBLE_SARA_E = re.compile("\u0e40\u0e40")
_TONE_BEFORE_VOWEL = re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e37\u0e47])")
# Thai letters and signs, not Thai digits (they are ASCII by then): a run collapses to one.
_THAI_RUN = re.compile(r"([\u0e01-\u0e4f\u0e5a\u0e5b])\1+")
_PUNCT_RUN = re.compile(r"([!?.,~=_*+\-])\1+")
_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d),(\d{3})(?![\d,])")  # "2,567" is a year written with a separator
_THAI_GAP = re.compile(r"(?<=[\u0e01-\u0e4f]) (?=[\u0e01-\u0e4f])")


def _prepare(text: str) -> str:
    text = text.translate(_TRANSLATE)
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = _DOUBLE_SARA_E.sub("\u0e41", text)
    text = _TONE_BEFORE_VOWEL.sub(r"\2\1", text)
    text = text.lower()
    text = _THOUSANDS.sub(r"\1\2", text)
    text = _PUNCT_RUN.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip()
    return _THAI_GAP.sub("", text)


def _collapse(text: str) -> tuple[str, list[bool]]:
    """Collapse runs of a Thai letter; mark consonants that stood for a run (see ``Normalized``)."""
    out: list[str] = []
    marks: list[bool] = []
    last = 0
    for match in _THAI_RUN.finditer(text):
        out.append(text[last:match.start()])
        marks.extend([False] * (match.start() - last))
        out.append(match.group(1))
        marks.append(_is_consonant(match.group(1)))
        last = match.end()
    out.append(text[last:])
    marks.extend([False] * (len(text) - last))
    return "".join(out), marks


def _is_consonant(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


def base_normalize(text: str) -> str:
    """Normalise characters, case, spacing and repeated letters (no typo table)."""
    return _collapse(_prepare(text))[0]


@dataclass(frozen=True)
class Normalized:
    """A message in match form.

    ``shared`` holds the positions of consonants that stood for a run of the same letter. Such a
    run is often two words meeting ("เรื่อง|งบ", "ของ|งาน"), so a keyword scan may let the word
    ending there and the word starting there share that one letter.
    """

    text: str
    shared: frozenset[int]


class Normalizer:
    """``base_normalize`` followed by a table of whole-substring typo fixes."""

    def __init__(self, typos: Mapping[str, str]) -> None:
        self.typos = {base_normalize(k): base_normalize(v) for k, v in typos.items()}
        keys = sorted(self.typos, key=len, reverse=True)
        self._typo_re = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __call__(self, text: str) -> str:
        """Return the match form of ``text``."""
        return self.with_marks(text).text

    def with_marks(self, text: str) -> Normalized:
        """The match form of ``text`` with its shared-letter positions."""
        collapsed, marks = _collapse(_prepare(text))
        if self._typo_re is not None:
            out: list[str] = []
            new_marks: list[bool] = []
            last = 0
            for match in self._typo_re.finditer(collapsed):
                out.append(collapsed[last:match.start()])
                new_marks.extend(marks[last:match.start()])
                fixed = self.typos[match.group(0)]
                out.append(fixed)
                new_marks.extend([False] * len(fixed))
                last = match.end()
            out.append(collapsed[last:])
            new_marks.extend(marks[last:])
            collapsed, marks = "".join(out), new_marks
        return Normalized(collapsed, frozenset(i for i, mark in enumerate(marks) if mark))


def tone_variants(term: str, limit: int = 4) -> set[str]:
    """Spellings of ``term`` with any subset of its tone marks dropped (not the term itself)."""
    positions = [i for i, ch in enumerate(term) if ch in TONE_MARKS]
    if not positions or len(positions) > limit:
        return set()
    variants: set[str] = set()
    for mask in range(1, 1 << len(positions)):
        drop = {positions[b] for b in range(len(positions)) if mask >> b & 1}
        variants.add("".join(ch for i, ch in enumerate(term) if i not in drop))
    return variants


def tone_optional(literal: str) -> str:
    """A regex for the normalised ``literal`` in which every tone mark is optional."""
    out = []
    for ch in base_normalize(literal):
        out.append(re.escape(ch) + "?" if ch in TONE_MARKS else re.escape(ch))
    return "".join(out)
