"""Agencies: look-up, listing and validated bulk upsert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ita_core.errors import AgencyNotFound, ImportProblem, ImportRejected
from ita_core.fileio import agency_code_is_valid
from ita_core.models import Agency
from ita_core.scoring import check_score

REQUIRED = ("code", "name", "type", "province")
OPTIONAL = ("district", "target")


def get_agency(session: Session, code: str) -> Agency:
    """The agency with that code (case-insensitive); AgencyNotFound otherwise."""
    agency = session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise AgencyNotFound(code)
    return agency


def list_agencies(session: Session, province: str | None = None, type_: str | None = None) -> list[Agency]:
    """Agencies ordered by code, optionally filtered."""
    query = select(Agency).order_by(Agency.code)
    if province:
        query = query.where(Agency.province == province)
    if type_:
        query = query.where(Agency.type == type_)
    return list(session.scalars(query))


@dataclass
class AgencyPlan:
    """What an agency upsert did (or would do)."""

    new: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Human-readable description."""
        lines = [f"agencies: {len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"]
        lines += [f"changed agency {code}: " + "; ".join(c) for code, c in self.changed[:50]]
        return lines


def validate_agency_rows(rows: Sequence[dict[str, Any]], source: str = "") -> list[dict[str, Any]]:
    """Validate agency rows (each may carry ``_row``); raise ImportRejected listing every problem."""
    problems: list[ImportProblem] = []
    clean: list[dict[str, Any]] = []
    seen: dict[str, object] = {}
    for index, row in enumerate(rows, start=1):
        number = row.get("_row", index)
        line = number if isinstance(number, int) else index
        before = len(problems)
        for key in row:
            if key != "_row" and key not in REQUIRED + OPTIONAL and key not in ("source",):
                problems.append(ImportProblem(line, key, f"unknown column {key!r}", source))
        values: dict[str, Any] = {}
        for key in REQUIRED:
            text = str(row.get(key) or "").strip()
            if not text:
                problems.append(ImportProblem(line, key, f"{key} is missing", source))
            values[key] = text
        values["code"] = values["code"].upper()
        if values["code"] and not agency_code_is_valid(values["code"]):
            problems.append(
                ImportProblem(line, "code", f"code {values['code']!r} must be A-Z, 0-9, '-' or '_' (≤ 32)", source)
            )
        values["district"] = str(row.get("district") or "").strip() or None
        target = row.get("target")
        values["target"] = None
        if target not in (None, ""):
            try:
                values["target"] = check_score(target, "target")
            except Exception as exc:
                problems.append(ImportProblem(line, "target", str(exc), source))
        if values["code"] in seen:
            problems.append(
                ImportProblem(
                    line, "code", f"duplicate agency {values['code']} (first at row {seen[values['code']]})", source
                )
            )
        seen.setdefault(values["code"], line)
        if len(problems) == before:
            clean.append(values)
    if problems:
        raise ImportRejected(problems)
    return clean


def upsert_agencies(
    session: Session, rows: Sequence[dict[str, Any]], *, dry_run: bool = False, source: str = ""
) -> AgencyPlan:
    """Create or update agencies from validated-or-raw rows; all or nothing."""
    clean = validate_agency_rows(rows, source)
    existing = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_([r["code"] for r in clean])))}
    plan = AgencyPlan()
    for values in clean:
        agency = existing.get(values["code"])
        if agency is None:
            plan.new.append(values["code"])
            if not dry_run:
                session.add(Agency(**values))
            continue
        changes = []
        for key in ("name", "type", "province", "district", "target"):
            old: object = getattr(agency, key)
            new: object = values[key]
            if isinstance(old, Decimal) or isinstance(new, Decimal):
                same = (old is not None and new is not None and Decimal(str(old)) == Decimal(str(new))) or old is new
            else:
                same = old == new
            if not same:
                changes.append(f"{key} {old!r} → {new!r}")
                if not dry_run:
                    setattr(agency, key, new)
        if changes:
            plan.changed.append((values["code"], changes))
        else:
            plan.unchanged.append(values["code"])
    session.flush()
    return plan
