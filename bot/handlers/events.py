"""Handlers for LINE event types: message, postback, follow, unfollow, join, leave."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.dispatch import Answer, Dispatcher, Messages, handle_postback_data, merge_follow_up
from bot.handlers import measures
from bot.views import messages as views
from ita_core import accounts

log = logging.getLogger(__name__)

CLARIFY_BELOW = 0.7  # the matcher's own line for "unsure" (docs/nlu.md)


def on_message(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Answer:
    """A message: text goes through the matcher; anything else gets a short polite reply."""
    message = event.get("message") or {}
    if message.get("type") != "text" or not isinstance(message.get("text"), str):
        return views.non_text_messages(str(message.get("type") or ""))
    base = d.context(session, event, now, "unknown", {})  # who asks, where: looked up once per event
    if (event.get("source") or {}).get("type") == "user":
        # A person asked to report progress: this text is the note, not a question.
        noted = measures.take_progress_note(base, message["text"])
        if noted is not None:
            return noted
    match = d.matcher(message["text"])
    intent, slots = match.intent, dict(match.slots)
    if getattr(match, "slot_only", False):
        previous = d.previous(base)
        if previous is not None:
            intent, slots = previous[0], merge_follow_up(previous[1], slots)
        elif intent == "unknown":
            # A bare year or indicator with no earlier question: answer with the score asked for.
            intent = "indicator_score" if slots.get("indicator") or slots.get("sub_indicator") else "overall_score"
    elif intent != "unknown" and match.confidence < CLARIFY_BELOW:
        choices = [intent] + [alt.intent for alt in getattr(match, "alternatives", ())]
        unique = [c for i, c in enumerate(choices) if c != "unknown" and c not in choices[:i]]
        if len(unique) > 1:  # with a single reading there is nothing to choose between: answer it
            return views.clarify_messages([(c, slots) for c in unique[:3]])
    extras = {k: v for k, v in (getattr(match, "extras", None) or {}).items() if k in ("years_back",)}
    ctx = base.asking(intent, {**slots, **extras})
    answer = d.run_intent(ctx)
    d.remember(ctx)
    return answer


def on_postback(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Answer:
    """A button tap: the data already says the intent and slots, so the matcher is skipped."""
    data = (event.get("postback") or {}).get("data")
    if not isinstance(data, str):
        return []
    intent, values = handle_postback_data(data)
    if not intent:
        return views.unknown_messages()
    ctx = d.context(session, event, now, intent, values)
    answer = d.run_intent(ctx)
    d.remember(ctx)
    return answer


def on_follow(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Messages:
    """Added as a friend (or unblocked): welcome with how to register and what to ask."""
    uid = (event.get("source") or {}).get("userId")
    registered = False
    if isinstance(uid, str):
        user = accounts.follow(session, uid, now)
        registered = user.agency_id is not None
    return views.welcome_messages(registered=registered, default_agency=d.settings.default_agency is not None)


def on_unfollow(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Messages:
    """Blocked: mark the account inactive so nothing more is pushed to it."""
    uid = (event.get("source") or {}).get("userId")
    if isinstance(uid, str):
        accounts.unfollow(session, uid, now)
    return []


def on_join(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Messages:
    """Added to a group: only public results are ever shown there."""
    return views.group_welcome_messages()


def ignore(d: Dispatcher, session: Session, event: dict[str, Any], now: datetime) -> Messages:
    """Events the bot does not answer (leave, memberJoined, read receipts, ...)."""
    return []
