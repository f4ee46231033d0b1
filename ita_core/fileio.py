"""Reading and writing results and agencies as CSV, XLSX and JSON (formats in docs/import-format.md)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ita_core.errors import ImportProblem, ImportRejected
from ita_core.models import Agency, Assessment
from ita_core.numbers import to_arabic_digits
from ita_core.results import RawResult

FORMATS = ("csv", "xlsx", "json")
INFO_COLUMNS = {"agency_name", "name", "ชื่อหน่วยงาน", "หน่วยงาน", "note", "หมายเหตุ"}
_INDICATOR = re.compile(r"^(?:ind|indicator|ตัวชี้วัด(?:ที่)?)[\s_.-]*(\d{1,2})$")
_SUB = re.compile(r"^(\d{1,2}\.\d)$")
_ITEM = re.compile(r"^([ieo])\s*0*(\d{1,3})$")
_ALIASES = {
    "agency_code": "agency",
    "agency": "agency",
    "code": "agency",
    "รหัสหน่วยงาน": "agency",
    "fiscal_year": "year",
    "year": "year",
    "ปีงบประมาณ": "year",
    "ปี": "year",
    "source": "source",
    "ที่มา": "source",
    "iit": "IIT",
    "eit": "EIT",
    "oit": "OIT",
    "eit1": "EIT1",
    "eit2": "EIT2",
    "overall": "overall",
    "คะแนนรวม": "overall",
    "คะแนนภาพรวม": "overall",
    "level": "level",
    "ระดับ": "level",
}
AGENCY_FIELDS = ("code", "name", "type", "province", "district", "target")
_AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def detect_format(path: Path, explicit: str | None = None) -> str:
    """The file format from ``--format`` or the file's extension."""
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ImportRejected([ImportProblem(None, None, f"unknown file format {fmt!r}; use csv, xlsx or json")])
    return fmt


def _header_key(header: str) -> str:
    """Map a column header to a field key: agency, year, ind4, item:o23, sub:9.2, IIT, level ..."""
    text = to_arabic_digits(str(header)).strip().lower().replace("\u200b", "")
    if text in _ALIASES:
        return _ALIASES[text]
    if text in INFO_COLUMNS:
        return "info"
    if m := _INDICATOR.match(text):
        return f"ind{int(m.group(1))}"
    if m := _SUB.match(text):
        return f"sub:{m.group(1)}"
    if m := _ITEM.match(text):
        return f"item:{m.group(1)}{int(m.group(2))}"
    return f"unknown:{header}"


def rows_to_raw(header: Sequence[object], rows: Iterable[tuple[int, Sequence[object]]]) -> list[RawResult]:
    """Turn a table (header + numbered rows) into RawResults, remembering each value's column."""
    keys = [_header_key(str(h or "")) for h in header]
    problems: list[ImportProblem] = []
    seen: dict[str, str] = {}
    for name, key in zip(header, keys, strict=True):
        if key == "info" or key.startswith("unknown:"):
            continue
        if key in seen:
            problems.append(ImportProblem(1, str(name), f"column {name!r} repeats column {seen[key]!r}"))
        seen[key] = str(name)
    for needed in ("agency", "year"):
        if needed not in seen:
            problems.append(ImportProblem(1, None, f"no {needed} column (see docs/import-format.md)"))
    if problems:
        raise ImportRejected(problems)
    raws = []
    for number, values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        raw = RawResult(row=number, agency_code=None, year=None)
        for name, key, value in zip(header, keys, values, strict=False):
            column = str(name)
            if key == "info":
                continue
            if key.startswith("unknown:"):
                if value is not None and str(value).strip() != "":
                    raw.unknown_fields.append(column)
                continue
            if value is None or (isinstance(value, str) and value.strip() == ""):
                continue
            raw.columns[key] = column
            _assign(raw, key, value)
        raws.append(raw)
    return raws


def _assign(raw: RawResult, key: str, value: object) -> None:
    if key == "agency":
        raw.agency_code = value
    elif key == "year":
        raw.year = value
    elif key == "source":
        raw.source = value
    elif key == "level":
        raw.reported_level = value
    elif key.startswith("ind"):
        raw.indicators[int(key[3:])] = value
    elif key.startswith("item:"):
        raw.items[key[5:]] = value
    elif key.startswith("sub:"):
        raw.sub_indicators[key[4:]] = value
    else:
        raw.reported[key] = value


