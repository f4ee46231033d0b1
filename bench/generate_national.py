"""Generate a national-size ITA dataset: about 8,300 agencies × fiscal years 2562-2568, with item scores.

The output is in the project's own import formats (docs: ``ita import``), so it is loaded through
the real importer:

    bench/out/agencies.csv          code,name,type,province,district,target
    bench/out/results_2562.csv      one row per agency: indicators, reported tools/overall/level, items
    ...
    bench/out/manifest.json         what was generated (seed, counts, files)

The data is synthetic but shaped like the real assessment:

- the agency mix of the national round (mostly อบต. and เทศบาลตำบล, a few เทศบาลเมือง/นคร, one
  อบจ. and one provincial office per province, Bangkok's district offices, central agencies);
- the 77 real provinces, weighted roughly by their number of local administrations; the เมือง
  district of each province and Bangkok's 50 districts are real names, other district and tambon
  names are made up from common place-name parts;
- for every agency-year all ten indicator scores and a score for every item code of that year's
  framework: IIT/EIT items continuous with two decimals, OIT items 0, 50 or 100. Indicators that
  have items are derived from them with the engine's own rule, so they are consistent; the reported
  tool scores, overall score and level are the engine's, so an import reports no mismatches.

Everything is drawn from seeded generators: the same arguments give byte-identical files.

    .venv/bin/python -m bench.generate_national                 # the national dataset
    .venv/bin/python -m bench.generate_national --agencies 20 --years 2567-2568 --out /tmp/small
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ita_core.fileio import AGENCY_FIELDS, FORMATS, write_records
from ita_core.framework import Framework, get_framework
from ita_core.scoring import indicator_from_items, level_for, overall_score, tool_scores

DEFAULT_OUT = Path(__file__).parent / "out"
DEFAULT_SEED = 2568
DEFAULT_AGENCIES = 8300
DEFAULT_YEARS = tuple(range(2562, 2569))
BANGKOK = "กรุงเทพมหานคร"

# The 77 provinces with a rough number of local administrations each (the weight used to place
# local agencies). Bangkok has none of the ordinary kinds: it is one special administration with
# 50 district offices.
PROVINCES: tuple[tuple[str, int], ...] = (
    # North
    ("เชียงใหม่", 211), ("เชียงราย", 143), ("ลำปาง", 100), ("ลำพูน", 57), ("แม่ฮ่องสอน", 45),
    ("น่าน", 99), ("พะเยา", 77), ("แพร่", 82), ("อุตรดิตถ์", 78), ("ตาก", 65), ("สุโขทัย", 86),
    ("พิษณุโลก", 102), ("พิจิตร", 89), ("กำแพงเพชร", 86), ("เพชรบูรณ์", 125), ("นครสวรรค์", 143),
    ("อุทัยธานี", 61),
    # Northeast
    ("นครราชสีมา", 333), ("ขอนแก่น", 225), ("อุดรธานี", 177), ("บุรีรัมย์", 208), ("สุรินทร์", 172),
    ("ศรีสะเกษ", 206), ("อุบลราชธานี", 239), ("ร้อยเอ็ด", 202), ("มหาสารคาม", 142), ("กาฬสินธุ์", 151),
    ("ชัยภูมิ", 140), ("ยโสธร", 88), ("อำนาจเจริญ", 63), ("สกลนคร", 139), ("นครพนม", 103),
    ("มุกดาหาร", 53), ("เลย", 98), ("หนองคาย", 62), ("หนองบัวลำภู", 66), ("บึงกาฬ", 57),
    # Central, East and West
    (BANGKOK, 0), ("นนทบุรี", 46), ("ปทุมธานี", 60), ("สมุทรปราการ", 49), ("สมุทรสาคร", 40),
    ("สมุทรสงคราม", 36), ("นครปฐม", 116), ("พระนครศรีอยุธยา", 158), ("อ่างทอง", 63), ("ลพบุรี", 123),
    ("สิงห์บุรี", 41), ("ชัยนาท", 66), ("สระบุรี", 108), ("นครนายก", 45), ("ปราจีนบุรี", 65),
    ("สระแก้ว", 60), ("ฉะเชิงเทรา", 104), ("ชลบุรี", 100), ("ระยอง", 68), ("จันทบุรี", 76), ("ตราด", 38),
    ("กาญจนบุรี", 115), ("ราชบุรี", 105), ("สุพรรณบุรี", 124), ("เพชรบุรี", 93), ("ประจวบคีรีขันธ์", 64),
    # South
    ("ชุมพร", 78), ("ระนอง", 30), ("สุราษฎร์ธานี", 138), ("พังงา", 51), ("ภูเก็ต", 19), ("กระบี่", 61),
    ("นครศรีธรรมราช", 185), ("ตรัง", 98), ("พัทลุง", 73), ("สงขลา", 141), ("สตูล", 39), ("ปัตตานี", 113),
    ("ยะลา", 58), ("นราธิวาส", 88),
)  # fmt: skip

BANGKOK_DISTRICTS = (
    "พระนคร", "ดุสิต", "หนองจอก", "บางรัก", "บางเขน", "บางกะปิ", "ปทุมวัน", "ป้อมปราบศัตรูพ่าย",
    "พระโขนง", "มีนบุรี", "ลาดกระบัง", "ยานนาวา", "สัมพันธวงศ์", "พญาไท", "ธนบุรี", "บางกอกใหญ่",
    "ห้วยขวาง", "คลองสาน", "ตลิ่งชัน", "บางกอกน้อย", "บางขุนเทียน", "ภาษีเจริญ", "หนองแขม", "ราษฎร์บูรณะ",
    "บางพลัด", "ดินแดง", "บึงกุ่ม", "สาทร", "บางซื่อ", "จตุจักร", "บางคอแหลม", "ประเวศ", "คลองเตย",
    "สวนหลวง", "จอมทอง", "ดอนเมือง", "ราชเทวี", "ลาดพร้าว", "วัฒนา", "บางแค", "หลักสี่", "สายไหม",
    "คันนายาว", "สะพานสูง", "วังทองหลาง", "คลองสามวา", "บางนา", "ทวีวัฒนา", "ทุ่งครุ", "บางบอน",
)  # fmt: skip

# Common parts of Thai place names, for made-up district and tambon names.
PLACE_HEADS = (
    "หนอง", "บ้าน", "โคก", "นา", "ดอน", "ห้วย", "ท่า", "บาง", "วัง", "สระ", "คลอง", "โนน", "ทุ่ง", "เขา",
    "ป่า", "บึง", "แม่", "เวียง", "ลำ", "หัว", "ดง", "โพธิ์", "ศรี", "นาง",
)  # fmt: skip
PLACE_TAILS = (
    "ใหญ่", "บัว", "ทอง", "แดง", "หลวง", "ใหม่", "กลาง", "ยาง", "ไผ่", "แก", "ขาม", "สูง", "งาม", "เจริญ",
    "สะอาด", "ตะเคียน", "มะม่วง", "จาน", "เรือ", "ช้าง", "แสง", "หิน", "ขาว", "ทราย", "พัฒนา", "สวรรค์",
    "ศิลา", "น้ำใส", "โพธิ์", "แก้ว",
)  # fmt: skip
CENTRAL_TOPICS = (
    "การเกษตร", "การค้า", "แรงงาน", "ที่ดิน", "ทรัพยากรน้ำ", "ป่าไม้", "ประมง", "ปศุสัตว์", "ทางหลวง",
    "การท่องเที่ยว", "วัฒนธรรม", "การศึกษา", "สาธารณสุข", "พลังงาน", "อุตสาหกรรม", "การคลัง", "ศุลกากร",
    "สรรพากร", "การขนส่ง", "ชลประทาน", "อุตุนิยมวิทยา", "วิทยาศาสตร์", "ดิจิทัล", "สหกรณ์", "การพัฒนาชุมชน",
    "ผังเมือง", "ทรัพย์สินทางปัญญา", "การกีฬา", "ความมั่นคง", "การต่างประเทศ",
)  # fmt: skip
CENTRAL_VERBS = ("", "ส่งเสริม", "พัฒนา", "กำกับ", "บริหาร", "คุ้มครอง")


@dataclass(frozen=True)
class AgencyKind:
    """One kind of agency in the national mix."""

    type: str
    code_prefix: str
    name_prefix: str
    count: int  # in the national round of about 8,300 agencies
    placement: str  # "local" (by province weight), "province" (one per province), "bangkok", "central", "special"
    quality: float  # offset of the kind's typical scores, in standard deviations


KINDS: tuple[AgencyKind, ...] = (
    AgencyKind("อบต.", "SAO", "องค์การบริหารส่วนตำบล", 5300, "local", -0.15),
    AgencyKind("เทศบาลตำบล", "TM", "เทศบาลตำบล", 2200, "local", 0.0),
    AgencyKind("เทศบาลเมือง", "TMM", "เทศบาลเมือง", 195, "local", 0.2),
    AgencyKind("เทศบาลนคร", "TN", "เทศบาลนคร", 30, "local", 0.3),
    AgencyKind("อบจ.", "PAO", "องค์การบริหารส่วนจังหวัด", 76, "province", 0.2),
    AgencyKind("จังหวัด", "PROV", "จังหวัด", 76, "province", 0.4),
    AgencyKind("สำนักงานเขต", "BMA", "สำนักงานเขต", 50, "bangkok", 0.3),
    AgencyKind("ราชการส่วนท้องถิ่นรูปแบบพิเศษ", "SPECIAL", "", 2, "special", 0.3),
    AgencyKind("กรม", "DEPT", "กรม", 160, "central", 0.6),
    AgencyKind("รัฐวิสาหกิจ", "SOE", "การ", 55, "central", 0.5),
    AgencyKind("องค์การมหาชน", "PO", "สำนักงานส่งเสริม", 60, "central", 0.5),
    AgencyKind("สถาบันอุดมศึกษา", "UNIV", "มหาวิทยาลัย", 83, "university", 0.4),
    AgencyKind("องค์กรอิสระ", "IND", "สำนักงาน", 13, "central", 0.6),
)


@dataclass(frozen=True)
class GeneratedAgency:
    """An agency row, plus the hidden quality its scores are drawn around."""

    code: str
    name: str
    type: str
    province: str
    district: str
    target: str | None
    quality: float

    def as_row(self) -> dict[str, Any]:
        """The agencies-file row."""
        return {
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "province": self.province,
            "district": self.district,
            "target": self.target,
        }


def kind_counts(total: int) -> dict[str, int]:
    """How many agencies of each kind for ``total`` agencies (the national mix, scaled)."""
    national = sum(kind.count for kind in KINDS)
    caps = {"province": len(PROVINCES) - 1, "bangkok": len(BANGKOK_DISTRICTS), "special": 2}
    exact = {kind.type: kind.count * total / national for kind in KINDS}
    counts = {name: math.floor(value) for name, value in exact.items()}
    # Largest remainders get the agencies that flooring left over.
    for name in sorted(exact, key=lambda n: (counts[n] - exact[n], n))[: total - sum(counts.values())]:
        counts[name] += 1
    for kind in KINDS:
        cap = caps.get(kind.placement)
        if cap is not None and counts[kind.type] > cap:
            counts[KINDS[0].type] += counts[kind.type] - cap
            counts[kind.type] = cap
    return counts


def _place_name(rng: random.Random, taken: set[str]) -> str:
    for _ in range(50):
        name = rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
        if name not in taken:
            taken.add(name)
            return name
    name = rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS) + rng.choice(PLACE_TAILS)
    suffix = 2
    base = name
    while name in taken:
        name = f"{base}{suffix}"
        suffix += 1
    taken.add(name)
    return name


def _districts(rng: random.Random) -> dict[str, list[str]]:
    """Districts of each province: the real เมือง district (Bangkok's real 50), then made-up names."""
    out: dict[str, list[str]] = {}
    for province, weight in PROVINCES:
        if province == BANGKOK:
            out[province] = list(BANGKOK_DISTRICTS)
            continue
        taken: set[str] = set()
        count = max(3, min(33, round(weight / 10)))
        out[province] = [f"เมือง{province}"] + [_place_name(rng, taken) for _ in range(count - 1)]
    return out


def generate_agencies(total: int = DEFAULT_AGENCIES, seed: int = DEFAULT_SEED) -> list[GeneratedAgency]:
    """The agencies of a national round of ``total`` agencies."""
    rng = random.Random(f"{seed}:agencies")
    districts = _districts(rng)
    provinces = [name for name, _ in PROVINCES if name != BANGKOK]
    weights = [weight for name, weight in PROVINCES if name != BANGKOK]
    counts = kind_counts(total)
    agencies: list[GeneratedAgency] = []
    names_taken: dict[tuple[str, str], set[str]] = {}
    for kind in KINDS:
        count = counts[kind.type]
        if kind.placement == "province":
            places = [(p, f"เมือง{p}", p) for p in sorted(rng.sample(provinces, count), key=provinces.index)]
        elif kind.placement == "bangkok":
            places = [(BANGKOK, d, d) for d in BANGKOK_DISTRICTS[:count]]
        elif kind.placement == "special":
            places = [(BANGKOK, "พระนคร", BANGKOK), ("ชลบุรี", "บางละมุง", "เมืองพัทยา")][:count]
        elif kind.placement == "central":
            places = []
            taken = names_taken.setdefault((kind.type, ""), set())
            for _ in range(count):
                name = _central_name(rng, taken)
                places.append((BANGKOK, rng.choice(BANGKOK_DISTRICTS), name))
        else:
            if kind.type == "เทศบาลนคร":
                # Cities are in the larger provinces, at most one each here.
                big = sorted(provinces, key=lambda p: -weights[provinces.index(p)])[: max(count, 40)]
                chosen = rng.sample(big, count)
            else:
                chosen = rng.choices(provinces, weights=weights, k=count)
            places = []
            for province in chosen:
                district = rng.choice(districts[province])
                if kind.placement == "university":
                    name = f"{rng.choice(('ราชภัฏ', 'เทคโนโลยีราชมงคล', ''))}{province}"
                    taken = names_taken.setdefault((kind.type, ""), set())
                    name = name if name not in taken else _place_name(rng, taken)
                    taken.add(name)
                else:
                    name = _place_name(rng, names_taken.setdefault((kind.type, province), set()))
                places.append((province, district, name))
        for number, (province, district, name) in enumerate(places, start=1):
            agencies.append(
                GeneratedAgency(
                    code=f"{kind.code_prefix}-{number:05d}",
                    name=kind.name_prefix + name,
                    type=kind.type,
                    province=province,
                    district=district,
                    # Most agencies analyse against the national 85; some reports use 90 or 95.
                    target=rng.choices((None, "90", "95"), weights=(88, 8, 4))[0],
                    quality=rng.gauss(kind.quality, 1.0),
                )
            )
    return agencies


def _central_name(rng: random.Random, taken: set[str]) -> str:
    for _ in range(100):
        name = rng.choice(CENTRAL_VERBS) + rng.choice(CENTRAL_TOPICS)
        if name not in taken:
            taken.add(name)
            return name
    name = _place_name(rng, taken)
    return name


def _clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return low if value < low else high if value > high else value


def _two_places(value: float) -> Decimal:
    return Decimal(f"{_clamp(value):.2f}")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# Typical indicator level of each tool, and how strongly an agency's quality moves it.
TOOL_MEAN = {"IIT": 91.0, "EIT": 84.0}
TOOL_SPREAD = {"IIT": 3.0, "EIT": 5.0}


def generate_result(agency: GeneratedAgency, framework: Framework, rng: random.Random) -> dict[str, Any]:
    """One agency-year in the JSON import form (the engine's tools, overall and level as reported)."""
    year = framework.year
    # National results improved over the years; each agency also varies from year to year.
    progress = (year - DEFAULT_YEARS[0]) / (DEFAULT_YEARS[-1] - DEFAULT_YEARS[0])
    form = 0.9 * agency.quality + rng.gauss(0.0, 0.45) + 1.0 * progress
    items: dict[str, Decimal] = {}
    planned: dict[int, float] = {}
    for indicator in framework.indicators:
        if indicator.tool == "OIT":
            continue
        level = TOOL_MEAN[indicator.tool] + TOOL_SPREAD[indicator.tool] * form + rng.gauss(0.0, 3.0)
        planned[indicator.number] = level
        for question in framework.indicator_questions(indicator.number):
            items[question.code] = _two_places(level + rng.gauss(0.0, 4.0))
    for question in framework.tool_questions("OIT"):
        # Published disclosure items: full marks, half (incomplete) or nothing.
        full = _sigmoid(0.8 + 1.3 * form + _difficulty(framework.year, question.code))
        draw = rng.random()
        items[question.code] = Decimal(100 if draw < full else 50 if draw < full + (1 - full) * 0.35 else 0)
    indicators: dict[int, Decimal] = {}
    for indicator in framework.indicators:
        derived = indicator_from_items(framework, indicator.number, items)
        if derived is not None:
            indicators[indicator.number] = derived
        elif indicator.number in planned:
            indicators[indicator.number] = _two_places(planned[indicator.number])
        else:
            indicators[indicator.number] = _two_places(60 + 25 * form + rng.gauss(0.0, 10.0))
    tools = tool_scores(framework, indicators)
    parts: dict[str, Decimal] = {}
    if framework.eit_parts:
        parts = {part: _two_places(float(tools["EIT"]) + rng.gauss(0.0, 2.5)) for part in ("EIT1", "EIT2")}
    overall = overall_score(framework, tools)
    reported: dict[str, Any] = {tool: str(score) for tool, score in tools.items()}
    reported.update({part: str(score) for part, score in parts.items()})
    reported["overall"] = str(overall)
    reported["level"] = level_for(framework, overall, tools, parts)
    return {
        "agency": agency.code,
        "year": year,
        "source": f"synthetic national dataset FY{year}",
        "indicators": {str(n): str(score) for n, score in sorted(indicators.items())},
        "reported": reported,
        "sub_indicators": {},
        "items": {code: str(score) for code, score in items.items()},
    }


def _difficulty(year: int, code: str) -> float:
    """A fixed per-item offset: some disclosure items are harder to get right than others."""
    return random.Random(f"{year}:{code}").gauss(0.0, 0.7)


def generate_year(agencies: Sequence[GeneratedAgency], year: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Every agency's result for one fiscal year."""
    framework = get_framework(year)
    rng = random.Random(f"{seed}:{year}")
    return [generate_result(agency, framework, rng) for agency in agencies]


def write_agencies(agencies: Sequence[GeneratedAgency], path: Path, fmt: str) -> None:
    """The agencies file in the format ``ita agencies import`` reads."""
    rows = [agency.as_row() for agency in agencies]
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(AGENCY_FIELDS))
            writer.writeheader()
            writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
        return
    write_records([], path, fmt, rows)


def parse_years(text: str) -> tuple[int, ...]:
    """``"2562-2568"`` or ``"2567,2568"`` → the years."""
    years: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        years.extend(range(int(first), int(last or first) + 1))
    return tuple(sorted(set(years)))


def generate(
    out: Path,
    *,
    agencies: int = DEFAULT_AGENCIES,
    years: Sequence[int] = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    fmt: str = "csv",
) -> dict[str, Any]:
    """Write the agencies file, one results file per year and ``manifest.json``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    generated = generate_agencies(agencies, seed)
    agencies_file = f"agencies.{fmt}"
    write_agencies(generated, out / agencies_file, fmt)
    results: dict[str, str] = {}
    items: dict[str, int] = {}
    for year in years:
        name = f"results_{year}.{fmt}"
        write_records(generate_year(generated, year, seed), out / name, fmt)
        results[str(year)] = name
        items[str(year)] = len(get_framework(year).questions)
    manifest: dict[str, Any] = {
        "generator": "bench/generate_national.py",
        "seed": seed,
        "format": fmt,
        "agencies": len(generated),
        "years": list(years),
        "agency_types": dict(Counter(a.type for a in generated)),
        "provinces": len({a.province for a in generated}),
        "items_per_year": items,
        "files": {"agencies": agencies_file, "results": results},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the dataset and print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: bench/out)")
    parser.add_argument("--agencies", type=int, default=DEFAULT_AGENCIES, help="number of agencies (default 8300)")
    parser.add_argument("--years", default="2562-2568", help="fiscal years, e.g. 2562-2568 or 2567,2568")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args.out, agencies=args.agencies, years=parse_years(args.years), seed=args.seed, fmt=args.fmt)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {manifest['agencies']} agencies × {len(manifest['years'])} years "
        f"({manifest['provinces']} provinces) to {args.out} in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
