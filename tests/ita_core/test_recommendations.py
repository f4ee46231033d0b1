"""ita_core.recommendations: the data files, their validation and the ranking."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ita_core.errors import FrameworkError, ScoreInputError, UnknownYear
from ita_core.framework import get_framework
from ita_core.recommendations import (
    PRIORITY_INDICATOR,
    PRIORITY_MAINTAIN,
    PRIORITY_OIT_PARTIAL,
    PRIORITY_OIT_ZERO,
    PRIORITY_OTHER,
    RECOMMENDATION_DIR,
    Recommendation,
    RecommendationLibrary,
    load_library,
    recommend,
)

DEMO = Path(__file__).resolve().parents[2] / "ita_core" / "data" / "demo.json"


def _demo_result(agency: str, year: int) -> tuple[dict[int, Decimal], dict[str, Decimal]]:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    result = next(r for r in data["results"] if (r["agency"], r["year"]) == (agency, year))
    indicators = {int(k): Decimal(v) for k, v in (result["indicators"] or {}).items()}
    items = {k: Decimal(v) for k, v in result.get("items", {}).items()}
    return indicators, items


@pytest.fixture(scope="module")
def s001_2568() -> tuple[dict[int, Decimal], dict[str, Decimal]]:
    return _demo_result("SAO-CHIANGPHIN", 2568)


def _ids(recs: list[Recommendation]) -> list[str]:
    return [r.id for r in recs]


# --- the packaged data ----------------------------------------------------------------------------


def test_library_loads_once_and_is_complete() -> None:
    lib = load_library()
    assert load_library() is lib
    assert set(lib.indicators) == set(range(1, 11))
    assert set(lib.tools) == {"IIT", "EIT", "OIT"}
    for group in (*lib.indicators.values(), *lib.tools.values()):
        assert 2 <= len(group) <= 4
    ids = [a.id for a in lib.all_advice()]
    assert len(ids) == len(set(ids))
    assert set(lib.item_files) == set(range(2562, 2570))
    for advice in lib.all_advice():
        assert advice.text and advice.source.startswith("S00")
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in advice.text), advice.id


def test_every_item_code_exists_in_its_years_framework() -> None:
    lib = load_library()
    assert lib.items
    for year, code in lib.items:
        assert code in get_framework(year).questions, (year, code)


def test_every_item_file_code_exists_in_its_framework_year() -> None:
    """Straight from the JSON, independent of the loader: each block's code in each of its years."""
    for path in sorted(RECOMMENDATION_DIR.glob("fy*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        base = get_framework(data["framework_year"])
        for block in data["items"]:
            years = block.get("years", data["applies_to"])
            assert block["code"] in base.questions, (path.name, block["code"])
            for year in years:
                assert block["code"] in get_framework(year).questions, (path.name, year, block["code"])


def test_item_numbering_that_changed_meaning_is_fenced_off() -> None:
    lib = load_library()
    # 2562's o42-o48 were a list of measures; 2567 renumbered the OIT (its o28 is a risk item).
    assert lib.for_item(2562, "o42") == ()
    assert lib.for_item(2563, "o42")
    assert lib.for_item(2567, "o28") == ()
    assert lib.for_item(2566, "o28")
    assert lib.for_item(2569, "o23") == lib.for_item(2568, "o23")


# --- ranking --------------------------------------------------------------------------------------


def test_s001_2568_zero_items_first_then_half_then_indicators(s001_2568: Any) -> None:
    indicators, items = s001_2568
    recs = recommend(2568, indicators, items, limit=30)
    priorities = [r.priority for r in recs]
    assert priorities == sorted(priorities)
    assert [r.target for r in recs if r.priority == PRIORITY_OIT_ZERO] == ["o23", "o5", "o12"]
    assert [r.target for r in recs if r.priority == PRIORITY_OIT_PARTIAL] == ["o22", "o6", "o13"]
    indicator_targets = [r.target for r in recs if r.priority == PRIORITY_INDICATOR]
    assert indicator_targets[:2] == ["10", "9"]  # 75.00 before 80.00
    assert set(indicator_targets) == {"9", "10"}
    assert {r.target for r in recs if r.priority == PRIORITY_OTHER} == {"OIT"}
    oit = next(r for r in recs if r.target == "OIT")
    assert oit.score == Decimal("77.50") and oit.reason == "OIT ได้ 77.50 ต่ำกว่าเป้าหมาย 85"
    assert len(_ids(recs)) == len(set(_ids(recs)))


def test_the_bribery_risk_example_for_2568(s001_2568: Any) -> None:
    indicators, items = s001_2568
    first = recommend(2568, indicators, items)[0]
    assert first.id == "fy2568-o23-bribery-risk"
    assert (first.target_kind, first.target, first.priority) == ("question", "o23", PRIORITY_OIT_ZERO)
    assert first.reason == "ข้อ o23 ได้ 0 คะแนน"
    assert first.score == 0
    for process in ("การอนุมัติ อนุญาต", "การใช้อำนาจตามกฎหมาย", "การจัดซื้อจัดจ้าง", "การบริหารงานบุคคล"):
        assert process in first.text
    assert "ผู้รับผิดชอบ" in first.text and "ติดตาม" in first.text
    assert len(first.action_steps) >= 3


def test_default_limit_is_five(s001_2568: Any) -> None:
    indicators, items = s001_2568
    recs = recommend(2568, indicators, items)
    assert len(recs) == 5
    assert recommend(2568, indicators, items, limit=1) == recs[:1]


def test_lowest_indicator_first_and_varied(s001_2568: Any) -> None:
    indicators, _ = _demo_result("BMA-TALINGCHAN", 2564)
    recs = recommend(2564, indicators)
    assert recs[0].target == "10"
    assert recs[0].reason == "ตัวชี้วัดที่ 10 ได้ 31.25 ต่ำกว่าเป้าหมาย 85"
    assert [r.target for r in recs] == ["10", "8", "6", "7", "2"]
    assert all(r.priority == PRIORITY_INDICATOR for r in recs)


def test_target_changes_what_is_weak() -> None:
    indicators, _ = _demo_result("SAO-BANGKHEM", 2563)
    assert recommend(2563, indicators)[0].priority == PRIORITY_MAINTAIN
    strict = recommend(2563, indicators, target=Decimal(90))
    assert [r.target for r in strict[:2]] == ["10", "9"]
    assert strict[0].reason == "ตัวชี้วัดที่ 10 ได้ 87.50 ต่ำกว่าเป้าหมาย 90"


def test_no_weakness_gives_keep_up_advice_for_lowest_indicators() -> None:
    indicators, _ = _demo_result("TM-KHOKSUNGSAMPHAN", 2566)
    recs = recommend(2566, indicators)
    assert all(r.priority == PRIORITY_MAINTAIN for r in recs)
    assert [r.target for r in recs[:4]] == ["6", "8", "7", "4"]
    assert recs[0].reason == "ตัวชี้วัดที่ 6 ได้ 94.86 ถึงเป้าหมาย 85 แล้ว ควรรักษามาตรฐาน"


def test_items_only_year() -> None:
    _, items = _demo_result("PAO-SAMUTSAKHON", 2563)
    recs = recommend(2563, {}, items, Decimal(95), limit=4)
    assert [r.target for r in recs] == ["o27", "o30", "e12", "e14"]
    assert recs[0].reason == "ข้อ o27 ได้ 0 คะแนน"
    assert recs[2].reason == "ข้อ e12 ได้ 86.79 ต่ำกว่าเป้าหมาย 95"
    assert [r.priority for r in recs] == [PRIORITY_OIT_ZERO, PRIORITY_OIT_ZERO, PRIORITY_OTHER, PRIORITY_OTHER]


def test_item_without_advice_falls_back_to_its_indicator() -> None:
    recs = recommend(2567, {}, {"O28": Decimal(0)}, limit=2)
    assert recs[0].target_kind == "indicator" and recs[0].target == "10"
    assert recs[0].reason == "ข้อ o28 ได้ 0 คะแนน"
    assert recs[0].id in {a.id for a in load_library().for_indicator(10)}


def test_empty_input_gives_general_advice() -> None:
    recs = recommend(2568, {})
    assert recs and all(r.priority == PRIORITY_MAINTAIN and r.score is None for r in recs)


def test_ties_are_stable() -> None:
    indicators = {n: Decimal(70) for n in range(1, 11)}
    recs = recommend(2566, indicators, limit=10)
    assert [r.target for r in recs] == [str(n) for n in range(1, 11)]
    assert recommend(2566, indicators, limit=10) == recs


# --- filters --------------------------------------------------------------------------------------


def test_indicator_filter(s001_2568: Any) -> None:
    indicators, items = s001_2568
    recs = recommend(2568, indicators, items, indicator=10, limit=10)
    assert [r.target for r in recs[:2]] == ["o23", "o22"]
    assert {r.target for r in recs[2:]} == {"10"}
    calm = recommend(2568, indicators, items, indicator=1)
    assert calm and all(r.target == "1" and r.priority == PRIORITY_MAINTAIN for r in calm)


def test_tool_filter(s001_2568: Any) -> None:
    indicators, items = s001_2568
    oit = recommend(2568, indicators, items, tool="oit", limit=30)
    assert all(r.target in {"9", "10", "OIT"} or r.target.startswith("o") for r in oit)
    iit = recommend(2568, indicators, items, tool="IIT")
    assert iit[0].target == "4"  # 91.18, the lowest IIT indicator
    assert {r.target for r in iit} <= {"1", "2", "3", "4", "5", "IIT"}
    s003, _ = _demo_result("BMA-TALINGCHAN", 2564)
    eit = recommend(2564, s003, tool="EIT", limit=20)
    assert [r.target for r in eit[:3]] == ["8", "6", "7"]
    assert "EIT" in {r.target for r in eit}


def test_question_filter(s001_2568: Any) -> None:
    indicators, items = s001_2568
    [rec] = recommend(2568, indicators, items, question="O23")
    assert rec.id == "fy2568-o23-bribery-risk" and rec.reason == "ข้อ o23 ได้ 0 คะแนน"
    fallback = recommend(2568, indicators, items, question="o1")
    assert fallback and {r.target for r in fallback} == {"9"}
    assert all(r.target_kind == "indicator" and r.priority == PRIORITY_MAINTAIN for r in fallback)
    [unscored] = recommend(2568, {}, question="o23")
    assert unscored.score is None and unscored.reason == "คำแนะนำสำหรับข้อ o23"


# --- input errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"indicators": {11: Decimal(50)}},
        {"indicators": {1: Decimal(101)}},
        {"indicators": {1: Decimal(-1)}},
        {"items": {"o99": Decimal(0)}},
        {"items": {"x1": Decimal(0)}},
        {"tool": "XIT"},
        {"indicator": 0},
        {"question": "o99"},
        {"limit": 0},
        {"target": Decimal(120)},
    ],
)
def test_bad_input(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"indicators": {}, **kwargs}
    with pytest.raises(ScoreInputError):
        recommend(2568, **args)


