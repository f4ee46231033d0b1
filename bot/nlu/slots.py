"""Slot extraction: numbers, codes and names in a normalised message.

Extractors run in a fixed order over a scratch copy of the text, and each one *consumes* the
characters it used, so a number serves one slot only: in "ย้อนหลัง 5 ปี" the 5 is a span of
years (not year 5, not indicator 5), and in "ตัวชี้วัดที่ 10ปีที่แล้ว" the 10 is the indicator.
What is left is scanned once with the lexicon's trie regex for names, relative years and cue words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.nlu import patterns as p
from bot.nlu.lexicon import SLOTS, Lexicon, Rule, Term
from bot.nlu.normalize import Normalized
from bot.nlu.numbers import parse_number
from bot.nlu.trie import lookup

_MASK = "\x00"
_NAME_SLOTS = ("indicator", "tool")
_CODE_STOPWORDS = frozenset({"code", "register", "registration", "line", "ita", "iit", "eit", "oit", "invite",
                             "activate", "signup", "please", "account", "link"})


@dataclass
class Mention:
    """A slot value and where it was found (earlier mentions win)."""

    pos: int
    value: Any


@dataclass
class Found:
    """Everything extracted from one message."""

    slots: dict[str, Any]
    features: dict[str, Any]
    cues: list[Term]
    rules: list[Rule]
    coverage: float  # share of letters and digits explained by slots, cues or fillers
    followup: bool
    extras: dict[str, Any] = field(default_factory=dict)


class _Scratch:
    """The message with consumed characters masked out."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._chars = list(text)
        self.covered = [False] * len(text)
        self.masked = text

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self._chars[i] = _MASK
            self.covered[i] = True
        self.masked = "".join(self._chars)

    def cover(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.covered[i] = True


@dataclass
class _Mentions:
    indicator: list[Mention] = field(default_factory=list)
    sub_indicator: list[Mention] = field(default_factory=list)
    tool: list[Mention] = field(default_factory=list)
    question: list[Mention] = field(default_factory=list)
    years: list[Mention] = field(default_factory=list)
    offsets: list[Mention] = field(default_factory=list)
    scope: list[Mention] = field(default_factory=list)
    threshold: list[Mention] = field(default_factory=list)
    code: list[Mention] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)


def year_value(digits: str, *, ce: bool = False) -> int | None:
    """Buddhist-Era year of a 2- or 4-digit number, or None if it cannot be a fiscal year."""
    n = int(digits)
    if len(digits) == 4:
        if 2400 <= n <= 2699:
            return n
        if 1900 <= n <= 2156:
            return n + 543
        return None
    if ce:
        return 2000 + n + 543
    if 50 <= n <= 99:
        return 2500 + n
    if 15 <= n <= 49:  # "ปี 24", "fy24": a two-digit Christian year
        return 2000 + n + 543
    return None


def _extract_code(s: _Scratch, m: _Mentions) -> None:
    cue = p.REGISTER_CUE.search(s.masked)
    if cue is None:
        return
    after = [t for t in p.CODE_TOKEN.finditer(s.masked, cue.end()) if _is_code(t.group(0))]
    before = [t for t in p.CODE_TOKEN.finditer(s.masked, 0, cue.start()) if _is_code(t.group(0))]
    token = after[0] if after else (before[-1] if before else None)
    if token is not None:
        m.code.append(Mention(token.start(), token.group(0).upper()))
        s.take(token.start(), token.end())


def _is_code(token: str) -> bool:
    if token in _CODE_STOPWORDS:
        return False
    if token.isdigit():
        return len(token) >= 6
    if any(ch.isdigit() for ch in token):
        return True
    return len(token) >= 6


