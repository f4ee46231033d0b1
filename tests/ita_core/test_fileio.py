"""Results files in CSV, XLSX and JSON: reading, errors by row and column, export round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from ita_core.errors import ImportRejected
from ita_core.fileio import agency_dicts, export_records, read_results_file, write_records
from ita_core.results import import_results
from tests.factories import NOW, S001_2567, S001_2568, add_agency

HEADER = ["agency_code", "fiscal_year"] + [f"ind{n}" for n in range(1, 11)] + ["overall", "level"]


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_csv_with_thai_headers_and_digits(tmp_path: Path, session: Session) -> None:
    add_agency(session, "SAO-A")
    header = (
        ["รหัสหน่วยงาน", "ปีงบประมาณ"] + [f"ตัวชี้วัดที่ {d}" for d in "๑๒๓๔๕๖๗๘๙"] + ["ตัวชี้วัดที่ ๑๐", "คะแนนรวม", "ระดับ", "O23"]
    )
    values = ["๑๐๐", "๑๐๐", "๑๐๐", "๙๑.๑๘", "๑๐๐", "๙๙.๘๗", "๙๙.๘๑", "๙๙.๘๑", "๘๐.๐๐", "๗๕.๐๐"]
    path = write_csv(tmp_path / "r.csv", [header, ["sao-a", "๒๕๖๘", *values, "๙๐.๔๒", "ผ่าน", "๐"]])
    document = read_results_file(path)
    plan = import_results(session, document.results, NOW)
    assert len(plan.new) == 1 and plan.mismatches == []
    assert plan.new[0].items == {"o23": 0}


def test_cp874_csv_from_thai_excel(tmp_path: Path, session: Session) -> None:
    add_agency(session, "SAO-A")
    path = write_csv(tmp_path / "r.csv", [HEADER, ["SAO-A", "2568", *S001_2568, "90.42", "ผ่าน"]], encoding="cp874")
    plan = import_results(session, read_results_file(path).results, NOW)
    assert plan.new[0].reported_level == "ผ่าน"


def test_csv_errors_name_row_and_column(tmp_path: Path, session: Session) -> None:
    add_agency(session, "SAO-A")
    bad = list(S001_2568)
    bad[4] = "1000"
    rows = [[*HEADER, "colour"], ["SAO-A", "2568", *S001_2568, "", "", ""], ["SAO-A", "2567", *bad, "", "", "red"]]
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(ImportRejected) as info:
        import_results(session, read_results_file(path).results, NOW)
    found = {(p.row, p.column) for p in info.value.problems}
    assert (3, "ind5") in found
    assert (3, "colour") in found


def test_missing_required_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["agency_code", "ind1"], ["SAO-A", "100"]])
    with pytest.raises(ImportRejected, match="no year column"):
        read_results_file(path)


def test_xlsx_results_and_agencies_sheets(tmp_path: Path, session: Session) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "results"
    ws.append(HEADER)
    ws.append(["SAO-NEW", 2568, *[float(v) for v in S001_2568], 90.42, "ผ่าน"])
    ws.append(["SAO-NEW", 2567, *[float(v) for v in S001_2567], 95.16, "ผ่านดี"])
    agencies = wb.create_sheet("agencies")
    agencies.append(["code", "name", "type", "province", "district", "target"])
    agencies.append(["SAO-NEW", "องค์การบริหารส่วนตำบลใหม่", "อบต.", "อุตรดิตถ์", "เมืองอุตรดิตถ์", 90])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    document = read_results_file(path)
    assert document.agencies[0]["code"] == "SAO-NEW"
    from ita_core.agencies import upsert_agencies

    upsert_agencies(session, document.agencies)
    plan = import_results(session, document.results, NOW)
    assert len(plan.new) == 2 and plan.mismatches == []


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_text("hello")
    with pytest.raises(ImportRejected, match="not a readable XLSX"):
        read_results_file(path)


def test_json_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"results": [\n {"agency": "A",, }]}')
    with pytest.raises(ImportRejected, match="line 2"):
        read_results_file(path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_then_import_changes_nothing(fmt: str, tmp_path: Path, session: Session) -> None:
    add_agency(session, "SAO-A")
    from tests.factories import add_result

    add_result(
        session, "SAO-A", 2568, S001_2568, items={"o22": "50", "o23": "0"}, reported={"overall": "90.42"}, level="ผ่าน"
    )
    add_result(session, "SAO-A", 2567, S001_2567)
    path = tmp_path / f"export.{fmt}"
    records = export_records(session)
    write_records(records, path, fmt, agency_dicts(session))
    document = read_results_file(path)
    plan = import_results(session, document.results, NOW)
    assert not plan.has_changes, plan.summary_lines()
    assert len(plan.unchanged) == 2


def test_json_list_of_indicators(tmp_path: Path, session: Session) -> None:
    add_agency(session, "SAO-A")
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"agency": "SAO-A", "year": 2568, "indicators": S001_2568}]))
    plan = import_results(session, read_results_file(path).results, NOW)
    assert len(plan.new) == 1
