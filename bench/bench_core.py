"""Benchmark the scoring core on the national dataset, on SQLite and PostgreSQL.

For each backend, on a fresh database:

1. ``ita agencies import agencies.csv``;
2. ``ita import`` of one national year (by default the year with the most items), timed; then the
   same file again, which must change nothing, timed;
3. ``ita import`` of the remaining years (each timed);
4. the queries the bot answers, each timed over many random agencies, one session per call as a
   webhook event gets: agency-year summary, year-on-year comparison, provincial, agency-type and
   national ranking.

Imports run the real ``ita`` command in a child process (what an admin runs, Python start-up
included). The results and the machine go into ``docs/benchmarks.md`` under
"## Scoring core (national dataset)"; other sections of that file are kept.

    .venv/bin/python -m bench.generate_national
    .venv/bin/python -m bench.bench_core --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/ita_bench
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import cpu_and_memory, write_section
from bench.generate_national import DEFAULT_OUT, generate
from ita_core.analysis import analyse, compare_years, load_agency_year, previous_year_change
from ita_core.db import make_engine, make_session_factory, normalise_url, unit_of_work, upgrade
from ita_core.models import Agency
from ita_core.ranking import Scope, rank_agency

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Scoring core (national dataset)"
PG_ENV = "ITA_BENCH_DATABASE_URL"
PG_SCHEMA = "ita_bench"
IMPORT_TARGET_S = 60.0
QUERY_TARGET_MS = 20.0
_PLAN_LINE = re.compile(r"^(\d+) new, (\d+) changed, (\d+) unchanged$", re.MULTILINE)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class ImportTiming:
    """One ``ita import`` run."""

    label: str
    year: int | None
    seconds: float
    new: int
    changed: int
    unchanged: int
    cpu_seconds: float = 0.0  # user + system time of the ita process (not the PostgreSQL server's)
    attempts: list[float] = field(default_factory=list)  # every attempt, when the step was repeated


@dataclass
class QueryTiming:
    """Latency of one kind of query over several rounds of many calls, in milliseconds."""

    name: str
    rounds: list[list[float]]
    targeted: bool = True

    @property
    def samples(self) -> list[float]:
        """The round with the lowest p95: the machine is shared, and other work only adds time."""
        return min(self.rounds, key=lambda r: percentile(r, 95))

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def worst_round_p95(self) -> float:
        return max(percentile(r, 95) for r in self.rounds)

    @property
    def worst(self) -> float:
        return max(self.samples)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)


@dataclass
class BackendRun:
    """Everything measured on one backend."""

    backend: str
    version: str
    imports: list[ImportTiming] = field(default_factory=list)
    queries: list[QueryTiming] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after


@dataclass(frozen=True)
class Options:
    """What to run."""

    data: Path
    manifest: dict[str, Any]
    import_year: int
    samples: int
    rounds: int
    import_attempts: int
    seed: int
    load: bool  # false: query the databases of an earlier run


# --- databases --------------------------------------------------------------------------------


def fresh_sqlite(path: Path) -> str:
    """The URL of an empty SQLite file at ``path`` (old file and WAL removed)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def pg_schema_url(base: str, schema: str) -> str:
    """``base`` with connections confined to ``schema``."""
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def fresh_pg(base: str, schema: str) -> str:
    """Drop and recreate the bench's own schema; return a URL confined to it."""
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    return pg_schema_url(base, schema)


