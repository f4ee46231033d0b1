"""Test data builders that go through the real services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ita_core.agencies import upsert_agencies
from ita_core.results import ImportPlan, RawResult, import_results

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)

S001_2568 = ["100", "100", "100", "91.18", "100", "99.87", "99.81", "99.81", "80.00", "75.00"]
S001_2567 = ["100", "93.33", "100", "97.78", "100", "99.56", "99.89", "98.89", "79.29", "100"]


def add_agency(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    type_: str = "อบต.",
    province: str = "อุตรดิตถ์",
    district: str | None = "เมืองอุตรดิตถ์",
    target: str | None = None,
) -> None:
    """Create (or update) one agency."""
    upsert_agencies(
        session,
        [
            {
                "code": code,
                "name": name or f"องค์การบริหารส่วนตำบล{code}",
                "type": type_,
                "province": province,
                "district": district,
                "target": target,
            }
        ],
    )


def add_result(
    session: Session,
    code: str,
    year: int,
    indicators: Sequence[object] | None,
    *,
    items: dict[str, object] | None = None,
    reported: dict[str, object] | None = None,
    level: str | None = None,
) -> ImportPlan:
    """Import one agency-year through the real import path."""
    raw = RawResult(
        row=None,
        agency_code=code,
        year=year,
        indicators={n: v for n, v in enumerate(indicators or [], start=1)},
        reported=dict(reported or {}),
        reported_level=level,
        items=dict(items or {}),
        source="test",
    )
    return import_results(session, [raw], NOW)
