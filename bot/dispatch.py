"""Dispatch: one table of event handlers, one table of intent handlers, errors mapped to Thai once.

The worker calls the dispatcher with a stored event; it returns the messages to answer with.
Tables are built at start-up and frozen. Handlers take one :class:`Ctx` and return messages;
they may flush, never commit (the worker commits once per event).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, FromClause, Insert, Join, Table, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from bot.answers import CACHEABLE, AnswerCache, answer_key
from bot.config import Settings
from bot.postback import parse_postback
from ita_core import accounts, generation
from ita_core.accounts import Person
from ita_core.errors import AgencyNotFound, ItaError, NoResults, UnknownYear
from ita_core.fastsql import Prepared, recordset_insert, recordset_json
from ita_core.fiscal import local_today
from ita_core.models import Agency, Conversation, DataGeneration, LineUser

log = logging.getLogger(__name__)

FOLLOW_UP_WINDOW = timedelta(minutes=10)
_CONVERSATIONS = cast(Table, Conversation.__table__)
SLOT_NAMES = (
    "indicator",
    "sub_indicator",
    "tool",
    "question",
    "year",
    "year_offset",
    "compare_year",
    "threshold",
    "code",
    "scope",
)
# Intents whose answers involve an agency's internal follow-up work: never shown in groups.
PRIVATE_INTENTS = frozenset({"measures", "my_tasks"})
# Answers kept against the measures counter (``Dispatcher.run_intent``): a button's action is never kept.
MEASURE_ANSWERS = frozenset({"measures", "my_tasks"})
Messages = list[dict[str, Any]]
Answer = Sequence[dict[str, Any]]  # what the dispatcher answers with: Messages, or a ``bot.answers.Kept``


class Match(Protocol):
    """What the intent matcher returns (see bot/nlu)."""

    intent: str
    slots: dict[str, Any]
    confidence: float


class NeedsAgency(ItaError):
    """The question needs an agency and the chat has none (not registered, no default agency)."""


class NeedsRegistration(ItaError):
    """The question needs a registered account (measures, tasks)."""


@dataclass
class Ctx:
    """Everything a handler needs for one message."""

    session: Session
    now: datetime
    settings: Settings
    event: dict[str, Any]
    intent: str
    slots: dict[str, Any]
    user: Person | None  # the sender's account (read-only; change it through ita_core.accounts)
    chat_id: str | None
    in_group: bool
    agency_code: str | None  # the linked agency, else the deployment's default agency
    chat_state: ChatState | None  # the chat's conversation row when the message arrived
    results: int  # ``ita_core.generation``'s results counter when the message arrived
    extras: dict[str, Any] = field(default_factory=dict)  # postback values that are not slots

    @property
    def line_user_id(self) -> str | None:
        """The sender's LINE user id."""
        source = self.event.get("source") or {}
        uid = source.get("userId")
        return uid if isinstance(uid, str) else None

    @property
    def registered(self) -> bool:
        """Whether the sender's account is linked to an agency."""
        return self.user is not None and self.user.agency_id is not None

    def asking(self, intent: str, values: Mapping[str, Any]) -> Ctx:
        """The same chat and sender, asking ``intent`` with ``values`` (slots and extras)."""
        slots, extras = _split_slots(values)
        return replace(self, intent=intent, slots=slots, extras=extras)

    def require_agency(self) -> str:
        """The agency to answer about; NeedsAgency when there is none."""
        if self.agency_code is None:
            raise NeedsAgency("no agency for this chat")
        return self.agency_code


@dataclass(frozen=True)
class ChatState:
    """A chat's conversation row as read at the start of a message (see ``save_conversation``)."""

    intent: str | None
    slots: str  # JSON
    updated_at: datetime
    awaiting: str | None
    awaiting_until: datetime | None


_CHAT_STATE_COLUMNS = (
    _CONVERSATIONS.c.intent,
    _CONVERSATIONS.c.slots,
    _CONVERSATIONS.c.updated_at,
    _CONVERSATIONS.c.awaiting,
    _CONVERSATIONS.c.awaiting_until,
)