def server_version(engine: Engine) -> str:
    """The database server's version."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())


# --- imports ----------------------------------------------------------------------------------


def run_ita(url: str, *args: str) -> tuple[float, float, str]:
    """Run ``ita ARGS`` against ``url`` in a child process; (wall seconds, its CPU seconds, output)."""
    env = {**os.environ, "DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"ita {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.stdout


def timed_import(url: str, path: Path, label: str, year: int | None, *, notify: bool) -> ImportTiming:
    """Time ``ita import PATH`` (with ``--no-notify`` unless ``notify``) and read its plan line."""
    seconds, cpu, output = run_ita(url, "import", str(path), *(() if notify else ("--no-notify",)))
    match = _PLAN_LINE.search(output)
    if match is None:
        raise SystemExit(f"unexpected output of ita import {path}:\n{output}")
    new, changed, unchanged = (int(g) for g in match.groups())
    return ImportTiming(label, year, seconds, new, changed, unchanged, cpu)


def load_dataset(
    fresh: Callable[[], str], options: Options, attempts: int, log: Callable[[str], None]
) -> tuple[str, list[ImportTiming]]:
    """Agencies and the timed national year (best of ``attempts``, each on a fresh database), the same
    file again, then the other years, the newest last and with result notifications (``ita import``'s
    default). Returns the URL of the loaded database and the timings."""
    manifest, data, year = options.manifest, options.data, options.import_year
    results: dict[str, str] = manifest["files"]["results"]
    tries: list[tuple[ImportTiming, ImportTiming]] = []
    url = ""
    for attempt in range(1, attempts + 1):
        url = fresh()
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        seconds, cpu, output = run_ita(url, "agencies", "import", str(data / manifest["files"]["agencies"]))
        log(f"  attempt {attempt}: agencies {seconds:.1f} s ({output.strip().splitlines()[0]})")
        agencies = ImportTiming("agencies", None, seconds, manifest["agencies"], 0, 0, cpu)
        first = timed_import(url, data / results[str(year)], "national year", year, notify=False)
        log(
            f"  attempt {attempt}: import {year} {first.seconds:.1f} s, CPU {first.cpu_seconds:.1f} s ({first.new} new)"
        )
        tries.append((agencies, first))
    agencies = min((a for a, _ in tries), key=lambda timing: timing.seconds)
    first = min((f for _, f in tries), key=lambda timing: timing.seconds)
    agencies.attempts = [a.seconds for a, _ in tries]
    first.attempts = [f.seconds for _, f in tries]
    again = timed_import(url, data / results[str(year)], "same year again", year, notify=True)
    log(f"  re-import {year}: {again.seconds:.1f} s, CPU {again.cpu_seconds:.1f} s ({again.unchanged} unchanged)")
    if again.new or again.changed:
        raise SystemExit("re-importing the same file changed something")
    timings = [agencies, first, again]
    newest = max(int(y) for y in results)
    for year_text, name in sorted(results.items()):
        if int(year_text) == year:
            continue
        notify = int(year_text) == newest
        label = "newest year" if notify else "other year"
        timing = timed_import(url, data / name, label, int(year_text), notify=notify)
        log(f"  import {year_text}: {timing.seconds:.1f} s, CPU {timing.cpu_seconds:.1f} s")
        timings.append(timing)
    return url, timings


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table after loading."""
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
            for table in ("agencies", "assessments", "indicator_scores", "item_scores")
        }


# --- queries ----------------------------------------------------------------------------------


def agency_year_summary(session: Session, code: str, year: int) -> object:
    """What ``ita show`` and the bot's summary reply need: the year, its analysis, the change."""
    result = load_agency_year(session, code, year)
    return analyse(result), previous_year_change(session, result)


def year_on_year(session: Session, code: str, year: int) -> object:
    """The comparison with the year before."""
    return compare_years(session, code, year - 1, year)


def ranking(scope: Scope) -> Callable[[Session, str, int], object]:
    """A ranking query for one scope."""

    def run(session: Session, code: str, year: int) -> object:
        return rank_agency(session, code, year, scope=scope)

    return run


QUERIES: tuple[tuple[str, Callable[[Session, str, int], object], bool, bool], ...] = (
    # name, query, needs a previous year, counts against the target
    ("agency-year summary", agency_year_summary, False, True),
    ("year-on-year comparison", year_on_year, True, True),
    ("provincial ranking", ranking("province"), False, True),
    ("national ranking", ranking("national"), False, True),
    ("agency-type ranking", ranking("type"), False, False),
)


