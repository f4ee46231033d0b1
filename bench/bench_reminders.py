"""Benchmark the reminder run and result notifications at national scale.

Targets (issue: notifications and reminders): a reminder run over 8,300 agencies × 20 measures
finishes in under 10 s; notifying 10,000 executives takes at most 20 multicast calls.

The dataset: the national agencies of ``bench.generate_national``, 20 measures each for FY2570
(a mix of quarterly, half-yearly and year-end rhythms over realistic units), checkpoints from
the real schedule, and three registered people per agency (two staff of different units and an
official; executives where noted). The run is timed on the heaviest days: 30 Sep 2027, when every
measure has a checkpoint, and 23 Sep (seven days before it). The run decides, records and queues one
push per person; each push is rendered by the outbox sender just before it goes out, so rendering is
timed separately (per push) and delivery to LINE is not timed (LINE's rate limits set its pace).

    .venv/bin/python -m bench.bench_reminders                     # SQLite + PostgreSQL, writes docs
    .venv/bin/python -m bench.bench_reminders --agencies 500 --no-pg --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from bench.bench_core import machine
from bench.common import write_section
from bench.generate_national import generate_agencies
from bot.jobs.notify import notify_results
from bot.jobs.reminders import run_reminders
from ita_core.agencies import upsert_agencies
from ita_core.db import make_engine, make_session_factory, unit_of_work, upgrade
from ita_core.fiscal import checkpoint_schedule
from ita_core.models import Agency, Checkpoint, LineUser, Measure, OutboxMessage
from ita_core.results import RawResult, import_results

SECTION = "## Reminders and notifications"
TZ = ZoneInfo("Asia/Bangkok")
UNITS = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา", "ทุกฝ่าย")
RHYTHMS = ("quarterly", "quarterly", "half_yearly", "year_end")
START, END = date(2026, 10, 1), date(2027, 9, 30)
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def at(day: date) -> datetime:
    return datetime.combine(day, dtime(9), TZ).astimezone(UTC)


def build(url: str, agencies: int, measures_per_agency: int, seed: int) -> dict[str, int]:
    """Create the schema and the dataset with bulk inserts (the importers are measured elsewhere)."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    generated = generate_agencies(agencies, seed)
    with unit_of_work(factory) as session:
        upsert_agencies(
            session,
            [
                {"code": a.code, "name": a.name, "type": a.type, "province": a.province, "district": a.district}
                for a in generated
            ],
        )
    with unit_of_work(factory) as session:
        ids = list(session.scalars(select(Agency.id).order_by(Agency.id)))
        measure_rows = []
        for agency_id in ids:
            for n in range(measures_per_agency):
                measure_rows.append(
                    {
                        "agency_id": agency_id,
                        "fiscal_year": 2570,
                        "code": f"M{n + 1}",
                        "indicators": str(n % 10 + 1),
                        "title": f"มาตรการที่ {n + 1} ยกระดับตัวชี้วัดที่ {n % 10 + 1}",
                        "steps": json.dumps(["จัดทำแผน", "ดำเนินการ", "รายงานผล"], ensure_ascii=False),
                        "units": json.dumps([UNITS[rng.randrange(len(UNITS))]], ensure_ascii=False),
                        "period_start": START,
                        "period_end": END,
                        "period_text": None,
                        "monitoring": RHYTHMS[n % len(RHYTHMS)],
                        "monitoring_text": None,
                        "status": "active",
                        "source": "bench",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        session.execute(insert(Measure), measure_rows)
        schedules = {r: checkpoint_schedule(r, START, END) for r in set(RHYTHMS)}
        checkpoint_rows = [
            {"measure_id": mid, "due_date": c.due, "label": c.label, "status": "open"}
            for mid, rhythm in session.execute(select(Measure.id, Measure.monitoring))
            for c in schedules[rhythm]
        ]
        for start in range(0, len(checkpoint_rows), 50_000):
            session.execute(insert(Checkpoint), checkpoint_rows[start : start + 50_000])
        user_rows = []
        for agency_id in ids:
            first, second = rng.sample(UNITS[:4], 2)
            for role, unit in (("staff", first), ("staff", second), ("official", None)):
                user_rows.append(
                    {
                        "line_user_id": "U" + secrets.token_hex(16),
                        "agency_id": agency_id,
                        "role": role,
                        "unit": unit,
                        "active": True,
                    }
                )
        session.execute(insert(LineUser), user_rows)
        counts = {
            "agencies": len(ids),
            "measures": len(measure_rows),
            "checkpoints": len(checkpoint_rows),
            "people": len(user_rows),
        }
    engine.dispose()
    return counts


def time_run(url: str, day: date) -> dict[str, float | int]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        report = run_reminders(session, at(day), TZ)
    elapsed = time.perf_counter() - started
    again = time.perf_counter()
    with unit_of_work(factory) as session:
        repeat = run_reminders(session, at(day), TZ)
    repeat_elapsed = time.perf_counter() - again
    render_ms = 0.0
    with factory() as session:
        from bot.jobs.reminders import render_reminder

        payloads = [
            json.loads(m)
            for m in session.scalars(
                select(OutboxMessage.messages).where(OutboxMessage.render == "reminder").limit(500)
            )
        ]
        started_render = time.perf_counter()
        for payload in payloads:
            render_reminder(session, payload)
        if payloads:
            render_ms = (time.perf_counter() - started_render) * 1000 / len(payloads)
    engine.dispose()
    return {
        "render_ms": render_ms,
        "due": report.due,
        "people": report.people,
        "reminders": report.reminders,
        "seconds": elapsed,
        "repeat_people": repeat.people,
        "repeat_seconds": repeat_elapsed,
    }


def time_notification(url: str, executives: int) -> dict[str, float | int]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        code = "BENCH-NOTIFY"  # an agency of its own: exactly ``executives`` recipients
        upsert_agencies(session, [{"code": code, "name": "หน่วยงานทดสอบ", "type": "อบต.", "province": "น่าน"}])
        agency_id = session.scalars(select(Agency.id).where(Agency.code == code)).one()
        import_results(
            session,
            [RawResult(row=None, agency_code=code, year=2568, indicators={n: "90" for n in range(1, 11)})],
            datetime.now(UTC),
        )
        session.execute(
            insert(LineUser),
            [
                {"line_user_id": "U" + uuid.uuid4().hex, "agency_id": agency_id, "role": "executive", "active": True}
                for _ in range(executives)
            ],
        )
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        note = notify_results(session, code, 2568, datetime.now(UTC))
    elapsed = time.perf_counter() - started
    with factory() as session:
        calls = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "results")
        )
    engine.dispose()
    return {"recipients": note.recipients, "multicast_calls": int(calls or 0), "seconds": elapsed}