def _extract_questions(s: _Scratch, m: _Mentions) -> None:
    for m_tool in p.EIT_PART.finditer(s.masked):
        m.tool.append(Mention(m_tool.start(), "EIT"))
        s.take(m_tool.start(), m_tool.end())
    for regex in (p.QUESTION_AFTER_TOOL, p.QUESTION_BEFORE_TOOL):
        for match in regex.finditer(s.masked):
            tool = match.group("tool").upper()
            number = int(match.group("n"))
            if number >= 1:
                m.question.append(Mention(match.start(), f"{tool[0].lower()}{number}"))
                m.tool.append(Mention(match.start("tool"), tool))
            s.take(match.start(), match.end())
    for regex in (p.QUESTION_THAI_LETTER, p.QUESTION_CODE):
        for match in regex.finditer(s.masked):
            number = int(match.group("n"))
            if number < 1:
                continue
            letter = p.THAI_LETTER.get(match.group("letter"), match.group("letter"))
            m.question.append(Mention(match.start(), f"{letter}{number}"))
            s.take(match.start(), match.end())


def _extract_indicators(s: _Scratch, m: _Mentions) -> None:
    for match in p.INDICATOR.finditer(s.masked):
        number = parse_number(match.group("n") or match.group("word") or "") or p.EN_NUMBERS.get(match.group("en"))
        if number is None or not 1 <= number <= 10:
            continue  # "ตัวชี้วัดที่ 85 ลงมา": the number is left for the threshold
        s.take(match.start(), match.end())
        m.indicator.append(Mention(match.start(), number))
        if match.group("sub"):
            m.sub_indicator.append(Mention(match.start(), f"{number}.{match.group('sub')}"))
    for match in p.BARE_SUB_INDICATOR.finditer(s.masked):
        if p.NOT_SUB_BEFORE.search(s.masked, 0, match.start()) or p.NOT_SUB_AFTER.match(s.masked, match.end()):
            continue
        number = int(match.group("n"))
        m.indicator.append(Mention(match.start(), number))
        m.sub_indicator.append(Mention(match.start(), f"{number}.{match.group('sub')}"))
        s.take(match.start(), match.end())


def _extract_relative_spans(s: _Scratch, m: _Mentions) -> None:
    for match in p.YEARS_BACK.finditer(s.masked):
        number = parse_number(match.group("n") or match.group("n2") or "")
        if number is not None and 1 <= number <= 30:
            m.features.setdefault("years_back", number)
            s.take(match.start(), match.end())
    for match in p.YEARS_AGO.finditer(s.masked):
        number = parse_number(match.group("n") or match.group("n2") or "")
        if number is not None and 1 <= number <= 20:
            m.offsets.append(Mention(match.start(), -number))
            s.take(match.start(), match.end())


def _add_year_pair(m: _Mentions, first: int, second: int, ranged: bool) -> None:
    if ranged and abs(second - first) >= 2:
        m.features["year_range"] = True
    elif first != second:
        m.features["two_years"] = True