def test_unknown_year() -> None:
    with pytest.raises(UnknownYear):
        recommend(2550, {})


# --- validation of the data files ---------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "recommendations"
    shutil.copytree(RECOMMENDATION_DIR, target)
    return target


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_copy_of_the_data_loads(data_copy: Path) -> None:
    lib = load_library(data_copy)
    assert isinstance(lib, RecommendationLibrary)
    assert lib is not load_library()
    recs = recommend(2568, {}, {"o23": Decimal(0)}, library=lib)
    assert recs[0].id == "fy2568-o23-bribery-risk"


def _set(data: dict[str, Any], path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _delete(data: dict[str, Any], path: list[Any]) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("common.json", lambda d: _delete(d["indicators"], ["10"]), "common.json: indicators.10: missing"),
        ("common.json", lambda d: _set(d, ["indicators", "3", 0, "text"], " "), "indicators.3[0].text"),
        ("common.json", lambda d: _set(d, ["tools", "OIT"], d["tools"]["OIT"][:1]), "tools.OIT: expected 2-4"),
        ("common.json", lambda d: _set(d, ["indicators", "1", 0, "colour"], "red"), "indicators.1[0].colour"),
        ("common.json", lambda d: _set(d, ["indicators", "2", 0, "id"], "Bad Id"), "indicators.2[0].id"),
        (
            "common.json",
            lambda d: _set(d, ["indicators", "2", 0, "id"], d["indicators"]["1"][0]["id"]),
            "duplicate id",
        ),
        ("fy2568.json", lambda d: _set(d, ["items", 0, "code"], "o99"), "fy2568.json: items[0].code: o99"),
        ("fy2568.json", lambda d: _set(d, ["items", 0, "code"], "O5"), "items[0].code"),
        ("fy2568.json", lambda d: _set(d, ["applies_to"], [2567, 2568]), "fy2568.json: applies_to: FY2567"),
        ("fy2568.json", lambda d: _set(d, ["framework_year"], 2569), "fy2568.json: framework_year"),
        ("fy2568.json", lambda d: _set(d, ["items", 0, "years"], [2570]), "items[0].years"),
        (
            "fy2568.json",
            lambda d: _set(d, ["items", 1, "recommendations", 0, "id"], "ind1-service-manual"),
            "also in common.json",
        ),
        ("fy2566.json", lambda d: _delete(d["items"][0], ["years"]), "fy2566.json: items[0].code: e1 is not an item"),
        ("fy2563.json", lambda d: _set(d, ["items", 0, "recommendations"], []), "items[0].recommendations"),
    ],
)
def test_broken_files_name_file_and_field(data_copy: Path, file: str, change: Any, expected: str) -> None:
    _edit(data_copy / file, change)
    with pytest.raises(FrameworkError) as error:
        load_library(data_copy)
    assert expected in str(error.value)


def test_invalid_json_names_the_file(data_copy: Path) -> None:
    (data_copy / "fy2563.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"recommendations/fy2563\.json: not valid JSON"):
        load_library(data_copy)


def test_missing_common_file(data_copy: Path) -> None:
    (data_copy / "common.json").unlink()
    with pytest.raises(FrameworkError, match=r"common\.json: cannot read"):
        load_library(data_copy)


def test_module_is_pure() -> None:
    code = (
        "import sys, ita_core.recommendations as r; r.load_library(); "
        "bad = [m for m in ('flask', 'linebot', 'sqlalchemy', 'bot') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
