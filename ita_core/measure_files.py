"""Reading measures files: CSV, XLSX (sheet "measures", else the first) and JSON (docs/measures-format.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ita_core.errors import ImportProblem, ImportRejected
from ita_core.fileio import detect_format, read_table
from ita_core.measure_import import RawMeasure
from ita_core.numbers import to_arabic_digits

# Column headers (lower-cased, spaces squeezed) → field. English names first, then the reports' Thai headers.
_ALIASES = {
    "agency_code": "agency",
    "agency": "agency",
    "รหัสหน่วยงาน": "agency",
    "fiscal_year": "fiscal_year",
    "year": "fiscal_year",
    "ปีงบประมาณ": "fiscal_year",
    "measure_code": "measure_code",
    "รหัสมาตรการ": "measure_code",
    "indicators": "indicators",
    "indicator": "indicators",
    "ตัวชี้วัด": "indicators",
    "ตัวชี้วัดที่": "indicators",
    "title": "title",
    "measure": "title",
    "มาตรการ": "title",
    "ชื่อมาตรการ": "title",
    "มาตรการ/กิจกรรม": "title",
    "มาตรการ โครงการ กิจกรรม": "title",
    "steps": "steps",
    "ขั้นตอน": "steps",
    "ขั้นตอน/วิธีปฏิบัติ": "steps",
    "ขั้นตอนหรือวิธีการ": "steps",
    "ขั้นตอนการดำเนินงาน": "steps",
    "units": "units",
    "responsible_units": "units",
    "ผู้รับผิดชอบ": "units",
    "หน่วยงานที่รับผิดชอบ": "units",
    "ผู้รับผิดชอบ/ผู้ที่เกี่ยวข้อง": "units",
    "period": "period",
    "period_text": "period",
    "ระยะเวลา": "period",
    "ระยะเวลาดำเนินงาน": "period",
    "ระยะเวลาดำเนินการ": "period",
    "period_start": "period_start",
    "start": "period_start",
    "วันเริ่มต้น": "period_start",
    "period_end": "period_end",
    "end": "period_end",
    "วันสิ้นสุด": "period_end",
    "monitoring": "monitoring",
    "rhythm": "monitoring",
    "การติดตาม": "monitoring",
    "การกำกับติดตาม": "monitoring",
    "monitoring_text": "monitoring_text",
    "checkpoints": "checkpoints",
    "checkpoint_dates": "checkpoints",
    "กำหนดรายงาน": "checkpoints",
    "source": "source",
    "ที่มา": "source",
}
# Columns that may be present for people reading the file; their values are ignored.
INFO_COLUMNS = {"agency_name", "name", "ชื่อหน่วยงาน", "หน่วยงาน", "note", "notes", "หมายเหตุ"}
# Keys of a JSON document that hold something other than measures (the demo data file has them).
_OTHER_SECTIONS = {"about", "agencies", "results"}


def _field_of(header: str) -> str | None:
    text = re.sub(r"\s+", " ", to_arabic_digits(header).replace("\u200b", "")).strip().lower()
    if text in INFO_COLUMNS:
        return "info"
    return _ALIASES.get(text)


def rows_to_raw_measures(header: Sequence[object], rows: Iterable[tuple[int, Sequence[object]]]) -> list[RawMeasure]:
    """Turn a table (header + numbered rows) into RawMeasures, remembering each value's column."""
    names = [str(h or "").strip() for h in header]
    fields = [_field_of(n) for n in names]
    problems: list[ImportProblem] = []
    seen: dict[str, str] = {}
    for name, key in zip(names, fields, strict=True):
        if key is None or key == "info":
            continue
        if key in seen:
            problems.append(ImportProblem(1, name, f"column {name!r} repeats column {seen[key]!r}"))
        seen[key] = name
    for needed in ("agency", "fiscal_year", "indicators", "title", "units", "monitoring"):
        if needed not in seen:
            problems.append(ImportProblem(1, None, f"no {needed} column (see docs/measures-format.md)"))
    if problems:
        raise ImportRejected(problems)
    out = []
    for number, values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        raw = RawMeasure(row=number)
        for name, key, value in zip(names, fields, values, strict=False):
            if key == "info":
                continue
            if key is None:
                if value is not None and str(value).strip() != "" and name:
                    raw.unknown_fields.append(name)
                continue
            raw.columns[key] = name
            raw.values[key] = value
        out.append(raw)
    return out


def parse_measures_json(document: object) -> list[RawMeasure]:
    """A JSON document: a list of measures, or an object with "measures" (like the demo data file)."""
    if isinstance(document, dict):
        unknown = [k for k in document if k != "measures" and k not in _OTHER_SECTIONS]
        if unknown or "measures" not in document:
            raise ImportRejected(
                [ImportProblem(None, None, "JSON must be a list of measures or an object with a 'measures' list")]
            )
        document = document["measures"]
    if not isinstance(document, list):
        raise ImportRejected([ImportProblem(None, None, "'measures' must be a list")])
    problems: list[ImportProblem] = []
    out = []
    for number, entry in enumerate(document, start=1):
        if not isinstance(entry, dict):
            problems.append(ImportProblem(number, None, "a measure must be an object"))
            continue
        raw = RawMeasure(row=number)
        for name, value in entry.items():
            key = _field_of(str(name))
            if key == "info":
                continue
            if key is None:
                raw.unknown_fields.append(str(name))
                continue
            if key in raw.columns:
                problems.append(ImportProblem(number, str(name), f"{name!r} repeats {raw.columns[key]!r}"))
                continue
            raw.columns[key] = str(name)
            raw.values[key] = value
        out.append(raw)
    if problems:
        raise ImportRejected(problems)
    return out


def _read_json(path: Path) -> object:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([ImportProblem(None, None, "the file is neither UTF-8 nor Thai Windows (cp874) text")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            [ImportProblem(exc.lineno, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        ) from None


def read_measures_file(path: Path, fmt: str | None = None) -> list[RawMeasure]:
    """Read a measures file of any supported format (rows are numbered as a spreadsheet shows them)."""
    kind = detect_format(path, fmt)
    if kind == "json":
        return parse_measures_json(_read_json(path))
    header, rows = read_table(path, kind, sheet="measures")
    return rows_to_raw_measures(header, rows)