def fresh_pg(base: str) -> str:
    admin = make_engine(base)
    name = "ita_bench_reminders"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=8300)
    parser.add_argument("--measures", type=int, default=20)
    parser.add_argument("--executives", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2570)
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)

    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    backends = [("SQLite", f"sqlite:///{out / 'reminders.db'}")]
    if not args.no_pg:
        backends.append(("PostgreSQL", fresh_pg(args.pg)))
    (out / "reminders.db").unlink(missing_ok=True)
    rows = []
    for name, url in backends:
        started = time.perf_counter()
        counts = build(url, args.agencies, args.measures, args.seed)
        built = time.perf_counter() - started
        runs = {day: time_run(url, day) for day in (date(2027, 9, 23), date(2027, 9, 30), date(2027, 3, 31))}
        notification = time_notification(url, args.executives)
        rows.append((name, counts, built, runs, notification))
        print(name, counts, f"built in {built:.0f} s")
        for day, r in runs.items():
            print(
                f"  {day}: {r['due']} due, {r['reminders']} reminders to {r['people']} people in {r['seconds']:.2f} s; "
                f"again: {r['repeat_people']} people in {r['repeat_seconds']:.2f} s"
            )
        print(
            f"  notify {notification['recipients']} executives: {notification['multicast_calls']} multicast calls, "
            f"{notification['seconds']:.2f} s"
        )
    if args.no_write:
        return 0
    lines = [
        SECTION,
        "",
        f"`bench/bench_reminders.py`, {args.agencies:,} agencies × {args.measures} measures (FY2570; quarterly, "
        "half-yearly and year-end rhythms), three registered people per agency (two staff of different units, "
        "one official). Timed: one `run_reminders` pass in one transaction: claiming the day's batches and one "
        "queued push per person; then the same pass again (it must find nothing new). Pushes are rendered by the "
        "outbox sender just before sending; the time to render one (mean of 500) is shown too. Delivery is not "
        "timed.",
        "",
        "| engine | day | checkpoint reminders due | people | time | second run | render one push | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, _counts, _, runs, _ in rows:
        for day, r in runs.items():
            ok = "✅ < 10 s" if float(r["seconds"]) < 10 else "❌ ≥ 10 s"
            lines.append(
                f"| {name} | {day} | {r['due']:,} | {r['people']:,} | {float(r['seconds']):.2f} s | "
                f"{r['repeat_people']} people, {float(r['repeat_seconds']):.2f} s | {float(r['render_ms']):.1f} ms | {ok} |"
            )
    lines += ["", "| engine | executives | multicast calls | time to queue | target |", "|---|---|---|---|---|"]
    for name, _, _, _, n in rows:
        ok = "✅ ≤ 20" if int(n["multicast_calls"]) <= 20 else "❌"
        lines.append(f"| {name} | {n['recipients']:,} | {n['multicast_calls']} | {float(n['seconds']):.2f} s | {ok} |")
    counts = rows[0][1]
    lines += [
        "",
        f"Dataset: {counts['agencies']:,} agencies, {counts['measures']:,} measures, {counts['checkpoints']:,} "
        f"checkpoints, {counts['people']:,} people.",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine().items()),
        "",
        "Rerun: `.venv/bin/python -m bench.bench_reminders` (add `--no-pg` for SQLite only).",
    ]
    write_section(DOC, SECTION, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