def _extract_years(s: _Scratch, m: _Mentions) -> None:
    for match in p.YEAR_MARK.finditer(s.masked):
        if match.start() < len(s.masked) and s.masked[match.start()] == _MASK:
            continue
        keep_mark = (match.group("be") or "") in p.KEEP_MARK
        if keep_mark and len(match.group("num")) == 2 and p.NOT_YEAR_AFTER.match(s.masked, match.end()):
            continue  # "ita 85 คะแนน" is a score; "ปีงบ 66 คะแนน iit" is still a year
        value = year_value(match.group("num"), ce=match.group("ce") is not None)
        if value is None:
            continue
        s.take(match.start("num") if keep_mark else match.start(), match.end())
        m.years.append(Mention(match.start(), value))
        if p.RANGE_START.search(s.text, 0, match.start("num")):
            m.features["year_range"] = True
        previous, end = value, match.end()
        while (more := p.YEAR_CONTINUATION.match(s.masked, end)) is not None:
            nxt = year_value(more.group("num"), ce=match.group("ce") is not None)
            if nxt is None:
                break
            if len(more.group("num")) == 2 and p.NOT_YEAR_AFTER.match(s.masked, more.end()):
                break
            m.years.append(Mention(more.start("num"), nxt))
            _add_year_pair(m, previous, nxt, more.group("range") is not None)
            s.take(more.end("conn"), more.end())  # the connector may be a cue word (เทียบ, vs)
            previous, end = nxt, more.end()
    for match in p.BARE_YEAR_PAIR.finditer(s.masked):
        a, b = int(match.group("a")), int(match.group("b"))
        if not (55 <= a <= 80 and 55 <= b <= 80) or p.NOT_YEAR_AFTER.match(s.masked, match.end()):
            continue
        m.years.append(Mention(match.start(), 2500 + a))
        m.years.append(Mention(match.start("b"), 2500 + b))
        _add_year_pair(m, a, b, match.group("range") is not None)
        s.take(match.start(), match.end("a"))
        s.take(match.start("b"), match.end())
    for match in p.TOOL_YEAR.finditer(s.masked):
        digits = match.group("num")
        if len(digits) == 2 and not 55 <= int(digits) <= 80:
            continue
        if (value := year_value(digits)) is not None and not p.NOT_YEAR_AFTER.match(s.masked, match.end()):
            m.years.append(Mention(match.start("num"), value))
            s.take(match.start("num"), match.end())
    for match in p.SINCE_YEAR.finditer(s.masked):
        n = int(match.group("num"))
        if 55 <= n <= 80 and not p.NOT_YEAR_AFTER.match(s.masked, match.end()):
            m.years.append(Mention(match.start("num"), 2500 + n))
            m.features["year_range"] = True
            s.take(match.start("num"), match.end())


def _extract_bare_years(s: _Scratch, m: _Mentions) -> None:
    for match in p.BARE_YEAR.finditer(s.masked):
        n = int(match.group("num"))
        if 2550 <= n <= 2600 or 2007 <= n <= 2057:
            value = year_value(match.group("num"))
            m.years.append(Mention(match.start(), value))
            if p.RANGE_START.search(s.text, 0, match.start()):
                m.features["year_range"] = True
            s.take(match.start(), match.end())


def _number(text: str) -> float | int | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        value = float(text)
        return int(value) if value.is_integer() else value
    return parse_number(text)


def _extract_thresholds(s: _Scratch, m: _Mentions) -> None:
    for regex in (p.THRESHOLD, p.THRESHOLD_SUFFIX):
        for match in regex.finditer(s.masked):
            value = _number(match.group("num"))
            if value is None or not 0 <= value <= 100:
                continue
            m.threshold.append(Mention(match.start(), value))
            if match.group("below"):
                m.features.setdefault("threshold_below", True)
            elif match.group("above"):
                m.features.setdefault("threshold_above", True)
            s.take(match.start(), match.end())


