"""The demo data: agencies, results and measures from the five real seed reports."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ita_core.agencies import upsert_agencies
from ita_core.fileio import parse_json_document
from ita_core.measure_files import parse_measures_json
from ita_core.measure_import import import_measures
from ita_core.results import import_results

DEMO_FILE = Path(__file__).parent / "data" / "demo.json"


@cache
def demo_document() -> dict[str, Any]:
    """The demo data file, parsed once."""
    document: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return document


def load_demo(session: Session, now: datetime) -> list[str]:
    """Load (or refresh) the demo data; running it again changes nothing."""
    document = demo_document()
    agency_plan = upsert_agencies(session, document["agencies"], source="demo.json")
    parsed = parse_json_document({"results": document["results"]})
    plan = import_results(session, parsed.results, now, source="demo.json")
    measure_plan = import_measures(session, parse_measures_json(document["measures"]), now, source="demo.json")
    return (
        agency_plan.summary_lines()
        + ["results: " + plan.summary_lines()[0]]
        + [line for line in plan.summary_lines()[1:] if line.startswith("warning")]
        + ["measures: " + measure_plan.summary_lines()[0]]
    )
