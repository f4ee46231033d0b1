"""Storing agency results: validate records, plan what changes, apply the plan.

Every importer (CSV, XLSX, JSON, the demo data) produces :class:`RawResult` rows. They are
validated all together; if anything is wrong the whole batch is rejected with every problem listed
by row and column, and nothing is written. Otherwise a :class:`ImportPlan` says what is new, what
changed (and how) and what is unchanged; applying it writes only the differences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from ita_core.errors import ImportProblem, ImportRejected, ItaError, ScoreInputError
from ita_core.framework import Framework, get_framework
from ita_core.models import Agency, Assessment, IndicatorScore, ItemScore, SubIndicatorScore
from ita_core.numbers import round2
from ita_core.scoring import (
    LETTER_LEVELS,
    PASS_LEVELS,
    check_score,
    indicator_from_items,
    level_for,
    overall_score,
    tool_scores,
)

REPORTED_KEYS = ("IIT", "EIT", "OIT", "overall")
PART_KEYS = ("EIT1", "EIT2")


@dataclass
class RawResult:
    """One agency-year as read from a file, before validation. ``columns`` maps a field to its column name."""

    row: int | None
    agency_code: object
    year: object
    indicators: dict[int, object] = field(default_factory=dict)
    reported: dict[str, object] = field(default_factory=dict)  # IIT, EIT, OIT, overall, EIT1, EIT2
    reported_level: object = None
    sub_indicators: dict[str, object] = field(default_factory=dict)
    items: dict[str, object] = field(default_factory=dict)
    source: object = ""
    columns: dict[str, str] = field(default_factory=dict)
    unknown_fields: list[str] = field(default_factory=list)

    def column(self, key: str) -> str:
        """The column (or field) name a value came from, for error messages."""
        return self.columns.get(key, key)


@dataclass(frozen=True)
class ResultRecord:
    """A validated agency-year result."""

    agency_code: str
    year: int
    indicators: dict[int, Decimal]  # empty when not known
    items: dict[str, Decimal]
    sub_indicators: dict[str, Decimal]
    eit_parts: dict[str, Decimal]
    reported: dict[str, Decimal]
    reported_level: str | None
    source: str

    def stored_values(self) -> dict[str, object]:
        """The values that define this result, in the form compared on re-import."""
        return {
            "indicators": {str(k): str(v) for k, v in sorted(self.indicators.items())},
            "items": {k: str(v) for k, v in sorted(self.items.items())},
            "sub_indicators": {k: str(v) for k, v in sorted(self.sub_indicators.items())},
            "eit_parts": {k: str(v) for k, v in sorted(self.eit_parts.items())},
            "reported": {k: str(v) for k, v in sorted(self.reported.items())},
            "reported_level": self.reported_level,
        }


@dataclass(frozen=True)
class Computed:
    """What the scoring engine derives from a record."""

    indicators: dict[int, Decimal]
    tools: dict[str, Decimal]
    overall: Decimal | None
    level: str | None


@dataclass
class ImportPlan:
    """What an import would do."""

    new: list[ResultRecord] = field(default_factory=list)
    changed: list[tuple[ResultRecord, list[str]]] = field(default_factory=list)
    unchanged: list[ResultRecord] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # reported vs computed differences

    @property
    def has_changes(self) -> bool:
        """Whether applying the plan writes anything."""
        return bool(self.new or self.changed)

    def summary_lines(self) -> list[str]:
        """Human-readable description of the plan (English, for admins)."""
        lines = [f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"]
        if not self.has_changes:
            lines.append("nothing to change: the stored results are already the same")
        for record in self.new[:20]:
            lines.append(f"new: {record.agency_code} {record.year}")
        if len(self.new) > 20:
            lines.append(f"... and {len(self.new) - 20} more new")
        for record, changes in self.changed[:50]:
            lines.append(f"changed: {record.agency_code} {record.year}: " + "; ".join(changes))
        if len(self.changed) > 50:
            lines.append(f"... and {len(self.changed) - 50} more changed")
        lines.extend(f"warning: {m}" for m in self.mismatches)
        return lines

    def as_json(self) -> dict[str, object]:
        """A JSON-able description of the plan."""
        return {
            "new": [{"agency": r.agency_code, "year": r.year} for r in self.new],
            "changed": [{"agency": r.agency_code, "year": r.year, "changes": c} for r, c in self.changed],
            "unchanged": len(self.unchanged),
            "mismatches": self.mismatches,
        }


def compute(record: ResultRecord) -> Computed:
    """Derive indicators (from items if needed), tool scores, overall and level of a record."""
    framework = get_framework(record.year)
    indicators = dict(record.indicators)
    if not indicators and record.items:
        derived = {n: indicator_from_items(framework, n, record.items) for n in range(1, 11)}
        if all(v is not None for v in derived.values()):
            indicators = {n: v for n, v in derived.items() if v is not None}
    if len(indicators) != 10:
        return Computed(indicators=indicators, tools={}, overall=None, level=None)
    tools = tool_scores(framework, indicators)
    overall = overall_score(framework, tools)
    level = level_for(framework, overall, tools, record.eit_parts)
    return Computed(indicators=indicators, tools={str(k): v for k, v in tools.items()}, overall=overall, level=level)


def mismatches(record: ResultRecord, computed: Computed) -> list[str]:
    """Differences between what the report states and what the engine computes."""
    out = []
    where = f"{record.agency_code} {record.year}"
    for key in REPORTED_KEYS:
        reported = record.reported.get(key)
        value = computed.overall if key == "overall" else computed.tools.get(key)
        if reported is not None and value is not None and reported != value:
            out.append(f"{where}: reported {key} {reported} but computed {value}")
    if record.reported_level and computed.level and record.reported_level != computed.level:
        out.append(f"{where}: reported level {record.reported_level} but computed {computed.level}")
    return out


def validate(raws: Sequence[RawResult], known_agencies: Iterable[str], source: str = "") -> list[ResultRecord]:
    """Validate every row; raise ImportRejected listing all problems, or return the records."""
    agencies = set(known_agencies)
    problems: list[ImportProblem] = []
    records: list[ResultRecord] = []
    seen: dict[tuple[str, int], int | None] = {}
    for raw in raws:
        before = len(problems)
        record = _validate_one(raw, agencies, problems, source)
        if record is None or len(problems) > before:
            continue
        key = (record.agency_code, record.year)
        if key in seen:
            first = seen[key]
            problems.append(
                ImportProblem(
                    raw.row,
                    raw.column("agency"),
                    f"duplicate row for agency {record.agency_code} year {record.year}"
                    + (f" (first at row {first})" if first is not None else ""),
                    source,
                )
            )
            continue
        seen[key] = raw.row
        records.append(record)
    if problems:
        raise ImportRejected(problems)
    return records


def _validate_one(
    raw: RawResult, agencies: set[str], problems: list[ImportProblem], source: str
) -> ResultRecord | None:
    def problem(column: str | None, message: str) -> None:
        problems.append(ImportProblem(raw.row, column, message, source))

    for name in raw.unknown_fields:
        problem(name, f"unknown column {name!r}")
    code = str(raw.agency_code or "").strip().upper()
    if not code:
        problem(raw.column("agency"), "agency code is missing")
    elif code not in agencies:
        problem(raw.column("agency"), f"unknown agency {code!r}")
    year = _parse_year(raw.year)
    if year is None:
        problem(raw.column("year"), f"fiscal year {raw.year!r} is not a Buddhist-era year such as 2567")
        return None
    try:
        framework = get_framework(year)
    except ItaError as exc:
        problem(raw.column("year"), str(exc))
        return None

    def score(key: str, value: object, what: str) -> Decimal | None:
        try:
            # Stored with two decimals, like the official reports; finer input is rounded half-up.
            return round2(check_score(value, what))
        except ScoreInputError as exc:
            problem(raw.column(key), str(exc))
            return None

    indicators: dict[int, Decimal] = {}
    for number, value in raw.indicators.items():
        if not isinstance(number, int) or not 1 <= number <= 10:
            problem(raw.column(f"ind{number}"), f"unknown indicator {number!r}")
            continue
        parsed = score(f"ind{number}", value, f"indicator {number}")
        if parsed is not None:
            indicators[number] = parsed
    if indicators and len(indicators) != 10 and len(problems) == 0:
        missing = ", ".join(str(n) for n in range(1, 11) if n not in indicators)
        problem(raw.column("ind"), f"indicators {missing} missing: give all ten or none")
    items: dict[str, Decimal] = {}
    for code_raw, value in raw.items.items():
        item = str(code_raw).strip().lower()
        if item not in framework.questions:
            problem(raw.column(f"item:{code_raw}"), f"unknown item code {item!r} for fiscal year {year}")
            continue
        parsed = score(f"item:{code_raw}", value, f"item {item}")
        if parsed is not None:
            items[item] = parsed
    subs: dict[str, Decimal] = {}
    for sub_code, value in raw.sub_indicators.items():
        if not _has_sub(framework, sub_code):
            problem(raw.column(f"sub:{sub_code}"), f"unknown sub-indicator {sub_code!r} for fiscal year {year}")
            continue
        parsed = score(f"sub:{sub_code}", value, f"sub-indicator {sub_code}")
        if parsed is not None:
            subs[sub_code] = parsed
    reported: dict[str, Decimal] = {}
    parts: dict[str, Decimal] = {}
    for key, value in raw.reported.items():
        if key not in REPORTED_KEYS + PART_KEYS:
            problem(raw.column(key), f"unknown score {key!r}")
            continue
        if key in PART_KEYS and not framework.eit_parts:
            problem(raw.column(key), f"fiscal year {year} has no EIT parts")
            continue
        parsed = score(key, value, key)
        if parsed is not None:
            (parts if key in PART_KEYS else reported)[key] = parsed
    level = str(raw.reported_level).strip() if raw.reported_level not in (None, "") else None
    if level is not None:
        allowed = LETTER_LEVELS if framework.scale == "letter" else PASS_LEVELS
        if level not in allowed:
            problem(raw.column("level"), f"level {level!r} is not one of {', '.join(allowed)} for {year}")
    if not indicators and not items and not reported:
        problem(raw.column("ind"), "no scores in this row")
    return ResultRecord(
        agency_code=code,
        year=year,
        indicators=indicators,
        items=items,
        sub_indicators=subs,
        eit_parts=parts,
        reported=reported,
        reported_level=level,
        source=str(raw.source or "").strip()[:255],
    )


def _has_sub(framework: Framework, code: str) -> bool:
    try:
        framework.sub_indicator(code)
    except KeyError:
        return False
    return True


def _parse_year(value: object) -> int | None:
    from ita_core.numbers import to_arabic_digits

    text = to_arabic_digits(str(value if value is not None else "")).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    year = int(text)
    return year if 2500 <= year <= 2700 else None


def plan_import(session: Session, records: Sequence[ResultRecord]) -> ImportPlan:
    """Compare validated records with what is stored and say what would change."""
    plan = ImportPlan()
    stored = load_stored(session, [(r.agency_code, r.year) for r in records])
    for record in records:
        plan.mismatches.extend(mismatches(record, compute(record)))
        old = stored.get((record.agency_code, record.year))
        if old is None:
            plan.new.append(record)
            continue
        changes = describe_changes(old, record.stored_values())
        if changes:
            plan.changed.append((record, changes))
        else:
            plan.unchanged.append(record)
    return plan


def describe_changes(old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    """Field-by-field description of what differs between two stored-value snapshots."""
    changes: list[str] = []
    labels = {
        "indicators": "indicator ",
        "items": "item ",
        "sub_indicators": "sub-indicator ",
        "eit_parts": "",
        "reported": "reported ",
    }
    for section, prefix in labels.items():
        before = old.get(section) or {}
        after = new.get(section) or {}
        assert isinstance(before, dict) and isinstance(after, dict)
        for key in sorted(set(before) | set(after), key=_natural):
            if before.get(key) != after.get(key):
                changes.append(f"{prefix}{key} {before.get(key, '-')} → {after.get(key, '-')}")
    if old.get("reported_level") != new.get("reported_level"):
        changes.append(f"reported level {old.get('reported_level') or '-'} → {new.get('reported_level') or '-'}")
    return changes


def _natural(key: str) -> tuple[str, int, str]:
    head = key.rstrip("0123456789.")
    tail = key[len(head) :]
    number = int(tail.split(".")[0]) if tail.split(".")[0].isdigit() else 0
    return (head, number, tail)


def load_stored(session: Session, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], dict[str, object]]:
    """Stored-value snapshots of the given agency-years, in bulk."""
    if not keys:
        return {}
    out: dict[tuple[str, int], dict[str, object]] = {}
    by_id: dict[int, tuple[str, int]] = {}
    years = sorted({year for _, year in keys})
    wanted = set(keys)
    rows = session.execute(select(Assessment, Agency.code).join(Agency).where(Assessment.fiscal_year.in_(years))).all()
    for assessment, code in rows:
        key = (code, assessment.fiscal_year)
        if key not in wanted:
            continue
        by_id[assessment.id] = key
        reported = {
            name: str(value)
            for name, value in (
                ("IIT", assessment.reported_iit),
                ("EIT", assessment.reported_eit),
                ("OIT", assessment.reported_oit),
                ("overall", assessment.reported_overall),
            )
            if value is not None
        }
        parts = {
            name: str(value)
            for name, value in (("EIT1", assessment.eit1), ("EIT2", assessment.eit2))
            if value is not None
        }
        out[key] = {
            "indicators": {},
            "items": {},
            "sub_indicators": {},
            "eit_parts": parts,
            "reported": reported,
            "reported_level": assessment.reported_level,
        }
    if not by_id:
        return out
    ids = list(by_id)
    for chunk in _chunks(ids, 5000):
        for aid, indicator, score in session.execute(
            select(IndicatorScore.assessment_id, IndicatorScore.indicator, IndicatorScore.score).where(
                IndicatorScore.assessment_id.in_(chunk)
            )
        ):
            _section(out[by_id[aid]], "indicators")[str(indicator)] = str(score)
        for aid, code, score in session.execute(
            select(ItemScore.assessment_id, ItemScore.code, ItemScore.score).where(ItemScore.assessment_id.in_(chunk))
        ):
            _section(out[by_id[aid]], "items")[code] = str(score)
        for aid, code, score in session.execute(
            select(SubIndicatorScore.assessment_id, SubIndicatorScore.code, SubIndicatorScore.score).where(
                SubIndicatorScore.assessment_id.in_(chunk)
            )
        ):
            _section(out[by_id[aid]], "sub_indicators")[code] = str(score)
    return out


def _section(snapshot: dict[str, object], name: str) -> dict[str, str]:
    section = snapshot[name]
    assert isinstance(section, dict)
    return section


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def apply_plan(session: Session, plan: ImportPlan, now: datetime) -> None:
    """Write the new and changed records of a plan (flushes; the caller commits)."""
    records = plan.new + [record for record, _ in plan.changed]
    if not records:
        return
    agency_ids: dict[str, int] = {
        code: agency_id
        for code, agency_id in session.execute(
            select(Agency.code, Agency.id).where(Agency.code.in_({r.agency_code for r in records}))
        )
    }
    changed_keys = [(agency_ids[r.agency_code], r.year) for r, _ in plan.changed]
    if changed_keys:
        for chunk in _chunk_pairs(changed_keys, 500):
            ids = session.scalars(
                select(Assessment.id).where(tuple_(Assessment.agency_id, Assessment.fiscal_year).in_(chunk))
            ).all()
            for model in (IndicatorScore, ItemScore, SubIndicatorScore):
                session.execute(delete(model).where(model.assessment_id.in_(ids)))
            session.execute(delete(Assessment).where(Assessment.id.in_(ids)))
    rows = []
    for record in records:
        computed = compute(record)
        rows.append(
            {
                "agency_id": agency_ids[record.agency_code],
                "fiscal_year": record.year,
                "source": record.source,
                "imported_at": now,
                "iit": computed.tools.get("IIT"),
                "eit": computed.tools.get("EIT"),
                "oit": computed.tools.get("OIT"),
                "overall": computed.overall,
                "level": computed.level,
                "eit1": record.eit_parts.get("EIT1"),
                "eit2": record.eit_parts.get("EIT2"),
                "reported_iit": record.reported.get("IIT"),
                "reported_eit": record.reported.get("EIT"),
                "reported_oit": record.reported.get("OIT"),
                "reported_overall": record.reported.get("overall"),
                "reported_level": record.reported_level,
            }
        )
    session.execute(insert(Assessment), rows)
    assessment_ids = dict(
        ((agency_id, year), aid)
        for aid, agency_id, year in session.execute(
            select(Assessment.id, Assessment.agency_id, Assessment.fiscal_year).where(
                Assessment.fiscal_year.in_({r.year for r in records})
            )
        )
    )
    indicator_rows, item_rows, sub_rows = [], [], []
    for record in records:
        aid = assessment_ids[(agency_ids[record.agency_code], record.year)]
        indicator_rows += [{"assessment_id": aid, "indicator": n, "score": s} for n, s in record.indicators.items()]
        item_rows += [{"assessment_id": aid, "code": c, "score": s} for c, s in record.items.items()]
        sub_rows += [{"assessment_id": aid, "code": c, "score": s} for c, s in record.sub_indicators.items()]
    for model, batch in ((IndicatorScore, indicator_rows), (ItemScore, item_rows), (SubIndicatorScore, sub_rows)):
        if batch:
            session.execute(insert(model), batch)
    session.flush()


def _chunk_pairs(values: list[tuple[int, int]], size: int) -> Iterable[list[tuple[int, int]]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def import_results(
    session: Session, raws: Sequence[RawResult], now: datetime, *, dry_run: bool = False, source: str = ""
) -> ImportPlan:
    """Validate, plan and (unless ``dry_run``) apply an import. Raises ImportRejected on any problem."""
    known = session.scalars(select(Agency.code)).all()
    records = validate(raws, known, source)
    plan = plan_import(session, records)
    if not dry_run:
        apply_plan(session, plan, now)
    return plan