# What every message needs before it is answered, in one query (one round trip): the results
# counter (``ita_core.generation``; its row always exists), who asks (``accounts.Person``) and
# the chat's conversation row (``ChatState``), both outer-joined to it, so either may be missing.
CONTEXT_COLUMNS = (DataGeneration.value, *accounts.PERSON_COLUMNS, *_CHAT_STATE_COLUMNS)
_CONTEXT = (
    select(*CONTEXT_COLUMNS)
    .select_from(DataGeneration)
    .outerjoin(LineUser, LineUser.line_user_id == bindparam("line_user_id"))
    .outerjoin(Agency, Agency.id == LineUser.agency_id)
    .outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.chat_id == bindparam("chat_id"))
    .where(DataGeneration.name == generation.RESULTS)
)
_FAST_CONTEXT = Prepared(_CONTEXT)
_PERSON = slice(1, 1 + len(accounts.PERSON_COLUMNS))
_CHAT_STATE = slice(_PERSON.stop, None)
_PREFETCHED = "ita.context"  # session.info key: a context read with the event's claim (``prefetch_context``)
Context = tuple[int, Person | None, "ChatState | None"]


def context_join(base: FromClause, line_user_id: ColumnElement[Any], chat_id: ColumnElement[Any]) -> Join:
    """``base`` outer-joined to what ``CONTEXT_COLUMNS`` reads for that sender and chat, so that a
    statement that finds an event (the worker's claim) can read its context in the same round trip."""
    return (
        base.outerjoin(DataGeneration, DataGeneration.name == generation.RESULTS)
        .outerjoin(LineUser, LineUser.line_user_id == line_user_id)
        .outerjoin(Agency, Agency.id == LineUser.agency_id)
        .outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.chat_id == chat_id)
    )


def _context_values(row: Sequence[Any]) -> Context:
    """``CONTEXT_COLUMNS``' values as load_context returns them."""
    if row[0] is None:
        raise generation.missing(generation.RESULTS)
    person = Person(*row[_PERSON]) if row[_PERSON.start] is not None else None
    state = ChatState(*row[_CHAT_STATE]) if row[_CHAT_STATE.start + 2] is not None else None  # updated_at: never NULL
    return int(row[0]), person, state


def prefetch_context(session: Session, line_user_id: str | None, chat_id: str | None, row: Sequence[Any]) -> None:
    """Hand ``load_context`` the context read (as ``CONTEXT_COLUMNS``) in this transaction for that
    sender and chat: the next call for them takes it instead of querying (once)."""
    session.info[_PREFETCHED] = (line_user_id, chat_id, row)


def forget_context(session: Session) -> None:
    """Drop a context ``prefetch_context`` handed over and no one took: the next ``load_context`` queries."""
    session.info.pop(_PREFETCHED, None)


def load_context(session: Session, line_user_id: str | None, chat_id: str | None) -> Context:
    """The results counter, who asks and the chat's state, as this transaction sees them (one query,
    or none when the worker read them with the event's claim)."""
    write_deferred_conversation(session)  # a chat's row deferred in this transaction is read as written
    prefetched = session.info.pop(_PREFETCHED, None)
    if prefetched is not None and prefetched[0] == line_user_id and prefetched[1] == chat_id:
        return _context_values(prefetched[2])
    rows = _FAST_CONTEXT.execute(session.connection(), {"line_user_id": line_user_id, "chat_id": chat_id})
    if not rows:
        raise generation.missing(generation.RESULTS)
    return _context_values(rows[0])


