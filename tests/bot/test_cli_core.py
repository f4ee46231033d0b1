"""The admin commands of ``ita`` over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from tests.factories import S001_2568


@pytest.fixture
def ita(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_score_json_contract() -> None:
    # The installed console script, as an admin would run it.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "score",
            "--year",
            "2563",
            "--indicators",
            "100,97.25,99.88,99.63,100,95.07,94.98,92.74,88.78,87.50",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == {
        "year": 2563,
        "tools": {"IIT": 99.35, "EIT": 94.26, "OIT": 88.14},
        "overall": 93.34,
        "level": "A",
    }


@pytest.mark.parametrize(
    ("year", "values", "overall", "level"),
    [
        (2567, "100,93.33,100,97.78,100,99.56,99.89,98.89,79.29,100", 95.16, "ผ่านดี"),
        (2568, "100,100,100,91.18,100,99.87,99.81,99.81,80.00,75.00", 90.42, "ผ่าน"),
        (2566, "100,100,100,99.45,100,94.86,97.17,96.85,100,100", 98.85, "ผ่านดีเยี่ยม"),
        (2564, "87.93,66.33,78.94,69.13,77.81,58.74,64.09,58.59,93.78,31.25", 65.96, "C"),
    ],
)
def test_score_seed_results(year: int, values: str, overall: float, level: str) -> None:
    result = CliRunner().invoke(cli, ["score", "--year", str(year), "--indicators", values, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["overall"], doc["level"]) == (overall, level)


def test_score_bad_input_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["score", "--year", "2568", "--indicators", "1,2,3", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["message"].startswith("--indicators needs 10")
    result = CliRunner().invoke(cli, ["score", "--year", "2560", "--indicators", ",".join(["90"] * 10)])
    assert result.exit_code == 1 and "known years" in result.output


def test_db_upgrade_is_idempotent(ita) -> None:  # type: ignore[no-untyped-def]
    assert "revision" in ita("db", "upgrade").output
    assert "revision" in ita("db", "upgrade").output


def test_demo_load_list_show(ita) -> None:  # type: ignore[no-untyped-def]
    ita("demo", "load")
    again = ita("demo", "load").output
    assert "0 new" in again and "0 changed" in again
    agencies = json.loads(ita("agencies", "list", "--json").output)
    codes = {a["code"] for a in agencies}
    assert "SAO-CHIANGPHIN" in codes
    assert set(agencies[0]) == {"code", "name", "type", "province"}
    shown = json.loads(ita("show", "--agency", "SAO-CHIANGPHIN", "--json").output)
    assert shown["year"] == 2568 and shown["overall"] == 90.42 and shown["level"] == "ผ่าน"
    assert 9 in shown["weaknesses"] and 10 in shown["weaknesses"]
    assert shown["previous_overall_change"] == pytest.approx(-4.74)
    text = ita("show", "--agency", "SAO-CHIANGPHIN", "--year", "2567").output
    assert "95.16" in text and "ผ่านดี" in text


def test_show_missing_year_lists_years(ita) -> None:  # type: ignore[no-untyped-def]
    ita("demo", "load")
    result = ita("show", "--agency", "SAO-CHIANGPHIN", "--year", "2560", "--json", ok=False)
    assert result.exit_code == 1
    assert json.loads(result.output)["error"] == "NoResults"


def test_import_dry_run_reimport_and_rejection(ita, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ita("db", "upgrade")
    agencies = tmp_path / "agencies.csv"
    with agencies.open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["code", "name", "type", "province", "district", "target"])
        w.writerow(["SAO-A", "องค์การบริหารส่วนตำบลเอ", "อบต.", "อุตรดิตถ์", "เมืองอุตรดิตถ์", "90"])
    assert "1 new" in ita("agencies", "import", str(agencies)).output
    results = tmp_path / "results.csv"
    with results.open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["agency_code", "fiscal_year"] + [f"ind{n}" for n in range(1, 11)])
        w.writerow(["SAO-A", "2568", *S001_2568])
    dry = json.loads(ita("import", str(results), "--dry-run", "--json").output)
    assert dry["dry_run"] is True and dry["new"] == [{"agency": "SAO-A", "year": 2568}]
    assert json.loads(ita("import", str(results), "--json").output)["new"]  # now written
    again = ita("import", str(results)).output
    assert "nothing to change" in again
    bad = tmp_path / "bad.csv"
    bad.write_text("agency_code,fiscal_year,ind1\nSAO-Z,2568,101\n", encoding="utf-8")
    result = ita("import", str(bad), "--json", ok=False)
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    assert {"row": 2, "column": "agency_code", "message": "unknown agency 'SAO-Z'"} in problems
    assert any(p["column"] == "ind1" and "outside 0-100" in p["message"] for p in problems)


def test_export_formats(ita, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ita("demo", "load")
    for fmt in ("csv", "xlsx", "json"):
        path = tmp_path / f"out.{fmt}"
        assert "wrote" in ita("export", str(path), "--year", "2568").output
        assert "nothing to change" in ita("import", str(path)).output