class SlotExtractor:
    """Runs the extractors and the lexicon scan over one normalised message."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def extract(self, normalized: Normalized) -> Found:
        """Slots, features and cue words of a normalised message."""
        s = _Scratch(normalized.text)
        m = _Mentions()
        _extract_code(s, m)
        _extract_questions(s, m)
        _extract_indicators(s, m)
        _extract_relative_spans(s, m)
        _extract_years(s, m)
        _extract_thresholds(s, m)
        _extract_bare_years(s, m)
        cues, names = self._scan_terms(s, m, normalized.shared)
        rules = self._apply_rules(s, m, names)
        if not cues and not rules:
            self._bare_code(s, m)
        return self._resolve(s, m, cues, rules)

    def _scan_terms(self, s: _Scratch, m: _Mentions, shared: frozenset[int]) -> tuple[list[Term], str]:
        """Scan for lexicon terms; return the cue terms and the text with name spans masked."""
        cues: list[Term] = []
        names = list(s.text)
        seen: set[int] = set()
        pos = 0
        regex = self.lexicon.term_regex
        while (match := regex.search(s.masked, pos)) is not None:
            if match.start() == match.end():
                pos = match.end() + 1
                continue
            last = match.end() - 1
            pos = last if last in shared and last > match.start() else match.end()
            term = lookup(self.lexicon.terms, match.group(0))
            s.cover(match.start(), match.end())
            if term.slot is not None:
                getattr(m, {"year_offset": "offsets"}.get(term.slot, term.slot)).append(
                    Mention(match.start(), term.value))
                if term.slot in _NAME_SLOTS:
                    names[match.start():match.end()] = _MASK * (match.end() - match.start())
            if term.intents and id(term) not in seen:
                seen.add(id(term))
                cues.append(term)
        return cues, "".join(names)

    def _apply_rules(self, s: _Scratch, m: _Mentions, text: str) -> list[Rule]:
        """Rules see the text with indicator and tool names masked: the ปรับปรุง inside
        การปรับปรุงระบบการทำงาน is part of a name, not a wish to improve."""
        hits = []
        for rule in self.lexicon.rules:
            match = rule.pattern.search(text)
            if match is None:
                continue
            hits.append(rule)
            s.cover(match.start(), match.end())
            if rule.scope is not None:
                # A named place (จังหวัด, อำเภอ) is more specific than "other agencies like us".
                m.scope.append(Mention(len(s.text) + match.start(), rule.scope))
        return hits

    @staticmethod
    def _bare_code(s: _Scratch, m: _Mentions) -> None:
        """A message that is nothing but a code-shaped token is taken as a registration code."""
        if m.indicator or m.tool or m.question or m.years or m.threshold or m.code:
            return
        tokens = list(p.CODE_TOKEN.finditer(s.masked))
        if len(tokens) != 1:
            return
        start, end = tokens[0].span()
        if any(not s.covered[i] and p.COUNTED.match(ch) for i, ch in enumerate(s.text) if not start <= i < end):
            return  # other words that nothing explained: not a bare code
        token = tokens[0].group(0)
        if len(token) >= 5 and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            m.code.append(Mention(tokens[0].start(), token.upper()))
            s.take(tokens[0].start(), tokens[0].end())

    def _resolve(self, s: _Scratch, m: _Mentions, cues: list[Term], rules: list[Rule]) -> Found:
        slots: dict[str, Any] = dict.fromkeys(SLOTS)
        extras: dict[str, Any] = {}
        features = dict(m.features)
        for name in ("indicator", "sub_indicator", "question", "scope", "threshold", "code"):
            mentions: list[Mention] = getattr(m, name)
            if mentions:
                slots[name] = min(mentions, key=lambda x: x.pos).value
        tools = {x.value for x in m.tool}
        if len(tools) == 1:
            slots["tool"] = tools.pop()
        elif len(tools) > 1:
            features["all_tools"] = True
        years: list[int] = []
        for mention in sorted(m.years, key=lambda x: x.pos):
            if mention.value not in years:
                years.append(mention.value)
        offsets = [x.value for x in sorted(m.offsets, key=lambda x: x.pos)]
        if len(years) > 2:  # three or more years is a history, not a comparison
            features.pop("two_years", None)
            features["year_range"] = True
        if years:
            slots["year"] = years[0]
        if len(years) > 1:
            slots["compare_year"] = years[-1] if len(years) > 2 else years[1]
        if offsets:
            slots["year_offset"] = offsets[0]
            if len(offsets) > 1 and offsets[1] != offsets[0]:
                extras["compare_year_offset"] = offsets[1]
                features["two_years"] = True
            elif years:
                features["two_years"] = True
        if "years_back" in features:
            extras["years_back"] = features["years_back"]
        counted = [i for i, ch in enumerate(s.text) if p.COUNTED.match(ch)]
        coverage = sum(s.covered[i] for i in counted) / len(counted) if counted else 1.0
        return Found(slots, features, cues, rules, coverage, p.FOLLOWUP.search(s.text) is not None, extras)
