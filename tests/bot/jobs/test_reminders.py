"""Reminders: a whole fiscal year of time travel, exactly once, concurrent runs, crashes, delivery."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import linesim
from bot.fakeline import FakeLine
from bot.jobs.reminders import run_overdue_summaries, run_reminders
from bot.line_client import LineClient
from bot.outbox import Sender
from ita_core import accounts
from ita_core.db import make_engine, make_session_factory, unit_of_work, upgrade
from ita_core.measure_files import parse_measures_json
from ita_core.measure_import import import_measures
from ita_core.models import Checkpoint, LineUser, OutboxMessage
from tests.bot.conftest import TOKEN
from tests.factories import add_agency

TZ = ZoneInfo("Asia/Bangkok")
FY2570 = ("2026-10-01", "2027-09-30")
MEASURES = [
    {
        "agency": "SAO-A",
        "fiscal_year": 2570,
        "indicators": [4],
        "title": "ทะเบียนคุมทรัพย์สิน",
        "units": ["กองคลัง"],
        "period_start": FY2570[0],
        "period_end": FY2570[1],
        "monitoring": "quarterly",
    },
    {
        "agency": "SAO-A",
        "fiscal_year": 2570,
        "indicators": [9],
        "title": "เผยแพร่ข้อมูลบนเว็บไซต์",
        "units": ["สำนักปลัด"],
        "period_start": FY2570[0],
        "period_end": FY2570[1],
        "monitoring": "half_yearly",
    },
    {
        "agency": "SAO-A",
        "fiscal_year": 2570,
        "indicators": [10],
        "title": "ประเมินความเสี่ยงสินบน",
        "units": ["ทุกฝ่าย"],
        "period_start": FY2570[0],
        "period_end": FY2570[1],
        "monitoring": "year_end",
    },
]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = at(date(2026, 9, 1))
    with unit_of_work(factory) as session:
        add_agency(session, "SAO-A")
        import_measures(session, parse_measures_json(MEASURES), now)
    yield factory
    engine.dispose()


@pytest.fixture
def people(factory: sessionmaker[Session]) -> dict[str, str]:
    """Staff of กองคลัง and กองช่าง, an official and an executive, all registered."""
    ids: dict[str, str] = {}
    now = at(date(2026, 9, 1))
    with unit_of_work(factory) as session:
        for name, role, unit in (
            ("finance", "staff", "กองคลัง"),
            ("works", "staff", "กองช่าง"),
            ("official", "official", None),
            ("mayor", "executive", None),
        ):
            invite = accounts.create_invite(session, "SAO-A", role, now, unit)
            ids[name] = linesim.user_id()
            accounts.redeem(session, invite.code, ids[name], now)
    return ids


def run(factory: sessionmaker[Session], now: datetime) -> int:
    with unit_of_work(factory) as session:
        return run_reminders(session, now, TZ).people


def reminders_sent(factory: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    """(checkpoint, day, person) of every queued reminder."""
    import json

    with factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reminder")).all()
        return [
            (cid, json.loads(r.messages)["today"], json.loads(r.recipients)[0])
            for r in rows
            for cid in json.loads(r.messages)["checkpoints"]
        ]


def pushes_by_person(factory: sessionmaker[Session]) -> Counter[str]:
    import json

    with factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reminder")).all()
        return Counter(json.loads(r.recipients)[0] for r in rows)


def test_whole_fiscal_year_each_reminder_once(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    day = date(2026, 10, 1)
    runs_with_pushes = []
    while day <= date(2027, 9, 30):
        # Twice a day: the second run of the day must find nothing new.
        first = run(factory, at(day, 9))
        assert run(factory, at(day, 15)) == 0
        if first:
            runs_with_pushes.append(day)
        day += timedelta(days=1)
    with factory() as session:
        checkpoints = session.scalar(select(func.count()).select_from(Checkpoint))
    sent = reminders_sent(factory)
    assert all(count == 1 for count in Counter(sent).values())  # no (checkpoint, day, person) twice
    # Quarterly (4 checkpoints) → finance staff; half-yearly (2) → no สำนักปลัด staff, so the official;
    # year-end (1) for ทุกฝ่าย → every staff member. Three reminders each (7 days, 1 day, the day).
    per_person = Counter(uid for _, _, uid in sent)
    assert per_person[people["finance"]] == (4 + 1) * 3
    assert per_person[people["official"]] == 2 * 3
    assert per_person[people["works"]] == 1 * 3
    assert per_person[people["mayor"]] == 0
    assert checkpoints == 4 + 2 + 1
    # 30 Sep 2027 is due for all three measures: the finance officer gets ONE push listing both items.
    assert date(2027, 9, 30) in runs_with_pushes
    assert pushes_by_person(factory)[people["finance"]] == 4 * 3  # the year-end items share pushes with Q4
    assert set(runs_with_pushes) == {
        d - timedelta(days=off)
        for d in (date(2026, 12, 31), date(2027, 3, 31), date(2027, 6, 30), date(2027, 9, 30))
        for off in (7, 1, 0)
    }


def test_reminders_follow_the_local_day(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    # 23:30 UTC on 23 Dec is already 24 Dec in Bangkok: seven days before 31 Dec.
    assert run(factory, datetime(2026, 12, 23, 17, 30, tzinfo=UTC)) == 1
    assert run(factory, datetime(2026, 12, 23, 16, 30, tzinfo=UTC)) == 0


def test_done_and_snoozed_checkpoints(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    from ita_core.measures import mark_checkpoint_done, snooze_checkpoint

    with unit_of_work(factory) as session:
        q1 = session.scalars(select(Checkpoint).where(Checkpoint.due_date == date(2026, 12, 31))).one()
        mark_checkpoint_done(session, q1.id, by=people["finance"], now=at(date(2026, 12, 20)))
    assert run(factory, at(date(2026, 12, 24))) == 0
    with unit_of_work(factory) as session:
        q2 = session.scalars(select(Checkpoint).where(Checkpoint.due_date == date(2027, 3, 31))).all()
        for c in q2:
            snooze_checkpoint(session, c.id, 3, today=date(2027, 3, 24))
    assert run(factory, at(date(2027, 3, 24))) == 0  # snoozed today until 27 Mar
    assert run(factory, at(date(2027, 3, 27))) == 2  # the snooze ends: finance and the official
    assert run(factory, at(date(2027, 3, 27), 18)) == 0


def test_unfollowed_people_get_nothing(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    with unit_of_work(factory) as session:
        accounts.unfollow(session, people["finance"], at(date(2026, 12, 1)))
    # No one active holds กองคลัง any more, so the agency's official is reminded instead.
    assert run(factory, at(date(2026, 12, 24))) == 1
    assert set(pushes_by_person(factory)) == {people["official"]}


def test_killed_before_commit_then_run_again(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    with factory() as session:
        report = run_reminders(session, at(date(2026, 12, 24)), TZ)
        assert report.people == 1
        session.rollback()  # the process died before committing
    assert run(factory, at(date(2026, 12, 24))) == 1
    assert run(factory, at(date(2026, 12, 24))) == 0


def test_two_runs_at_once_send_once(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(run(factory, at(date(2027, 9, 30))))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 3  # finance, works (ทุกฝ่าย), official (half-year) — once each
    assert sum(pushes_by_person(factory).values()) == 3


def test_delivered_through_the_fake_line_with_failures(
    factory: sessionmaker[Session], people: dict[str, str], fake_line: FakeLine
) -> None:
    now = at(date(2027, 9, 30))
    assert run(factory, now) == 3
    clock = [now]
    sender = Sender(factory, LineClient(fake_line.base_url, TOKEN), lambda: clock[0])
    fake_line.fail_next(500, count=1)
    fake_line.fail_next(429, count=1)
    first = sender.deliver_due()
    assert first.sent == 1 and first.retried == 2
    clock[0] += timedelta(minutes=1)
    assert sender.deliver_due().sent == 2
    received = Counter(r.body["to"] for r in fake_line.accepted("/v2/bot/message/push"))
    assert received == Counter({people["finance"]: 1, people["works"]: 1, people["official"]: 1})
    (finance,) = [r for r in fake_line.accepted("/v2/bot/message/push") if r.body["to"] == people["finance"]]
    text = str(finance.body["messages"])
    assert "ทะเบียนคุมทรัพย์สิน" in text and "ประเมินความเสี่ยงสินบน" in text
    assert "intent=my_tasks" in text and "action=done" in text


def test_weekly_overdue_summary_to_executives(factory: sessionmaker[Session], people: dict[str, str]) -> None:
    monday = date(2027, 1, 4)
    with unit_of_work(factory) as session:
        assert run_overdue_summaries(session, at(monday), TZ) == 1
    with unit_of_work(factory) as session:
        assert run_overdue_summaries(session, at(monday, 18), TZ) == 0  # once a week
        assert run_overdue_summaries(session, at(monday + timedelta(days=1)), TZ) == 0  # only on Mondays
    with factory() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "overdue")).one()
        assert people["mayor"] in row.recipients
        users = session.scalars(select(LineUser)).all()
        assert len(users) == 4


def test_items_done_before_delivery_are_left_out(
    factory: sessionmaker[Session], people: dict[str, str], fake_line: FakeLine
) -> None:
    from ita_core.measures import mark_checkpoint_done

    now = at(date(2027, 9, 30))
    assert run(factory, now) == 3
    with unit_of_work(factory) as session:
        # The works officer's only item (the year-end measure) is done before the push goes out.
        year_end = session.scalars(
            select(Checkpoint).join(Checkpoint.measure).where(Checkpoint.due_date == date(2027, 9, 30))
        ).all()
        for checkpoint in year_end:
            if "สินบน" in checkpoint.measure.title:
                mark_checkpoint_done(session, checkpoint.id, by="someone", now=now)
    report = Sender(factory, LineClient(fake_line.base_url, TOKEN), lambda: now).deliver_due()
    assert report.sent == 2  # finance (still has other items) and the official; works has nothing left
    received = {r.body["to"]: str(r.body["messages"]) for r in fake_line.accepted("/v2/bot/message/push")}
    assert people["works"] not in received
    assert "สินบน" not in received[people["finance"]]
    with factory() as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
    assert statuses == Counter({"sent": 2, "skipped": 1})
