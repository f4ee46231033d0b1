"""Answers to results questions, kept per process for as long as the results are unchanged.

An answer about an agency's results depends only on the stored agencies and results, the
question (intent, slots) and whether it is asked in a group; never on who asks or when. So the
rendered messages are kept, keyed on those and on ``ita_core.generation``'s counter, which every
committed import, correction or deletion moves (in any process). A hit skips the queries and
the rendering; a higher counter empties the cache, and a reader whose transaction still sees
an older one builds its answer without keeping it. Answers are kept as JSON text: the worker
sends a hit's text as it is, and anyone who reads its messages gets a copy of their own (``Kept``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, overload

from bot.line_client import compact_json

Messages = list[dict[str, Any]]


class Kept(Sequence[dict[str, Any]]):
    """An answer from the answer cache: the JSON text it was kept as, parsed only when read.

    The worker sends the text as it is (``bot.worker``), so a hit costs no parsing; anyone who
    reads the messages (iterating, indexing, comparing) gets them parsed once, a copy of their
    own. Read-only: it is not a list, so code that would change an answer or hand it to
    ``json.dumps`` fails loudly instead of quietly sending something else (``list(kept)`` gives a
    list).
    """

    __slots__ = ("_count", "_messages", "text")

    def __init__(self, text: str, count: int, messages: Messages | None = None) -> None:
        self.text = text
        self._count = count
        self._messages = messages

    def _parsed(self) -> Messages:
        if self._messages is None:
            self._messages = json.loads(self.text)
        return self._messages

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Messages: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | Messages:
        return self._parsed()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._parsed())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Kept):
            return self.text == other.text
        if isinstance(other, list):
            return self._parsed() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as a list's

    def __repr__(self) -> str:
        return f"Kept({self._parsed()!r})"


# The intents answered from results alone (see bot/handlers/results.py).
CACHEABLE = frozenset(
    {
        "overall_score",
        "indicator_score",
        "tool_score",
        "question_score",
        "compare_years",
        "trend",
        "strengths",
        "weaknesses",
        "recommendations",
        "ranking",
    }
)


def answer_key(
    intent: str, agency: str | None, in_group: bool, slots: Mapping[str, Any], extras: Mapping[str, Any]
) -> Hashable:
    """What an answer about results depends on, besides the results themselves."""
    given = tuple(sorted((k, v) for k, v in slots.items() if v is not None))
    return intent, agency, in_group, given, tuple(sorted(extras.items()))


class AnswerCache:
    """A bounded, thread-safe LRU of rendered answers for one results generation."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._generation: int | None = None
        self._entries: OrderedDict[Hashable, tuple[str, int]] = OrderedDict()  # JSON text, message count
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_build(self, generation: int, key: Hashable, build: Callable[[], Messages]) -> Sequence[dict[str, Any]]:
        """The answer kept for ``key`` in this generation, else ``build()``'s (kept for the next asker)."""
        if self.size <= 0:
            return build()
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._entries.clear()  # the results changed: nothing kept is valid any more
                self._generation = generation
            found = self._entries.get(key) if generation == self._generation else None
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if found is not None:
            return Kept(*found)
        messages = build()
        text = compact_json(messages)
        with self._lock:
            self.misses += 1
            if generation == self._generation:  # an older reader's answer is not kept
                self._entries[key] = (text, len(messages))
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return Kept(text, len(messages), messages)