def measure_queries(engine: Engine, years: Sequence[int], samples: int, rounds: int, seed: int) -> list[QueryTiming]:
    """Latency of each query over ``samples`` random agency-years per round, one session (unit of work) per call."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        codes = list(session.scalars(select(Agency.code).order_by(Agency.code)))
    warm_up = samples // 10
    cases: dict[str, list[tuple[str, int]]] = {}
    for name, _, needs_previous, _ in QUERIES:
        rng = random.Random(f"{seed}:{name}")
        choices = [y for y in years if not needs_previous or y - 1 in years]
        cases[name] = [(rng.choice(codes), rng.choice(choices)) for _ in range(warm_up + samples)]
    measured: dict[str, list[list[float]]] = {name: [] for name, *_ in QUERIES}
    for _ in range(rounds):  # rounds interleave the queries, so a busy spell does not hit one query only
        for name, query, _, _ in QUERIES:
            timings: list[float] = []
            for index, (code, year) in enumerate(cases[name]):
                started = time.perf_counter_ns()
                with unit_of_work(factory) as session:
                    query(session, code, year)
                elapsed = (time.perf_counter_ns() - started) / 1e6
                if index >= warm_up:  # the first calls warm caches and are not counted
                    timings.append(elapsed)
            measured[name].append(timings)
    return [QueryTiming(name, measured[name], targeted) for name, _, _, targeted in QUERIES]


# --- the machine and the report -------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu, memory = cpu_and_memory()
    import psycopg

    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores (nproc)",
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SQLAlchemy / psycopg": f"{sqlalchemy.__version__} / {psycopg.__version__}",
        "Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def print_tables(runs: Sequence[BackendRun]) -> None:
    """The results on the terminal."""
    for run in runs:
        print(f"\n{run.version}")
        for timing in run.imports:
            year = timing.year or ""
            print(f"  {timing.label:<18} {year!s:<5} {_seconds(timing):>7}  CPU {timing.cpu_seconds:.1f} s")
        print(f"  {'query (best round)':<26} {'p50':>7} {'p95':>7} {'max':>7} {'mean':>7}  ms  (p95 slowest round)")
        for q in run.queries:
            print(
                f"  {q.name:<26} {q.p50:7.2f} {q.p95:7.2f} {q.worst:7.2f} {q.mean:7.2f}      ({q.worst_round_p95:.2f})"
            )


def _seconds(timing: ImportTiming) -> str:
    if len(timing.attempts) > 1:
        return f"{timing.seconds:.1f} s ({', '.join(f'{a:.1f}' for a in timing.attempts)})"
    return f"{timing.seconds:.1f} s"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render_section(runs: Sequence[BackendRun], options: Options, pg_shown: str) -> str:
    """The markdown of our section of docs/benchmarks.md."""
    info = machine()
    manifest, import_year = options.manifest, options.import_year
    lines = [
        SECTION,
        "",
        "Targets (issue 2, §6): one national year imports in under 60 s; each query answers in under",
        "20 ms at p95 on the national dataset.",
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in info.items()),
        *(f"| {run.backend} | {run.version} |" for run in runs),
        "| load average (1 min) | "
        + "; ".join(f"{run.backend} {run.load_average[0]:.1f} before, {run.load_average[1]:.1f} after" for run in runs)
        + " |",
        "",
        "### Dataset",
        "",
        f"`bench/generate_national.py` (seed {manifest['seed']}): {manifest['agencies']:,} agencies in "
        f"{manifest['provinces']} provinces × fiscal years {manifest['years'][0]}–{manifest['years'][-1]}, every agency-year "
        "with the ten indicators, the reported tool scores, overall score and level, and a score for every item "
        "code of that year's framework (IIT/EIT items with two decimals, OIT items 0/50/100).",
        "",
        "| agency type | agencies |",
        "|---|---:|",
        *(f"| {name} | {count:,} |" for name, count in manifest["agency_types"].items()),
        "",
        "| FY | items per agency |",
        "|---|---:|",
        *(f"| {year} | {count} |" for year, count in manifest["items_per_year"].items()),
    ]
    if runs:
        counts = runs[0].rows
        lines += [
            "",
            "Rows after loading: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()) + ".",
        ]
    lines += [
        "",
        "### Import",
        "",
        "Wall-clock time of the `ita` command in a child process (Python start-up included). The timed national",
        f"year is FY{import_year}, the year with the most items per agency. Agencies and that year are loaded into a",
        f"fresh database {options.import_attempts} time{'s' if options.import_attempts != 1 else ''}; the fastest "
        "time is shown (every attempt in brackets)",
        "and the other steps run once, in order, on the last of those databases. Other work on the shared machine",
        "slows these steps down a lot at times (see the load average above): the CPU time of the `ita` process",
        "(user + system) shows how much of the wall time was its own work. On PostgreSQL the server's work is",
        "not in that column.",
        "",
        "`ita import` also queues a result notification for every agency whose new year is its latest (on by",
        "default, `--no-notify` turns it off). The scoring core's import is timed without it; the newest year",
        "is imported last with it, as a new national round would arrive. The bench registers no LINE users, so",
        "nothing is queued: that row is the cost of looking for recipients.",
        "",
        "| step | FY | " + " | ".join(f"{run.backend} wall | {run.backend} CPU of `ita`" for run in runs) + " |",
        "|---|---|" + "---:|---:|" * len(runs),
    ]
    if runs:
        for index, timing in enumerate(runs[0].imports):
            cells = [f"{_seconds(run.imports[index])} | {run.imports[index].cpu_seconds:.1f} s" for run in runs]
            label = {
                "agencies": "`ita agencies import agencies.csv` (all agencies)",
                "national year": "`ita import --no-notify` one national year (all new)",
                "same year again": "`ita import` the same file again (0 changed, so no notifications)",
                "other year": "`ita import --no-notify` another year (all new)",
                "newest year": "`ita import` the newest year (all new), with result notifications",
            }[timing.label]
            lines.append(f"| {label} | {timing.year or ''} | " + " | ".join(cells) + " |")
        for label, title in (
            ("national year", "the scoring core's import (`--no-notify`)"),
            ("newest year", "`ita import` as an admin runs it (result notifications on)"),
        ):
            found = [(run, t) for run in runs for t in run.imports if t.label == label]
            verdicts = [
                f"{run.backend} {_verdict(t.seconds < IMPORT_TARGET_S)} "
                f"({t.seconds:.1f} s {'<' if t.seconds < IMPORT_TARGET_S else '≥'} {IMPORT_TARGET_S:.0f} s)"
                for run, t in found
            ]
            if verdicts:
                lines += ["", f"Import target, {title}: " + "; ".join(verdicts) + "."]
    lines += [
        "",
        "### Queries",
        "",
        f"Each query is called for {options.samples} random agency-years (after {options.samples // 10} uncounted "
        "warm-up calls), each",
        "call in its own session and unit of work, as one webhook event gets; in milliseconds. This is repeated",
        f"in {options.rounds} rounds and the round with the lowest p95 is shown: the machine is shared with other",
        "work, which only ever adds time. The last column is the p95 of the slowest round. On PostgreSQL the",
        "bench runs `ANALYZE` after loading, as autovacuum does shortly after a bulk import; SQLite runs without",
        "statistics, as the application leaves it.",
        "",
        "- agency-year summary: `load_agency_year` + `analyse` + `previous_year_change`;",
        "- year-on-year comparison: `compare_years(code, year - 1, year)`;",
        "- provincial / national ranking: `rank_agency(code, year, scope=...)`, with the top five;",
        "- agency-type ranking (no target, for information): 5,300 อบต. rank against each other.",
        "",
        "| query | backend | p50 | p95 | max | mean | target p95 < 20 ms | p95, slowest round |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for run in runs:
        for q in run.queries:
            verdict = _verdict(q.p95 < QUERY_TARGET_MS) if q.targeted else "—"
            lines.append(
                f"| {q.name} | {run.backend} | {q.p50:.2f} | {q.p95:.2f} | {q.worst:.2f} | {q.mean:.2f} | {verdict} "
                f"| {q.worst_round_p95:.2f} |"
            )
    lines += ["", FINDINGS.rstrip("\n")]
    lines += [
        "",
        "### Rerun",
        "",
        "```sh",
        "psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE ita_bench'   # once",
        ".venv/bin/python -m bench.generate_national                     # bench/out/, about 20 s",
        f".venv/bin/python -m bench.bench_core --pg-url {pg_shown}",
        "```",
        "",
        "`bench_core` generates the dataset itself when `bench/out/manifest.json` is missing, uses",
        "`bench/out/bench.db` for SQLite, and on PostgreSQL drops and recreates only the schema",
        f"`{PG_SCHEMA}` of the given database (the URL may also come from `{PG_ENV}`). `--backends sqlite`",
        "skips PostgreSQL; `--no-doc` leaves this file alone; `--help` lists the rest. A whole run takes",
        "about seven minutes on the machine above.",
        "",
    ]
    return "\n".join(lines)


# What profiling found; kept with the numbers because it explains them (written 2026-11-21).
FINDINGS = """\
### What was slow, and what changed

