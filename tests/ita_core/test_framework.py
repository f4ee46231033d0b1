"""Tests for ita_core/framework.py: the per-year framework files and their loader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ita_core import framework
from ita_core.errors import FrameworkError, UnknownYear
from ita_core.framework import (
    FRAMEWORK_DIR,
    TOOLS,
    clear_framework_cache,
    framework_years,
    get_framework,
    load_framework_file,
    normalize_question_code,
)

FILE_YEARS = tuple(range(2562, 2569))
ALL_YEARS = tuple(range(2562, 2571))


def codes(prefix: str, first: int, last: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(first, last + 1)]


# --- every year ---------------------------------------------------------------------------------


def test_framework_years() -> None:
    assert framework_years() == ALL_YEARS


@pytest.mark.parametrize("year", FILE_YEARS)
def test_each_file_loads_directly(year: int) -> None:
    fw = load_framework_file(FRAMEWORK_DIR / f"fy{year}.json")
    assert fw.year == fw.data_year == year


@pytest.mark.parametrize("year", FILE_YEARS)
def test_files_are_utf8_with_thai_unescaped(year: int) -> None:
    text = (FRAMEWORK_DIR / f"fy{year}.json").read_text(encoding="utf-8")
    assert "การเปิดเผยข้อมูล" in text
    assert "\\u0e" not in text


@pytest.mark.parametrize("year", ALL_YEARS)
def test_every_year_has_ten_indicators_and_weights(year: int) -> None:
    fw = get_framework(year)
    assert fw.year == year
    assert [ind.number for ind in fw.indicators] == list(range(1, 11))
    assert fw.weights == {"IIT": Decimal("0.30"), "EIT": Decimal("0.30"), "OIT": Decimal("0.40")}
    assert sum(fw.weights.values()) == 1
    assert set(fw.tool_names) == set(TOOLS)


@pytest.mark.parametrize("year", ALL_YEARS)
def test_indicator_to_tool_mapping(year: int) -> None:
    fw = get_framework(year)
    assert fw.tool_indicators("IIT") == (1, 2, 3, 4, 5)
    assert fw.tool_indicators("EIT") == (6, 7, 8)
    assert fw.tool_indicators("OIT") == (9, 10)
    assert fw.indicator(9).name == "การเปิดเผยข้อมูล"
    assert fw.indicator(10).name == "การป้องกันการทุจริต"


@pytest.mark.parametrize("year", ALL_YEARS)
def test_scale_and_eit_parts_by_year(year: int) -> None:
    fw = get_framework(year)
    if year <= 2565:
        assert fw.scale == "letter"
        assert [(b.level, b.minimum) for b in fw.letter_bands] == [
            ("AA", Decimal(95)),
            ("A", Decimal(85)),
            ("B", Decimal(75)),
            ("C", Decimal(65)),
            ("D", Decimal(55)),
            ("E", Decimal(50)),
            ("F", Decimal(0)),
        ]
        assert not fw.eit_parts
        assert fw.tool_names["OIT"] == "แบบตรวจการเปิดเผยข้อมูลสาธารณะ"
    else:
        assert fw.scale == "pass_levels"
        assert fw.letter_bands == ()
        assert fw.eit_parts
        assert set(fw.eit_part_names) == {"1", "2"}
        assert fw.tool_names["OIT"] == "แบบวัดการเปิดเผยข้อมูลสาธารณะ"


@pytest.mark.parametrize("year", FILE_YEARS)
def test_items_carry_confidence_and_sources(year: int) -> None:
    fw = get_framework(year)
    assert fw.questions, "every year has at least some known items"
    for code, q in fw.questions.items():
        assert code == q.code == q.code.lower()
        assert q.sources
        assert q.confidence in ("high", "medium", "low")
        # A paraphrase never poses as the official wording.
        assert q.title is None or not q.title.startswith(("[", "("))
    for ind in fw.indicators:
        assert ind.sources
        for sub in ind.sub_indicators:
            assert sub.sources
            assert all(fw.questions[c].sub_indicator == sub.code for c in sub.questions)


def test_year_confidence_follows_the_reference() -> None:
    assert get_framework(2565).confidence == "low"  # mostly unverified
    assert get_framework(2567).confidence == "low"  # OIT list from one demo schema
    assert get_framework(2568).confidence == "high"
    assert all(q.confidence == "low" for q in get_framework(2567).tool_questions("OIT"))


# --- following years and unknown years ---------------------------------------------------------


@pytest.mark.parametrize("year", [2569, 2570])
def test_later_years_follow_2568(year: int) -> None:
    fw = get_framework(year)
    base = get_framework(2568)
    assert fw.year == year
    assert fw.data_year == 2568
    assert fw.follows_earlier_year
    assert not base.follows_earlier_year
    assert fw.indicators == base.indicators
    assert fw.questions == base.questions
    assert fw.scale == base.scale == "pass_levels"
    assert fw.confidence == "low"
    assert "fy2568.json" in fw.notes[0]


@pytest.mark.parametrize("year", [2560, 2561, 2571, 2600])
def test_unknown_year_lists_known_years(year: int) -> None:
    with pytest.raises(UnknownYear) as info:
        get_framework(year)
    assert info.value.year == year
    assert info.value.known == ALL_YEARS
    assert "2562" in str(info.value)
    assert "2569" in str(info.value)


# --- 2568 as S001 shows it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        (1, codes("i", 1, 3)),
        (2, codes("i", 4, 6)),
        (3, codes("i", 7, 9)),
        (4, codes("i", 10, 12)),
        (5, codes("i", 13, 15)),
        (6, codes("e", 1, 3)),
        (7, codes("e", 4, 6)),
        (8, codes("e", 7, 9)),
        (9, codes("o", 1, 20)),
        (10, codes("o", 21, 28)),
    ],
)
def test_2568_item_ranges_from_s001(indicator: int, expected: list[str]) -> None:
    fw = get_framework(2568)
    assert [q.code for q in fw.indicator_questions(indicator)] == expected


def test_2568_indicator_10_sub_indicators() -> None:
    fw = get_framework(2568)
    assert fw.sub_indicator("10.1").questions == tuple(codes("o", 21, 23))
    assert fw.sub_indicator("10.2").questions == tuple(codes("o", 24, 28))
    assert fw.sub_indicator("10.1").name == "การดำเนินการเพื่อป้องกันการทุจริตในประเด็นสินบน"
    assert fw.sub_indicator("9.3").questions == ("o12", "o13")


def test_2568_o23_is_the_bribery_risk_assessment() -> None:
    o23 = get_framework(2568).question("o23")
    assert o23.title == "การประเมินความเสี่ยงที่อาจเกิดการให้หรือรับสินบนจากการดำเนินงานตามภารกิจของหน่วยงาน"
    assert (o23.indicator, o23.sub_indicator, o23.confidence) == (10, "10.1", "high")
    assert any(source.startswith("S001") for source in o23.sources)


def test_2568_unknown_titles_stay_null() -> None:
    fw = get_framework(2568)
    for code in ("o2", "o6", "o7", "o27", "o28"):
        assert fw.question(code).title is None


def test_topic_paraphrase_is_kept_apart_from_title() -> None:
    e9 = get_framework(2568).question("e9")
    assert e9.title is None
    assert e9.topic is not None and "E-Service" in e9.topic


def test_2565_structure_is_marked_as_assumed() -> None:
    fw = get_framework(2565)
    assert fw.question("o29").title == "แนวปฏิบัติการจัดการเรื่องร้องเรียนการทุจริตและประพฤติมิชอบ"
    others = [q for q in fw.questions.values() if q.code != "o29"]
    assert all(q.title is None and q.inferred and q.confidence == "low" for q in others)
    assert all(sub.questions_inferred for ind in fw.indicators for sub in ind.sub_indicators)


# --- names, aliases and codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("การใช้อำนาจหน้าที่", 3),
        ("การใช้อำนาจ", 3),
        ("การใช้ อำนาจ", 3),
        ("การแก้ปัญหาการทุจริต", 5),
        ("การแก้ไขปัญหาการทุจริต", 5),
        ("การปรับปรุงการทำงาน", 8),
        ("การปรับปรุงระบบการทำงาน", 8),
        ("การใช้ทรัพย์สินของทางราชการ", 4),
        ("การเปิดเผยข้อมูล", 9),
    ],
)
def test_find_indicator_by_name_or_alias(text: str, number: int) -> None:
    for year in (2563, 2568):
        found = get_framework(year).find_indicator(text)
        assert found is not None and found.number == number


@pytest.mark.parametrize("text", ["การใช้จ่ายเงิน", "การให้บริการประชาชน", "การใช้ทรัพยากรของราชการ", "คะแนน"])
def test_scrambled_seed_labels_are_not_aliases(text: str) -> None:
    assert get_framework(2568).find_indicator(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("o23", "o23"), ("O23", "o23"), ("o 23", "o23"), ("O๒๓", "o23"), ("O023", "o23"), ("i1", "i1")],
)
def test_question_codes_are_normalised(text: str, code: str) -> None:
    assert normalize_question_code(text) == code
    assert get_framework(2568).question(text).code == code


@pytest.mark.parametrize("text", ["o0", "x1", "o", "23", "oo1"])
def test_not_question_codes(text: str) -> None:
    assert normalize_question_code(text) is None


def test_missing_question_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        get_framework(2568).question("o29")


# --- caching ------------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    clear_framework_cache()
    yield
    clear_framework_cache()


@pytest.mark.usefixtures("fresh_cache")
def test_files_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real = framework.load_framework_file

    def counting(path: Path | str) -> framework.Framework:
        read.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(framework, "load_framework_file", counting)
    first = get_framework(2568)
    assert get_framework(2568) is first
    following = get_framework(2569)
    assert get_framework(2569) is following
    assert following.questions is first.questions
    get_framework(2563)
    assert read == ["fy2568.json", "fy2563.json"]


# --- broken files -------------------------------------------------------------------------------


def original(year: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FRAMEWORK_DIR / f"fy{year}.json").read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: object, name: str = "fy2568.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def set_at(data: Any, path: tuple[str | int, ...], value: object) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def delete_at(data: Any, path: tuple[str | int, ...]) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


# In fy2568.json: questions[0..14] = i1..i15, [15..23] = e1..e9, [24..51] = o1..o28;
# indicators[8] is indicator 9, whose sub_indicators[0] is 9.1 (o1-o4).
SET = "set"
DELETE = "delete"
BROKEN_2568: list[tuple[str, tuple[str | int, ...], object, str]] = [
    (SET, ("indicators", 3, "tool"), "XIT", "indicators[3].tool: 'XIT' is not one of IIT, EIT, OIT"),
    (DELETE, ("fiscal_year",), None, "fiscal_year: missing required field"),
    (SET, ("fiscal_year",), "2568", "fiscal_year: expected an integer, got a string"),
    (SET, ("fiscal_year",), 2567, "fiscal_year: 2567 does not match the file name"),
    (SET, ("scale",), "grades", "scale: 'grades' is not one of letter, pass_levels"),
    (SET, ("indicators", 9, "number"), 11, "indicators[9].number: expected indicator 10 here"),
    (SET, ("indicators", 0, "name"), "", "indicators[0].name: must not be empty"),
    (DELETE, ("indicators", 2, "sources"), None, "indicators[2].sources: missing required field"),
    (SET, ("indicators", 8, "sub_indicators", 0, "code"), "10.1", "indicators[8].sub_indicators[0].code"),
    (
        SET,
        ("indicators", 8, "sub_indicators", 0, "questions", 3),
        "o99",
        "indicators[8].sub_indicators[0].questions[3]: 'o99' is not in questions",
    ),
    (
        SET,
        ("indicators", 8, "sub_indicators", 0, "confidence"),
        "sure",
        "indicators[8].sub_indicators[0].confidence: 'sure' is not one of high, medium, low",
    ),
    (SET, ("questions", 0, "indicator"), 12, "questions[0].indicator: 12 is not an indicator (1-10)"),
    (
        SET,
        ("questions", 0, "confidence"),
        "certain",
        "questions[0].confidence: 'certain' is not one of high, medium, low",
    ),
    (SET, ("questions", 1, "code"), "i1", "questions[1].code: duplicate code 'i1'"),
    (SET, ("questions", 0, "code"), "I1", "questions[0].code: 'I1' is not a lower-case item code"),
    (SET, ("questions", 0, "code"), "o99", "questions[0].code: 'o99' does not start with 'i'"),
    (SET, ("questions", 15, "indicator"), 1, "questions[15].tool: 'EIT' but indicator 1 belongs to IIT"),
    (
        SET,
        ("questions", 24, "sub_indicator"),
        "9.9",
        "questions[24].sub_indicator: '9.9' is not a sub-indicator of indicator 9",
    ),
    (SET, ("questions", 24, "sub_indicator"), None, "questions[24].sub_indicator: indicator 9 has sub-indicators"),
    (
        SET,
        ("questions", 24, "sub_indicator"),
        "9.2",
        "indicators[8].sub_indicators[0].questions[0]: 'o1' names sub_indicator '9.2'",
    ),
    (SET, ("questions", 24, "title"), "[topic] โครงสร้าง", "questions[24].title: a paraphrase is not a title"),
    (SET, ("questions", 24, "titel"), "x", "questions[24].titel: unexpected field"),
    (SET, ("questions", 24, "sources"), [], "questions[24].sources: must not be empty"),
    (SET, ("questions", 24, "inferred"), "no", "questions[24].inferred: expected true or false"),
    (SET, ("weights", "OIT"), "0.30", "weights: weights sum to 0.90, not 1"),
    (SET, ("weights", "IIT"), 0.3, 'weights.IIT: expected a decimal string such as "0.30", got a number'),
    (SET, ("weights", "EIT"), "abc", "weights.EIT: 'abc' is not a decimal number"),
    (DELETE, ("tool_names", "EIT"), None, "tool_names.EIT: missing required field"),
    (SET, ("letter_bands",), [{"level": "AA", "minimum": "95"}], "letter_bands: only a letter scale has bands"),
    (DELETE, ("eit_part_names",), None, "eit_part_names: missing required field (eit_parts is true)"),
    (SET, ("confidence",), "unknown", "confidence: 'unknown' is not one of high, medium, low"),
]


@pytest.mark.parametrize(("action", "path", "value", "message"), BROKEN_2568)
def test_broken_file_names_file_and_field(
    tmp_path: Path, action: str, path: tuple[str | int, ...], value: object, message: str
) -> None:
    data = original(2568)
    if action == SET:
        set_at(data, path, value)
    else:
        delete_at(data, path)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(write(tmp_path, data))
    assert str(info.value).startswith("fy2568.json: ")
    assert message in str(info.value)


def test_indicator_list_must_be_exactly_ten(tmp_path: Path) -> None:
    data = original(2568)
    del data["indicators"][9]
    data["questions"] = [q for q in data["questions"] if q["indicator"] != 10]
    with pytest.raises(FrameworkError, match=r"^fy2568\.json: indicators: expected exactly 10 indicators"):
        load_framework_file(write(tmp_path, data))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("letter_bands"), "letter_bands: missing required field (scale is 'letter')"),
        (lambda d: d["letter_bands"][2].update(minimum="90"), "letter_bands[2].minimum: bands must go from highest"),
        (
            lambda d: d["letter_bands"][6].update(minimum="10"),
            "letter_bands[6].minimum: the lowest band must start at 0",
        ),
        (lambda d: d["letter_bands"][1].update(level="AA"), "letter_bands[1].level: duplicate level 'AA'"),
        (lambda d: d["letter_bands"][0].update(minimum="101"), "letter_bands[0].minimum: 101 is outside 0-100"),
        (lambda d: d.update(eit_part_names={"1": "x", "2": "y"}), "eit_part_names: only a year with eit_parts"),
    ],
)
def test_broken_letter_year(tmp_path: Path, mutate: Any, message: str) -> None:
    data = original(2563)
    mutate(data)
    with pytest.raises(FrameworkError) as info:
        load_framework_file(write(tmp_path, data, "fy2563.json"))
    assert str(info.value).startswith("fy2563.json: ")
    assert message in str(info.value)


def test_invalid_json_names_file(tmp_path: Path) -> None:
    path = tmp_path / "fy2568.json"
    path.write_text('{"fiscal_year": 2568,', encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"^fy2568\.json: not valid JSON: line 1"):
        load_framework_file(path)


def test_missing_file_names_file(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match=r"^fy2599\.json: cannot read"):
        load_framework_file(tmp_path / "fy2599.json")


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match=r"^fy2568\.json: \(top level\): expected an object, got a list"):
        load_framework_file(write(tmp_path, []))


def test_a_valid_copy_loads_under_another_name(tmp_path: Path) -> None:
    fw = load_framework_file(write(tmp_path, original(2568), "draft.json"))
    assert fw.year == 2568
