"""``ita measures import`` and ``ita measures list`` over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "templates" / "measures-template.csv"
Ita = Callable[..., Result]


@pytest.fixture
def ita(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Ita:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def write_measures(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency_code", "fiscal_year", "indicators", "title", "units", "period", "monitoring"])
        writer.writerows(rows)
    return path


def test_demo_measures_listed(ita: Ita) -> None:
    lines = ita("demo", "load").output
    assert "measures: 43 new" in lines
    assert "measures: 0 new, 0 changed, 43 unchanged" in ita("demo", "load").output
    doc = json.loads(ita("measures", "list", "--agency", "sao-chiangphin", "--year", "2569", "--json").output)
    assert doc["agency"] == "SAO-CHIANGPHIN" and len(doc["measures"]) == 20
    first = doc["measures"][0]
    assert first["indicators"] == [1] and first["period_start"] == "2025-10-01"
    assert first["checkpoints"] == [
        {
            "id": first["checkpoints"][0]["id"],
            "due": "2026-09-30",
            "label": "สิ้นปีงบประมาณ 2569",
            "status": "open",
            "done_at": None,
            "done_by": None,
            "snoozed_until": None,
        }
    ]
    text = ita("measures", "list", "--agency", "BMA-TALINGCHAN").output
    assert "fiscal year 2565: 10 measure(s)" in text
    assert "31 ธ.ค. 2564 ไตรมาส 1/2565" in text and "31 มี.ค. 2565 รอบ 6 เดือน/2565" in text
    assert (
        "no measures for fiscal year 2569"
        in ita("measures", "list", "--agency", "BMA-TALINGCHAN", "--year", "2569").output
    )


def test_list_unknown_agency(ita: Ita) -> None:
    ita("db", "upgrade")
    result = ita("measures", "list", "--agency", "NOPE", "--json", ok=False)
    assert result.exit_code == 1 and json.loads(result.output)["error"] == "AgencyNotFound"


def test_import_dry_run_reimport_change_and_rejection(ita: Ita, tmp_path: Path) -> None:
    ita("demo", "load")
    path = write_measures(
        tmp_path / "m.csv",
        [["SAO-CHIANGPHIN", "2569", "7", "อบรมเจ้าหน้าที่งานสื่อสาร", "สำนักปลัดฯ", "1 ต.ค. 68 – 30 ก.ย. 69", "ทุกไตรมาส"]],
    )
    dry = json.loads(ita("measures", "import", str(path), "--dry-run", "--json").output)
    assert dry["dry_run"] is True and len(dry["new"]) == 1
    assert dry["new"][0]["checkpoints"] == ["2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"]
    assert len(dry["not_in_file"]) == 20  # the demo's own measures, kept
    listed = json.loads(ita("measures", "list", "--agency", "SAO-CHIANGPHIN", "--json").output)
    assert len(listed["measures"]) == 20  # the dry run wrote nothing
    assert "1 new, 0 changed, 0 unchanged" in ita("measures", "import", str(path)).output
    assert "nothing to change" in ita("measures", "import", str(path)).output
    write_measures(
        path,
        [["SAO-CHIANGPHIN", "2569", "7", "อบรมเจ้าหน้าที่งานสื่อสาร", "สำนักปลัดฯ", "1 ต.ค. 68 – 30 ก.ย. 69", "ปีละ ๒ ครั้ง"]],
    )
    changed = ita("measures", "import", str(path)).output
    assert "0 new, 1 changed" in changed and "monitoring quarterly → half_yearly" in changed
    bad = write_measures(
        tmp_path / "bad.csv",
        [
            ["SAO-CHIANGPHIN", "2569", "11", "ก", "กองคลัง", "1 ตุลาคม 2569 – 30 กันยายน 2569", "ทุกไตรมาส"],
            ["SAO-NOPE", "2569", "1", "ข", "กองคลัง", "", "ทุกเดือน"],
        ],
    )
    result = ita("measures", "import", str(bad), "--json", ok=False)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["error"] == "ImportRejected"
    assert {(p["row"], p["column"]) for p in doc["problems"]} == {
        (2, "indicators"),
        (2, "period"),
        (3, "agency_code"),
        (3, "monitoring"),
    }
    text = ita("measures", "import", str(bad), ok=False).output
    assert "bad.csv, row 2, column indicators" in text and "nothing was written" in text


def test_template_imports(ita: Ita) -> None:
    ita("demo", "load")
    out = ita("measures", "import", str(TEMPLATE), "--dry-run").output
    assert "3 new, 0 changed, 0 unchanged" in out and "dry run: nothing was written" in out
