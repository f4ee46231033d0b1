"""Deadline reminders for staff and weekly overdue summaries for executives.

Reminders go out in batches — one agency, one date, one "days before" — and each batch goes out
once: the run records it in ``reminder_log`` (unique on those three) with INSERT … ON CONFLICT DO
NOTHING RETURNING, and only what this run inserted is sent. Two runs at once (two clock processes on PostgreSQL) therefore
split the work instead of doubling it, and a run killed midway leaves either nothing (not
committed: the next run does it) or committed outbox rows that the sender delivers with their
retry keys (LINE drops a copy). One person gets at most one push per run, listing all their items.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.outbox import enqueue, new_retry_key
from bot.views import messages as views
from ita_core.fiscal import local_today
from ita_core.measures import (
    DueKey,
    due_checkpoint_keys,
    is_everyone,
    items_for_checkpoints,
    normalise_unit,
    overdue_checkpoints,
)
from ita_core.models import Agency, LineUser, OutboxMessage, ReminderLog

log = logging.getLogger(__name__)

DEFAULT_OFFSETS = (7, 1, 0)  # days before a checkpoint
SUMMARY_WEEKDAY = 0  # Monday


@dataclass
class ReminderPlan:
    """One person's reminder in this run: the checkpoints it lists."""

    line_user_id: str
    unit: str | None
    checkpoints: list[tuple[date, int]] = field(default_factory=list)  # (due, checkpoint id)


@dataclass
class RunReport:
    """What a reminder run did."""

    today: date
    due: int = 0
    people: int = 0
    reminders: int = 0
    queued: int = 0
    summaries: int = 0
    dry_run: bool = False
    plans: list[ReminderPlan] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """JSON form for ``ita reminders run --json``."""
        return {
            "today": self.today.isoformat(),
            "due_checkpoints": self.due,
            "people": self.people,
            "reminders": self.reminders,
            "summaries": self.summaries,
            "dry_run": self.dry_run,
            "pushes": [
                {
                    "to": p.line_user_id,
                    "items": [{"checkpoint": cid, "due": due.isoformat()} for due, cid in sorted(set(p.checkpoints))],
                }
                for p in self.plans
            ]
            if self.dry_run
            else self.queued,
        }


# Core insert (no ORM primary-key fetch) for the run's bulk of queued pushes.
OUTBOX_TABLE = cast(Table, OutboxMessage.__table__)
SNOOZE_ENDS = -1  # the reminder on the day a snooze ends


BatchKey = tuple[int, date, int]  # (agency id, due date or snooze end, days before)


def _batch_key(due: DueKey, today: date, offsets: Sequence[int]) -> BatchKey | None:
    """Which reminder of a checkpoint is due today, if any (a snooze moves it to the snooze's end)."""
    if due.snoozed_until is not None:
        if due.snoozed_until > today:
            return None
        if due.snoozed_until == today:
            return (due.agency_id, today, SNOOZE_ENDS)
    days = (due.due - today).days
    return (due.agency_id, due.due, days) if days in offsets else None


@dataclass(frozen=True)
class Person:
    """A registered, active LINE user as the reminder run sees them."""

    line_user_id: str
    role: str
    unit: str | None
    unit_key: str | None  # the unit normalised for comparison


def _people(session: Session, agency_ids: Iterable[int]) -> dict[int, list[Person]]:
    by_agency: dict[int, list[Person]] = defaultdict(list)
    ids = sorted(set(agency_ids))
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(LineUser.agency_id, LineUser.line_user_id, LineUser.role, LineUser.unit).where(
                LineUser.agency_id.in_(ids[start : start + 5000]),
                LineUser.active.is_(True),
                LineUser.role.is_not(None),
            )
        )
        for agency_id, uid, role, unit in rows:
            if agency_id is None or role is None:
                continue
            key = normalise_unit(unit) if unit and unit.strip() else None
            by_agency[agency_id].append(Person(uid, role, unit, key))
    return by_agency


def recipients_for(people: Sequence[Person], units: Sequence[str]) -> list[Person]:
    """Staff of a responsible unit; the agency's officials when no one holds that unit."""
    if any(is_everyone(u) for u in units):
        staff = [p for p in people if p.role == "staff"]
    else:
        wanted = {normalise_unit(u) for u in units}
        staff = [p for p in people if p.role == "staff" and p.unit_key in wanted]
    return staff or [p for p in people if p.role == "official"]


def due_batches(
    session: Session, today: date, offsets: Sequence[int] = DEFAULT_OFFSETS
) -> dict[BatchKey, list[DueKey]]:
    """Today's reminders grouped by (agency, date, days before): the unit that is sent once."""
    horizon = max(offsets)
    batches: dict[BatchKey, list[DueKey]] = defaultdict(list)
    for due in due_checkpoint_keys(session, today - timedelta(days=30), today + timedelta(days=horizon)):
        key = _batch_key(due, today, offsets)
        if key is not None:
            batches[key].append(due)
    return batches


def _claim(session: Session, keys: Sequence[BatchKey], today: date, now: datetime) -> set[BatchKey]:
    """Record the batches; returns those this run owns.

    One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: a batch another run already recorded
    (or is recording: PostgreSQL makes this wait for it) is skipped and not returned.
    """
    if not keys:
        return set()
    rows = [
        {"agency_id": a, "due_date": d, "offset_days": off, "sent_on": today, "created_at": now} for a, d, off in keys
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ReminderLog)
        .on_conflict_do_nothing(index_elements=["agency_id", "due_date", "offset_days"])
        .returning(ReminderLog.agency_id, ReminderLog.due_date, ReminderLog.offset_days)
    )
    owned: set[BatchKey] = set()
    for start in range(0, len(rows), 10_000):
        owned.update((a, d, off) for a, d, off in session.execute(stmt, rows[start : start + 10_000]))
    return owned


