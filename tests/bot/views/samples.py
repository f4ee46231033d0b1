"""Realistic domain values for the reply views, built directly (no database).

S001 (อบต.เชียงพิณ 2567-2568) with item scores for 2568, a second agency with a very long Thai
name, a five-year trend, a ranking, and a list of ten recommendations.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from ita_core.analysis import AgencyYear, Analysis, Comparison, Trend, TrendPoint, analyse, change, compare
from ita_core.ranking import Rank, RankEntry
from ita_core.recommendations import Recommendation, recommend
from ita_core.scoring import score_indicators

LONG_NAME = "องค์การบริหารส่วนตำบลบ้านใหม่สามัคคีพัฒนาเจริญสุขเกษมสันต์"
S001_2567 = ["100", "93.33", "100", "97.78", "100", "99.56", "99.89", "98.89", "79.29", "100"]
S001_2568 = ["100", "100", "100", "91.18", "100", "99.87", "99.81", "99.81", "80.00", "75.00"]
LOW_2568 = ["82.15", "76.40", "88.00", "69.92", "90.10", "84.99", "79.35", "86.20", "45.50", "37.50"]

# 2568 OIT items: 9.x sub-indicators average to 80, 10.x to 75 (S001); a few IIT/EIT items.
ITEMS_2568 = {
    **{f"o{n}": "100" for n in range(1, 29)},
    "o6": "0", "o7": "50", "o10": "0", "o11": "50", "o13": "0", "o19": "50",
    "o23": "0", "o24": "50", "o27": "0", "o28": "50",
    "i10": "88.24", "i11": "91.18", "i12": "94.12",
    "e1": "99.80", "e4": "99.70", "e9": "99.93",
}  # fmt: skip


def _decimals(values: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in values.items()}


def agency_year(
    year: int,
    indicators: list[str],
    *,
    name: str = "องค์การบริหารส่วนตำบลเชียงพิณ",
    code: str = "SAO-CHIANGPHIN",
    items: dict[str, str] | None = None,
    sub_indicators: dict[str, str] | None = None,
    target: str | None = None,
    eit_parts: dict[str, str] | None = None,
) -> AgencyYear:
    """An AgencyYear with tools, overall and level computed by the real scoring engine."""
    scored = score_indicators(year, indicators, eit_parts)
    return AgencyYear(
        agency_code=code,
        agency_name=name,
        agency_type="อบต.",
        province="อุตรดิตถ์",
        district="เมืองอุตรดิตถ์",
        agency_target=Decimal(target) if target else None,
        year=year,
        indicators=dict(scored.indicators),
        tools={str(k): v for k, v in scored.tools.items()},
        overall=scored.overall,
        level=scored.level,
        eit_parts=dict(scored.eit_parts),
        sub_indicators=_decimals(sub_indicators or {}),
        items=_decimals(items or {}),
        source="test",
    )


def chiangphin_2567() -> AgencyYear:
    return agency_year(2567, S001_2567)


def chiangphin_2568() -> AgencyYear:
    subs = {"9.1": "100", "9.2": "50", "9.3": "50", "9.4": "100", "9.5": "87.50", "10.1": "66.67", "10.2": "70"}
    return agency_year(2568, S001_2568, items=ITEMS_2568, sub_indicators=subs)


def long_name_2568() -> AgencyYear:
    """Low scores, an agency target of 90, EIT parts, and items without titles."""
    return agency_year(
        2568,
        LOW_2568,
        name=LONG_NAME,
        code="SAO-LONG",
        items=ITEMS_2568,
        target="90",
        eit_parts={"EIT1": "82.00", "EIT2": "84.50"},
    )


def long_name_2567() -> AgencyYear:
    return agency_year(2567, ["85"] * 10, name=LONG_NAME, code="SAO-LONG")


def analysis(result: AgencyYear, target: str | None = None) -> Analysis:
    return analyse(result, Decimal(target) if target else None)


def comparison() -> Comparison:
    return compare(chiangphin_2567(), chiangphin_2568())


def long_comparison() -> Comparison:
    return compare(long_name_2567(), long_name_2568())


def trend_five_years(name: str = LONG_NAME) -> Trend:
    """2563 (letter scale) to 2567, then 2568 without indicators."""
    history = [
        agency_year(
            2563, ["100", "97.25", "99.88", "99.63", "100", "95.07", "94.98", "92.74", "88.78", "87.50"], name=name
        ),
        agency_year(2564, ["90"] * 10, name=name),
        agency_year(2565, ["90"] * 10, name=name),
        agency_year(2566, ["80", "85", "90", "95", "100", "70", "75", "80", "60", "50"], name=name),
        agency_year(2567, S001_2567, name=name),
    ]
    points = [TrendPoint(y.year, y.overall, y.level, y.tools, y.indicators) for y in history]
    points.append(TrendPoint(2568, Decimal("90.42"), "ผ่าน", {}, {}))
    changes = [change("overall", f"{a.year}→{b.year}", a.overall, b.overall) for a, b in pairwise(points)]
    return Trend("SAO-LONG", name, points, changes)


def rank(scope: str = "province", own_in_top: bool = False) -> Rank:
    names = [
        "เทศบาลตำบลบ้านด่านนาขาม",
        LONG_NAME,
        "องค์การบริหารส่วนตำบลงิ้วงาม",
        "เทศบาลเมืองอุตรดิตถ์",
        "องค์การบริหารส่วนตำบลผาจุก",
    ]
    scores = ["99.50", "98.75", "98.75", "97.10", "96.00"]
    top = [
        RankEntry(rank=r, code=f"A{i}", name=n, score=Decimal(s))
        for i, (r, n, s) in enumerate(zip([1, 2, 2, 4, 5], names, scores, strict=True))
    ]
    code = "A1" if own_in_top else "SAO-CHIANGPHIN"
    return Rank(
        agency_code=code,
        year=2568,
        scope=scope,  # type: ignore[arg-type]
        scope_value={"province": "อุตรดิตถ์", "district": "เมืองอุตรดิตถ์", "type": "อบต.", "national": None}[scope],
        rank=2 if own_in_top else 57,
        total=1234 if scope == "national" else 92,
        score=Decimal("98.75") if own_in_top else Decimal("90.42"),
        top=top,
    )


def recommendations_for(result: AgencyYear, **focus: object) -> list[Recommendation]:
    """The real recommendation engine's answer for a result."""
    return recommend(result.year, result.indicators, result.items, result.target, limit=10, **focus)  # type: ignore[arg-type]


