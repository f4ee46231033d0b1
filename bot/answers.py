"""Answers to results questions, kept per process for as long as the results are unchanged.

An answer about an agency's results depends only on the stored agencies and results, the
question (intent, slots) and whether it is asked in a group; never on who asks or when. So the
rendered messages are kept, keyed on those and on ``ita_core.generation``'s counter, which every
committed import, correction or deletion moves (in any process). A hit skips the queries and
the rendering; a higher counter empties the cache, and a reader whose transaction still sees
an older one builds its answer without keeping it. Answers are kept as JSON text, so every hit
gets its own copy to send.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from bot.line_client import compact_json

Messages = list[dict[str, Any]]


class Kept(list[dict[str, Any]]):
    """Messages from the answer cache, with the JSON text they were kept as (so it is not made again)."""

    def __init__(self, messages: Messages, text: str) -> None:
        super().__init__(messages)
        self.text = text

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
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_build(self, generation: int, key: Hashable, build: Callable[[], Messages]) -> Messages:
        """The answer kept for ``key`` in this generation, else ``build()``'s (kept for the next asker)."""
        if self.size <= 0:
            return build()
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._entries.clear()  # the results changed: nothing kept is valid any more
                self._generation = generation
            text = self._entries.get(key) if generation == self._generation else None
            if text is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if text is not None:
            return Kept(json.loads(text), text)
        messages = build()
        text = compact_json(messages)
        with self._lock:
            self.misses += 1
            if generation == self._generation:  # an older reader's answer is not kept
                self._entries[key] = text
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return Kept(messages, text)