def _already_claimed(session: Session, keys: Sequence[BatchKey]) -> set[BatchKey]:
    if not keys:
        return set()
    dates = sorted({d for _, d, _ in keys})
    found = session.execute(
        select(ReminderLog.agency_id, ReminderLog.due_date, ReminderLog.offset_days).where(
            ReminderLog.due_date.in_(dates)
        )
    )
    return {(a, d, off) for a, d, off in found}


def plan_people(
    session: Session, batches: dict[BatchKey, list[DueKey]], keys: Iterable[BatchKey]
) -> list[ReminderPlan]:
    """One plan per person: every item of the given batches that reaches them."""
    chosen_keys = list(keys)
    people = _people(session, {a for a, _, _ in chosen_keys})
    plans: dict[str, ReminderPlan] = {}
    chosen: dict[tuple[int, tuple[str, ...]], list[Person]] = {}  # the same units recur across measures
    for key in chosen_keys:
        for due in batches[key]:
            group = (due.agency_id, due.units)
            recipients = chosen.get(group)
            if recipients is None:
                recipients = chosen[group] = recipients_for(people.get(due.agency_id, []), due.units)
            for person in recipients:
                plan = plans.get(person.line_user_id)
                if plan is None:
                    plan = plans[person.line_user_id] = ReminderPlan(person.line_user_id, person.unit)
                plan.checkpoints.append((due.due, due.checkpoint_id))
    return list(plans.values())


def run_reminders(
    session: Session,
    now: datetime,
    tz: ZoneInfo,
    *,
    offsets: Sequence[int] = DEFAULT_OFFSETS,
    dry_run: bool = False,
) -> RunReport:
    """One pass of the reminder job at ``now`` (flushes; the caller commits once).

    The unit sent exactly once is a batch: the reminders of one agency for one date and one
    "days before" (7, 1, 0, or the end of a snooze). A run claims the batches due today in
    ``reminder_log``; every person reached by a claimed batch gets one push listing all their
    items. Each push is queued with the ids of its items and rendered by the sender just before it
    goes out (so a national run only decides and records; see ``render_reminder``).
    """
    today = local_today(now, tz)
    batches = due_batches(session, today, offsets)
    report = RunReport(today=today, due=sum(len(v) for v in batches.values()), dry_run=dry_run)
    keys = sorted(batches)
    if dry_run:
        owned = set(keys) - _already_claimed(session, keys)
    else:
        owned = _claim(session, keys, today, now)
    plans = plan_people(session, batches, sorted(owned))
    report.people = len(plans)
    report.reminders = sum(len(p.checkpoints) for p in plans)
    if dry_run:
        report.plans = plans
        return report
    rows = []
    for plan in plans:
        mine = sorted(set(plan.checkpoints))
        payload = {"today": today.isoformat(), "unit": plan.unit, "checkpoints": [cid for _, cid in mine]}
        rows.append(
            {
                "kind": "push",
                "purpose": "reminder",
                "render": "reminder",
                "recipients": json.dumps([plan.line_user_id]),
                "messages": json.dumps(payload, ensure_ascii=False),
                "retry_key": new_retry_key(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 10_000):
        session.execute(sa_insert(OUTBOX_TABLE), rows[start : start + 10_000])
    report.queued = len(rows)
    return report


def render_reminder(session: Session, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The reminder push for a queued payload; items done since the run are left out."""
    today = date.fromisoformat(payload["today"])
    items = items_for_checkpoints(session, [int(c) for c in payload["checkpoints"]], today)
    if not items:
        return []
    return views.reminder_messages(items, today, payload.get("unit"))


def run_overdue_summaries(session: Session, now: datetime, tz: ZoneInfo, *, weekday: int = SUMMARY_WEEKDAY) -> int:
    """Once a week: each agency's executives get one summary of its overdue checkpoints."""
    today = local_today(now, tz)
    if today.weekday() != weekday:
        return 0
    year, week, _ = today.isocalendar()
    executives: dict[int, list[str]] = defaultdict(list)
    for agency_id, uid in session.execute(
        select(LineUser.agency_id, LineUser.line_user_id).where(
            LineUser.role == "executive", LineUser.active.is_(True), LineUser.agency_id.is_not(None)
        )
    ):
        if agency_id is not None:
            executives[agency_id].append(uid)
    sent = 0
    for agency_id, people in sorted(executives.items()):
        overdue = overdue_checkpoints(session, agency_id, today)
        if not overdue:
            continue
        key = f"overdue:{agency_id}:{year}-W{week:02d}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
            continue
        agency = session.get(Agency, agency_id)
        assert agency is not None
        try:
            with session.begin_nested():  # another clock process may have queued it a moment ago
                enqueue(
                    session,
                    kind="multicast",
                    messages=views.overdue_summary_messages(agency.name, overdue, today),
                    now=now,
                    recipients=people[:500],
                    purpose="overdue",
                    dedupe_key=key,
                )
        except IntegrityError:
            continue
        sent += 1
    return sent