def ten_long_recommendations() -> list[Recommendation]:
    """Ten pieces of advice with long Thai texts and many steps, every target kind."""
    text = (
        "จัดทำและเผยแพร่ข้อมูลให้ครบถ้วนตามเกณฑ์ของแต่ละข้อบนเว็บไซต์หลักของหน่วยงาน โดยระบุวันที่เผยแพร่ "
        "ผู้รับผิดชอบ และลิงก์ที่เข้าถึงได้จริง แล้วตรวจทานก่อนวันปิดระบบประเมินอย่างน้อยสองสัปดาห์ "
        "เพื่อไม่ให้เสียคะแนนจากลิงก์เสียหรือข้อมูลไม่เป็นปัจจุบัน"
    )
    steps = (
        "มอบหมายผู้รับผิดชอบรายข้อและกำหนดวันส่งงานที่ชัดเจน",
        "รวบรวมเอกสารหลักฐานและตรวจสอบความถูกต้องกับคู่มือการประเมินของปีนี้",
        "เผยแพร่บนเว็บไซต์และทดสอบลิงก์จากภายนอกหน่วยงาน",
        "ผู้บริหารลงนามรับรองและติดตามผลทุกเดือนจนปิดระบบ",
    )
    targets = [
        ("question", "o6", 1), ("question", "o10", 1), ("question", "o23", 1), ("question", "o7", 2),
        ("indicator", "10", 3), ("indicator", "9", 3), ("indicator", "4", 3),
        ("tool", "OIT", 4), ("question", "i10", 4), ("indicator", "1", 5),
    ]  # fmt: skip
    return [
        Recommendation(
            id=f"test-{n}",
            text=text,
            action_steps=steps,
            target_kind=kind,  # type: ignore[arg-type]
            target=target,
            reason=f"ข้อ {target} ได้ 0 คะแนน" if kind == "question" else f"{target} ต่ำกว่าเป้าหมาย 85",
            score=Decimal("0") if kind == "question" else Decimal("75.00"),
            priority=priority,
        )
        for n, (kind, target, priority) in enumerate(targets, start=1)
    ]


def reported_only() -> AgencyYear:
    """A year known only from a report's summary: overall, level and one tool, no indicators (S003)."""
    return AgencyYear(
        agency_code="PAO-SAMUTSAKHON",
        agency_name="องค์การบริหารส่วนจังหวัดสมุทรสาคร",
        agency_type="อบจ.",
        province="สมุทรสาคร",
        district=None,
        agency_target=Decimal(95),
        year=2563,
        indicators={},
        tools={"OIT": Decimal("95.50")},
        overall=Decimal("94.72"),
        level="A",
        eit_parts={},
        sub_indicators={},
        items={},
        source="test",
    )
