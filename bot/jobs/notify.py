"""Result notifications: an agency's executives and officials hear when its results arrive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.outbox import enqueue
from bot.views import messages as views
from ita_core import analysis
from ita_core.agencies import get_agency
from ita_core.models import Agency, Assessment, LineUser, OutboxMessage

NOTIFIED_ROLES = ("executive", "official")
MULTICAST_LIMIT = 500


@dataclass(frozen=True)
class Notification:
    """What was queued for one agency-year."""

    agency_code: str
    year: int
    recipients: int
    outbox_ids: list[int]
    already_sent: bool = False


def recipients(session: Session, agency_id: int) -> list[str]:
    """LINE user ids of the agency's active executives and officials."""
    return list(
        session.scalars(
            select(LineUser.line_user_id)
            .where(LineUser.agency_id == agency_id, LineUser.active.is_(True), LineUser.role.in_(NOTIFIED_ROLES))
            .order_by(LineUser.id)
        )
    )


def notify_results(
    session: Session, agency_code: str, year: int, now: datetime, *, force: bool = False
) -> Notification:
    """Queue one summary push for the agency-year to its executives and officials (multicast ≤ 500).

    Without ``force`` it happens once per agency-year: importing the same results again does not
    notify again. ``force`` (``ita notify results``) sends again on purpose.
    """
    agency = get_agency(session, agency_code)
    result = analysis.load_agency_year(session, agency.code, year)
    key = f"results:{agency.code}:{year}"
    if not force and session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"{key}:0")) is not None:
        return Notification(agency.code, year, 0, [], already_sent=True)
    people = recipients(session, agency.id)
    if not people:
        return Notification(agency.code, year, 0, [])
    report = analysis.analyse(result)
    previous = analysis.previous_year_change(session, result)
    messages = views.result_notification_messages(result, report, previous)
    suffix = f":{now.isoformat()}" if force else ""
    ids = []
    for index, chunk in enumerate(_chunks(people, MULTICAST_LIMIT)):
        row = enqueue(
            session,
            kind="multicast",
            messages=messages,
            now=now,
            recipients=chunk,
            purpose="results",
            dedupe_key=f"{key}:{index}{suffix}",
        )
        ids.append(row.id)
    return Notification(agency.code, year, len(people), ids)


def notify_new_results(session: Session, new: Iterable[tuple[str, int]], now: datetime) -> list[Notification]:
    """After an import: notify for each agency whose new year is its latest (not for back-filled history).

    A national import brings 8,300 new agency-years, most with nobody registered yet: the latest
    years and the recipients are looked up in bulk, and results are loaded only where someone will
    be told.
    """
    wanted = {(code.upper(), year) for code, year in new}
    if not wanted:
        return []
    codes = sorted({code for code, _ in wanted})
    latest: dict[str, int] = {}
    with_people: set[str] = set()
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        latest.update(
            (code, year)
            for code, year in session.execute(
                select(Agency.code, func.max(Assessment.fiscal_year))
                .join(Assessment, Assessment.agency_id == Agency.id)
                .where(Agency.code.in_(chunk))
                .group_by(Agency.code)
            )
        )
        with_people.update(
            session.scalars(
                select(Agency.code)
                .join(LineUser, LineUser.agency_id == Agency.id)
                .where(Agency.code.in_(chunk), LineUser.active.is_(True), LineUser.role.in_(NOTIFIED_ROLES))
                .distinct()
            )
        )
    return [
        notify_results(session, code, year, now)
        for code, year in sorted(wanted)
        if code in with_people and latest.get(code) == year
    ]


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
