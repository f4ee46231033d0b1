"""Compile a word list into one regex shaped like a trie.

A flat alternation of a thousand Thai words makes ``re`` try every word at every position; the
trie form shares prefixes, so a scan costs about the length of the text. The regex is greedy, so
at any position the longest word wins.

Latin words get ASCII word boundaries (Thai never does: it has no spaces between words). Latin
words of four letters or more also match with an English suffix ("recommend" matches
"recommendations"); :func:`lookup` maps such a match back to its word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

_LEFT = "\x01"  # the word starts with a Latin letter: no Latin letter or digit before it
_RIGHT = "\x02"  # short Latin ending: no Latin letter after it
_STEM = "\x03"  # long Latin ending: any Latin letters may follow
_END = ""
_SPECIAL = {_LEFT: "(?<![a-z0-9])", _RIGHT: "(?![a-z])", _STEM: "[a-z]*"}
_LATIN_TAIL = re.compile("[a-z]+$")

Trie = dict[str, "Trie"]
V = TypeVar("V")


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z"


def _tokens(word: str) -> list[str]:
    tokens = list(word)
    if _is_latin(word[0]):
        tokens.insert(0, _LEFT)
    tail = _LATIN_TAIL.search(word)
    if tail is not None:
        tokens.append(_STEM if len(tail.group(0)) >= 5 else _RIGHT)
    return tokens


def _render(node: Trie) -> str:
    alternatives = []
    for key in sorted(k for k in node if k != _END and k not in _SPECIAL):
        alternatives.append(re.escape(key) + _render(node[key]))
    for key in (k for k in node if k in _SPECIAL):
        alternatives.append(_SPECIAL[key] + _render(node[key]))
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if _END in node:
        return "(?:" + body + ")?"
    return body


def compile_trie(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``words``, longest first at each position."""
    root: Trie = {}
    for word in words:
        if not word:
            raise ValueError("empty word in a trie")
        node = root
        for token in _tokens(word):
            node = node.setdefault(token, {})
        node[_END] = {}
    return re.compile(_render(root) or "(?!)")


def lookup(table: Mapping[str, V], matched: str) -> V:
    """The entry of a trie match, trimming an English suffix added by a stem match."""
    end = len(matched)
    while end > 0:
        value = table.get(matched[:end])
        if value is not None:
            return value
        if not _is_latin(matched[end - 1]):
            break
        end -= 1
    raise KeyError(matched)
