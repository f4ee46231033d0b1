"""The conversation row is written with one insert-or-update, so concurrent events of a chat never collide."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from bot.dispatch import load_context, save_conversation
from ita_core import generation
from ita_core.accounts import create_invite, get_or_create_user, redeem
from ita_core.db import make_session_factory, unit_of_work
from ita_core.models import Agency, Conversation, DataGeneration

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(fresh_engine: Engine) -> Engine:
    return fresh_engine


def test_new_row_then_update_keeps_columns_not_given(db: Engine) -> None:
    factory = make_session_factory(db)
    with unit_of_work(factory) as session:
        save_conversation(session, "U1", NOW, awaiting="progress_note:1:", awaiting_until=NOW + timedelta(minutes=5))
    with unit_of_work(factory) as session:
        row = session.get(Conversation, "U1")
        assert row is not None and row.intent is None and row.slots == "{}" and row.updated_at == NOW
        later = NOW + timedelta(minutes=1)
        save_conversation(session, "U1", later, intent="overall_score", slots='{"year": 2568}', updated_at=later)
        # the row loaded above is refreshed, not left stale
        assert row.intent == "overall_score"
    with unit_of_work(factory) as session:
        row = session.get(Conversation, "U1")
        assert row is not None
        assert (row.intent, row.slots, row.awaiting) == ("overall_score", '{"year": 2568}', "progress_note:1:")
        assert row.updated_at == NOW + timedelta(minutes=1)


def test_unflushed_change_to_a_loaded_row_is_kept(db: Engine) -> None:
    factory = make_session_factory(db)
    with unit_of_work(factory) as session:
        save_conversation(session, "U2", NOW, awaiting="x")
    with unit_of_work(factory) as session:
        row = session.get(Conversation, "U2")
        assert row is not None
        row.awaiting = None  # as take_progress_note does, then the handler remembers the question
        save_conversation(session, "U2", NOW, intent="trend", updated_at=NOW)
    with unit_of_work(factory) as session:
        row = session.get(Conversation, "U2")
        assert row is not None and (row.awaiting, row.intent) == (None, "trend")


def test_two_events_of_one_chat_at_once_both_succeed(db: Engine) -> None:
    """The first transaction has inserted the row and not committed when the second writes it."""
    factory = make_session_factory(db)
    first_wrote, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_wrote.wait(10)
            with unit_of_work(factory) as session:
                seen = session.scalars(select(Conversation)).all()
                # PostgreSQL: the first insert is not visible yet (the old read-then-insert failed here);
                # SQLite: this transaction began only after the first committed (one writer at a time)
                assert len(seen) == (0 if db.dialect.name == "postgresql" else 1)
                second_started.set()
                save_conversation(session, "C1", NOW, intent="weaknesses", updated_at=NOW)
        except BaseException as exc:
            errors.append(exc)
            second_started.set()

    thread = threading.Thread(target=second)
    thread.start()
    session: Session = factory()
    try:
        save_conversation(session, "C1", NOW, intent="strengths", updated_at=NOW)
        first_wrote.set()
        second_started.wait(10)
        # give the second writer time to reach its INSERT (it waits for this commit on PostgreSQL)
        thread.join(0.3)
        session.commit()
    finally:
        session.close()
    thread.join(10)
    assert errors == []
    with unit_of_work(factory) as check:
        row = check.get(Conversation, "C1")
        assert row is not None and row.intent == "weaknesses"


def test_load_context_reads_counter_person_and_chat_state_at_once(db: Engine) -> None:
    factory = make_session_factory(db)
    with unit_of_work(factory) as session:
        session.add(Agency(code="A1", name="อบต.ทดสอบ", type="อบต.", province="ขอนแก่น"))
        session.flush()
        invite = create_invite(session, "A1", "staff", NOW, unit="กองคลัง")
        redeem(session, invite.code, "U" + "1" * 32, NOW)
        get_or_create_user(session, "U" + "2" * 32, NOW)  # talked to the bot, never registered
        save_conversation(session, "U" + "1" * 32, NOW, intent="overall_score", slots='{"year": 2567}', updated_at=NOW)
    with unit_of_work(factory) as session:
        counter = generation.current(session)
        results, person, state = load_context(session, "U" + "1" * 32, "U" + "1" * 32)
        assert results == counter
        assert person is not None and (person.agency_code, person.role, person.unit) == ("A1", "staff", "กองคลัง")
        assert state is not None and (state.intent, state.slots, state.updated_at) == (
            "overall_score",
            '{"year": 2567}',
            NOW,
        )
        # an account without an agency, in a group whose chat has no row yet
        _, person, state = load_context(session, "U" + "2" * 32, "C" + "3" * 32)
        assert person is not None and person.agency_id is None and person.agency_code is None and state is None
        # nobody known (no user id: a group event without one), nothing stored
        assert load_context(session, None, None) == (counter, None, None)
        assert load_context(session, "U" + "9" * 32, "U" + "9" * 32) == (counter, None, None)


def test_load_context_without_the_counter_row_says_to_upgrade(db: Engine) -> None:
    factory = make_session_factory(db)
    with unit_of_work(factory) as session:
        session.execute(delete(DataGeneration))
    with factory() as session, pytest.raises(LookupError, match="ita db upgrade"):
        load_context(session, None, "U" + "1" * 32)


def test_the_workers_claim_reads_the_context_load_context_would(db: Engine, backend: str) -> None:
    from bot import linesim
    from bot.dispatch import prefetch_context
    from bot.intake import event_row
    from bot.line_client import LineClient
    from bot.outbox import Sender
    from bot.worker import EventProcessor
    from ita_core.models import WebhookEvent

    factory = make_session_factory(db)
    user = "U" + "1" * 32
    with unit_of_work(factory) as session:
        session.add(Agency(code="A1", name="อบต.ทดสอบ", type="อบต.", province="ขอนแก่น"))
        session.flush()
        redeem(session, create_invite(session, "A1", "official", NOW).code, user, NOW)
        save_conversation(session, user, NOW, intent="trend", slots='{"indicator": 9}', updated_at=NOW)
        row = WebhookEvent(**event_row(linesim.text_event(linesim.user_source(user), "แล้วปีที่แล้วล่ะ"), NOW))
        session.add(row)
        session.flush()
        pk = row.id
    with factory() as session:
        expected = load_context(session, user, user)
    processor = EventProcessor(factory, lambda *_: [], Sender(factory, LineClient("http://127.0.0.1:1", None),
                               lambda: NOW), lambda: NOW)
    with factory() as session:
        [claim] = processor._claim(session, pk)
        assert claim.pk == pk and claim.event.chat_id == user
        # PostgreSQL reads it with the claim (one statement); SQLite, in process, when asked
        assert (claim.context is not None) == (backend == "postgresql")
        if claim.context is not None:
            prefetch_context(session, claim.user_id, claim.event.chat_id, claim.context)  # as the worker does
        assert load_context(session, user, user) == expected
        assert "ita.context" not in session.info  # taken once
        assert load_context(session, user, user) == expected  # then read as usual
        session.rollback()


def test_a_prefetched_context_for_another_sender_is_not_used(db: Engine) -> None:
    from bot.dispatch import CONTEXT_COLUMNS, prefetch_context

    factory = make_session_factory(db)
    with factory() as session:
        counter = generation.current(session)
        fabricated = [counter + 41] + [None] * (len(CONTEXT_COLUMNS) - 1)
        prefetch_context(session, "U" + "1" * 32, "U" + "1" * 32, fabricated)
        assert load_context(session, "U" + "2" * 32, "U" + "2" * 32) == (counter, None, None)  # read, not taken
        prefetch_context(session, "U" + "1" * 32, "U" + "1" * 32, fabricated)
        assert load_context(session, "U" + "1" * 32, "U" + "1" * 32) == (counter + 41, None, None)


def test_a_deferred_conversation_row_is_written_at_commit_in_order_and_dropped_on_rollback(db: Engine) -> None:
    from bot.dispatch import defer_conversation

    factory = make_session_factory(db)
    user = "U" + "4" * 32
    with factory() as session:
        defer_conversation(session, user, NOW, intent="trend", slots='{"indicator": 9}', updated_at=NOW)
        assert session.get(Conversation, user) is None  # not written yet
        session.rollback()  # dropped with the rest
        session.commit()
    with factory() as session:
        assert session.get(Conversation, user) is None
    with factory() as session:
        defer_conversation(session, user, NOW, intent="trend", slots='{"indicator": 9}', updated_at=NOW)
        # a context read in the same transaction sees it as written
        state = load_context(session, user, user)[2]
        assert state is not None and state.intent == "trend"
        later = NOW + timedelta(minutes=1)
        defer_conversation(session, user, later, intent="weaknesses", slots="{}", updated_at=later)
        # a later direct write goes after the deferred one, not before it
        save_conversation(session, user, later, awaiting="progress:1:", awaiting_until=later + timedelta(minutes=5))
        session.commit()
    with factory() as session:
        row = session.get(Conversation, user)
        assert row is not None
        assert (row.intent, row.slots, row.awaiting, row.updated_at) == ("weaknesses", "{}", "progress:1:", later)
    with factory() as session:  # a plain commit (no worker) writes it too
        defer_conversation(session, user, later, intent="ranking", slots="{}", updated_at=later)
        session.commit()
    with factory() as session:
        row = session.get(Conversation, user)
        assert row is not None and row.intent == "ranking" and row.awaiting == "progress:1:"


def test_postgresql_writes_an_events_answer_and_conversation_row_together(db: Engine, backend: str) -> None:
    # One event handled alone (``EventProcessor._enqueue``) goes the way a batch does: its answer
    # rows and the conversation row its handler deferred, in one statement before the commit.
    if backend != "postgresql":
        pytest.skip("SQLite writes the deferred row when the session commits (in process: no round trip to save)")
    from bot import linesim
    from bot.dispatch import defer_conversation
    from bot.intake import store_events
    from bot.line_client import LineClient
    from bot.outbox import Sender
    from bot.worker import ClaimedEvent, EventProcessor, _Claim
    from ita_core.models import OutboxMessage

    factory = make_session_factory(db)
    user = "U" + "5" * 32
    processor = EventProcessor(factory, lambda *_: [], Sender(factory, LineClient("http://127.0.0.1:1", None),
                               lambda: NOW), lambda: NOW)
    with unit_of_work(factory) as session:
        (pk,) = store_events(session, [linesim.text_event(linesim.user_source(user), "แนวโน้ม")], NOW)
    claim = _Claim(pk, ClaimedEvent("{}", user, "r" * 32, "E1", "message"), user, None)
    messages = [{"type": "text", "text": f"ข้อความ {n}"} for n in range(7)]  # two requests: reply, then push
    with unit_of_work(factory) as session:
        defer_conversation(session, user, NOW, intent="trend", slots="{}", updated_at=NOW)
        written = processor._enqueue(session, claim, messages, NOW)
        assert "ita.conversation" not in session.info  # taken: nothing left to write at commit
        row = session.get(Conversation, user)  # already written, in this transaction
        assert row is not None and (row.intent, row.updated_at) == ("trend", NOW)
    assert [(c.kind, c.reply_token) for c in written] == [("reply", "r" * 32), ("push", None)]
    with factory() as session:
        answers = [session.get(OutboxMessage, c.outbox_id) for c in written]
        assert [(a.status, a.event_id) for a in answers if a is not None] == [("sending", pk), ("sending", pk)]


def test_postgresql_writes_a_batchs_answers_and_conversation_rows_in_one_statement(db: Engine, backend: str) -> None:
    # What a worker's batch holds (``bot.worker._Held``): answer rows and conversation rows of
    # different chats, with different sets of columns, written by ``enqueue_claimed_many``.
    if backend != "postgresql":
        pytest.skip("SQLite writes each answer as it is made (in process: no round trip to save)")
    from bot.dispatch import _conversation_row, conversation_ctes
    from bot.line_client import EncodedMessages
    from bot.outbox import claimed_values, enqueue_claimed_many
    from ita_core.models import OutboxMessage

    factory = make_session_factory(db)
    first, second, third = ("U" + digit * 32 for digit in "678")
    with unit_of_work(factory) as session:
        save_conversation(session, second, NOW, intent="trend", slots='{"indicator": 9}', updated_at=NOW)
    later = NOW + timedelta(minutes=1)
    texts = ['[{"type":"text","text":"ก \\"1\\""}]', '[{"type":"text","text":"ข"}]']
    with unit_of_work(factory) as session:
        rows = [
            claimed_values(kind="reply", messages=EncodedMessages(text), now=later, reply_token=f"r{n}" * 16,
                           recipients=[user], event_id=None)
            for n, (text, user) in enumerate(zip(texts, (first, second), strict=True))
        ]
        conversations = [
            _conversation_row(session, first, later, {"intent": "overall_score", "slots": "{}", "updated_at": later}),
            _conversation_row(session, second, later, {"awaiting": "progress_note:3:", "awaiting_until": later}),
            _conversation_row(session, third, later, {"intent": "ranking", "slots": "{}", "updated_at": later}),
        ]
        ctes = conversation_ctes(conversations)
        assert len(ctes) == 2  # one statement per set of columns
        written = enqueue_claimed_many(session, rows, ctes)
        assert [claimed.retry_key for claimed in written] == [row["retry_key"] for row in rows]
    with factory() as session:
        stored = {row.id: row for row in session.scalars(select(OutboxMessage))}
        assert [(stored[c.outbox_id].messages, stored[c.outbox_id].status, stored[c.outbox_id].reply_token)
                for c in written] == [(texts[0], "sending", "r0" * 16), (texts[1], "sending", "r1" * 16)]
        kept = {row.chat_id: (row.intent, row.slots, row.updated_at, row.awaiting)
                for row in session.scalars(select(Conversation))}
        assert kept == {
            first: ("overall_score", "{}", later, None),
            second: ("trend", '{"indicator": 9}', NOW, "progress_note:3:"),  # only the columns given change
            third: ("ranking", "{}", later, None),
        }