def _split_slots(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every slot of the contract (None when not given), and the other values apart."""
    return {name: values.get(name) for name in SLOT_NAMES}, {k: v for k, v in values.items() if k not in SLOT_NAMES}


IntentHandler = Callable[[Ctx], Messages]
EventHandlerFn = Callable[["Dispatcher", Session, dict[str, Any], datetime], Answer]


class Dispatcher:
    """Routes a stored webhook event to its handler and maps errors to Thai replies."""

    def __init__(
        self,
        settings: Settings,
        matcher: Callable[[str], Match],
        intents: Mapping[str, IntentHandler],
        events: Mapping[str, EventHandlerFn],
        replies: Any,
        answers: AnswerCache | None = None,
    ) -> None:
        self.settings = settings
        self.answers = answers if answers is not None else AnswerCache(settings.answer_cache)
        self.measure_answers = AnswerCache(settings.answer_cache)  # against the measures counter
        self.matcher = matcher
        self.intents = MappingProxyType(dict(intents))
        self.events = MappingProxyType(dict(events))
        self.replies = replies  # the views module: help, clarify, apology, ...

    def __call__(self, session: Session, event: dict[str, Any], now: datetime) -> Answer:
        handler = self.events.get(str(event.get("type")))
        if handler is None:
            return []
        try:
            return handler(self, session, event, now)
        except Exception:
            log.exception("handling event %s (%s) failed", event.get("webhookEventId"), event.get("type"))
            session.rollback()
            return self.replies.apology_messages() if event.get("replyToken") else []

    # --- context ------------------------------------------------------------------------------

    def context(
        self, session: Session, event: dict[str, Any], now: datetime, intent: str, slots: dict[str, Any]
    ) -> Ctx:
        """Build the handler context for an event."""
        source = event.get("source") or {}
        uid = source.get("userId") if isinstance(source.get("userId"), str) else None
        in_group = source.get("type") in ("group", "room")
        chat_id = source.get("groupId") or source.get("roomId") or uid
        results, user, state = load_context(session, uid, chat_id)
        code = (user.agency_code if user else None) or self.settings.default_agency
        full_slots, extras = _split_slots(slots)
        return Ctx(
            session, now, self.settings, event, intent, full_slots, user, chat_id, in_group, code, state, results, extras
        )

    def run_intent(self, ctx: Ctx) -> Answer:
        """Run the intent's handler, mapping expected errors to Thai replies.

        Answers about results come from the answer cache when the same question about the same
        agency was answered since the results last changed (see ``bot.answers``); answers about an
        agency's measures likewise, the same day, since its measures (or results) last changed.
        """
        if ctx.intent in PRIVATE_INTENTS and ctx.in_group:
            return self.replies.private_in_group_messages()
        try:
            if ctx.intent in CACHEABLE and self.answers.size > 0:
                key = answer_key(ctx.intent, ctx.agency_code, ctx.in_group, ctx.slots, ctx.extras)
                return self.answers.get_or_build(ctx.results, key, lambda: self._answer(ctx))
            kept = ctx.intent in MEASURE_ANSWERS and not ctx.extras.get("action")
            if kept and ctx.user is not None and ctx.registered and self.measure_answers.size > 0:
                # Measures show their status as of today, and the agency's name (a results table);
                # the open items of งานของฉัน are the agency's, or its unit's for staff.
                today = local_today(ctx.now, ctx.settings.timezone)
                whose = (ctx.user.role, ctx.user.unit) if ctx.intent == "my_tasks" else None
                key = (answer_key(ctx.intent, ctx.agency_code, False, ctx.slots, ctx.extras), today, ctx.results, whose)
                measures = generation.current(ctx.session, generation.MEASURES)
                return self.measure_answers.get_or_build(measures, key, lambda: self._answer(ctx))
            return self._answer(ctx)
        except ItaError as exc:  # not an expected one: answered with an apology, which is never kept
            log.info("domain error on event %s: %s", ctx.event.get("webhookEventId"), type(exc).__name__)
            return self.replies.apology_messages()

    def _answer(self, ctx: Ctx) -> Messages:
        """The handler's answer, expected domain errors mapped to Thai replies (others raise)."""
        handler = self.intents.get(ctx.intent) or self.intents["unknown"]
        try:
            return handler(ctx)
        except NoResults as exc:
            return self.replies.no_data_messages(exc.year, exc.years)
        except UnknownYear as exc:
            return self.replies.no_data_messages(exc.year, ())
        except NeedsAgency:
            return self.replies.needs_registration_messages()
        except NeedsRegistration:
            return self.replies.needs_registration_messages()
        except AgencyNotFound:
            return self.replies.needs_registration_messages()

    # --- conversation memory ------------------------------------------------------------------

    def remember(self, ctx: Ctx) -> None:
        """Keep the question so a follow-up with only a year or indicator can continue it."""
        if not ctx.chat_id or ctx.intent in ("unknown", "help", "greeting", "register"):
            return
        slots = json.dumps({k: v for k, v in ctx.slots.items() if v is not None}, ensure_ascii=False)
        defer_conversation(ctx.session, ctx.chat_id, ctx.now, intent=ctx.intent, slots=slots, updated_at=ctx.now)

    def previous(self, ctx: Ctx) -> tuple[str, dict[str, Any]] | None:
        """The chat's last question if it was asked within the follow-up window."""
        state = ctx.chat_state
        if state is None or state.intent is None or ctx.now - state.updated_at > FOLLOW_UP_WINDOW:
            return None
        return state.intent, json.loads(state.slots)


def save_conversation(session: Session, chat_id: str, now: datetime, **values: Any) -> None:
    """Insert or update a chat's conversation row in one statement.

    Two events of one chat may be handled at once (two worker threads): a read-then-insert would
    let both insert and the second fail on the primary key. ``INSERT … ON CONFLICT DO UPDATE``
    leaves the row as the event that committed last wrote it. On update only the columns given
    change; a new row has no intent or slots unless given, and ``updated_at`` = ``now``.
    """
    write_deferred_conversation(session)  # one deferred earlier in this transaction goes first
    row, columns, updated = _conversation_row(session, chat_id, now, values)
    connection = session.connection()
    _upsert_conversation(connection.dialect.name, columns, updated).execute(connection, row)


def _conversation_row(
    session: Session, chat_id: str, now: datetime, values: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]:
    """What ``save_conversation`` writes (the row, its columns, those updated on conflict), with the
    session made ready for it: changes to a loaded row go first, and that row is expired."""
    session.flush()  # changes made to a loaded row earlier in this event go first (it is expired below)
    loaded = session.identity_map.get(identity_key(Conversation, chat_id))
    if loaded is not None:  # a row read earlier in this event is stale once written
        session.expire(loaded)
    row = {"slots": "{}", "updated_at": now, **values, "chat_id": chat_id}
    return row, tuple(sorted(row)), tuple(sorted(values))


def conversation_upsert(dialect: str, columns: tuple[str, ...], updated: tuple[str, ...]) -> Insert:
    """``INSERT … ON CONFLICT (chat_id) DO UPDATE`` of ``updated``, each column's value the parameter
    of its name."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_CONVERSATIONS).values({name: bindparam(name) for name in columns})
    return stmt.on_conflict_do_update(index_elements=["chat_id"], set_={name: stmt.excluded[name] for name in updated})


@functools.cache
def _upsert_conversation(dialect: str, columns: tuple[str, ...], updated: tuple[str, ...]) -> Prepared:
    """``conversation_upsert``, built once per column set, run on the driver."""
    return Prepared(conversation_upsert(dialect, columns, updated))


# The conversation row ``Dispatcher.remember`` writes is deferred to the end of the transaction
# (``defer_conversation``): the worker then writes it in the same statement as the answer's outbox
# row on PostgreSQL (one round trip less per message). Anything else that commits the session
# writes it just before the commit, and a rollback drops it with the rest.
_DEFERRED = "ita.conversation"  # session.info key: (chat_id, now, values) to write
ConversationRow = tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]  # a row, its columns, those updated


def defer_conversation(session: Session, chat_id: str, now: datetime, **values: Any) -> None:
    """``save_conversation``, but when the transaction ends (or at the next write of a chat's row)."""
    write_deferred_conversation(session)
    session.info[_DEFERRED] = (chat_id, now, values)


def write_deferred_conversation(session: Session) -> None:
    """Write the conversation row deferred in this session, if any, now."""
    pending = session.info.pop(_DEFERRED, None)
    if pending is not None:
        save_conversation(session, pending[0], pending[1], **pending[2])


def take_deferred_conversation(session: Session) -> ConversationRow | None:
    """The conversation row deferred in this session, for the caller to write in this transaction
    (as ``conversation_upsert``'s parameters, its columns, those updated on conflict); None when none is."""
    pending = session.info.pop(_DEFERRED, None)
    if pending is None:
        return None
    return _conversation_row(session, pending[0], pending[1], pending[2])


def conversation_ctes(rows: Sequence[ConversationRow]) -> list[tuple[str, str]]:
    """PostgreSQL: deferred conversation rows of different chats as data-modifying statements for
    ``bot.outbox.enqueue_claimed_many`` (SQL, its JSON parameter): one per set of columns written."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
    for row, columns, updated in rows:
        groups.setdefault((columns, updated), []).append(row)
    return [(_conversation_recordset_sql(columns, updated), recordset_json(found))
            for (columns, updated), found in groups.items()]


@functools.cache
def _conversation_recordset_sql(columns: tuple[str, ...], updated: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in updated)
    action = f"DO UPDATE SET {assignments}" if assignments else "DO NOTHING"
    return recordset_insert(_CONVERSATIONS.name, columns, suffix=f"ON CONFLICT (chat_id) {action}")


@event.listens_for(Session, "before_commit")
def _write_deferred_before_commit(session: Session) -> None:
    write_deferred_conversation(session)


@event.listens_for(Session, "after_rollback")
def _drop_deferred_on_rollback(session: Session) -> None:
    session.info.pop(_DEFERRED, None)


def merge_follow_up(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Slots of a follow-up replace the matching ones of the previous question.

    A new absolute year replaces a relative one and the other way round; a new indicator drops
    the old sub-indicator and item, so "ตัวชี้วัดที่ 10 ล่ะ" after "9.2" asks about indicator 10.
    """
    merged = {k: v for k, v in previous.items() if v is not None}
    given = {k: v for k, v in new.items() if v is not None}
    if "year" in given or "year_offset" in given:
        merged.pop("year", None)
        merged.pop("year_offset", None)
    if "indicator" in given or "sub_indicator" in given or "tool" in given or "question" in given:
        for key in ("indicator", "sub_indicator", "tool", "question"):
            merged.pop(key, None)
    merged.update(given)
    return merged


def handle_postback_data(data: str) -> tuple[str, dict[str, Any]]:
    """Intent and values of a button tap."""
    return parse_postback(data)


def build_dispatcher(settings: Settings, matcher: Callable[[str], Match] | None = None) -> Dispatcher:
    """The dispatcher with its handler tables, built once at start-up."""
    from bot.handlers import account, events, measures, results
    from bot.views import messages as views

    if matcher is None:
        from bot.nlu import get_matcher
        from bot.nlu.matcher import remembering

        matcher = remembering(get_matcher().match, settings.answer_cache)
    intents: dict[str, IntentHandler] = {
        "overall_score": results.overall_score,
        "indicator_score": results.indicator_score,
        "tool_score": results.tool_score,
        "question_score": results.question_score,
        "compare_years": results.compare_years,
        "trend": results.trend,
        "strengths": results.strengths,
        "weaknesses": results.weaknesses,
        "recommendations": results.recommendations,
        "ranking": results.ranking,
        "measures": measures.measures,
        "my_tasks": measures.my_tasks,
        "register": account.register,
        "help": account.help_,
        "greeting": account.greeting,
        "unknown": account.unknown,
    }
    event_handlers: dict[str, EventHandlerFn] = {
        "message": events.on_message,
        "postback": events.on_postback,
        "follow": events.on_follow,
        "unfollow": events.on_unfollow,
        "join": events.on_join,
        "leave": events.ignore,
        "memberJoined": events.ignore,
        "memberLeft": events.ignore,
    }
    return Dispatcher(settings, matcher, intents, event_handlers, views)
