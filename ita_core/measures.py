"""Improvement measures (มาตรการ) once stored: what is open for whom, what is overdue, and the actions
staff take from the chat (checkpoint done, progress note, snooze).

Measures get into the database through ``ita_core.measure_import``; their checkpoints come from the
monitoring rhythm (``ita_core.fiscal.checkpoint_schedule``). Every function takes a ``Session`` and
plain values, flushes but never commits, and returns dataclasses.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ita_core.errors import ItaError
from ita_core.models import Checkpoint, Measure, ProgressNote
from ita_core.numbers import to_arabic_digits

OPEN = "open"
DONE = "done"
ACTIVE = "active"
SEES_WHOLE_AGENCY = ("official", "executive")  # staff see the measures of their own unit
MAX_NOTE_LENGTH = 5000
MAX_SNOOZE_DAYS = 30


class MeasureNotFound(ItaError):
    """No such measure (or not one of the agency's)."""

    def __init__(self, measure_id: int) -> None:
        self.measure_id = measure_id
        super().__init__(f"no measure {measure_id}")


class CheckpointNotFound(ItaError):
    """No such checkpoint (or not one of the agency's)."""

    def __init__(self, checkpoint_id: int) -> None:
        self.checkpoint_id = checkpoint_id
        super().__init__(f"no checkpoint {checkpoint_id}")


class MeasureInputError(ItaError):
    """A progress note, snooze or similar request that cannot be accepted as given."""


# --- responsible units ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # a few hundred distinct unit names nationwide, asked millions of times
def normalise_unit(text: str) -> str:
    """A unit name reduced for comparison: "สำนักปลัดฯ", "สำนักงานปลัด อบต." and "สำนักปลัด" are one unit."""
    key = re.sub(r"\s+", "", to_arabic_digits(text).replace("\u200b", "")).rstrip(".").removesuffix("ฯ")
    if key.startswith(("สำนักปลัด", "สำนักงานปลัด")):
        return "สำนักปลัด"
    return key


def is_everyone(unit: str) -> bool:
    """Whether a responsible unit means every unit of the agency (ทุกฝ่าย, ทุกกอง, ทุกส่วนราชการ...)."""
    return normalise_unit(unit).startswith("ทุก")


def unit_matches(staff_unit: str | None, units: Iterable[str]) -> bool:
    """Whether a staff member of ``staff_unit`` is among a measure's responsible ``units``."""
    units = list(units)
    if any(is_everyone(u) for u in units):
        return True
    if not staff_unit or not staff_unit.strip():
        return False
    mine = normalise_unit(staff_unit)
    return any(normalise_unit(u) == mine for u in units)


def decode_indicators(text: str) -> tuple[int, ...]:
    """Indicator numbers as stored ("1,5") → (1, 5)."""
    return tuple(int(p) for p in text.split(",") if p)


# --- reading what is stored --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointView:
    """A checkpoint as the chat and the admin commands show it."""

    id: int
    measure_id: int
    due: date
    label: str
    status: str
    done_at: datetime | None
    done_by: str | None
    snoozed_until: date | None

    @property
    def is_done(self) -> bool:
        """Whether the checkpoint was marked done."""
        return self.status == DONE

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return self.status == OPEN and self.due < today

    def as_json(self) -> dict[str, object]:
        """JSON-able form (ISO dates)."""
        return {
            "id": self.id,
            "due": self.due.isoformat(),
            "label": self.label,
            "status": self.status,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "done_by": self.done_by,
            "snoozed_until": self.snoozed_until.isoformat() if self.snoozed_until else None,
        }


@dataclass(frozen=True)
class NoteView:
    """A progress note."""

    id: int
    measure_id: int
    checkpoint_id: int | None
    line_user_id: str | None
    author_name: str | None
    created_at: datetime
    text: str

    def as_json(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            "id": self.id,
            "checkpoint_id": self.checkpoint_id,
            "line_user_id": self.line_user_id,
            "author_name": self.author_name,
            "created_at": self.created_at.isoformat(),
            "text": self.text,
        }


@dataclass(frozen=True)
class MeasureFields:
    """What a measure says: agency and year, indicators, title, steps, units, period, monitoring rhythm."""

    agency_code: str
    fiscal_year: int
    code: str | None
    indicators: tuple[int, ...]
    title: str
    steps: tuple[str, ...]
    units: tuple[str, ...]
    period_start: date
    period_end: date
    period_text: str | None
    monitoring: str
    monitoring_text: str | None


@dataclass(frozen=True)
class MeasureView(MeasureFields):
    """A measure with its checkpoints and progress notes."""

    id: int
    agency_id: int
    status: str
    source: str
    checkpoints: tuple[CheckpointView, ...]
    notes: tuple[NoteView, ...]

    @property
    def next_checkpoint(self) -> CheckpointView | None:
        """The earliest open checkpoint."""
        return next((c for c in self.checkpoints if c.status == OPEN), None)

    def as_json(self) -> dict[str, object]:
        """JSON-able form (ISO dates)."""
        return {
            "id": self.id,
            "agency": self.agency_code,
            "fiscal_year": self.fiscal_year,
            "code": self.code,
            "indicators": list(self.indicators),
            "title": self.title,
            "steps": list(self.steps),
            "units": list(self.units),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "period_text": self.period_text,
            "monitoring": self.monitoring,
            "monitoring_text": self.monitoring_text,
            "status": self.status,
            "source": self.source,
            "checkpoints": [c.as_json() for c in self.checkpoints],
            "notes": [n.as_json() for n in self.notes],
        }


def _checkpoint_view(c: Checkpoint) -> CheckpointView:
    return CheckpointView(c.id, c.measure_id, c.due_date, c.label, c.status, c.done_at, c.done_by, c.snoozed_until)


def _note_view(n: ProgressNote) -> NoteView:
    return NoteView(n.id, n.measure_id, n.checkpoint_id, n.line_user_id, n.author_name, n.created_at, n.text)


def _measure_view(m: Measure) -> MeasureView:
    return MeasureView(
        id=m.id,
        agency_id=m.agency_id,
        agency_code=m.agency.code,
        fiscal_year=m.fiscal_year,
        code=m.code,
        indicators=decode_indicators(m.indicators),
        title=m.title,
        steps=tuple(json.loads(m.steps)),
        units=tuple(json.loads(m.units)),
        period_start=m.period_start,
        period_end=m.period_end,
        period_text=m.period_text,
        monitoring=m.monitoring,
        monitoring_text=m.monitoring_text,
        status=m.status,
        source=m.source,
        checkpoints=tuple(_checkpoint_view(c) for c in m.checkpoints),
        notes=tuple(_note_view(n) for n in m.notes),
    )


def list_measures(session: Session, agency_id: int, fiscal_year: int | None = None) -> list[MeasureView]:
    """The measures of an agency (in one fiscal year, or all), by year, first indicator and order of import."""
    query = (
        select(Measure)
        .options(selectinload(Measure.checkpoints), selectinload(Measure.notes), selectinload(Measure.agency))
        .where(Measure.agency_id == agency_id)
    )
    if fiscal_year is not None:
        query = query.where(Measure.fiscal_year == fiscal_year)
    views = [_measure_view(m) for m in session.scalars(query)]
    return sorted(views, key=lambda v: (v.fiscal_year, v.indicators, v.id))


def measure_years(session: Session, agency_id: int) -> list[int]:
    """The fiscal years an agency has measures for, ascending."""
    return list(
        session.scalars(
            select(Measure.fiscal_year).where(Measure.agency_id == agency_id).distinct().order_by(Measure.fiscal_year)
        )
    )


def get_measure(session: Session, measure_id: int, agency_id: int | None = None) -> MeasureView:
    """One measure; MeasureNotFound when it does not exist or belongs to another agency."""
    measure = session.scalar(
        select(Measure)
        .options(selectinload(Measure.checkpoints), selectinload(Measure.notes), selectinload(Measure.agency))
        .where(Measure.id == measure_id)
    )
    if measure is None or (agency_id is not None and measure.agency_id != agency_id):
        raise MeasureNotFound(measure_id)
    return _measure_view(measure)


@dataclass(frozen=True)
class DueCheckpoint:
    """An open checkpoint due in a date range, with what a reminder needs about its measure."""

    checkpoint_id: int
    measure_id: int
    agency_id: int
    fiscal_year: int
    indicators: tuple[int, ...]
    title: str
    units: tuple[str, ...]
    due: date
    label: str
    snoozed_until: date | None


@dataclass(frozen=True)
class OpenItem(DueCheckpoint):
    """An open checkpoint of a measure, as listed in "งานของฉัน" and in reminders."""

    days_left: int  # due − today; negative when overdue

    @property
    def overdue(self) -> bool:
        """Past its due date."""
        return self.days_left < 0


def _open_rows(session: Session, agency_id: int, before: date | None = None) -> list[tuple[Checkpoint, Measure]]:
    query = (
        select(Checkpoint, Measure)
        .join(Measure, Checkpoint.measure_id == Measure.id)
        .where(Measure.agency_id == agency_id, Checkpoint.status == OPEN)
        .order_by(Checkpoint.due_date, Measure.id)
    )
    if before is not None:
        query = query.where(Checkpoint.due_date < before)
    return [(c, m) for c, m in session.execute(query)]


def open_item(c: Checkpoint, m: Measure, today: date) -> OpenItem:
    """The open-item view of a checkpoint and its measure, as of ``today``."""
    return OpenItem(
        checkpoint_id=c.id,
        measure_id=m.id,
        agency_id=m.agency_id,
        fiscal_year=m.fiscal_year,
        indicators=decode_indicators(m.indicators),
        title=m.title,
        units=tuple(json.loads(m.units)),
        due=c.due_date,
        label=c.label,
        snoozed_until=c.snoozed_until,
        days_left=(c.due_date - today).days,
    )


def items_for_checkpoints(session: Session, checkpoint_ids: Iterable[int], today: date) -> list[OpenItem]:
    """The still-open items among the given checkpoints, earliest due first (any agency)."""
    ids = list(checkpoint_ids)
    query = (
        select(Checkpoint, Measure)
        .join(Measure, Checkpoint.measure_id == Measure.id)
        .where(Checkpoint.id.in_(ids), Checkpoint.status == OPEN)
    )
    items = [open_item(c, m, today) for c, m in session.execute(query)]
    return sorted(items, key=lambda i: (i.due, i.checkpoint_id))


def open_items(session: Session, agency_id: int, unit: str | None, role: str | None, today: date) -> list[OpenItem]:
    """Open checkpoints a person should see, earliest due first.

    Officials and executives see every measure of the agency; anyone else (staff) sees the measures
    whose responsible units include their unit (normalised: "สำนักปลัดฯ" is "สำนักปลัด") or everyone
    ("ทุกฝ่าย", "ทุกส่วนราชการ", ...).
    """
    whole = role in SEES_WHOLE_AGENCY
    items = [open_item(c, m, today) for c, m in _open_rows(session, agency_id)]
    return [i for i in items if whole or unit_matches(unit, i.units)]


def overdue_checkpoints(session: Session, agency_id: int, today: date) -> list[OpenItem]:
    """Open checkpoints of an agency whose due date is before ``today``, earliest first."""
    return [open_item(c, m, today) for c, m in _open_rows(session, agency_id, before=today)]


def due_checkpoints(session: Session, first: date, last: date) -> list[DueCheckpoint]:
    """Open checkpoints due from ``first`` to ``last`` (inclusive) across all agencies, by due date.

    One indexed range scan (``ix_checkpoints_status_due``) joined to measures by primary key.
    Snoozed checkpoints are included with ``snoozed_until`` so the caller decides.
    """
    query = (
        select(
            Checkpoint.id,
            Checkpoint.measure_id,
            Measure.agency_id,
            Measure.fiscal_year,
            Measure.indicators,
            Measure.title,
            Measure.units,
            Checkpoint.due_date,
            Checkpoint.label,
            Checkpoint.snoozed_until,
        )
        .join(Measure, Checkpoint.measure_id == Measure.id)
        .where(Checkpoint.status == OPEN, Checkpoint.due_date >= first, Checkpoint.due_date <= last)
        .order_by(Checkpoint.due_date, Measure.agency_id, Checkpoint.id)
    )
    units_cache: dict[str, tuple[str, ...]] = {}
    out = []
    for cid, mid, agency_id, year, indicators, title, units, due, label, snoozed in session.execute(query):
        decoded = units_cache.get(units)
        if decoded is None:
            decoded = units_cache[units] = tuple(json.loads(units))
        out.append(
            DueCheckpoint(cid, mid, agency_id, year, decode_indicators(indicators), title, decoded, due, label, snoozed)
        )
    return out


@dataclass(frozen=True, slots=True)
class DueKey:
    """The little the reminder run needs about a due checkpoint (the push is rendered later)."""

    checkpoint_id: int
    agency_id: int
    units: tuple[str, ...]
    due: date
    snoozed_until: date | None


def due_checkpoint_keys(session: Session, first: date, last: date) -> list[DueKey]:
    """Like ``due_checkpoints`` but only ids, units and dates: the national reminder run's query."""
    query = (
        select(Checkpoint.id, Measure.agency_id, Measure.units, Checkpoint.due_date, Checkpoint.snoozed_until)
        .join(Measure, Checkpoint.measure_id == Measure.id)
        .where(Checkpoint.status == OPEN, Checkpoint.due_date >= first, Checkpoint.due_date <= last)
    )
    units_cache: dict[str, tuple[str, ...]] = {}
    out = []
    for cid, agency_id, units, due, snoozed in session.execute(query):
        decoded = units_cache.get(units)
        if decoded is None:
            decoded = units_cache[units] = tuple(json.loads(units))
        out.append(DueKey(cid, agency_id, decoded, due, snoozed))
    return out


# --- actions ---------------------------------------------------------------------------------------


def _checkpoint(session: Session, checkpoint_id: int, agency_id: int | None) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or (agency_id is not None and checkpoint.measure.agency_id != agency_id):
        raise CheckpointNotFound(checkpoint_id)
    return checkpoint


def _refresh_status(session: Session, measure: Measure, now: datetime) -> None:
    session.flush()
    still_open = session.scalar(
        select(Checkpoint.id).where(Checkpoint.measure_id == measure.id, Checkpoint.status == OPEN).limit(1)
    )
    status = ACTIVE if still_open is not None else DONE
    if measure.status != status:
        measure.status = status
        measure.updated_at = now


def mark_checkpoint_done(
    session: Session, checkpoint_id: int, *, by: str, now: datetime, agency_id: int | None = None
) -> CheckpointView:
    """Mark a checkpoint done by ``by`` (LINE user id or name) at ``now``; done already means no change."""
    checkpoint = _checkpoint(session, checkpoint_id, agency_id)
    if checkpoint.status != DONE:
        checkpoint.status = DONE
        checkpoint.done_at = now
        checkpoint.done_by = by[:128]
        _refresh_status(session, checkpoint.measure, now)
    session.flush()
    return _checkpoint_view(checkpoint)


def reopen_checkpoint(
    session: Session, checkpoint_id: int, *, now: datetime, agency_id: int | None = None
) -> CheckpointView:
    """Undo "done" on a checkpoint (e.g. pressed by mistake)."""
    checkpoint = _checkpoint(session, checkpoint_id, agency_id)
    if checkpoint.status != OPEN:
        checkpoint.status = OPEN
        checkpoint.done_at = None
        checkpoint.done_by = None
        _refresh_status(session, checkpoint.measure, now)
    session.flush()
    return _checkpoint_view(checkpoint)


def snooze_checkpoint(
    session: Session, checkpoint_id: int, days: int, *, today: date, agency_id: int | None = None
) -> CheckpointView:
    """Hold a checkpoint's reminders until ``today`` + ``days`` (เลื่อนเตือน); a done checkpoint is left as is."""
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise MeasureInputError(f"snooze for 1–{MAX_SNOOZE_DAYS} days, not {days}")
    checkpoint = _checkpoint(session, checkpoint_id, agency_id)
    if checkpoint.status == OPEN:
        checkpoint.snoozed_until = today + timedelta(days=days)
    session.flush()
    return _checkpoint_view(checkpoint)


def add_progress_note(
    session: Session,
    measure_id: int,
    text: str,
    *,
    now: datetime,
    line_user_id: str | None = None,
    author_name: str | None = None,
    checkpoint_id: int | None = None,
    agency_id: int | None = None,
) -> NoteView:
    """Record what someone reports about a measure (optionally about one of its checkpoints)."""
    body = text.strip()
    if not body:
        raise MeasureInputError("the progress note is empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise MeasureInputError(f"the progress note is longer than {MAX_NOTE_LENGTH} characters")
    measure = session.get(Measure, measure_id)
    if measure is None or (agency_id is not None and measure.agency_id != agency_id):
        raise MeasureNotFound(measure_id)
    if checkpoint_id is not None:
        checkpoint = session.get(Checkpoint, checkpoint_id)
        if checkpoint is None or checkpoint.measure_id != measure_id:
            raise CheckpointNotFound(checkpoint_id)
    note = ProgressNote(
        measure_id=measure_id,
        checkpoint_id=checkpoint_id,
        line_user_id=line_user_id,
        author_name=(author_name or "").strip()[:255] or None,
        created_at=now,
        text=body,
    )
    session.add(note)
    session.flush()
    return _note_view(note)
