"""Importing measures: validate rows, plan what changes, apply the plan.

Works like results (``ita_core.results``): every reader (``ita_core.measure_files``, the demo
data) produces :class:`RawMeasure` rows; they are validated all together and, if anything is
wrong, rejected whole with every problem listed by row and column. Otherwise a
:class:`MeasurePlan` says what is new, what changed (and how) and what is unchanged, and applying
it writes only the differences. The file format is documented in ``docs/measures-format.md``.

Identity on re-import: a row with a ``measure_code`` is the stored measure of that agency and
fiscal year with that code. A row without one is the stored measure with the same indicators and
title (S001 lists the same title under two indicators, and those are two measures). Stored
measures a file does not mention are kept and reported, never deleted: their checkpoints and
progress notes are history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ita_core.errors import ImportProblem, ImportRejected
from ita_core.fiscal import EXPLICIT, HALF_YEARLY, QUARTERLY, YEAR_END, checkpoint_schedule, fiscal_year_range
from ita_core.measures import ACTIVE, DONE, OPEN, MeasureFields, decode_indicators
from ita_core.models import Agency, Checkpoint, Measure
from ita_core.numbers import to_arabic_digits
from ita_core.thaidate import ThaiDateError, format_thai_date, format_thai_period, parse_period, parse_thai_date

MAX_PERIOD_DAYS = 3 * 366

_Problem = Callable[[str | None, str], None]  # reports a problem of the current row: (field, message)


# --- monitoring rhythm -----------------------------------------------------------------------------

_RHYTHM_ALIASES = {
    "quarter": QUARTERLY,
    "quarterly": QUARTERLY,
    "half_yearly": HALF_YEARLY,
    "halfyearly": HALF_YEARLY,
    "half_year": HALF_YEARLY,
    "semiannual": HALF_YEARLY,
    "semi_annual": HALF_YEARLY,
    "year_end": YEAR_END,
    "yearend": YEAR_END,
    "annual": YEAR_END,
    "yearly": YEAR_END,
    "explicit": EXPLICIT,
    "dates": EXPLICIT,
}


def parse_rhythm(value: object) -> tuple[str, str | None]:
    """The rhythm code of a monitoring cell, and the Thai text to keep (None when a code was given).

    Accepts the codes (quarterly, half_yearly, year_end, explicit) and the reports' wording:
    "ทุกไตรมาส", "ปีละ ๒ ครั้ง", "รายงานความก้าวหน้าและสรุปผล ณ สิ้นปีงบประมาณ", ...
    """
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    code = _RHYTHM_ALIASES.get(text.lower().replace("-", "_").replace(" ", "_"))
    if code is not None:
        return code, None
    squashed = re.sub(r"\s+", "", to_arabic_digits(text))
    if not squashed:
        raise ValueError("monitoring is missing: use quarterly, half_yearly, year_end or explicit")
    if "ไตรมาส" in squashed or "3เดือน" in squashed or "สามเดือน" in squashed:
        return QUARTERLY, text
    if any(k in squashed for k in ("ปีละ2ครั้ง", "ปีละสองครั้ง", "6เดือน", "หกเดือน", "ครึ่งปี")):
        return HALF_YEARLY, text
    if any(k in squashed for k in ("สิ้นปี", "ปีละ1ครั้ง", "ปีละหนึ่งครั้ง", "ปีละครั้ง", "รายปี", "ประจำปี")):
        return YEAR_END, text
    if any(k in squashed for k in ("ตามวันที่กำหนด", "ตามกำหนดการ", "ตามวันที่")):
        return EXPLICIT, text
    if any(k in squashed for k in ("ทุกเดือน", "รายเดือน", "ประจำเดือน")):
        raise ValueError(f"monthly monitoring ({text!r}) is not supported: use explicit with the dates in checkpoints")
    raise ValueError(
        f"unknown monitoring {text!r}: use quarterly (ทุกไตรมาส), half_yearly (ปีละ ๒ ครั้ง), "
        "year_end (ณ สิ้นปีงบประมาณ) or explicit (dates in checkpoints)"
    )


# --- raw rows and validated records ------------------------------------------------------------------

FIELDS = (
    "agency",
    "fiscal_year",
    "measure_code",
    "indicators",
    "title",
    "steps",
    "units",
    "period",
    "period_start",
    "period_end",
    "monitoring",
    "monitoring_text",
    "checkpoints",
    "source",
)


@dataclass
class RawMeasure:
    """One measure as read from a file, before validation. ``columns`` maps a field to its column name."""

    row: int | None
    values: dict[str, object] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    unknown_fields: list[str] = field(default_factory=list)

    def column(self, key: str) -> str:
        """The column (or JSON field) a value came from, for error messages."""
        return self.columns.get(key, key)

    def given(self, key: str) -> bool:
        """Whether the row has a non-empty value for ``key``."""
        value = self.values.get(key)
        if value is None:
            return False
        if isinstance(value, str):
            return value.strip() != ""
        if isinstance(value, list | tuple):
            return len(value) > 0
        return True


@dataclass(frozen=True)
class MeasureRecord(MeasureFields):
    """A validated measure."""

    row: int | None
    explicit_dates: tuple[date, ...]
    source: str

    def schedule(self) -> list[tuple[date, str]]:
        """The (due date, label) checkpoints the rhythm calls for."""
        return [
            (c.due, c.label)
            for c in checkpoint_schedule(self.monitoring, self.period_start, self.period_end, self.explicit_dates)
        ]

    @property
    def title_key(self) -> tuple[str, int, tuple[int, ...], str]:
        """The identity of a measure without a code: agency, year, indicators, title."""
        return (self.agency_code, self.fiscal_year, self.indicators, self.title)

    def label(self) -> str:
        """Short English-framed description for admin messages."""
        short = self.title if len(self.title) <= 60 else self.title[:59] + "…"
        ind = ",".join(map(str, self.indicators))
        code = f" [{self.code}]" if self.code else ""
        return f"{self.agency_code} {self.fiscal_year} ind {ind}{code}: {short}"


_STEP_NUMBER = re.compile(r"^\s*(?:\(?[0-9๐-๙]{1,2}\s*[.)]|[-•*–])\s*")
_UNIT_SEPARATORS = re.compile(r"[,;/|\n]+")
_LIST_SEPARATORS = re.compile(r"[,;|\n]+")


def _text(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _items(value: object, separators: re.Pattern[str]) -> list[str]:
    if value is None:
        return []
    pieces = [str(v) for v in value] if isinstance(value, list | tuple) else separators.split(str(value))
    return [t for t in (_text(p) for p in pieces) if t]


def _steps(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        pieces = [str(v) for v in value]
    else:
        pieces = re.split(r"[|\n]+", str(value)) if value is not None else []
    return [t for t in (_text(_STEP_NUMBER.sub("", p)) for p in pieces) if t]


def _indicators(value: object) -> list[int]:
    """Indicator numbers from 4, "1,5", "๑, ๕", "ตัวชี้วัดที่ 9" or [1, 5]; ValueError names the bad one."""
    if isinstance(value, bool):
        raise ValueError(f"indicator {value!r} is not a number 1–10")
    if isinstance(value, int | float):
        pieces: list[object] = [value]
    elif isinstance(value, list | tuple):
        pieces = list(value)
    else:
        text = to_arabic_digits(str(value)).replace("ตัวชี้วัดที่", " ").replace("ตัวชี้วัด", " ")
        pieces = [p for p in re.split(r"[,;/\s]+|และ", text) if p]
    out: list[int] = []
    for piece in pieces:
        text = to_arabic_digits(str(piece)).strip()
        if text.endswith(".0"):
            text = text[:-2]
        if not text.isdigit() or not 1 <= int(text) <= 10:
            raise ValueError(f"indicator {piece!r} is not a number 1–10")
        out.append(int(text))
    if not out:
        raise ValueError("indicators are missing: give the indicator numbers 1–10 the measure addresses")
    return sorted(set(out))


def _fiscal_year(value: object) -> int | None:
    text = re.sub(r"พ\s*\.\s*ศ\s*\.?|\s", "", to_arabic_digits(str(value if value is not None else "")))
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    year = int(text)
    return year if 2500 <= year <= 2700 else None


def validate_measures(
    raws: Sequence[RawMeasure], known_agencies: Iterable[str], source: str = ""
) -> list[MeasureRecord]:
    """Validate every row; raise ImportRejected listing all problems, or return the records."""
    agencies = set(known_agencies)
    problems: list[ImportProblem] = []
    records: list[MeasureRecord] = []
    by_code: dict[tuple[str, int, str], int | None] = {}
    by_title: dict[tuple[str, int, tuple[int, ...], str], tuple[int | None, bool]] = {}
    for raw in raws:
        before = len(problems)
        record = _validate_one(raw, agencies, problems, source)
        if record is None or len(problems) > before:
            continue
        if record.code is not None:
            code_key = (record.agency_code, record.fiscal_year, record.code)
            if code_key in by_code:
                problems.append(
                    _duplicate(raw, "measure_code", f"measure_code {record.code!r}", by_code[code_key], source)
                )
                continue
            by_code[code_key] = raw.row
        earlier = by_title.get(record.title_key)
        if earlier is not None and (record.code is None or not earlier[1]):
            what = f"measure for indicator(s) {','.join(map(str, record.indicators))} with this title"
            problems.append(_duplicate(raw, "title", what, earlier[0], source))
            continue
        by_title.setdefault(record.title_key, (raw.row, record.code is not None))
        records.append(record)
    if problems:
        raise ImportRejected(problems)
    return records


def _duplicate(raw: RawMeasure, key: str, what: str, first: int | None, source: str) -> ImportProblem:
    where = f" (first at row {first})" if first is not None else ""
    return ImportProblem(raw.row, raw.column(key), f"duplicate {what}{where}", source)


def _validate_one(
    raw: RawMeasure, agencies: set[str], problems: list[ImportProblem], source: str
) -> MeasureRecord | None:
    def problem(key: str | None, message: str) -> None:
        problems.append(ImportProblem(raw.row, raw.column(key) if key else None, message, source))

    values = raw.values
    for name in raw.unknown_fields:
        problem(name, f"unknown column {name!r} (see docs/measures-format.md)")
    code = _text(values.get("agency")).upper()
    if not code:
        problem("agency", "agency code is missing")
    elif code not in agencies:
        problem("agency", f"unknown agency {code!r}")
    year = _fiscal_year(values.get("fiscal_year"))
    if year is None:
        shown = values.get("fiscal_year")
        problem("fiscal_year", f"fiscal year {shown!r} is not a Buddhist-era year such as 2569")
    measure_code = _text(values.get("measure_code")) or None
    if measure_code is not None and len(measure_code) > 64:
        problem("measure_code", "measure_code is longer than 64 characters")
    indicators: list[int] = []
    try:
        indicators = _indicators(values.get("indicators") if raw.given("indicators") else "")
    except ValueError as exc:
        problem("indicators", str(exc))
    title = _text(values.get("title"))
    if not title:
        problem("title", "the measure's title is missing")
    steps = _steps(values.get("steps"))
    units = _items(values.get("units"), _UNIT_SEPARATORS)
    if not units:
        problem("units", "responsible units are missing (e.g. สำนักปลัด, กองคลัง, ทุกฝ่าย)")
    if any(len(u) > 128 for u in units):
        problem("units", "a responsible unit is longer than 128 characters")
    rhythm, rhythm_text = YEAR_END, None
    try:
        rhythm, rhythm_text = parse_rhythm(values.get("monitoring"))
    except ValueError as exc:
        problem("monitoring", str(exc))
    monitoring_text = _text(values.get("monitoring_text")) or rhythm_text
    if monitoring_text is not None and len(monitoring_text) > 255:
        problem("monitoring_text", "monitoring text is longer than 255 characters")
    period = _validate_period(raw, year, problem)
    explicit = _validate_checkpoints(raw, rhythm, period, problem)
    record_source = _text(values.get("source")) or source
    if year is None or period is None or not title:
        return None
    start, end, period_text = period
    return MeasureRecord(
        row=raw.row,
        agency_code=code,
        fiscal_year=year,
        code=measure_code,
        indicators=tuple(indicators),
        title=title,
        steps=tuple(steps),
        units=tuple(units),
        period_start=start,
        period_end=end,
        period_text=period_text,
        monitoring=rhythm,
        monitoring_text=monitoring_text,
        explicit_dates=tuple(explicit),
        source=record_source[:255],
    )


def _date_field(raw: RawMeasure, key: str, problem: _Problem) -> date | None:
    if not raw.given(key):
        return None
    try:
        return parse_thai_date(raw.values[key])
    except ThaiDateError as exc:
        problem(key, str(exc))
        return None


def _validate_period(raw: RawMeasure, year: int | None, problem: _Problem) -> tuple[date, date, str | None] | None:
    """Start, end and the text as written; from period_start/period_end, the period text, or the fiscal year."""
    start = _date_field(raw, "period_start", problem)
    end = _date_field(raw, "period_end", problem)
    if raw.given("period_start") != raw.given("period_end"):
        missing = "period_end" if raw.given("period_start") else "period_start"
        problem(missing, f"{missing} is missing: give both period_start and period_end, or a period")
        return None
    if raw.given("period_start") and (start is None or end is None):
        return None
    period_text = _text(raw.values.get("period")) or None
    from_text = None
    if period_text is not None:
        if len(period_text) > 255:
            problem("period", "period text is longer than 255 characters")
        if re.search(r"[0-9๐-๙]", period_text):  # text without digits ("ตลอดปี") is kept as written
            try:
                from_text = parse_period(period_text)
            except ThaiDateError as exc:
                problem("period", str(exc))
                return None
    if start is None or end is None:
        if from_text is not None:
            start, end = from_text
        elif year is not None:
            start, end = fiscal_year_range(year)
        else:
            return None
    elif from_text is not None and tuple(from_text) != (start, end):
        problem(
            "period",
            f"period {period_text!r} says {format_thai_period(*from_text)} but period_start/period_end say "
            f"{format_thai_period(start, end)}",
        )
        return None
    if end < start:
        problem("period_end", f"the period ends ({format_thai_date(end)}) before it starts ({format_thai_date(start)})")
        return None
    if (end - start).days > MAX_PERIOD_DAYS:
        problem("period_end", f"the period {format_thai_period(start, end)} is longer than three years")
        return None
    if year is not None:
        fy = fiscal_year_range(year)
        if end < fy.start or start > fy.end:
            problem(
                "period_start" if raw.given("period_start") else "period",
                f"the period {format_thai_period(start, end)} lies outside fiscal year {year} "
                f"({format_thai_period(*fy)})",
            )
            return None
    return start, end, period_text


def _validate_checkpoints(
    raw: RawMeasure, rhythm: str, period: tuple[date, date, str | None] | None, problem: _Problem
) -> list[date]:
    dates: list[date] = []
    bad = False
    for piece in _items(raw.values.get("checkpoints"), _LIST_SEPARATORS) if raw.given("checkpoints") else []:
        try:
            dates.append(parse_thai_date(piece))
        except ThaiDateError as exc:
            problem("checkpoints", str(exc))
            bad = True
    if rhythm != EXPLICIT:
        if dates:
            problem("checkpoints", f"checkpoint dates are only for monitoring 'explicit' (this one is {rhythm})")
        return []
    if not dates and not bad:
        problem("checkpoints", "monitoring 'explicit' needs the checkpoint dates, e.g. '31 มี.ค. 2569; 30 ก.ย. 2569'")
    if period is not None:
        start, end, _ = period
        for day in dates:
            if not start <= day <= end:
                problem(
                    "checkpoints",
                    f"checkpoint {format_thai_date(day)} is outside the period {format_thai_period(start, end)}",
                )
    return sorted(set(dates))


# --- planning and applying an import -----------------------------------------------------------------


@dataclass(frozen=True)
class _StoredCheckpoint:
    id: int
    due: date
    label: str
    status: str


@dataclass(frozen=True)
class _StoredMeasure(MeasureFields):
    id: int
    checkpoints: list[_StoredCheckpoint] = field(default_factory=list)


@dataclass(frozen=True)
class MeasureChange:
    """A stored measure that an import changes, and how."""

    record: MeasureRecord
    measure_id: int
    changes: list[str]
    stored: _StoredMeasure


@dataclass
class MeasurePlan:
    """What a measures import would do."""

    new: list[MeasureRecord] = field(default_factory=list)
    changed: list[MeasureChange] = field(default_factory=list)
    unchanged: list[MeasureRecord] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)  # stored measures of the file's agency-years, kept

    @property
    def has_changes(self) -> bool:
        """Whether applying the plan writes anything."""
        return bool(self.new or self.changed)

    def summary_lines(self) -> list[str]:
        """Human-readable description of the plan (English, for admins)."""
        lines = [f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"]
        if not self.has_changes:
            lines.append("nothing to change: the stored measures are already the same")
        lines += [f"new: {r.label()}" for r in self.new[:20]]
        if len(self.new) > 20:
            lines.append(f"... and {len(self.new) - 20} more new")
        lines += [f"changed: {c.record.label()}: " + "; ".join(c.changes) for c in self.changed[:50]]
        if len(self.changed) > 50:
            lines.append(f"... and {len(self.changed) - 50} more changed")
        if self.not_in_file:
            lines.append(
                f"kept: {len(self.not_in_file)} stored measure(s) of these agencies and years are not in the file"
            )
            lines += [f"  not in file: {label}" for label in self.not_in_file[:20]]
        return lines

    def as_json(self) -> dict[str, object]:
        """A JSON-able description of the plan."""

        def brief(r: MeasureRecord) -> dict[str, object]:
            return {
                "agency": r.agency_code,
                "year": r.fiscal_year,
                "code": r.code,
                "indicators": list(r.indicators),
                "title": r.title,
                "checkpoints": [d.isoformat() for d, _ in r.schedule()],
            }

        return {
            "new": [brief(r) for r in self.new],
            "changed": [{**brief(c.record), "changes": c.changes} for c in self.changed],
            "unchanged": len(self.unchanged),
            "not_in_file": self.not_in_file,
        }


def _load_stored(session: Session, keys: set[tuple[str, int]]) -> list[_StoredMeasure]:
    """Stored measures (with checkpoints) of the given agency-years."""
    if not keys:
        return []
    out: dict[int, _StoredMeasure] = {}
    codes = sorted({code for code, _ in keys})
    years = sorted({year for _, year in keys})
    agencies: dict[int, str] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        rows = session.execute(select(Agency.id, Agency.code).where(Agency.code.in_(chunk)))
        agencies.update({agency_id: code for agency_id, code in rows})
    columns = (
        Measure.id,
        Measure.agency_id,
        Measure.fiscal_year,
        Measure.code,
        Measure.indicators,
        Measure.title,
        Measure.steps,
        Measure.units,
        Measure.period_start,
        Measure.period_end,
        Measure.period_text,
        Measure.monitoring,
        Measure.monitoring_text,
    )
    agency_ids = sorted(agencies)
    for start in range(0, len(agency_ids), 5000):
        # agency_id IN (...) AND fiscal_year IN (...) walks the (agency_id, fiscal_year, code) index;
        # the exact pairs are picked here.
        query = select(*columns).where(
            Measure.agency_id.in_(agency_ids[start : start + 5000]), Measure.fiscal_year.in_(years)
        )
        for row in session.execute(query):
            agency_code = agencies[row[1]]
            if (agency_code, row[2]) not in keys:
                continue
            out[row[0]] = _StoredMeasure(
                id=row[0],
                agency_code=agency_code,
                fiscal_year=row[2],
                code=row[3],
                indicators=decode_indicators(row[4]),
                title=row[5],
                steps=tuple(json.loads(row[6])),
                units=tuple(json.loads(row[7])),
                period_start=row[8],
                period_end=row[9],
                period_text=row[10],
                monitoring=row[11],
                monitoring_text=row[12],
            )
    ids = sorted(out)
    for start in range(0, len(ids), 5000):
        id_chunk = ids[start : start + 5000]
        for cid, mid, due, label, status in session.execute(
            select(Checkpoint.id, Checkpoint.measure_id, Checkpoint.due_date, Checkpoint.label, Checkpoint.status)
            .where(Checkpoint.measure_id.in_(id_chunk))
            .order_by(Checkpoint.due_date)
        ):
            out[mid].checkpoints.append(_StoredCheckpoint(cid, due, label, status))
    return list(out.values())


def _after_apply(record: MeasureRecord, stored: _StoredMeasure) -> list[tuple[date, str]]:
    """The checkpoints a stored measure would have after applying ``record``: the schedule, plus done ones kept."""
    wanted = dict(record.schedule())
    kept = {c.due: c.label for c in stored.checkpoints if c.due not in wanted and c.status == DONE}
    return sorted({**wanted, **kept}.items())


def describe_measure_changes(stored: _StoredMeasure, record: MeasureRecord) -> list[str]:
    """Field-by-field description of what applying ``record`` would change."""
    changes: list[str] = []

    def compare(name: str, before: object, after: object) -> None:
        if before != after:
            changes.append(f"{name} {_shown(before)} → {_shown(after)}")

    if record.code is not None:
        compare("measure_code", stored.code, record.code)
    compare("indicators", ",".join(map(str, stored.indicators)), ",".join(map(str, record.indicators)))
    compare("title", stored.title, record.title)
    if stored.steps != record.steps:
        changes.append(f"steps ({len(stored.steps)} → {len(record.steps)})")
    compare("units", ", ".join(stored.units), ", ".join(record.units))
    compare(
        "period",
        format_thai_period(stored.period_start, stored.period_end),
        format_thai_period(record.period_start, record.period_end),
    )
    compare("period text", stored.period_text, record.period_text)
    compare("monitoring", stored.monitoring, record.monitoring)
    compare("monitoring text", stored.monitoring_text, record.monitoring_text)
    before = [(c.due, c.label) for c in stored.checkpoints]
    after = _after_apply(record, stored)
    if [d for d, _ in before] != [d for d, _ in after]:
        compare(
            "checkpoints",
            ", ".join(format_thai_date(d) for d, _ in before),
            ", ".join(format_thai_date(d) for d, _ in after),
        )
    elif before != after:
        changes.append("checkpoint labels " + ", ".join(label for _, label in after))
    return changes


def _shown(value: object) -> str:
    if value is None or value == "":
        return "-"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def plan_measures(session: Session, records: Sequence[MeasureRecord], source: str = "") -> MeasurePlan:
    """Match validated records with stored measures and say what would change (raises on ambiguous matches)."""
    plan = MeasurePlan()
    stored = _load_stored(session, {(r.agency_code, r.fiscal_year) for r in records})
    by_code = {(s.agency_code, s.fiscal_year, s.code): s for s in stored if s.code is not None}
    by_title: dict[tuple[str, int, tuple[int, ...], str], list[_StoredMeasure]] = {}
    for s in stored:
        by_title.setdefault((s.agency_code, s.fiscal_year, s.indicators, s.title), []).append(s)
    claimed: dict[int, MeasureRecord] = {}
    problems: list[ImportProblem] = []
    for record in records:
        match = by_code.get((record.agency_code, record.fiscal_year, record.code)) if record.code else None
        if match is None:
            candidates = by_title.get(record.title_key, [])
            if record.code is not None:
                candidates = [c for c in candidates if c.code is None]
            match = candidates[0] if candidates else None
        if match is None:
            plan.new.append(record)
            continue
        if match.id in claimed:
            first = claimed[match.id]
            problems.append(
                ImportProblem(
                    record.row,
                    "measure_code",
                    f"this row and row {first.row} both match stored measure {match.id}; give them distinct measure_codes",
                    source,
                )
            )
            continue
        claimed[match.id] = record
        changes = describe_measure_changes(match, record)
        if changes:
            plan.changed.append(MeasureChange(record, match.id, changes, match))
        else:
            plan.unchanged.append(record)
    if problems:
        raise ImportRejected(problems)
    for s in stored:
        if s.id not in claimed:
            code = f" [{s.code}]" if s.code else ""
            plan.not_in_file.append(
                f"{s.agency_code} {s.fiscal_year} ind {','.join(map(str, s.indicators))}{code}: {s.title[:60]}"
            )
    return plan


def _measure_values(record: MeasureRecord) -> dict[str, object]:
    return {
        "fiscal_year": record.fiscal_year,
        "indicators": ",".join(map(str, record.indicators)),
        "title": record.title,
        "steps": json.dumps(list(record.steps), ensure_ascii=False),
        "units": json.dumps(list(record.units), ensure_ascii=False),
        "period_start": record.period_start,
        "period_end": record.period_end,
        "period_text": record.period_text,
        "monitoring": record.monitoring,
        "monitoring_text": record.monitoring_text,
        "source": record.source,
    }


def apply_measures(session: Session, plan: MeasurePlan, now: datetime) -> None:
    """Write the new and changed measures of a plan and bring their checkpoints in line (flushes only)."""
    if not plan.has_changes:
        return
    session.flush()
    wanted_codes = {r.agency_code for r in plan.new}
    agency_ids = {
        code: agency_id
        for code, agency_id in session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(wanted_codes)))
    }
    checkpoint_rows: list[dict[str, object]] = []
    if plan.new:
        rows = [
            {
                **_measure_values(r),
                "agency_id": agency_ids[r.agency_code],
                "code": r.code,
                "status": ACTIVE,
                "created_at": now,
                "updated_at": now,
            }
            for r in plan.new
        ]
        # render_nulls keeps every row's columns alike, so the rows go out in a few large batches
        # instead of one batch per run of rows with the same None columns.
        statement = insert(Measure).returning(Measure.id, sort_by_parameter_order=True)
        ids = session.scalars(statement.execution_options(render_nulls=True), rows).all()
        for measure_id, record in zip(ids, plan.new, strict=True):
            checkpoint_rows += [
                {"measure_id": measure_id, "due_date": due, "label": label, "status": OPEN}
                for due, label in record.schedule()
            ]
    updates: list[dict[str, object]] = []
    relabels: list[dict[str, object]] = []
    removed: list[int] = []
    for change in plan.changed:
        record, stored = change.record, change.stored
        existing = {c.due: c for c in stored.checkpoints}
        wanted = record.schedule()
        for due, label in wanted:
            old = existing.get(due)
            if old is None:
                checkpoint_rows.append(
                    {"measure_id": change.measure_id, "due_date": due, "label": label, "status": OPEN}
                )
            elif old.label != label:
                relabels.append({"id": old.id, "label": label})
        wanted_dates = {due for due, _ in wanted}
        removed += [c.id for c in stored.checkpoints if c.due not in wanted_dates and c.status == OPEN]
        all_done = all(existing.get(due) is not None and existing[due].status == DONE for due in wanted_dates)
        updates.append(
            {
                **_measure_values(record),
                "id": change.measure_id,
                "code": record.code if record.code is not None else stored.code,
                "status": DONE if all_done else ACTIVE,
                "updated_at": now,
            }
        )
    for start in range(0, len(removed), 5000):
        session.execute(delete(Checkpoint).where(Checkpoint.id.in_(removed[start : start + 5000])))
    if updates:
        session.execute(update(Measure), updates)
    if relabels:
        session.execute(update(Checkpoint), relabels)
    if checkpoint_rows:
        session.execute(insert(Checkpoint).execution_options(render_nulls=True), checkpoint_rows)
    session.flush()
    session.expire_all()


def import_measures(
    session: Session, raws: Sequence[RawMeasure], now: datetime, *, dry_run: bool = False, source: str = ""
) -> MeasurePlan:
    """Validate, plan and (unless ``dry_run``) apply a measures import. Raises ImportRejected on any problem."""
    known = session.scalars(select(Agency.code)).all()
    records = validate_measures(raws, known, source)
    plan = plan_measures(session, records, source)
    if not dry_run:
        apply_measures(session, plan, now)
    return plan
