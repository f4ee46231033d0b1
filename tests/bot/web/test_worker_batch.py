"""Batches: a worker that finds a backlog handles several events in one transaction, exactly as
it would one at a time (what an earlier event of the batch wrote is seen by the later ones), and
a failure in a batch costs only the culprit."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import linesim
from bot.config import Settings
from bot.dispatch import Ctx, Dispatcher, build_dispatcher, save_conversation
from bot.outbox import SentMarks
from bot.worker import next_batch
from ita_core.accounts import create_invite
from ita_core.db import unit_of_work
from ita_core.models import Conversation, OutboxMessage, WebhookEvent
from tests.bot.conftest import SECRET, LiveApp

REPLY = "/v2/bot/message/reply"


def text_of(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages, ensure_ascii=False)


def handle_all(live: LiveApp, batch: int) -> int:
    """Handle what is waiting as a worker thread does, claiming up to ``batch`` at a time."""
    processor = live.app.extensions["ita"].processor
    with processor.connect() as connection:
        return processor.process_next(connection=connection, batch=batch)


def statuses(live: LiveApp, events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    ids = [event["webhookEventId"] for event in events]
    with live.app.extensions["ita"].session_factory() as session:
        found = session.scalars(select(WebhookEvent).where(WebhookEvent.event_id.in_(ids)).order_by(WebhookEvent.id))
        return [(row.status, row.attempts) for row in found]


def replies_per_token(live: LiveApp, events: list[dict[str, Any]]) -> Counter[str]:
    tokens = {event["replyToken"] for event in events}
    return Counter(r.body["replyToken"] for r in live.fake.accepted(REPLY) if r.body.get("replyToken") in tokens)


def test_a_batch_sees_what_its_earlier_events_wrote(make_live_app: Callable[..., LiveApp]) -> None:
    # One person registers, asks, and asks a follow-up; another asks for help: one batch of four.
    live = make_live_app(ITA_WORKER_THREADS="0")
    with unit_of_work(live.app.extensions["ita"].session_factory) as session:
        code = create_invite(session, "SAO-CHIANGPHIN", "official", datetime.now(UTC)).code
    person, other = linesim.user_source(linesim.user_id()), linesim.user_source(linesim.user_id())
    events = [
        linesim.text_event(person, f"ลงทะเบียน {code}"),
        linesim.text_event(other, "ช่วยเหลือ"),
        linesim.text_event(person, "คะแนนตัวชี้วัดที่ 9"),
        linesim.text_event(person, "แล้วปีที่แล้วล่ะ"),
    ]
    assert live.deliver(*events).status == 200
    assert handle_all(live, batch=8) == 4  # one claim, one transaction
    registered, helped, asked, followed = (text_of(live.replies_to(event)) for event in events)
    assert "ลงทะเบียนเรียบร้อย" in registered
    assert "ลงทะเบียน" in helped
    assert "80.00" in asked  # the registration earlier in the batch is seen: the agency's score
    assert "79.29" in followed  # and so is the question before it: the previous year's
    assert statuses(live, events) == [("done", 1)] * 4
    assert replies_per_token(live, events) == {event["replyToken"]: 1 for event in events}


def test_an_exception_in_a_batch_costs_only_the_culprit(make_live_app: Callable[..., LiveApp]) -> None:
    calls: Counter[str] = Counter()

    def handler(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        text = event["message"]["text"]
        calls[text] += 1
        save_conversation(session, event["source"]["userId"], now, intent="help", updated_at=now)
        if text == "พัง":
            raise RuntimeError("a bug outside the dispatcher")
        return [{"type": "text", "text": f"ตอบ {text}"}]

    live = make_live_app(load_demo=False, handler=handler, ITA_WORKER_THREADS="0")
    sources = [linesim.user_source(linesim.user_id()) for _ in range(3)]
    events = [linesim.text_event(source, text) for source, text in zip(sources, ("หนึ่ง", "พัง", "สาม"), strict=True)]
    assert live.deliver(*events).status == 200
    assert handle_all(live, batch=8) == 3  # the batch was rolled back, then each handled on its own
    assert calls == {"หนึ่ง": 2, "พัง": 2, "สาม": 1}  # the batch stopped at the culprit
    assert text_of(live.replies_to(events[0])) == text_of([{"type": "text", "text": "ตอบ หนึ่ง"}])
    assert text_of(live.replies_to(events[2])) == text_of([{"type": "text", "text": "ตอบ สาม"}])
    assert replies_per_token(live, events) == {events[0]["replyToken"]: 1, events[2]["replyToken"]: 1}
    assert statuses(live, events) == [("done", 1), ("pending", 1), ("done", 1)]  # the culprit: tried again later
    with live.app.extensions["ita"].session_factory() as session:
        assert session.get(Conversation, sources[1]["userId"]) is None  # its write undone
        assert session.get(Conversation, sources[0]["userId"]) is not None


def test_a_handler_the_dispatcher_apologises_for_does_not_undo_the_others(
    make_live_app: Callable[..., LiveApp],
) -> None:
    def broken(ctx: Ctx) -> list[dict[str, object]]:
        raise RuntimeError("a bug in a handler")

    settings = Settings.from_env({"LINE_CHANNEL_SECRET": SECRET}, read_dotenv=False)
    real = build_dispatcher(settings)
    dispatcher = Dispatcher(settings, real.matcher, {**real.intents, "ranking": broken}, real.events, real.replies)
    live = make_live_app(handler=dispatcher, ITA_WORKER_THREADS="0")
    source = linesim.user_source(linesim.user_id())
    events = [linesim.text_event(source, text) for text in ("ช่วยเหลือ", "อันดับ", "สวัสดี")]
    assert live.deliver(*events).status == 200
    assert handle_all(live, batch=8) == 3
    helped, apology, greeted = (text_of(live.replies_to(event)) for event in events)
    assert "ขออภัย" in apology and "ขออภัย" not in helped and "ขออภัย" not in greeted
    assert replies_per_token(live, events) == {event["replyToken"]: 1 for event in events}
    assert statuses(live, events) == [("done", 1)] * 3


@pytest.mark.parametrize(
    ("asked", "got", "expected"),
    [(1, 1, 2), (2, 2, 4), (4, 4, 8), (8, 8, 8), (8, 5, 5), (4, 1, 1), (4, 0, 1)],
)
def test_the_batch_grows_only_while_each_claim_finds_all_it_asked_for(asked: int, got: int, expected: int) -> None:
    assert next_batch(asked, got, 8) == expected


def test_a_claim_takes_no_more_events_than_asked(make_live_app: Callable[..., LiveApp]) -> None:
    # PostgreSQL may run an UPDATE's IN (subquery) again for each row, skipping the rows it has just
    # claimed as locked: the claim's subquery is a CTE, evaluated once.
    live = make_live_app(load_demo=False, handler=lambda *_: [{"type": "text", "text": "รับทราบ"}],
                         ITA_WORKER_THREADS="0")
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), "ช่วยเหลือ") for _ in range(5)]
    assert live.deliver(*events).status == 200
    assert [handle_all(live, batch) for batch in (1, 2, 8, 1)] == [1, 2, 2, 0]
    assert statuses(live, events) == [("done", 1)] * 5


def test_a_batch_keeps_each_chats_question_for_its_follow_up(make_live_app: Callable[..., LiveApp]) -> None:
    # Two registered people ask in one batch (on PostgreSQL their answers and conversation rows are
    # written together, one statement); each one's follow-up, in the next batch, continues their own.
    live = make_live_app(ITA_WORKER_THREADS="0")
    people = [linesim.user_source(linesim.user_id()) for _ in range(2)]
    with unit_of_work(live.app.extensions["ita"].session_factory) as session:
        codes = [create_invite(session, "SAO-CHIANGPHIN", "official", datetime.now(UTC)).code for _ in people]
    registrations = [linesim.text_event(person, f"ลงทะเบียน {code}") for person, code in zip(people, codes, strict=True)]
    assert live.deliver(*registrations).status == 200
    assert handle_all(live, batch=8) == 2
    questions = [linesim.text_event(people[0], "คะแนนตัวชี้วัดที่ 9"), linesim.text_event(people[1], "คะแนนรวม")]
    assert live.deliver(*questions).status == 200
    assert handle_all(live, batch=8) == 2
    with live.app.extensions["ita"].session_factory() as session:
        kept = {chat: session.get(Conversation, chat) for chat in (p["userId"] for p in people)}
        assert {chat: row.intent for chat, row in kept.items() if row} == {
            people[0]["userId"]: "indicator_score", people[1]["userId"]: "overall_score"}
    follow_ups = [linesim.text_event(person, "แล้วปีที่แล้วล่ะ") for person in people]
    assert live.deliver(*follow_ups).status == 200
    assert handle_all(live, batch=8) == 2
    first, second = ([m.get("altText") for m in live.replies_to(event)] for event in follow_ups)
    assert first == ["ITA 2567 อบต.เชียงพิณ ตัวชี้วัดที่ 9 การเปิดเผยข้อมูล: 79.29 คะแนน"]  # indicator 9, the year before
    assert second[0].startswith("ITA 2567 อบต.เชียงพิณ: 95.16 คะแนน")  # the overall score, the year before
    assert replies_per_token(live, [*registrations, *questions, *follow_ups]) == {
        e["replyToken"]: 1 for e in [*registrations, *questions, *follow_ups]}


def test_a_kept_answer_goes_out_as_its_text_unless_it_needs_more_than_one_request() -> None:
    from bot.answers import Kept
    from bot.line_client import EncodedMessages, compact_json
    from bot.worker import ClaimedEvent, _answer_fields, _Claim

    claim = _Claim(7, ClaimedEvent("{}", "U" + "1" * 32, "r" * 32, "e1", "message"), None, None)
    now = datetime(2026, 12, 6, tzinfo=UTC)
    two = [{"type": "text", "text": str(n)} for n in range(2)]
    [row] = _answer_fields(claim, Kept(compact_json(two), 2), now)
    assert row["messages"] == EncodedMessages(compact_json(two)) and row["reply_token"] == "r" * 32
    seven = [{"type": "text", "text": str(n)} for n in range(7)]
    first, rest = _answer_fields(claim, Kept(compact_json(seven), 7), now)  # LINE takes 5 per request
    assert (first["kind"], first["messages"], first["reply_token"]) == ("reply", seven[:5], "r" * 32)
    assert (rest["kind"], rest["messages"], rest["reply_token"]) == ("push", seven[5:], None)


def outbox_statuses(live: LiveApp, events: list[dict[str, Any]]) -> list[str]:
    """The status of each event's answer in the outbox, in the order of ``events``."""
    ids = [event["webhookEventId"] for event in events]
    with live.app.extensions["ita"].session_factory() as session:
        rows = session.execute(
            select(WebhookEvent.event_id, OutboxMessage.status)
            .join(OutboxMessage, OutboxMessage.event_id == WebhookEvent.id)
            .where(WebhookEvent.event_id.in_(ids))
        ).all()
    found = dict(rows)
    return [found.get(event_id, "none") for event_id in ids]