def read_table(path: Path, fmt: str, sheet: str = "results") -> tuple[list[object], list[tuple[int, list[object]]]]:
    """Header and numbered rows of a CSV file or an XLSX sheet (the named one, else the first)."""
    if fmt == "csv":
        text = _read_text(path)
        reader = csv.reader(io.StringIO(text))
        table = list(reader)
        if not table:
            raise ImportRejected([ImportProblem(None, None, "the file is empty")])
        return list(table[0]), [(i, list(r)) for i, r in enumerate(table[1:], start=2)]
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportRejected([ImportProblem(None, None, f"not a readable XLSX file: {exc}")]) from None
    try:
        ws = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        all_rows = list(ws.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not all_rows:
        raise ImportRejected([ImportProblem(None, None, "the sheet is empty")])
    return list(all_rows[0]), [(i, list(r)) for i, r in enumerate(all_rows[1:], start=2)]


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp874"):  # Excel on Thai Windows saves CSV as TIS-620/cp874
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected([ImportProblem(None, None, "the file is neither UTF-8 nor Thai Windows (cp874) text")])


@dataclass
class ParsedDocument:
    """What a results file holds: agencies (JSON documents and XLSX 'agencies' sheets only) and results."""

    agencies: list[dict[str, Any]]
    results: list[RawResult]


def read_results_file(path: Path, fmt: str | None = None) -> ParsedDocument:
    """Read a results file of any supported format."""
    kind = detect_format(path, fmt)
    if kind == "json":
        try:
            document = json.loads(_read_text(path))
        except json.JSONDecodeError as exc:
            raise ImportRejected(
                [ImportProblem(exc.lineno, None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
            ) from None
        return parse_json_document(document)
    header, rows = read_table(path, kind)
    agencies: list[dict[str, Any]] = []
    if kind == "xlsx":
        agencies = _xlsx_agencies(path)
    return ParsedDocument(agencies=agencies, results=rows_to_raw(header, rows))


def _xlsx_agencies(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if "agencies" not in workbook.sheetnames:
            return []
        rows = list(workbook["agencies"].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    return [
        {"_row": i, **{h: v for h, v in zip(header, r, strict=False) if h}}
        for i, r in enumerate(rows[1:], start=2)
        if any(v not in (None, "") for v in r)
    ]


def parse_json_document(document: object) -> ParsedDocument:
    """A JSON document: a list of results, or {"agencies": [...], "results": [...]} (like the demo data)."""
    if isinstance(document, list):
        document = {"results": document}
    if not isinstance(document, dict):
        raise ImportRejected([ImportProblem(None, None, "JSON must be a list of results or an object with 'results'")])
    agencies = document.get("agencies") or []
    results = document.get("results") or []
    problems: list[ImportProblem] = []
    if not isinstance(agencies, list) or not isinstance(results, list):
        raise ImportRejected([ImportProblem(None, None, "'agencies' and 'results' must be lists")])
    raws = []
    for number, entry in enumerate(results, start=1):
        if not isinstance(entry, dict):
            problems.append(ImportProblem(number, None, "a result must be an object"))
            continue
        raws.append(_json_raw(number, entry, problems))
    if problems:
        raise ImportRejected(problems)
    return ParsedDocument(
        agencies=[{"_row": i, **a} if isinstance(a, dict) else {"_row": i} for i, a in enumerate(agencies, 1)],
        results=raws,
    )


def _json_raw(number: int, entry: dict[str, Any], problems: list[ImportProblem]) -> RawResult:
    raw = RawResult(row=number, agency_code=entry.get("agency"), year=entry.get("year"), source=entry.get("source", ""))
    raw.columns.update({"agency": "agency", "year": "year"})
    known = {"agency", "year", "source", "indicators", "reported", "sub_indicators", "items", "level"}
    raw.unknown_fields.extend(k for k in entry if k not in known)
    indicators = entry.get("indicators")
    if isinstance(indicators, list):
        indicators = {str(i): v for i, v in enumerate(indicators, start=1)}
    if indicators is not None and not isinstance(indicators, dict):
        problems.append(ImportProblem(number, "indicators", "must be an object or a list of ten scores"))
        indicators = {}
    for key, value in (indicators or {}).items():
        text = to_arabic_digits(str(key))
        if not text.isdigit():
            problems.append(ImportProblem(number, f"indicators.{key}", f"unknown indicator {key!r}"))
            continue
        raw.indicators[int(text)] = value
        raw.columns[f"ind{int(text)}"] = f"indicators.{key}"
    reported = dict(entry.get("reported") or {})
    if "level" in entry:
        reported.setdefault("level", entry["level"])
    for key, value in reported.items():
        if value is None:
            continue
        if key == "level":
            raw.reported_level = value
            raw.columns["level"] = "reported.level"
        else:
            raw.reported[key] = value
            raw.columns[key] = f"reported.{key}"
    for section, prefix, target in (("items", "item:", raw.items), ("sub_indicators", "sub:", raw.sub_indicators)):
        values = entry.get(section) or {}
        if not isinstance(values, dict):
            problems.append(ImportProblem(number, section, "must be an object of code → score"))
            continue
        for key, value in values.items():
            target[str(key)] = value
            raw.columns[f"{prefix}{key}"] = f"{section}.{key}"
    return raw


# --- export -----------------------------------------------------------------------------------


def export_records(session: Session, year: int | None = None, agency: str | None = None) -> list[dict[str, Any]]:
    """Stored results in the JSON import format (so exporting and re-importing changes nothing)."""
    query = (
        select(Assessment)
        .join(Agency)
        .options(
            selectinload(Assessment.indicator_scores),
            selectinload(Assessment.item_scores),
            selectinload(Assessment.sub_indicator_scores),
            selectinload(Assessment.agency),
        )
        .order_by(Agency.code, Assessment.fiscal_year)
    )
    if year is not None:
        query = query.where(Assessment.fiscal_year == year)
    if agency is not None:
        query = query.where(Agency.code == agency.upper())
    out = []
    for a in session.scalars(query):
        reported: dict[str, Any] = {
            key: str(value)
            for key, value in (
                ("IIT", a.reported_iit),
                ("EIT", a.reported_eit),
                ("OIT", a.reported_oit),
                ("EIT1", a.eit1),
                ("EIT2", a.eit2),
                ("overall", a.reported_overall),
            )
            if value is not None
        }
        if a.reported_level:
            reported["level"] = a.reported_level
        out.append(
            {
                "agency": a.agency.code,
                "year": a.fiscal_year,
                "source": a.source,
                "indicators": {str(s.indicator): str(s.score) for s in a.indicator_scores} or None,
                "reported": reported,
                "sub_indicators": {s.code: str(s.score) for s in a.sub_indicator_scores},
                "items": {s.code: str(s.score) for s in a.item_scores},
            }
        )
    return out


def table_columns(records: Sequence[dict[str, Any]]) -> list[str]:
    """CSV/XLSX columns for the given records: fixed ones, then sub-indicators and items present."""
    subs = sorted({code for r in records for code in r["sub_indicators"]}, key=_code_key)
    items = sorted({code for r in records for code in r["items"]}, key=_code_key)
    return (
        ["agency_code", "fiscal_year", "source"]
        + [f"ind{n}" for n in range(1, 11)]
        + ["IIT", "EIT", "OIT", "EIT1", "EIT2", "overall", "level"]
        + subs
        + items
    )


def _code_key(code: str) -> tuple[str, float]:
    head = code.rstrip("0123456789.")
    return (head, float(code[len(head) :] or 0))


def table_rows(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> Iterator[list[Any]]:
    """Rows of the CSV/XLSX form of ``records``."""
    for r in records:
        values: dict[str, Any] = {"agency_code": r["agency"], "fiscal_year": r["year"], "source": r["source"]}
        values.update({f"ind{k}": v for k, v in (r["indicators"] or {}).items()})
        values.update(r["reported"])
        values.update(r["sub_indicators"])
        values.update(r["items"])
        yield [values.get(c, "") for c in columns]


def write_records(
    records: Sequence[dict[str, Any]], path: Path, fmt: str, agencies: Sequence[dict[str, Any]] = ()
) -> None:
    """Write results (and, for JSON/XLSX, their agencies) in the given format."""
    if fmt == "json":
        document = {"agencies": list(agencies), "results": list(records)}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    columns = table_columns(records)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(table_rows(records, columns))
        return
    from openpyxl import Workbook

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "results"
    ws.append(columns)
    for row in table_rows(records, columns):
        ws.append(row)
    if agencies:
        sheet = workbook.create_sheet("agencies")
        sheet.append(list(AGENCY_FIELDS))
        for a in agencies:
            sheet.append([a.get(f) for f in AGENCY_FIELDS])
    workbook.save(path)


def agency_dicts(session: Session, codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Agencies as plain dicts (the agencies file format)."""
    query = select(Agency).order_by(Agency.code)
    if codes is not None:
        query = query.where(Agency.code.in_(set(codes)))
    return [
        {
            "code": a.code,
            "name": a.name,
            "type": a.type,
            "province": a.province,
            "district": a.district,
            "target": str(a.target) if a.target is not None else None,
        }
        for a in session.scalars(query)
    ]


def read_agencies_file(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """Agency rows from a CSV/XLSX table (columns code,name,type,province,district,target) or JSON."""
    kind = detect_format(path, fmt)
    if kind == "json":
        parsed = read_results_file(path, "json")
        return parsed.agencies
    header, rows = read_table(path, kind, sheet="agencies")
    names = [str(h or "").strip().lower() for h in header]
    return [
        {"_row": n, **{h: v for h, v in zip(names, r, strict=False) if h}}
        for n, r in rows
        if any(v not in (None, "") for v in r)
    ]


def agency_code_is_valid(code: str) -> bool:
    """Agency codes are ASCII upper case letters, digits, '-' and '_' (up to 32)."""
    return bool(_AGENCY_CODE.match(code))