Before the change (same dataset and machine, one round of 300 calls), rankings missed the target on
SQLite: national p95 25.7 ms, provincial p95 24.7 ms; on PostgreSQL the national ranking took 13.0 ms
at p95. `rank_agency` counted and sorted the peers on `coalesce(overall, reported_overall)` joined to
`agencies`. No index covers that expression, so every ranking read all 8,300 assessments of the year
and their agencies, three times. On SQLite, which has no table statistics unless someone runs
`ANALYZE`, a provincial ranking did the same, because the planner started from the year's
assessments instead of the province's agencies.

`ita_core/ranking.py` now:

- nationally, asks separately for computed overall scores and for reported-only ones, so the existing
  `(fiscal_year, overall)` index answers the counts and the best-first list by itself (the two top
  lists are merged in SQL, so ties keep the database's order);
- in a province, district or type, takes the peers as a set of agency ids from the agencies' index
  and finds each one's assessment by the `(agency_id, fiscal_year)` key, whatever the statistics;
- counts the better and all peers in one statement.

No schema change. The results are the same as before: the old and the new code gave identical `Rank`s
for 3,000 random (agency, year or latest, scope, top size) cases on SQLite and 1,500 on PostgreSQL,
with reported-only results, results without any overall score and ties mixed in.

`ita import` now queues result notifications by default (`bot/jobs/notify.py`, added after this
benchmark was first written). Profiling `ita import` of a national year on SQLite put about three
quarters of its time there: for every new agency-year `notify_new_results` and `notify_results` run
about ten statements (`result_years`, `get_agency` three times, `load_agency_year` with its three
collections, the de-duplication check, the recipients), and the whole result is loaded before it is
known whether anyone is to be told. Not changed here (the file is outside the scoring core): looking
up the latest years and the recipients of all new agency-years in two bulk queries, and loading
results only for agencies that have recipients, would bring this back near the `--no-notify` time.

The agency-type ranking (no target) stays slower, since 5,300 อบต. are peers of each other and all of
them are counted. The scoring core's imports were within target from the start: about half of a SQLite import is
validation (parsing some 850,000 scores as `Decimal`), the rest inserting some 820,000 rows; on
PostgreSQL the inserts dominate (psycopg sends an `executemany` row by row in pipeline mode).
"""


# --- main -------------------------------------------------------------------------------------


def bench_backend(backend: str, fresh: Callable[[], str], url: str, options: Options) -> BackendRun:
    """Load (into databases from ``fresh``) unless ``options.load`` is false, then query ``url``."""
    before = os.getloadavg()[0]
    print(f"{backend}:", flush=True)
    if options.load:
        url, imports = load_dataset(fresh, options, options.import_attempts, lambda line: print(line, flush=True))
    engine = make_engine(url)
    try:
        run = BackendRun(backend, server_version(engine))
        if options.load:
            run.imports = imports
            if engine.dialect.name == "postgresql":
                # What autovacuum does shortly after a bulk load; without statistics the planner guesses.
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
        run.rows = row_counts(engine)
        started = time.perf_counter()
        years = [int(y) for y in options.manifest["years"]]
        run.queries = measure_queries(engine, years, options.samples, options.rounds, options.seed)
        print(f"  queries: {time.perf_counter() - started:.1f} s", flush=True)
        run.load_average = (before, os.getloadavg()[0])
        return run
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description="Benchmark the scoring core on the national dataset.")
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT, help="generated dataset (default bench/out)")
    parser.add_argument("--backends", default=None, help="sqlite,postgresql (default: both when a PG URL is given)")
    parser.add_argument("--sqlite-path", type=Path, default=None, help="SQLite file (default DATA/bench.db)")
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV), help=f"PostgreSQL database (or ${PG_ENV})")
    parser.add_argument("--pg-schema", default=PG_SCHEMA, help="schema to drop and recreate (default ita_bench)")
    parser.add_argument("--import-year", type=int, default=None, help="the timed national year (default: most items)")
    parser.add_argument("--samples", type=int, default=300, help="calls per query and round (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of calls; the best p95 is reported (default 5)")
    parser.add_argument(
        "--import-attempts", type=int, default=2, help="fresh loads of the national year; the best is reported"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries-only", action="store_true", help="query the databases of an earlier run")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    backends = (args.backends or ("sqlite,postgresql" if args.pg_url else "sqlite")).split(",")
    if "postgresql" in backends and not args.pg_url:
        parser.error(f"postgresql needs --pg-url or ${PG_ENV}")
    manifest_path = args.data / "manifest.json"
    if not manifest_path.exists():
        print(f"generating the national dataset into {args.data} ...", flush=True)
        generate(args.data)
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    import_year = args.import_year or max(manifest["items_per_year"], key=lambda y: (manifest["items_per_year"][y], y))
    options = Options(
        data=args.data,
        manifest=manifest,
        import_year=int(import_year),
        samples=args.samples,
        rounds=args.rounds,
        import_attempts=args.import_attempts,
        seed=args.seed,
        load=not args.queries_only,
    )

    runs = []
    for backend in backends:
        fresh: Callable[[], str]
        if backend == "sqlite":
            path = args.sqlite_path or args.data / "bench.db"
            url = f"sqlite:///{path}"
            fresh = functools.partial(fresh_sqlite, path)
        elif backend == "postgresql":
            url = pg_schema_url(args.pg_url, args.pg_schema)
            fresh = functools.partial(fresh_pg, args.pg_url, args.pg_schema)
        else:
            parser.error(f"unknown backend {backend!r}")
        runs.append(bench_backend(backend, fresh, url, options))
    print_tables(runs)
    if not args.no_doc and not args.queries_only:
        shown = make_url(normalise_url(args.pg_url)).render_as_string(hide_password=True) if args.pg_url else "URL"
        write_section(args.doc, SECTION, render_section(runs, options, shown))
        print(f"\nwrote {args.doc.relative_to(ROOT) if args.doc.is_relative_to(ROOT) else args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
