"""Measures: import (errors by row and column, re-import, dry run), checkpoints, queries and actions."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ita_core.agencies import get_agency
from ita_core.demo import load_demo
from ita_core.errors import ImportRejected
from ita_core.measure_files import read_measures_file
from ita_core.measure_import import RawMeasure, import_measures, parse_rhythm
from ita_core.measures import (
    CheckpointNotFound,
    MeasureInputError,
    MeasureNotFound,
    add_progress_note,
    due_checkpoints,
    get_measure,
    is_everyone,
    list_measures,
    mark_checkpoint_done,
    normalise_unit,
    open_items,
    overdue_checkpoints,
    reopen_checkpoint,
    snooze_checkpoint,
    unit_matches,
)
from ita_core.models import Checkpoint, Measure, ProgressNote
from tests.factories import NOW, add_agency

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "templates" / "measures-template.csv"
HEADER = ["agency_code", "fiscal_year", "indicators", "title", "units", "period", "monitoring", "checkpoints"]
FY2569 = "1 ตุลาคม 2568 – 30 กันยายน 2569"


def raw(row: int, **values: object) -> RawMeasure:
    base: dict[str, object] = {
        "agency": "SAO-A",
        "fiscal_year": 2569,
        "indicators": [9],
        "title": "จัดทำแผนการจัดซื้อจัดจ้าง",
        "units": ["กองคลัง"],
        "period": FY2569,
        "monitoring": "year_end",
    }
    base.update(values)
    return RawMeasure(row=row, values=base, columns={k: k for k in base})


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def problems_of(exc: ImportRejected) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.column) for p in exc.problems}


@pytest.fixture
def agency_a(session: Session) -> int:
    add_agency(session, "SAO-A")
    return get_agency(session, "SAO-A").id


# --- units and rhythms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("สำนักปลัดฯ", "สำนักปลัด"),
        ("สำนักปลัด", "สำนักปลัด"),
        ("สำนักงานปลัด อบต.", "สำนักปลัด"),
        ("ฝ่าย ปกครอง", "ฝ่ายปกครอง"),
        ("กองคลัง ", "กองคลัง"),
    ],
)
def test_normalise_unit(written: str, key: str) -> None:
    assert normalise_unit(written) == key


def test_everyone_units() -> None:
    assert is_everyone("ทุกฝ่าย") and is_everyone("ทุกส่วนราชการที่มีงาน ให้บริการ") and is_everyone("ทุกกอง")
    assert not is_everyone("กองคลัง")
    assert unit_matches(None, ["ฝ่ายปกครอง", "ทุกฝ่าย"])
    assert unit_matches("สำนักปลัด", ["สำนักปลัดฯ"])
    assert unit_matches("งานพัสดุ", ["งานพัสดุ", "กองคลัง"])
    assert not unit_matches("กองช่าง", ["กองคลัง"])
    assert not unit_matches(None, ["กองคลัง"])
    assert not unit_matches("  ", ["กองคลัง"])


@pytest.mark.parametrize(
    ("written", "code", "kept"),
    [
        ("quarterly", "quarterly", None),
        ("Half-Yearly", "half_yearly", None),
        ("year_end", "year_end", None),
        ("explicit", "explicit", None),
        ("ทุกไตรมาส", "quarterly", "ทุกไตรมาส"),
        ("รายงานทุก 3 เดือน", "quarterly", "รายงานทุก 3 เดือน"),
        ("ปีละ ๒ ครั้ง", "half_yearly", "ปีละ ๒ ครั้ง"),
        ("อย่างน้อยปีละ 2 ครั้ง", "half_yearly", "อย่างน้อยปีละ 2 ครั้ง"),
        ("รอบ 6 เดือน", "half_yearly", "รอบ 6 เดือน"),
        ("รายงานความก้าวหน้าและสรุปผล ณ สิ้นปีงบประมาณ", "year_end", "รายงานความก้าวหน้าและสรุปผล ณ สิ้นปีงบประมาณ"),
        ("อย่างน้อยปีละ ๑ ครั้ง", "year_end", "อย่างน้อยปีละ ๑ ครั้ง"),
        ("ตามวันที่กำหนด", "explicit", "ตามวันที่กำหนด"),
    ],
)
def test_parse_rhythm(written: str, code: str, kept: str | None) -> None:
    assert parse_rhythm(written) == (code, kept)


@pytest.mark.parametrize(
    ("written", "fragment"), [("ทุกเดือน", "monthly"), ("บ่อย ๆ", "unknown monitoring"), ("", "missing")]
)
def test_parse_rhythm_rejects(written: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_rhythm(written)


# --- importing --------------------------------------------------------------------------------------


def test_import_creates_measure_and_checkpoints(session: Session, agency_a: int) -> None:
    plan = import_measures(session, [raw(1, monitoring="ทุกไตรมาส", steps=["1. จัดทำแผน", "- เผยแพร่"])], NOW)
    assert len(plan.new) == 1 and plan.has_changes
    [measure] = list_measures(session, agency_a, 2569)
    assert measure.title == "จัดทำแผนการจัดซื้อจัดจ้าง"
    assert measure.steps == ("จัดทำแผน", "เผยแพร่")
    assert (measure.period_start, measure.period_end, measure.period_text) == (
        date(2025, 10, 1),
        date(2026, 9, 30),
        FY2569,
    )
    assert (measure.monitoring, measure.monitoring_text, measure.status) == ("quarterly", "ทุกไตรมาส", "active")
    assert [(c.due, c.label, c.status) for c in measure.checkpoints] == [
        (date(2025, 12, 31), "ไตรมาส 1/2569", "open"),
        (date(2026, 3, 31), "ไตรมาส 2/2569", "open"),
        (date(2026, 6, 30), "ไตรมาส 3/2569", "open"),
        (date(2026, 9, 30), "ไตรมาส 4/2569", "open"),
    ]


def test_csv_errors_are_listed_by_row_and_column_and_nothing_is_written(
    session: Session, agency_a: int, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["SAO-A", "2569", "9", "ดี", "กองคลัง", FY2569, "year_end", ""],  # row 2: fine
            ["SAO-Z", "2569", "9", "ก", "กองคลัง", FY2569, "year_end", ""],  # unknown agency
            ["SAO-A", "2569", "11", "ข", "กองคลัง", FY2569, "year_end", ""],  # indicator out of range
            ["SAO-A", "2569", "1", "ค", "กองคลัง", "1 ตุลาคม 2569 – 30 กันยายน 2569", "year_end", ""],
            ["SAO-A", "2569", "1", "ง", "กองคลัง", "1 ต.ค. 68 – 31 ก.ย. 69", "year_end", ""],  # bad date
            ["SAO-A", "2569", "1", "จ", "กองคลัง", FY2569, "ทุกวัน", ""],  # unknown rhythm
            ["SAO-A", "2569", "9", "ดี", "กองคลัง", FY2569, "ทุกไตรมาส", ""],  # duplicate of row 2
            ["SAO-A", "2569", "2", "ฉ", "", FY2569, "explicit", ""],  # no units, explicit without dates
            ["SAO-A", "2569", "2", "ช", "กองคลัง", FY2569, "year_end", "31 ม.ค. 69"],  # dates on year_end
            ["SAO-A", "2569", "2", "ซ", "กองคลัง", "1 ต.ค. 69 - 30 ก.ย. 70", "year_end", ""],  # outside FY
            ["SAO-A", "2569", "2", "ฌ", "กองคลัง", FY2569, "explicit", "31 ต.ค. 69"],  # date outside period
            ["SAO-A", "69", "2", "", "กองคลัง", FY2569, "year_end", ""],  # year and title
        ],
    )
    with pytest.raises(ImportRejected) as info:
        import_measures(session, read_measures_file(path), NOW, source="bad.csv")
    found = problems_of(info.value)
    assert found == {
        (3, "agency_code"),
        (4, "indicators"),
        (5, "period"),
        (6, "period"),
        (7, "monitoring"),
        (8, "title"),
        (9, "units"),
        (9, "checkpoints"),
        (10, "checkpoints"),
        (11, "period"),
        (12, "checkpoints"),
        (13, "fiscal_year"),
        (13, "title"),
    }
    messages = {(p.row, p.column): p.message for p in info.value.problems}
    assert messages[(3, "agency_code")] == "unknown agency 'SAO-Z'"
    assert "11" in messages[(4, "indicators")] and "1–10" in messages[(4, "indicators")]
    assert "before it starts" in messages[(5, "period")]
    assert "has 30 days" in messages[(6, "period")]
    assert "ทุกวัน" in messages[(7, "monitoring")]
    assert messages[(8, "title")].startswith("duplicate") and "row 2" in messages[(8, "title")]
    assert "lies outside fiscal year 2569" in messages[(11, "period")]
    assert "outside the period" in messages[(12, "checkpoints")]
    assert "bad.csv" in str(info.value)
    assert count(session, Measure) == 0 and count(session, Checkpoint) == 0


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", [["SAO-A", "2569", "x"]], header=["agency_code", "fiscal_year", "titel"])
    with pytest.raises(ImportRejected) as info:
        read_measures_file(path)
    assert {p.message for p in info.value.problems} >= {
        "no indicators column (see docs/measures-format.md)",
        "no title column (see docs/measures-format.md)",
    }


def test_unknown_column_with_a_value_is_an_error(session: Session, agency_a: int, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "extra.csv",
        [["SAO-A", "2569", "9", "ดี", "กองคลัง", FY2569, "year_end", "", "x", "ignored"]],
        header=[*HEADER, "colour", "หมายเหตุ"],
    )
    with pytest.raises(ImportRejected) as info:
        import_measures(session, read_measures_file(path), NOW)
    assert problems_of(info.value) == {(2, "colour")}


def test_thai_headers_and_forms(session: Session, agency_a: int, tmp_path: Path) -> None:
    header = ["รหัสหน่วยงาน", "ปีงบประมาณ", "ตัวชี้วัด", "มาตรการ", "ขั้นตอน", "ผู้รับผิดชอบ", "ระยะเวลา", "การกำกับติดตาม"]
    path = write_csv(
        tmp_path / "thai.csv",
        [
            [
                "sao-a",
                "๒๕๖๙",
                "๒ และ ๙",
                "มาตรการ  หนึ่ง",
                "1. ขั้นแรก\n2. ขั้นสอง",
                "งานพัสดุ/กองคลัง",
                "ปีงบประมาณ ๒๕๖๙",
                "ปีละ ๒ ครั้ง",
            ]
        ],
        header=header,
    )
    import_measures(session, read_measures_file(path), NOW)
    [m] = list_measures(session, agency_a)
    assert (m.indicators, m.title, m.steps, m.units) == (
        (2, 9),
        "มาตรการ หนึ่ง",
        ("ขั้นแรก", "ขั้นสอง"),
        ("งานพัสดุ", "กองคลัง"),
    )
    assert (m.period_start, m.period_end) == (date(2025, 10, 1), date(2026, 9, 30))
    assert [c.label for c in m.checkpoints] == ["รอบ 6 เดือน/2569", "รอบ 12 เดือน/2569"]


def test_period_sources(session: Session, agency_a: int) -> None:
    rows = [
        raw(1, title="a", period=None),  # no period: the fiscal year
        raw(2, title="b", period="ตลอดปีงบประมาณ"),  # text without dates: kept, fiscal year
        raw(3, title="c", period=None, period_start="1 ม.ค. 2569", period_end="2026-06-30"),
        raw(4, title="d", period="1 ม.ค. – 30 มิ.ย. 2569", period_start="1 ม.ค. 69", period_end="30 มิ.ย. 69"),
    ]
    import_measures(session, rows, NOW)
    by_title = {m.title: m for m in list_measures(session, agency_a)}
    assert (by_title["a"].period_start, by_title["a"].period_end, by_title["a"].period_text) == (
        date(2025, 10, 1),
        date(2026, 9, 30),
        None,
    )
    assert by_title["b"].period_text == "ตลอดปีงบประมาณ" and by_title["b"].period_end == date(2026, 9, 30)
    assert (by_title["c"].period_start, by_title["c"].period_end) == (date(2026, 1, 1), date(2026, 6, 30))
    assert [c.label for c in by_title["c"].checkpoints] == ["สิ้นสุดมาตรการ"]
    assert by_title["d"].period_text == "1 ม.ค. – 30 มิ.ย. 2569"


def test_period_columns_must_agree(session: Session, agency_a: int) -> None:
    rows = [
        raw(1, period_start="1 ม.ค. 69", period_end="30 มิ.ย. 69"),  # period text says the whole year
        raw(2, title="x", period=None, period_start="1 ม.ค. 69"),
    ]
    with pytest.raises(ImportRejected) as info:
        import_measures(session, rows, NOW)
    assert problems_of(info.value) == {(1, "period"), (2, "period_end")}


def test_reimport_unchanged_says_so(session: Session, agency_a: int) -> None:
    rows = [raw(1), raw(2, title="อีกมาตรการ", monitoring="ทุกไตรมาส")]
    import_measures(session, rows, NOW)
    created = session.scalars(select(Measure.updated_at)).all()
    plan = import_measures(session, rows, NOW + timedelta(days=1))
    assert not plan.has_changes and len(plan.unchanged) == 2
    assert "nothing to change" in "\n".join(plan.summary_lines())
    assert session.scalars(select(Measure.updated_at)).all() == created
    assert count(session, Measure) == 2 and count(session, Checkpoint) == 5


def test_changed_file_reports_changes_and_keeps_done_checkpoints(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1, monitoring="half_yearly")], NOW)
    [m] = list_measures(session, agency_a)
    first = m.checkpoints[0]
    mark_checkpoint_done(session, first.id, by="U1", now=NOW)
    note = add_progress_note(session, m.id, "ทำแล้ว", now=NOW, checkpoint_id=first.id)
    later = NOW + timedelta(days=3)
    plan = import_measures(session, [raw(1, monitoring="year_end", units=["กองคลัง", "สำนักปลัด"])], later)
    [change] = plan.changed
    assert "monitoring half_yearly → year_end" in change.changes
    assert "units กองคลัง → กองคลัง, สำนักปลัด" in change.changes
    assert "checkpoints 31 มี.ค. 2569, 30 ก.ย. 2569 → 31 มี.ค. 2569, 30 ก.ย. 2569" not in change.changes
    assert any(c.startswith("checkpoint labels") for c in change.changes)
    [m] = list_measures(session, agency_a)
    # The done half-year checkpoint stays (history); 30 Sep is relabelled, not recreated.
    assert [(c.due, c.label, c.status) for c in m.checkpoints] == [
        (date(2026, 3, 31), "รอบ 6 เดือน/2569", "done"),
        (date(2026, 9, 30), "สิ้นปีงบประมาณ 2569", "open"),
    ]
    assert m.units == ("กองคลัง", "สำนักปลัด") and m.notes[0].id == note.id
    assert session.scalars(select(Measure.updated_at)).one() == later
    # Re-importing the same again is unchanged, even with the extra done checkpoint kept.
    assert not import_measures(session, [raw(1, monitoring="year_end", units=["กองคลัง", "สำนักปลัด"])], later).has_changes


def test_changed_period_drops_open_checkpoints(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1, monitoring="quarterly")], NOW)
    plan = import_measures(session, [raw(1, monitoring="quarterly", period="1 ต.ค. 68 – 31 มี.ค. 69")], NOW)
    [change] = plan.changed
    assert (
        "checkpoints 31 ธ.ค. 2568, 31 มี.ค. 2569, 30 มิ.ย. 2569, 30 ก.ย. 2569 → 31 ธ.ค. 2568, 31 มี.ค. 2569"
        in change.changes
    )
    [m] = list_measures(session, agency_a)
    assert [c.due for c in m.checkpoints] == [date(2025, 12, 31), date(2026, 3, 31)]


def test_dry_run_writes_nothing(session: Session, agency_a: int) -> None:
    plan = import_measures(session, [raw(1)], NOW, dry_run=True)
    assert len(plan.new) == 1 and count(session, Measure) == 0
    import_measures(session, [raw(1)], NOW)
    plan = import_measures(session, [raw(1, monitoring="quarterly")], NOW, dry_run=True)
    assert len(plan.changed) == 1
    [m] = list_measures(session, agency_a)
    assert m.monitoring == "year_end" and len(m.checkpoints) == 1


def test_same_title_under_two_indicators_is_two_measures(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1, indicators=[2]), raw(2, indicators="9")], NOW)
    assert count(session, Measure) == 2
    # Changing the title of a measure without a code adds a new one and keeps the old one.
    plan = import_measures(session, [raw(1, indicators=[2]), raw(2, indicators="9", title="ชื่อใหม่")], NOW)
    assert len(plan.new) == 1 and len(plan.unchanged) == 1
    assert len(plan.not_in_file) == 1 and "ind 9" in plan.not_in_file[0]
    assert count(session, Measure) == 3


def test_measure_code_identity(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1)], NOW)
    # A code given later adopts the stored measure with the same indicators and title.
    plan = import_measures(session, [raw(1, measure_code="M-1")], NOW)
    assert plan.changed[0].changes == ["measure_code - → M-1"]
    # With the code, title and indicators may change.
    plan = import_measures(session, [raw(1, measure_code="M-1", title="ชื่อใหม่", indicators="9, 10")], NOW)
    assert {c.split(" ")[0] for c in plan.changed[0].changes} == {"indicators", "title"}
    [m] = list_measures(session, agency_a)
    assert (m.code, m.title, m.indicators) == ("M-1", "ชื่อใหม่", (9, 10))


def test_duplicate_codes_and_ambiguous_matches(session: Session, agency_a: int) -> None:
    with pytest.raises(ImportRejected) as info:
        import_measures(session, [raw(1, measure_code="M"), raw(2, title="อื่น", measure_code="M")], NOW)
    assert problems_of(info.value) == {(2, "measure_code")}
    import_measures(session, [raw(1)], NOW)
    with pytest.raises(ImportRejected) as info:
        # Both rows would update the one stored measure.
        import_measures(session, [raw(1, measure_code="A"), raw(2, measure_code="B")], NOW)
    assert "both match stored measure" in info.value.problems[0].message


def test_json_document(session: Session, agency_a: int, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    entry = {
        "agency": "SAO-A",
        "fiscal_year": 2569,
        "indicators": [1],
        "title": "ก",
        "units": ["สำนักปลัด"],
        "period_start": "2025-10-01",
        "period_end": "2026-09-30",
        "period_text": FY2569,
        "monitoring": "explicit",
        "checkpoints": ["31 ม.ค. 69", "2026-05-31"],
        "colour": "x",
    }
    path.write_text(json.dumps({"measures": [entry]}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_measures(session, read_measures_file(path), NOW)
    assert problems_of(info.value) == {(1, "colour")}
    del entry["colour"]
    path.write_text(json.dumps([entry], ensure_ascii=False), encoding="utf-8")
    import_measures(session, read_measures_file(path), NOW)
    [m] = list_measures(session, agency_a)
    assert [(c.due, c.label) for c in m.checkpoints] == [(date(2026, 1, 31), "ครั้งที่ 1"), (date(2026, 5, 31), "ครั้งที่ 2")]
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ImportRejected, match="not valid JSON"):
        read_measures_file(bad)


def test_xlsx(session: Session, agency_a: int, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "measures"
    sheet.append(
        ["agency_code", "fiscal_year", "indicators", "title", "units", "period_start", "period_end", "monitoring"]
    )
    sheet.append(["SAO-A", 2569, 4, "ก", "กองคลัง", datetime(2025, 10, 1), datetime(2026, 9, 30), "ทุกไตรมาส"])
    sheet.append(["SAO-A", 2569.0, "4", "ข", "กองคลัง", "1 ต.ค. 68", "32 ก.ย. 69", "ทุกไตรมาส"])
    path = tmp_path / "m.xlsx"
    workbook.save(path)
    with pytest.raises(ImportRejected) as info:
        import_measures(session, read_measures_file(path), NOW)
    assert problems_of(info.value) == {(3, "period_end")}
    sheet.delete_rows(3)
    workbook.save(path)
    import_measures(session, read_measures_file(path), NOW)
    assert len(list_measures(session, agency_a)[0].checkpoints) == 4


def test_template_imports_against_the_demo(session: Session) -> None:
    load_demo(session, NOW)
    plan = import_measures(session, read_measures_file(TEMPLATE), NOW, dry_run=True)
    assert len(plan.new) == 3 and not plan.changed


# --- the demo measures ------------------------------------------------------------------------------


def test_demo_measures_and_their_checkpoints(session: Session) -> None:
    lines = load_demo(session, NOW)
    assert "measures: 43 new, 0 changed, 0 unchanged" in lines
    assert "measures: 0 new, 0 changed, 43 unchanged" in load_demo(session, NOW)
    chiangphin = get_agency(session, "SAO-CHIANGPHIN").id
    fy2569 = list_measures(session, chiangphin, 2569)
    assert len(fy2569) == 20
    assert {tuple((c.due, c.label) for c in m.checkpoints) for m in fy2569} == {
        ((date(2026, 9, 30), "สิ้นปีงบประมาณ 2569"),)
    }
    talingchan = get_agency(session, "BMA-TALINGCHAN").id
    fy2565 = {m.indicators: m for m in list_measures(session, talingchan, 2565)}
    assert [c.due for c in fy2565[(1,)].checkpoints] == [
        date(2021, 12, 31),
        date(2022, 3, 31),
        date(2022, 6, 30),
        date(2022, 9, 30),
    ]
    assert [(c.due, c.label) for c in fy2565[(3,)].checkpoints] == [
        (date(2022, 3, 31), "รอบ 6 เดือน/2565"),
        (date(2022, 9, 30), "รอบ 12 เดือน/2565"),
    ]
    quarterly = sorted(n for (n,), m in fy2565.items() if m.monitoring == "quarterly")
    assert quarterly == [1, 2, 6, 10]
    assert fy2565[(1,)].period_text == "ประจำปีงบประมาณ พ.ศ. ๒๕๖๕" and fy2565[(1,)].monitoring_text == "ทุกไตรมาส"


# --- queries and actions ----------------------------------------------------------------------------

TODAY = date(2026, 1, 5)


def test_open_items_by_unit_and_role(session: Session) -> None:
    load_demo(session, NOW)
    chiangphin = get_agency(session, "SAO-CHIANGPHIN").id
    everything = open_items(session, chiangphin, None, "official", TODAY)
    assert len(everything) == 20 and open_items(session, chiangphin, "กองคลัง", "executive", TODAY) == everything
    finance = open_items(session, chiangphin, "กองคลัง", "staff", TODAY)
    assert len(finance) == 7 and all("กองคลัง" in i.units for i in finance)
    office = open_items(session, chiangphin, "สำนักปลัดฯ", "staff", TODAY)
    assert len(office) == 13 and all("สำนักปลัด" in i.units for i in office)
    assert [i.title for i in open_items(session, chiangphin, "งานพัสดุ", "staff", TODAY)] == [
        m.title for m in list_measures(session, chiangphin) if "งานพัสดุ" in m.units
    ]
    assert open_items(session, chiangphin, "กองช่าง", "staff", TODAY) == []
    assert open_items(session, chiangphin, None, "staff", TODAY) == []
    item = finance[0]
    assert (item.due, item.label, item.days_left, item.overdue) == (date(2026, 9, 30), "สิ้นปีงบประมาณ 2569", 268, False)
    # ทุกฝ่าย: every staff member of the district office sees those measures.
    talingchan = get_agency(session, "BMA-TALINGCHAN").id
    works = open_items(session, talingchan, "ฝ่ายโยธา", "staff", TODAY)
    assert works and all("ทุกฝ่าย" in i.units for i in works)
    assert all(i.overdue for i in works)
    assert [i.due for i in works] == sorted(i.due for i in works)


def test_mark_done_note_snooze(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1, monitoring="half_yearly")], NOW)
    [m] = list_measures(session, agency_a)
    first, second = m.checkpoints
    when = datetime(2026, 3, 30, 2, 0, tzinfo=UTC)
    done = mark_checkpoint_done(session, first.id, by="Uabc", now=when)
    assert (done.status, done.done_by, done.done_at) == ("done", "Uabc", when)
    again = mark_checkpoint_done(session, first.id, by="Uother", now=when + timedelta(hours=1))
    assert (again.done_by, again.done_at) == ("Uabc", when)  # pressing twice changes nothing
    assert get_measure(session, m.id).status == "active"
    snoozed = snooze_checkpoint(session, second.id, 3, today=date(2026, 9, 27))
    assert snoozed.snoozed_until == date(2026, 9, 30)
    note = add_progress_note(
        session, m.id, "  เผยแพร่แผนแล้ว  ", now=when, line_user_id="Uabc", author_name="สมหญิง", checkpoint_id=second.id
    )
    assert (note.text, note.author_name, note.checkpoint_id) == ("เผยแพร่แผนแล้ว", "สมหญิง", second.id)
    mark_checkpoint_done(session, second.id, by="สมหญิง", now=when)
    view = get_measure(session, m.id)
    assert view.status == "done" and view.next_checkpoint is None and len(view.notes) == 1
    # A done checkpoint is not snoozed; reopening makes the measure active again.
    assert snooze_checkpoint(session, second.id, 3, today=date(2026, 9, 28)).snoozed_until == date(2026, 9, 30)
    reopened = reopen_checkpoint(session, second.id, now=when)
    assert (reopened.status, reopened.done_at, reopened.done_by) == ("open", None, None)
    assert get_measure(session, m.id).status == "active"


def test_actions_check_the_agency_and_input(session: Session, agency_a: int) -> None:
    add_agency(session, "SAO-B")
    other = get_agency(session, "SAO-B").id
    import_measures(session, [raw(1)], NOW)
    [m] = list_measures(session, agency_a)
    checkpoint = m.checkpoints[0].id
    with pytest.raises(CheckpointNotFound):
        mark_checkpoint_done(session, checkpoint, by="U", now=NOW, agency_id=other)
    with pytest.raises(CheckpointNotFound):
        snooze_checkpoint(session, checkpoint, 3, today=TODAY, agency_id=other)
    with pytest.raises(CheckpointNotFound):
        mark_checkpoint_done(session, 999_999, by="U", now=NOW)
    with pytest.raises(MeasureNotFound):
        add_progress_note(session, m.id, "x", now=NOW, agency_id=other)
    with pytest.raises(MeasureNotFound):
        get_measure(session, m.id, agency_id=other)
    with pytest.raises(MeasureInputError, match="empty"):
        add_progress_note(session, m.id, "   ", now=NOW)
    with pytest.raises(MeasureInputError, match="longer"):
        add_progress_note(session, m.id, "ก" * 5001, now=NOW)
    with pytest.raises(MeasureInputError, match="1–30"):
        snooze_checkpoint(session, checkpoint, 0, today=TODAY)
    import_measures(session, [raw(1, agency="SAO-B", title="ของ บี")], NOW)
    [b] = list_measures(session, other)
    with pytest.raises(CheckpointNotFound):
        add_progress_note(session, m.id, "x", now=NOW, checkpoint_id=b.checkpoints[0].id)
    mark_checkpoint_done(session, checkpoint, by="U", now=NOW, agency_id=agency_a)
    assert count(session, ProgressNote) == 0


def test_overdue(session: Session, agency_a: int) -> None:
    import_measures(session, [raw(1, monitoring="quarterly"), raw(2, title="ข", monitoring="half_yearly")], NOW)
    assert overdue_checkpoints(session, agency_a, date(2025, 12, 31)) == []
    overdue = overdue_checkpoints(session, agency_a, date(2026, 4, 1))
    assert [(i.due, i.label) for i in overdue] == [
        (date(2025, 12, 31), "ไตรมาส 1/2569"),
        (date(2026, 3, 31), "ไตรมาส 2/2569"),
        (date(2026, 3, 31), "รอบ 6 เดือน/2569"),
    ]
    assert overdue[0].days_left == -91 and overdue[0].overdue
    mark_checkpoint_done(session, overdue[0].checkpoint_id, by="U", now=NOW)
    assert len(overdue_checkpoints(session, agency_a, date(2026, 4, 1))) == 2


def test_due_checkpoints_across_agencies(session: Session) -> None:
    load_demo(session, NOW)
    due = due_checkpoints(session, date(2026, 9, 23), date(2026, 9, 30))
    assert len(due) == 20 and {d.label for d in due} == {"สิ้นปีงบประมาณ 2569"}
    assert due[0].units and due[0].title
    assert due_checkpoints(session, date(2026, 9, 1), date(2026, 9, 29)) == []
    fy2565 = due_checkpoints(session, date(2022, 3, 31), date(2022, 3, 31))
    assert len(fy2565) == 10  # every BMA-TALINGCHAN measure: quarterly and half-yearly both check 31 Mar
    mark_checkpoint_done(session, fy2565[0].checkpoint_id, by="U", now=NOW)
    assert len(due_checkpoints(session, date(2022, 3, 31), date(2022, 3, 31))) == 9


def test_due_range_query_uses_the_index(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL picks by table statistics")
    plan = session.execute(
        text("EXPLAIN QUERY PLAN SELECT id FROM checkpoints WHERE status = 'open' AND due_date BETWEEN :a AND :b"),
        {"a": "2026-09-23", "b": "2026-09-30"},
    ).all()
    assert "ix_checkpoints_status_due" in " ".join(str(row) for row in plan)