def test_due_sent_marks_go_in_the_next_events_transaction(make_live_app: Callable[..., LiveApp]) -> None:
    failures = Counter[str]()

    def handler(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        if event["message"]["text"] == "พัง" and not failures:
            failures["พัง"] += 1
            raise RuntimeError("a bug outside the dispatcher, once")
        return [{"type": "text", "text": "ตอบ"}]

    live = make_live_app(load_demo=False, handler=handler, ITA_WORKER_THREADS="0")
    svc = live.app.extensions["ita"]
    processor = svc.processor
    marks = SentMarks(svc.engine, max_batch=1, retry_after=0.0)  # due as soon as one is held, or given back
    commits: list[int] = []
    sa_event.listen(svc.engine, "commit", lambda conn: commits.append(1))
    source = linesim.user_source(linesim.user_id())
    first, broken, second = (linesim.text_event(source, text) for text in ("หนึ่ง", "พัง", "สอง"))

    with processor.connect() as connection:
        assert live.deliver(first).status == 200
        commits.clear()
        assert processor.process_next(marks, connection=connection) == 1
        assert len(commits) == 1 and len(marks) == 1  # answered; its mark held
        assert outbox_statuses(live, [first]) == ["sending"]

        # the next event's transaction fails: the mark is held again, not lost
        assert live.deliver(broken).status == 200
        assert processor.process_next(marks, connection=connection) == 1
        assert len(marks) == 1 and outbox_statuses(live, [first]) == ["sending"]

        # the next one commits (the failed event, tried again): the mark with it, no transaction of its own
        assert live.deliver(second).status == 200
        commits.clear()
        assert processor.process_next(marks, connection=connection) == 1
        assert len(commits) == 1
        assert outbox_statuses(live, [first, broken, second]) == ["sent", "sending", "none"]
        assert processor.process_next(marks, connection=connection) == 1
        assert outbox_statuses(live, [broken, second]) == ["sent", "sending"]
        assert len(marks) == 1  # the second answer's

        # a look that finds nothing commits the due marks instead of rolling back
        commits.clear()
        assert processor.process_next(marks, connection=connection) == 0
        assert len(commits) == 1 and len(marks) == 0
        assert outbox_statuses(live, [first, broken, second]) == ["sent", "sent", "sent"]
        commits.clear()
        assert processor.process_next(marks, connection=connection) == 0
        assert commits == []  # nothing held: rolled back
    assert replies_per_token(live, [first, broken, second]) == {e["replyToken"]: 1 for e in (first, broken, second)}


def test_sent_marks_not_due_wait_for_a_later_transaction(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=lambda s, e, n: [{"type": "text", "text": "ตอบ"}],
                         ITA_WORKER_THREADS="0")
    svc = live.app.extensions["ita"]
    marks = SentMarks(svc.engine, max_batch=64, max_delay=3600)  # never due by age in this test
    source = linesim.user_source(linesim.user_id())
    events = [linesim.text_event(source, text) for text in ("หนึ่ง", "สอง")]
    with svc.processor.connect() as connection:
        for event in events:
            assert live.deliver(event).status == 200
            assert svc.processor.process_next(marks, connection=connection) == 1
        assert svc.processor.process_next(marks, connection=connection) == 0
    assert outbox_statuses(live, events) == ["sending", "sending"] and len(marks) == 2
    assert marks.flush() == 2
    assert outbox_statuses(live, events) == ["sent", "sent"]


def test_marks_whose_write_fails_do_not_fail_the_events_after_them(
    make_live_app: Callable[..., LiveApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction that rolls back gives its marks back not due before ``retry_after``: if writing
    them was what failed, the event is tried again without them and answered."""
    live = make_live_app(load_demo=False, handler=lambda s, e, n: [{"type": "text", "text": "ตอบ"}],
                         ITA_WORKER_THREADS="0")
    svc = live.app.extensions["ita"]
    marks = SentMarks(svc.engine, max_batch=1, retry_after=3600)
    marks.add(10**9, datetime.now(UTC))  # a mark whose write this test makes fail
    writes: list[int] = []

    def failing_write(conn: Any, batch: list[dict[str, Any]]) -> None:
        writes.append(len(batch))
        raise RuntimeError("the marks' UPDATE failed")

    event = linesim.text_event(linesim.user_source(linesim.user_id()), "หนึ่ง")
    assert live.deliver(event).status == 200
    monkeypatch.setattr(SentMarks, "write", staticmethod(failing_write))  # our own code: a fault injected
    with svc.processor.connect() as connection:
        assert svc.processor.process_next(marks, connection=connection) == 1  # failed, with the marks
        assert statuses(live, [event]) == [("pending", 1)] and len(marks) == 1
        assert svc.processor.process_next(marks, connection=connection) == 1  # again, without them
    assert writes == [1]
    assert statuses(live, [event]) == [("done", 2)]
    assert replies_per_token(live, [event]) == {event["replyToken"]: 1}
    assert len(marks) == 2 and not marks.due()  # the given-back one and the new answer's, until retry_after
