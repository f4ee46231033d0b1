"""Postback actions and quick replies: every tap carries structured data that skips the matcher."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.postback import postback_data
from bot.views.labels import truncate_label

LABEL_MAX = 20  # LINE: action labels, counted in grapheme clusters
QUICK_REPLY_MAX = 13


@dataclass(frozen=True)
class Choice:
    """One tappable follow-up: a label and the postback data it sends."""

    label: str
    data: str
    display_text: str | None = None  # what appears in the chat as the person's message; default: the label

    @classmethod
    def of(cls, label: str, intent: str, *, display: str | None = None, **slots: object) -> Choice:
        """A choice whose data is ``postback_data(intent, **slots)``; ``display`` is shown in the chat."""
        return cls(label, cached_postback_data(intent, tuple(slots.items())), display)


@functools.lru_cache(maxsize=8192)
def cached_postback_data(intent: str, slots: tuple[tuple[str, object], ...]) -> str:
    """``postback_data`` remembered: the same few hundred buttons are drawn again and again."""
    return postback_data(intent, **dict(slots))


def postback_action(choice: Choice) -> dict[str, Any]:
    """A LINE postback action; the label is cut safely to LINE's limit."""
    label = truncate_label(choice.label, LABEL_MAX)
    return {
        "type": "postback",
        "label": label,
        "data": choice.data,
        "displayText": (choice.display_text or choice.label)[:300],
    }


def as_choices(items: Iterable[Choice | tuple[str, str]]) -> list[Choice]:
    """Accept ``Choice`` objects or ``(label, postback data)`` pairs."""
    return [item if isinstance(item, Choice) else Choice(item[0], item[1]) for item in items]


def quick_reply_items(items: Sequence[Choice | tuple[str, str]]) -> list[dict[str, Any]]:
    """Quick reply buttons (at most 13; duplicates by data dropped)."""
    seen: set[str] = set()
    buttons: list[dict[str, Any]] = []
    for choice in as_choices(items):
        if choice.data in seen:
            continue
        seen.add(choice.data)
        buttons.append({"type": "action", "action": postback_action(choice)})
        if len(buttons) == QUICK_REPLY_MAX:
            break
    return buttons


def with_quick_replies(message: dict[str, Any], items: Sequence[Choice | tuple[str, str]] | None) -> dict[str, Any]:
    """Attach quick replies to a message (in place, returned for chaining); nothing when empty."""
    buttons = quick_reply_items(items or ())
    if buttons:
        message["quickReply"] = {"items": buttons}
    return message
