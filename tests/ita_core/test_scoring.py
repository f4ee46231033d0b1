"""The scoring engine must reproduce the official numbers of the seed reports exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ita_core.errors import ScoreInputError, UnknownYear
from ita_core.framework import get_framework
from ita_core.scoring import indicator_from_items, level_for, score_indicators, tool_label

D = Decimal

# seed, year, indicators 1-10, tools (IIT, EIT, OIT) or None, overall, level
SEED_RESULTS = [
    (
        "S000",
        2563,
        "100, 97.25, 99.88, 99.63, 100, 95.07, 94.98, 92.74, 88.78, 87.50",
        ("99.35", "94.26", "88.14"),
        "93.34",
        "A",
    ),
    ("S001", 2567, "100, 93.33, 100, 97.78, 100, 99.56, 99.89, 98.89, 79.29, 100", None, "95.16", "ผ่านดี"),
    ("S001", 2568, "100, 100, 100, 91.18, 100, 99.87, 99.81, 99.81, 80.00, 75.00", None, "90.42", "ผ่าน"),
    ("S002", 2566, "100, 100, 100, 99.45, 100, 94.86, 97.17, 96.85, 100, 100", None, "98.85", "ผ่านดีเยี่ยม"),
    ("S003", 2564, "87.93, 66.33, 78.94, 69.13, 77.81, 58.74, 64.09, 58.59, 93.78, 31.25", None, "65.96", "C"),
]


@pytest.mark.parametrize(("seed", "year", "values", "tools", "overall", "level"), SEED_RESULTS)
def test_seed_results_reproduced_exactly(
    seed: str, year: int, values: str, tools: tuple[str, str, str] | None, overall: str, level: str
) -> None:
    result = score_indicators(year, [v.strip() for v in values.split(",")])
    assert result.overall == D(overall), seed
    assert result.level == level, seed
    if tools is not None:
        assert (result.tools["IIT"], result.tools["EIT"], result.tools["OIT"]) == tuple(D(t) for t in tools)


def test_s002_needs_rounded_tool_scores() -> None:
    # Unrounded means give exactly 98.855, which half-up would make 98.86; the report says 98.85.
    result = score_indicators(2566, [100, 100, 100, "99.45", 100, "94.86", "97.17", "96.85", 100, 100])
    assert result.tools["EIT"] == D("96.29")
    assert result.overall == D("98.85")


def test_tool_scores_round_half_up() -> None:
    # S001 2567: OIT mean 89.645 rounds half-up to 89.65 (banker's rounding would give 89.64).
    result = score_indicators(2567, [100, "93.33", 100, "97.78", 100, "99.56", "99.89", "98.89", "79.29", 100])
    assert result.tools["OIT"] == D("89.65")


def test_thai_digits_and_strings_accepted() -> None:
    result = score_indicators(
        2563, ["๑๐๐", "๙๗.๒๕", "99.88", "99.63", "100", "95.07", "94.98", "92.74", "88.78", "87.5"]
    )
    assert result.overall == D("93.34")


@pytest.mark.parametrize(
    ("overall", "tools", "parts", "expected"),
    [
        ("95.00", ("95", "95", "95"), None, "ผ่านดีเยี่ยม"),
        ("96.00", ("99", "96", "94.99"), None, "ผ่านดี"),
        ("96.00", ("99", "96", "99"), {"EIT1": "94.99", "EIT2": "100"}, "ผ่านดี"),
        ("96.00", ("99", "96", "99"), {"EIT1": "95", "EIT2": "100"}, "ผ่านดีเยี่ยม"),
        ("90.00", ("99", "96", "84.99"), None, "ผ่าน"),
        ("90.00", ("99", "96", "99"), {"EIT1": "84.99", "EIT2": "100"}, "ผ่าน"),
        ("84.99", ("99", "99", "99"), None, "ไม่ผ่าน"),
        ("85.00", ("85", "85", "85"), None, "ผ่านดี"),
    ],
)
def test_pass_levels(overall: str, tools: tuple[str, str, str], parts: dict[str, str] | None, expected: str) -> None:
    framework = get_framework(2568)
    tool_map = {"IIT": D(tools[0]), "EIT": D(tools[1]), "OIT": D(tools[2])}
    part_map = {k: D(v) for k, v in (parts or {}).items()}
    assert level_for(framework, D(overall), tool_map, part_map) == expected


@pytest.mark.parametrize(
    ("overall", "expected"),
    [
        ("95", "AA"),
        ("94.99", "A"),
        ("85", "A"),
        ("84.99", "B"),
        ("75", "B"),
        ("65", "C"),
        ("55", "D"),
        ("50", "E"),
        ("49.99", "F"),
        ("0", "F"),
        ("100", "AA"),
    ],
)
def test_letter_levels(overall: str, expected: str) -> None:
    framework = get_framework(2564)
    tools = {"IIT": D(90), "EIT": D(90), "OIT": D(90)}
    assert level_for(framework, D(overall), tools) == expected


def test_eit_parts_used_from_2566() -> None:
    values = [100] * 10
    assert score_indicators(2568, values, {"EIT1": "94", "EIT2": "100"}).level == "ผ่านดี"
    assert score_indicators(2568, values).level == "ผ่านดีเยี่ยม"
    with pytest.raises(ScoreInputError, match="no EIT parts"):
        score_indicators(2563, values, {"EIT1": "94"})


def test_tool_labels() -> None:
    assert tool_label(D("99.35")) == "ยอดเยี่ยม"
    assert tool_label(D("94.26")) == "ดี"
    assert tool_label(D("88.14")) == "ดี"
    assert tool_label(D("84.99")) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([100] * 9, "expected 10"),
        ([100] * 9 + [101], "outside 0-100"),
        ([100] * 9 + [-1], "outside 0-100"),
        ([100] * 9 + ["abc"], "not a number"),
        ([100] * 9 + [""], "empty"),
    ],
)
def test_bad_inputs(values: list[object], message: str) -> None:
    with pytest.raises(ScoreInputError, match=message):
        score_indicators(2568, values)


def test_unknown_year() -> None:
    with pytest.raises(UnknownYear) as info:
        score_indicators(2560, [100] * 10)
    assert 2568 in info.value.known


def test_year_2569_follows_2568() -> None:
    assert score_indicators(2569, [100, 100, 100, "91.18", 100, "99.87", "99.81", "99.81", 80, 75]).overall == D(
        "90.42"
    )


def test_iit_indicator_is_mean_of_items() -> None:
    # S000 (2563): e11-e15 average to the reported indicator 8 of 92.74.
    framework = get_framework(2563)
    items = {"e11": D("93.91"), "e12": D("89.11"), "e13": D("99.02"), "e14": D("88.79"), "e15": D("92.88")}
    assert indicator_from_items(framework, 8, items) == D("92.74")


def test_oit_indicator_is_mean_of_sub_indicator_means() -> None:
    # S001 (2568): o21 100, o22 50, o23 0, o24-o28 100 give the reported indicator 10 of 75.00
    # (10.1 = 50, 10.2 = 100); a plain mean of the eight items would give 81.25.
    framework = get_framework(2568)
    items = {"o21": D(100), "o22": D(50), "o23": D(0)} | {f"o{n}": D(100) for n in range(24, 29)}
    assert indicator_from_items(framework, 10, items) == D("75.00")
    del items["o23"]
    assert indicator_from_items(framework, 10, items) is None


def test_as_json_matches_contract() -> None:
    doc = score_indicators(
        2563, [100, "97.25", "99.88", "99.63", 100, "95.07", "94.98", "92.74", "88.78", "87.50"]
    ).as_json()
    assert doc == {"year": 2563, "tools": {"IIT": 99.35, "EIT": 94.26, "OIT": 88.14}, "overall": 93.34, "level": "A"}
