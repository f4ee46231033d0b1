"""LINE accounts linked to agencies and roles through one-time registration codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ita_core.agencies import get_agency
from ita_core.errors import ItaError
from ita_core.models import Agency, LineUser, RegistrationCode

ROLES = ("official", "executive", "staff")
ROLE_NAMES_TH = {"official": "เจ้าหน้าที่", "executive": "ผู้บริหาร", "staff": "ผู้ปฏิบัติงาน"}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read aloud and type
CODE_LENGTH = 6
DEFAULT_LIFETIME = timedelta(days=14)


class RegistrationError(ItaError):
    """A registration code cannot be used; ``reason`` is unknown, expired or used."""

    def __init__(self, reason: str, code: str) -> None:
        self.reason = reason
        self.code = code
        super().__init__(f"registration code {code!r} is {reason}")


@dataclass(frozen=True)
class Invite:
    """A newly created registration code."""

    code: str
    agency_code: str
    role: str
    unit: str | None
    expires_at: datetime


def create_invite(
    session: Session,
    agency_code: str,
    role: str,
    now: datetime,
    unit: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Invite:
    """Create a one-time code for one person of the agency, with a role (and a unit for staff)."""
    if role not in ROLES:
        raise ItaError(f"role must be one of {', '.join(ROLES)}")
    if role == "staff" and not unit:
        raise ItaError("staff need a unit (e.g. --unit กองคลัง) so reminders reach them")
    agency = get_agency(session, agency_code)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(RegistrationCode.id).where(RegistrationCode.code == code)) is None:
            break
    session.add(
        RegistrationCode(
            code=code,
            agency_id=agency.id,
            role=role,
            unit=(unit or "").strip() or None,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return Invite(code, agency.code, role, unit, now + lifetime)


def get_or_create_user(session: Session, line_user_id: str, now: datetime) -> LineUser:
    """The LineUser row for a LINE user id, created on first contact."""
    user = session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))
    if user is None:
        user = LineUser(line_user_id=line_user_id, active=True, followed_at=now)
        session.add(user)
        session.flush()
    return user


def find_user(session: Session, line_user_id: str) -> LineUser | None:
    """The LineUser row, if this LINE user has talked to the bot before."""
    return session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))


@dataclass(frozen=True)
class Person:
    """Who sent a message, as read once per message: a LINE account and the agency it is linked to."""

    line_user_id: str
    agency_id: int | None
    agency_code: str | None
    role: str | None
    unit: str | None


# A Person's columns in order, for a query that outer-joins ``line_users`` and then ``agencies`` on
# ``agencies.id = line_users.agency_id`` (the chat's per-message context query reads them with
# the chat's state in one round trip).
PERSON_COLUMNS = (LineUser.line_user_id, LineUser.agency_id, Agency.code, LineUser.role, LineUser.unit)


def redeem(session: Session, code: str, line_user_id: str, now: datetime) -> LineUser:
    """Link the LINE account to the code's agency and role; the code cannot be used again."""
    normalised = code.strip().upper()
    row = session.scalar(select(RegistrationCode).where(RegistrationCode.code == normalised).with_for_update())
    if row is None:
        raise RegistrationError("unknown", normalised)
    if row.used_at is not None:
        raise RegistrationError("used", normalised)
    if row.expires_at <= now:
        raise RegistrationError("expired", normalised)
    user = get_or_create_user(session, line_user_id, now)
    user.agency_id = row.agency_id
    user.role = row.role
    user.unit = row.unit
    user.registered_at = now
    user.active = True
    row.used_at = now
    row.used_by = line_user_id
    session.flush()
    return user


def follow(session: Session, line_user_id: str, now: datetime) -> LineUser:
    """The user (re)added the account: pushes may reach them again."""
    user = get_or_create_user(session, line_user_id, now)
    user.active = True
    user.followed_at = now
    session.flush()
    return user


def unfollow(session: Session, line_user_id: str, now: datetime) -> None:
    """The user blocked the account: mark inactive so nothing more is pushed."""
    user = find_user(session, line_user_id)
    if user is not None:
        user.active = False
        user.unfollowed_at = now
        session.flush()


def user_agency(session: Session, user: LineUser | None) -> Agency | None:
    """The agency a user is linked to, if any."""
    if user is None or user.agency_id is None:
        return None
    return session.get(Agency, user.agency_id)
