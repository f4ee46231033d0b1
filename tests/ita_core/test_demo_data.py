"""The demo data file (ita_core/data/demo.json): schema, references and the seed numbers.

Pure JSON checks: nothing here depends on the importer or the database.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parents[2] / "ita_core" / "data" / "demo.json"

TYPE_PREFIX = {"อบต.": "SAO", "เทศบาลตำบล": "TM", "อบจ.": "PAO", "สำนักงานเขต": "BMA"}
LETTER_LEVELS = {"AA", "A", "B", "C", "D", "E", "F"}
PASS_LEVELS = {"ผ่านดีเยี่ยม", "ผ่านดี", "ผ่าน", "ไม่ผ่าน"}
REPORTED_KEYS = {"IIT", "EIT", "OIT", "overall", "level", "EIT1", "EIT2"}
MONITORING = {"quarterly", "half_yearly", "year_end", "explicit"}
SOURCE = re.compile(r"S00[0-4]\b")
TWO_DP = re.compile(r"\d{1,3}\.\d{2}")
NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,2})?")
ITEM_CODE = re.compile(r"[ieo][1-9]\d*")
SUB_CODE = re.compile(r"(?:[1-9]|10)\.[1-9]")

# The seed results the issue requires, exactly as the reports print them.
REQUIRED = {
    ("SAO-BANGKHEM", 2563): (
        "100 97.25 99.88 99.63 100 95.07 94.98 92.74 88.78 87.50",
        "93.34",
        "A",
    ),
    ("SAO-CHIANGPHIN", 2567): ("100 93.33 100 97.78 100 99.56 99.89 98.89 79.29 100", "95.16", "ผ่านดี"),
    ("SAO-CHIANGPHIN", 2568): ("100 100 100 91.18 100 99.87 99.81 99.81 80.00 75.00", "90.42", "ผ่าน"),
    ("TM-KHOKSUNGSAMPHAN", 2566): ("100 100 100 99.45 100 94.86 97.17 96.85 100 100", "98.85", "ผ่านดีเยี่ยม"),
    ("BMA-TALINGCHAN", 2564): ("87.93 66.33 78.94 69.13 77.81 58.74 64.09 58.59 93.78 31.25", "65.96", "C"),
}


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    return data


def _dec(text: str) -> Decimal:
    return Decimal(text)


def _iso(text: object) -> date:
    assert isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text), text
    return date.fromisoformat(text)


def test_top_level(demo: dict[str, Any]) -> None:
    assert set(demo) == {"about", "agencies", "results", "measures"}
    assert isinstance(demo["about"], str) and "S000" in demo["about"]


def test_file_is_utf8_with_thai_unescaped() -> None:
    text = DEMO.read_text(encoding="utf-8")
    assert "\\u0e" not in text.lower()
    assert "องค์การบริหารส่วนตำบล" in text


def test_agencies(demo: dict[str, Any]) -> None:
    agencies = demo["agencies"]
    assert len(agencies) == 5
    codes = [a["code"] for a in agencies]
    assert len(set(codes)) == len(codes)
    sources = set()
    for agency in agencies:
        assert set(agency) == {"code", "name", "type", "province", "district", "target", "source"}
        assert agency["type"] in TYPE_PREFIX
        assert re.fullmatch(rf"{TYPE_PREFIX[agency['type']]}-[A-Z]+", agency["code"]), agency["code"]
        for key in ("name", "province", "district"):
            assert isinstance(agency[key], str) and agency[key].strip() == agency[key] and agency[key]
        assert isinstance(agency["target"], int) and 0 < agency["target"] <= 100
        match = SOURCE.match(agency["source"])
        assert match, agency["source"]
        sources.add(match.group(0))
    assert sources == {"S000", "S001", "S002", "S003", "S004"}
    by_code = {a["code"]: a for a in agencies}
    assert by_code["SAO-BANGKHEM"]["target"] == 90
    assert by_code["PAO-SAMUTSAKHON"]["target"] == 95


def test_results_schema(demo: dict[str, Any]) -> None:
    agencies = {a["code"] for a in demo["agencies"]}
    seen = set()
    for result in demo["results"]:
        assert {"agency", "year", "source", "indicators", "reported"} <= set(result)
        assert set(result) <= {"agency", "year", "source", "indicators", "reported", "sub_indicators", "items"}
        assert result["agency"] in agencies
        assert isinstance(result["year"], int) and 2562 <= result["year"] <= 2569
        key = (result["agency"], result["year"])
        assert key not in seen, key
        seen.add(key)
        assert SOURCE.match(result["source"])

        indicators = result["indicators"]
        if indicators is None:
            assert result["reported"], "a result without indicators must carry reported scores"
        else:
            assert list(indicators) == [str(n) for n in range(1, 11)]
            for value in indicators.values():
                assert isinstance(value, str) and TWO_DP.fullmatch(value), value
                assert Decimal(0) <= _dec(value) <= Decimal(100)

        reported = result["reported"]
        assert isinstance(reported, dict) and set(reported) <= REPORTED_KEYS
        for name, value in reported.items():
            if name == "level":
                levels = LETTER_LEVELS if result["year"] <= 2565 else PASS_LEVELS
                assert value in levels, value
            else:
                assert isinstance(value, str) and TWO_DP.fullmatch(value), value
                assert Decimal(0) <= _dec(value) <= Decimal(100)

        for code, value in result.get("sub_indicators", {}).items():
            assert SUB_CODE.fullmatch(code) and NUMBER.fullmatch(value)
        items = result.get("items", {})
        assert isinstance(items, dict)
        for code, value in items.items():
            assert ITEM_CODE.fullmatch(code), code
            assert isinstance(value, str) and NUMBER.fullmatch(value), value
            assert Decimal(0) <= _dec(value) <= Decimal(100)


@pytest.mark.parametrize(("agency", "year"), sorted(REQUIRED))
def test_required_seed_results(demo: dict[str, Any], agency: str, year: int) -> None:
    values, overall, level = REQUIRED[(agency, year)]
    result = next(r for r in demo["results"] if (r["agency"], r["year"]) == (agency, year))
    assert list(result["indicators"].values()) == [f"{Decimal(v):.2f}" for v in values.split()]
    assert result["reported"]["overall"] == overall
    assert result["reported"]["level"] == level


def test_reported_overall_matches_the_formula(demo: dict[str, Any]) -> None:
    """0.3 IIT + 0.3 EIT + 0.4 OIT from the 2-dp tool means, within the 0.01 that 2-dp inputs allow."""
    cent = Decimal("0.01")
    for result in demo["results"]:
        if result["indicators"] is None:
            continue
        v = [_dec(x) for x in result["indicators"].values()]
        tools = [
            (sum(v[0:5], Decimal(0)) / 5).quantize(cent, ROUND_HALF_UP),
            (sum(v[5:8], Decimal(0)) / 3).quantize(cent, ROUND_HALF_UP),
            (sum(v[8:10], Decimal(0)) / 2).quantize(cent, ROUND_HALF_UP),
        ]
        overall = Decimal("0.3") * tools[0] + Decimal("0.3") * tools[1] + Decimal("0.4") * tools[2]
        assert abs(overall - _dec(result["reported"]["overall"])) <= cent, result["source"]
        for name, value in zip(("IIT", "EIT", "OIT"), tools, strict=True):
            if name in result["reported"]:
                assert _dec(result["reported"][name]) == value


def test_s001_2568_items_and_samutsakhon(demo: dict[str, Any]) -> None:
    results = {(r["agency"], r["year"]): r for r in demo["results"]}
    s001 = results[("SAO-CHIANGPHIN", 2568)]["items"]
    assert list(s001) == [f"o{n}" for n in range(1, 29)]
    assert {c for c, v in s001.items() if v == "0"} == {"o5", "o12", "o23"}
    assert {c for c, v in s001.items() if v == "50"} == {"o6", "o13", "o22"}
    assert not any(code.startswith("i") for code in s001), "S001's per-question IIT values are unreliable"
    pao = results[("PAO-SAMUTSAKHON", 2563)]
    assert pao["indicators"] is None
    assert pao["reported"] == {"OIT": "95.50", "overall": "94.72", "level": "A"}
    assert pao["items"]["o27"] == pao["items"]["o30"] == "0.00"
    s000 = results[("SAO-BANGKHEM", 2563)]["items"]
    assert s000 == {"e11": "93.91", "e12": "89.11", "e13": "99.02", "e14": "88.79", "e15": "92.88"}


def test_measures_schema(demo: dict[str, Any]) -> None:
    agencies = {a["code"] for a in demo["agencies"]}
    keys = {
        "agency",
        "fiscal_year",
        "indicators",
        "title",
        "steps",
        "units",
        "period_start",
        "period_end",
        "period_text",
        "monitoring",
        "monitoring_text",
        "checkpoints",
        "source",
    }
    for measure in demo["measures"]:
        assert set(measure) == keys
        assert measure["agency"] in agencies
        fy = measure["fiscal_year"]
        assert isinstance(fy, int) and 2563 <= fy <= 2570
        inds = measure["indicators"]
        assert inds and len(set(inds)) == len(inds)
        assert all(isinstance(n, int) and 1 <= n <= 10 for n in inds)
        assert isinstance(measure["title"], str) and measure["title"].strip()
        for key in ("steps", "units"):
            assert measure[key] and all(isinstance(s, str) and s.strip() == s and s for s in measure[key])
        start, end = _iso(measure["period_start"]), _iso(measure["period_end"])
        fy_start, fy_end = date(fy - 544, 10, 1), date(fy - 543, 9, 30)
        assert fy_start <= start <= end <= fy_end, measure["title"]
        assert measure["period_text"] is None or measure["period_text"].strip()
        assert measure["monitoring"] in MONITORING
        assert measure["monitoring_text"] is None or measure["monitoring_text"].strip()
        checkpoints = [_iso(c) for c in measure["checkpoints"]]
        assert all(start <= c <= end for c in checkpoints)
        assert bool(checkpoints) == (measure["monitoring"] == "explicit")
        assert SOURCE.match(measure["source"])


def test_measures_per_seed(demo: dict[str, Any]) -> None:
    by_seed: dict[str, list[dict[str, Any]]] = {}
    for measure in demo["measures"]:
        by_seed.setdefault(measure["source"][:4], []).append(measure)
    assert len(by_seed["S000"]) == 7
    assert len(by_seed["S004"]) == 6
    assert sorted(m["indicators"][0] for m in by_seed["S003"]) == list(range(1, 11))
    assert {n for m in by_seed["S001"] for n in m["indicators"]} == set(range(1, 11))
    for seed in ("S000", "S004"):
        for measure in by_seed[seed]:
            assert measure["fiscal_year"] == 2564
            assert (measure["period_start"], measure["period_end"]) == ("2020-10-01", "2021-09-30")
            assert measure["monitoring"] == "year_end"
            assert measure["monitoring_text"] == "รายงานความก้าวหน้าและสรุปผล ณ สิ้นปีงบประมาณ"
    rhythm = {m["indicators"][0]: m["monitoring"] for m in by_seed["S003"]}
    assert {n for n, r in rhythm.items() if r == "quarterly"} == {1, 2, 6, 10}
    assert {n for n, r in rhythm.items() if r == "half_yearly"} == {3, 4, 5, 7, 8, 9}
    for measure in by_seed["S001"]:
        assert measure["fiscal_year"] == 2569
        assert (measure["period_start"], measure["period_end"]) == ("2025-10-01", "2026-09-30")
        assert measure["period_text"] == "1 ตุลาคม 2568 – 30 กันยายน 2569"
    assert sum("mistyped" in m["source"] for m in by_seed["S001"]) == 1
