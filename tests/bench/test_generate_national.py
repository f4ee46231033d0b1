"""The national dataset generator writes files the real importer accepts (at a tiny size)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.generate_national import generate, kind_counts, parse_years
from ita_core.agencies import upsert_agencies
from ita_core.analysis import analyse, compare_years, load_agency_year
from ita_core.fileio import read_agencies_file, read_results_file
from ita_core.framework import get_framework
from ita_core.models import Agency, Assessment, ItemScore
from ita_core.ranking import rank_agency
from ita_core.results import import_results
from tests.factories import NOW

YEARS = (2563, 2568)  # a letter-scale year with IIT items, and a pass-level year with EIT parts


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_generated_files_import_through_the_real_importer(tmp_path: Path, session: Session, fmt: str) -> None:
    manifest = generate(tmp_path, agencies=20, years=YEARS, seed=7, fmt=fmt)

    agencies = read_agencies_file(tmp_path / manifest["files"]["agencies"])
    assert len(upsert_agencies(session, agencies).new) == 20
    for year in YEARS:
        document = read_results_file(tmp_path / manifest["files"]["results"][str(year)])
        plan = import_results(session, document.results, NOW)
        assert (len(plan.new), plan.mismatches) == (20, [])  # reported tools/overall/level are the engine's
        again = import_results(
            session, read_results_file(tmp_path / manifest["files"]["results"][str(year)]).results, NOW
        )
        assert (len(again.unchanged), again.has_changes) == (20, False)

    assert session.scalar(select(func.count()).select_from(Assessment)) == 40
    items = sum(len(get_framework(year).questions) for year in YEARS)
    assert session.scalar(select(func.count()).select_from(ItemScore)) == 20 * items
    code = session.scalars(select(Agency.code).order_by(Agency.code)).first()
    assert code is not None
    result = load_agency_year(session, code, 2568)
    assert len(result.indicators) == 10 and result.level is not None
    assert set(result.items) == set(get_framework(2568).questions)
    assert all(result.items[c] in (0, 50, 100) for c in result.items if c.startswith("o"))
    analyse(result)
    compare_years(session, code, 2563, 2568)
    assert rank_agency(session, code, 2568, "province").total >= 1


def test_same_arguments_give_the_same_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", agencies=20, years=(2568,), seed=7)
    second = generate(tmp_path / "b", agencies=20, years=(2568,), seed=7)
    for name in (first["files"]["agencies"], first["files"]["results"]["2568"]):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first == second == json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))


def test_national_mix() -> None:
    counts = kind_counts(8300)
    assert sum(counts.values()) == 8300
    assert (counts["อบต."], counts["เทศบาลตำบล"], counts["อบจ."]) == (5300, 2200, 76)
    assert sum(kind_counts(20).values()) == 20


def test_parse_years() -> None:
    assert parse_years("2562-2564,2568") == (2562, 2563, 2564, 2568)
