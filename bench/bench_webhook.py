"""Benchmark the LINE webhook with wrk over loopback, on SQLite and PostgreSQL, against a bare Flask app.

One run, for each backend (fresh database, demo data, registered simulated users):

1. **bare**: ``bench.bare_app`` (Flask answering 200 to ``POST /callback``) under the gunicorn
   settings of the Procfile's ``web:`` line, driven as fast as wrk can; once before the intake
   trials and once after each, and the mean of all is the baseline (the machine may change meanwhile);
   once, for reference, ``bench.bare_wsgi`` (the same without Flask: the webhook itself is served
   outside Flask, see ``bot.web.webhook``);
2. **intake**: the real app with ``ITA_WORKER_THREADS=0`` (verify, parse, store, answer 200), as fast
   as wrk can, in three trials, each between two bare runs: a trial's share is its req/s over the
   mean of the bare runs either side, and the median trial counts (a shared machine has slower
   spells, which move a trial and the bare runs beside it together); then paced at half the median
   trial's rate for the acknowledgement p99;
3. **full path**: the real app with its worker threads, the fake LINE API (``python -m bot.fakeline``)
   as a separate process: a short probe offered 15 % of the bare rate, then a run at that rate if
   the probe kept up, else at 70 % of the rate the probe managed; every event must be answered, and
   the time from receipt (``received_at`` of the stored event) to the reply's arrival at the fake
   (its recorded ``time``) is measured per reply token;
4. **slow LINE**: the fake holds every reply 2 s and the full-path app is driven at that rate
   again: acknowledgements must stay as fast; then half the intake rate into the full-path app
   (workers saturated) for the acknowledgements under a growing backlog;
5. **CPU per event**, in this process on one thread: the handler, the reply call and the worker's
   own work, and the handler's split (SQLAlchemy, views, matcher) under the profiler.

Every request carries a pre-generated, correctly signed body with a unique ``webhookEventId`` and a
Thai question from a mix of intents (``bench/out/webhook/*.tsv``; ``bench/webhook.lua`` sends them).
wrk has no rate limit of its own (wrk2 is not packaged): paced runs use wrk's ``delay()`` hook on an
absolute schedule. Results go to ``docs/benchmarks.md`` under "## Webhook"; other sections are kept.

Prerequisite: ``apt-get install -y wrk`` (4.1). Then, from the repository root::

    .venv/bin/python -m bench.bench_webhook --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/ita_bench_web
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from bench.common import cpu_and_memory, write_section
from bot import linesim
from bot.fakeline import FakeLineClient
from bot.outbox import SentMarks
from ita_core.accounts import create_invite, redeem
from ita_core.db import make_engine, make_session_factory, normalise_url, unit_of_work, upgrade
from ita_core.demo import demo_document, load_demo
from ita_core.models import OutboxMessage, WebhookEvent

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "webhook"
LUA = ROOT / "bench" / "webhook.lua"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Webhook"
PG_ENV = "ITA_BENCH_DATABASE_URL"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/ita_bench_web"
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"

INTAKE_SHARE = 0.50  # intake req/s as a share of the bare app's
INTAKE_TRIALS = 3  # intake runs, each between two bare runs; the median share counts
FULL_SHARE = 0.15  # full path
ACK_P99_MS = 50.0  # at half the intake rate
REPLY_P99_MS = 300.0  # receipt to reply, at the full-path rate
SLOW_REPLY_S = 2.0
PROBE_SECONDS = 5.0  # the full path at 15 % of bare, to see whether it keeps up
SUSTAINED_SHARE = 0.7  # when it does not: the full-path run goes at this share of the rate it managed

# What officials ask, with how often (a mix of every results intent, follow-ups, chit-chat).
QUESTIONS: tuple[tuple[str, int], ...] = (
    ("ผล ITA ปีล่าสุดเป็นยังไงบ้าง", 10),
    ("คะแนน ITA ปีนี้ได้เท่าไหร่", 6),
    ("ผ่านเกณฑ์ไหม", 4),
    ("คะแนนตัวชี้วัดที่ 9", 6),
    ("ตัวชี้วัดที่๙ ปี ๒๕๖๗", 3),
    ("คะแนนการเปิดเผยข้อมูล", 3),
    ("OIT ได้เท่าไหร่", 5),
    ("คะแนน IIT ปี 2567", 3),
    ("ข้อ o23", 3),
    ("เทียบปี 67 กับ 68", 5),
    ("ย้อนหลัง 5 ปี", 5),
    ("จุดแข็งมีอะไรบ้าง", 4),
    ("ตัวชี้วัดไหนต่ำกว่า 90", 5),
    ("ทำยังไงให้ OIT ดีขึ้น", 4),
    ("ข้อเสนอแนะตัวชี้วัดที่ 5", 3),
    ("อันดับในจังหวัด", 4),
    ("มาตรการมีอะไรบ้าง", 4),
    ("งานของฉัน", 3),
    ("แล้วปีที่แล้วล่ะ", 4),
    ("ผลปี 2560", 2),
    ("ช่วยเหลือ", 3),
    ("สวัสดีครับ", 4),
    ("วันนี้ฝนตกไหม", 2),
)
ROLES = (("official", None), ("official", None), ("official", None), ("executive", None), ("staff", "กองคลัง"))


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank); NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the machine and the gunicorn settings ----------------------------------------------------


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu, memory = cpu_and_memory()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()
    from importlib.metadata import version

    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores (nproc), shared by wrk, gunicorn, the fake LINE API and PostgreSQL",
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "gunicorn / Flask / SQLAlchemy / psycopg": (
            f"{version('gunicorn')} / {version('flask')} / {sqlalchemy.__version__} / {version('psycopg')}"
        ),
        "SQLite": sqlite3.sqlite_version,
        "wrk": wrk[0].split(" Copyright")[0] if wrk else "unknown",
        "Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


def procfile_web_args(procfile: Path = ROOT / "Procfile") -> list[str]:
    """The arguments of gunicorn in the Procfile's ``web:`` line, variables expanded as a shell would."""
    for line in procfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            command = line[len("web:") :].strip()
            break
    else:
        raise SystemExit("Procfile has no web: line")

    def expand(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return os.environ.get(name) or (match.group(2) or "")

    words = shlex.split(_VAR.sub(expand, command))
    if not words or words[0] != "gunicorn":
        raise SystemExit(f"the web: line does not run gunicorn: {command}")
    return words[1:]


def gunicorn_command(app_spec: str, port: int) -> list[str]:
    """The Procfile's web command with another app and a loopback port."""
    args = procfile_web_args()
    out: list[str] = []
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        if word in ("--bind", "-b"):
            skip = True
            continue
        if word.startswith("--bind="):
            continue
        if word == "bot:create_app()" or (index == len(args) - 1 and ":" in word and not word.startswith("-")):
            continue
        out.append(word)
    return [str(Path(sys.executable).parent / "gunicorn"), *out, "--bind", f"127.0.0.1:{port}", app_spec]


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def running(command: list[str], env: dict[str, str], log_name: str, ready_url: str) -> Iterator[None]:
    """Run ``command`` (its own process group) until the block ends; output to bench/out/webhook/."""
    log = (OUT / log_name).open("wb")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(ready_url, proc=proc)
        yield
    finally:
        stop_all([proc], 10)
        log.close()


def stop_all(procs: Sequence[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM to each process group still running, then SIGKILL to any not gone within ``timeout`` s."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def workers_running(count: int, env: dict[str, str], backend: str) -> Iterator[None]:
    """``ita worker`` processes (default options) until the block ends; output to bench/out/webhook/."""
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for index in range(count):
            log = (OUT / f"{backend}-ita-worker-{index}.log").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen([str(Path(sys.executable).parent / "ita"), "worker"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            )
        yield
    finally:
        stop_all(procs, 20)
        for log in logs:
            log.close()


def base_env() -> dict[str, str]:
    """The environment of the servers: ours without settings that would change what is measured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "ITA_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


# --- request bodies -----------------------------------------------------------------------------


@dataclass
class Corpus:
    """The simulated users and the files of signed bodies, one per phase (ids unique across files)."""

    secret: str
    users: list[str]
    files: dict[str, Path] = field(default_factory=dict)


def generate(secret: str, sizes: dict[str, int], users: int, seed: int) -> Corpus:
    """Write ``signature<TAB>body`` lines for each phase."""
    rng = random.Random(seed)
    corpus = Corpus(secret, ["U" + rng.randbytes(16).hex() for _ in range(users)])
    texts = [q for q, _ in QUESTIONS]
    weights = [w for _, w in QUESTIONS]
    for name, count in sizes.items():
        path = OUT / f"{name}.tsv"
        with path.open("w", encoding="utf-8") as out:
            for _ in range(count):
                event = linesim.text_event(linesim.user_source(rng.choice(corpus.users)), rng.choices(texts, weights)[0])
                body = linesim.webhook_body(event)
                out.write(linesim.sign(secret, body) + "\t" + body.decode("utf-8") + "\n")
        corpus.files[name] = path
    return corpus


# --- CPU accounting -----------------------------------------------------------------------------

CPU_GROUPS = ("app", "ita worker", "fake LINE", "postgres", "wrk", "other")
CPU_HEADING = " / ".join("PostgreSQL" if group == "postgres" else group for group in CPU_GROUPS)
_PG_DATABASE = [""]  # the benchmark's own database, once known
_TICKS = os.sysconf("SC_CLK_TCK")


def _group(pid: str) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "other"
    if "gunicorn" in command:
        return "app"
    if re.search(r"(/ita|-m bot) worker", command):
        return "ita worker"
    if "bot.fakeline" in command:
        return "fake LINE"
    if command.startswith("postgres"):
        # backends name their database: another database's are someone else's work
        backend = re.match(r"postgres: \S+: \S+ (\S+) ", command)
        return "other" if backend and backend.group(1) != _PG_DATABASE[0] else "postgres"
    if command.startswith("wrk"):
        return "wrk"
    return "other"


def cpu_snapshot() -> dict[str, tuple[str, float]]:
    """CPU seconds used so far by every process, with its group (from /proc)."""
    out: dict[str, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[entry.name] = (_group(entry.name), (int(fields[11]) + int(fields[12])) / _TICKS)
    return out


def cpu_used(before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]], seconds: float) -> dict[str, float]:
    """Cores used per group between two snapshots (1.0 = one core busy all the time)."""
    used = dict.fromkeys(CPU_GROUPS, 0.0)
    for pid, (group, total) in after.items():
        used[group] += max(0.0, total - before.get(pid, (group, 0.0))[1])
    return {group: value / seconds for group, value in used.items()}


# --- wrk ----------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    """One wrk run (latencies in ms)."""

    label: str
    offered: float  # req/s asked for; 0 = as fast as possible
    requests: int
    seconds: float
    errors: dict[str, int]
    wrapped: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    cpu: dict[str, float] = field(default_factory=dict)  # cores used per process group during the run

    @property
    def rps(self) -> float:
        """Requests per second achieved."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        """Requests without a 2xx answer."""
        return sum(self.errors.values())


def run_wrk(
    label: str, port: int, bodies: Path, seconds: float, *, rate: float = 0.0, connections: int, threads: int
) -> WrkResult:
    """Drive ``POST /callback`` on ``port`` with the bodies in ``bodies``."""
    result_path = OUT / ("wrk-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".json")
    result_path.unlink(missing_ok=True)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(bodies),
        f"{rate:.1f}",
        str(threads),
    ]
    env = {**os.environ, "WRK_RESULT": str(result_path)}
    cpu_before, children, clock = cpu_snapshot(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.monotonic() - clock
    cpu = cpu_used(cpu_before, cpu_snapshot(), elapsed)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk has exited: its CPU time is ours now
    cpu["wrk"] = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / elapsed
    if done.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(result_path.read_text())
    result = WrkResult(
        label=label,
        offered=rate,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors={k: raw[k] for k in ("non2xx", "connect", "read", "write", "timeout") if raw[k]},
        wrapped=raw["wrapped"],
        p50=raw["p50_us"] / 1000,
        p90=raw["p90_us"] / 1000,
        p99=raw["p99_us"] / 1000,
        p999=raw["p999_us"] / 1000,
        max=raw["max_us"] / 1000,
        cpu=cpu,
    )
    print(
        f"  {label:<22} {result.rps:8.0f} req/s  ack p50 {result.p50:6.1f} ms  p99 {result.p99:7.1f} ms"
        f"  max {result.max:7.1f} ms  requests {result.requests}"
        + (f"  offered {rate:.0f}/s" if rate else "")
        + (f"  errors {result.errors}" if result.errors else "")
        + (f"  wrapped {result.wrapped}" if result.wrapped else "")
        + "  cores: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if v >= 0.01),
        flush=True,
    )
    return result


# --- databases ----------------------------------------------------------------------------------


def fresh_sqlite(path: Path) -> str:
    """The URL of an empty SQLite file at ``path``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_pg(url: str) -> str:
    """Drop and recreate the benchmark's own database (the one named in ``url``)."""
    parsed = make_url(normalise_url(url))
    name = parsed.database
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate database {name!r}: name the benchmark's own database")
    _PG_DATABASE[0] = name
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.render_as_string(hide_password=False)


def server_version(engine: Engine) -> str:
    """The database server's version."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        version = str(conn.execute(text("show server_version")).scalar())
    return f"PostgreSQL {version.split()[0]}"


def prepare_database(url: str, users: Sequence[str]) -> Engine:
    """Schema, demo data, and every simulated user registered with an agency through a one-time code."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    agencies = [agency["code"] for agency in demo_document()["agencies"]]
    with unit_of_work(factory) as session:
        load_demo(session, now)
    with unit_of_work(factory) as session:
        for index, user in enumerate(users):
            role, unit = ROLES[index % len(ROLES)]
            invite = create_invite(session, agencies[index % len(agencies)], role, now, unit)
            redeem(session, invite.code, user, now)
    return engine


def retire_pending(engine: Engine) -> int:
    """Mark the events the intake runs stored (and nobody handles) done, so that the full-path runs'
    workers do not spend their time on them: how many there were."""
    with engine.begin() as conn:
        result = conn.execute(
            update(WebhookEvent).where(WebhookEvent.status == "pending").values(status="done", error="intake run")
        )
        return int(result.rowcount)


_READERS: dict[str, Engine] = {}


def reader(engine: Engine) -> Engine:
    """The engine the harness reads the app's database with while the app runs.

    On SQLite not ``make_engine``'s: every transaction of those takes the file's write lock (BEGIN
    IMMEDIATE, ``ita_core.db``), so the harness counting statuses while the app drains its backlog held
    the app's writes (the webhook's acknowledgements, the workers' answers) back 25-40 ms at a time,
    three times a second. A plain pysqlite connection reads the WAL without holding any writer up.
    """
    if engine.dialect.name != "sqlite":
        return engine
    key = engine.url.render_as_string(hide_password=False)
    found = _READERS.get(key)
    if found is None:
        found = _READERS[key] = create_engine(engine.url)
    return found


def last_event_pk(engine: Engine) -> int:
    """The highest stored event row id (0 when none)."""
    with reader(engine).connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(WebhookEvent.id), 0))).scalar_one())


def count_events(engine: Engine, after_pk: int) -> int:
    """Events stored after row ``after_pk``."""
    with reader(engine).connect() as conn:
        return int(conn.execute(select(func.count()).where(WebhookEvent.id > after_pk)).scalar_one())


def receipts(engine: Engine, after_pk: int) -> dict[str, float]:
    """Reply token -> receipt time (epoch seconds) of the events stored after row ``after_pk``."""
    with reader(engine).connect() as conn:
        rows = conn.execute(
            select(WebhookEvent.reply_token, WebhookEvent.received_at).where(WebhookEvent.id > after_pk)
        ).all()
    out: dict[str, float] = {}
    for token, received in rows:
        if token:
            stamp = received if received.tzinfo else received.replace(tzinfo=UTC)
            out[token] = stamp.timestamp()
    return out


def statuses(engine: Engine, after_pk: int) -> tuple[dict[str, int], dict[str, int]]:
    """Counts of event and outbox statuses for the events stored after row ``after_pk``."""
    with reader(engine).connect() as conn:
        events = dict(
            conn.execute(
                select(WebhookEvent.status, func.count()).where(WebhookEvent.id > after_pk).group_by(WebhookEvent.status)
            ).all()
        )
        outbox = dict(
            conn.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.event_id > after_pk)
                .group_by(OutboxMessage.status)
            ).all()
        )
    return {str(k): int(v) for k, v in events.items()}, {str(k): int(v) for k, v in outbox.items()}


# --- the full path ------------------------------------------------------------------------------


@dataclass
class FullPathResult:
    """One paced run of the full path and what the fake LINE API received for it."""

    load: WrkResult
    events: int
    answered: int
    pushed: int
    rejected: int
    answered_rps: float  # events answered per second, first receipt to last reply
    drain_s: float  # from the end of the run to the last reply
    reply_p50: float  # ms, receipt to reply at the fake
    reply_p99: float
    reply_max: float
    event_status: dict[str, int]
    outbox_status: dict[str, int]

    @property
    def all_answered(self) -> bool:
        """Every stored event got its reply."""
        return self.events > 0 and self.answered == self.events

    @property
    def kept_up(self) -> bool:
        """Every event answered, the last within a second of the end of the run (no backlog)."""
        return self.all_answered and self.drain_s < 1.0

    @property
    def rate(self) -> float:
        """Events per second sent (and stored) during the run."""
        return self.events / self.load.seconds if self.load.seconds else 0.0


def wait_until_handled(engine: Engine, after_pk: int, timeout: float, stall: float = 15.0) -> None:
    """Wait until every event stored after row ``after_pk`` is handled and its answer sent (or failed).

    Gives up after ``timeout`` seconds, or ``stall`` seconds without progress.
    """
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    time.sleep(0.3)  # requests wrk left in flight are still being stored
    while time.monotonic() < deadline:
        events, outbox = statuses(engine, after_pk)
        waiting = events.get("pending", 0) + events.get("processing", 0) + outbox.get("pending", 0)
        waiting += outbox.get("sending", 0)
        if waiting == 0:
            return
        if waiting != last:
            last, since = waiting, time.monotonic()
        elif time.monotonic() - since > stall:
            return
        time.sleep(0.25)


def full_path_run(
    label: str,
    port: int,
    bodies: Path,
    seconds: float,
    rate: float,
    engine: Engine,
    fake: FakeLineClient,
    *,
    connections: int,
    threads: int,
    drain_timeout: float = 90.0,
) -> FullPathResult:
    """Drive the full path at ``rate`` and wait for every answer."""
    fake.clear_requests()
    before = last_event_pk(engine)
    load = run_wrk(label, port, bodies, seconds, rate=rate, connections=connections, threads=threads)
    ended = time.time()
    wait_until_handled(engine, before, drain_timeout)
    time.sleep(0.5)
    received = receipts(engine, before)
    records = fake.requests()
    replies = [r for r in records if r.path == REPLY_PATH and r.accepted and r.body.get("replyToken") in received]
    pushed = sum(1 for r in records if r.path == PUSH_PATH and r.accepted)
    rejected = sum(1 for r in records if not r.accepted)
    latencies = [(r.time - received[r.body["replyToken"]]) * 1000 for r in replies]
    tokens = {r.body["replyToken"] for r in replies}
    last_reply = max((r.time for r in replies), default=ended)
    first = min(received.values(), default=ended)
    event_status, outbox_status = statuses(engine, before)
    fake.clear_requests()
    events = len(received)
    result = FullPathResult(
        load=load,
        events=events,
        answered=len(tokens),
        pushed=pushed,
        rejected=rejected,
        answered_rps=len(tokens) / (last_reply - first) if last_reply > first else 0.0,
        drain_s=max(0.0, last_reply - ended),
        reply_p50=percentile(latencies, 50),
        reply_p99=percentile(latencies, 99),
        reply_max=max(latencies, default=math.nan),
        event_status=event_status,
        outbox_status=outbox_status,
    )
    print(
        f"  {'':<22} answered {result.answered}/{events} ({result.answered_rps:.0f}/s), pushed {pushed},"
        f" rejected {rejected}, reply p50 {result.reply_p50:.1f} ms p99 {result.reply_p99:.1f} ms"
        f" max {result.reply_max:.1f} ms, drain {result.drain_s:.1f} s; events {event_status} outbox {outbox_status}",
        flush=True,
    )
    return result


# --- where an event's CPU goes (in this process, one thread) -------------------------------------


@dataclass
class EventCost:
    """CPU per event of ``EventProcessor.process``, one thread, split by who spends it (ms)."""

    events: int
    total: float
    handler: float  # bot.dispatch: matcher, handlers, ita_core queries, views (rendering)
    reply_call: float  # LineClient: serialising the body, the HTTP call to the fake
    wall: float
    handler_shares: dict[str, float] = field(default_factory=dict)  # under cProfile: where the handler's CPU goes
    cache_hits: float = 0.0  # share of the measured events answered from the answer cache

    @property
    def machinery(self) -> float:
        """Claim, outbox, commits, delivery bookkeeping: the worker's own work."""
        return self.total - self.handler - self.reply_call


def measure_event_cost(
    url: str, corpus: Corpus, fake_url: str, token: str, events: int = 400, *, answer_cache: bool = True
) -> EventCost:
    """Handle ``events`` stored events one after another in this process and time who spends the CPU.

    ``answer_cache``: as deployed (``ITA_ANSWER_CACHE`` default), warmed first by as many events as
    are measured, as in a long run; or off, so every answer is queried and rendered.
    """
    import logging

    from bot import create_app

    app = create_app({"DATABASE_URL": url, "LINE_CHANNEL_SECRET": corpus.secret, "LINE_CHANNEL_ACCESS_TOKEN": token,
                      "LINE_API_BASE_URL": fake_url, "ITA_WORKER_THREADS": "0",
                      "ITA_ANSWER_CACHE": "2048" if answer_cache else "0"})
    logging.getLogger().setLevel(logging.WARNING)
    svc = app.extensions["ita"]
    spent = {"handler": 0.0, "reply_call": 0.0}

    def timed(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        return run

    answers = svc.processor.handler.answers  # the dispatcher's answer cache
    svc.processor.handler = timed("handler", svc.processor.handler)
    svc.line._call = timed("reply_call", svc.line._call)
    rng = random.Random(7)
    texts, weights = [q for q, _ in QUESTIONS], [w for _, w in QUESTIONS]

    def stored(count: int) -> list[int]:
        sent = [linesim.text_event(linesim.user_source(rng.choice(corpus.users)), rng.choices(texts, weights)[0])
                for _ in range(count)]
        return svc.intake.store(sent, datetime.now(UTC))

    marks = SentMarks(svc.engine)  # as the worker threads mark delivered answers sent: in batches
    for pk in stored(events if answer_cache else 50):  # warm-up
        svc.processor.process(pk, marks=marks)
    marks.flush()
    spent.update(handler=0.0, reply_call=0.0)
    hits, misses = answers.hits, answers.misses
    ids = stored(events)
    cpu, wall = time.process_time(), time.perf_counter()
    for pk in ids:
        svc.processor.process(pk, marks=marks)
    marks.flush()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = 1000 / len(ids)
    cost = EventCost(len(ids), cpu * per, spent["handler"] * per, spent["reply_call"] * per, wall * per)
    looked_up = answers.hits - hits + answers.misses - misses
    cost.cache_hits = (answers.hits - hits) / len(ids) if looked_up else 0.0
    shares = cost.handler_shares = handler_shares(svc, stored(events // 2))
    svc.intake.close()
    svc.engine.dispose()
    print(f"  one thread, answer cache {'on' if answer_cache else 'off'} ({cost.cache_hits:.0%} of events answered"
          f" from it), CPU per event: {cost.total:.2f} ms = handler {cost.handler:.2f} + reply call "
          f"{cost.reply_call:.2f} + worker machinery {cost.machinery:.2f}; wall {cost.wall:.2f} ms; handler: "
          + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()), flush=True)
    return cost


HANDLER_PARTS: dict[str, Callable[[str], bool]] = {
    "SQLAlchemy (queries, ORM loading)": lambda path: "/sqlalchemy/" in path,
    "views and templates": lambda path: "/bot/views/" in path or "/jinja2/" in path or "/templates/" in path,
    "intent matcher": lambda path: "/bot/nlu/" in path,
}


def handler_shares(svc: Any, ids: list[int]) -> dict[str, float]:
    """Handle ``ids`` under cProfile (CPU clock) and say which share of the handler's time each part takes.

    A part's time is that of its outermost frames, callees included; parts can nest (a view that
    reads a relationship runs SQLAlchemy), so the shares may add up to more than the whole.
    Profiling slows Python code more than C code: shares, not milliseconds.
    """
    import cProfile
    import pstats

    profile = cProfile.Profile(time.process_time)
    handler = svc.processor.handler
    svc.processor.handler = lambda *args: profile.runcall(handler, *args)
    for pk in ids:
        svc.processor.process(pk)
    svc.processor.handler = handler
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    shares: dict[str, float] = {}
    for part, inside in HANDLER_PARTS.items():
        spent = 0.0
        for (path, _, _), (_, _, _, cumulative, callers) in stats.items():
            if inside(path) and not any(inside(caller[0]) for caller in callers):
                spent += cumulative
        shares[part] = spent / total if total else 0.0
    return shares


# --- one backend --------------------------------------------------------------------------------


@dataclass
class BackendRun:
    """Everything measured on one database backend."""

    backend: str
    server: str
    bares: list[WrkResult]  # the bare app: before the first intake trial, then after each
    bare_wsgi: WrkResult  # for reference: a WSGI app without Flask (``bench.bare_wsgi``), after the first bare run
    intakes: list[WrkResult]  # the intake trials, each between two bare runs
    intakes_stored: list[int]  # events each trial stored
    half: WrkResult
    probe: FullPathResult  # paced at 15 % of bare for a few seconds: does the full path keep up?
    full: FullPathResult  # at the rate the full path sustains (15 % of bare when it keeps up)
    separate_probe: FullPathResult  # the same probe, web with no threads and `ita worker` processes
    separate: FullPathResult  # and its sustained run
    slow: WrkResult  # same rate, LINE holding every reply 2 s
    backlog: WrkResult  # half the intake rate, workers saturated: acks while the backlog grows
    cost: EventCost  # CPU per event, one thread, in this process
    uncached: EventCost  # the same with the answer cache off
    handler_failures: int  # events the dispatcher answered with an apology because its handler raised

    @property
    def bare(self) -> WrkResult:
        """The bare app's first run."""
        return self.bares[0]

    @property
    def bare_after(self) -> WrkResult:
        """The bare app's last run, after the intake trials."""
        return self.bares[-1]

    @property
    def baseline(self) -> float:
        """The bare app's req/s: the mean of its runs."""
        return sum(run.rps for run in self.bares) / len(self.bares)

    @property
    def intake_shares(self) -> list[float]:
        """Each intake trial's req/s as a share of the mean of the bare runs either side of it."""
        return [
            trial.rps / ((self.bares[i].rps + self.bares[i + 1].rps) / 2) if self.bares[i].rps else 0.0
            for i, trial in enumerate(self.intakes)
        ]

    @property
    def _median_trial(self) -> int:
        shares = self.intake_shares
        return sorted(range(len(shares)), key=shares.__getitem__)[len(shares) // 2]

    @property
    def intake(self) -> WrkResult:
        """The intake trial with the median share."""
        return self.intakes[self._median_trial]

    @property
    def intake_share(self) -> float:
        """The median trial's share of the bare runs either side of it."""
        return self.intake_shares[self._median_trial]

    @property
    def intake_stored(self) -> int:
        """Events the median trial stored."""
        return self.intakes_stored[self._median_trial]


@dataclass
class Options:
    """Command-line options."""

    seconds: float
    connections: int
    threads: int
    worker_threads: int
    worker_processes: int
    users: int
    seed: int


def fake_line_command(port: int, token: str) -> list[str]:
    """The fake LINE API as the benchmarks run it: any reply token, checks on, records kept."""
    return [sys.executable, "-m", "bot.fakeline", "--port", str(port), f"--token={token}",  # it may start with "-"
            "--any-reply-token", "--max-records", "200000"]


def app_env(url: str, corpus: Corpus, *, worker_threads: int, fake_url: str, token: str) -> dict[str, str]:
    """The real app's environment."""
    env = base_env()
    env.update(
        DATABASE_URL=url,
        LINE_CHANNEL_SECRET=corpus.secret,
        LINE_CHANNEL_ACCESS_TOKEN=token,
        LINE_API_BASE_URL=fake_url,
        LINE_DATA_API_BASE_URL=fake_url,
        ITA_WORKER_THREADS=str(worker_threads),
    )
    return env


def bare_run(label: str, warm: Path, bodies: Path, seconds: float, log_name: str, *,
             app_spec: str = "bench.bare_app:create_app()", **wrk_args: Any) -> WrkResult:
    """The bare app (``bench.bare_app``, or ``app_spec``) under the Procfile's gunicorn settings: warmed up,
    then flat out."""
    port = free_port()
    with running(gunicorn_command(app_spec, port), base_env(), log_name,
                 f"http://127.0.0.1:{port}/healthz"):
        run_wrk("bare warm-up", port, warm, 2, **wrk_args)
        return run_wrk(label, port, bodies, seconds, **wrk_args)


def bench_backend(backend: str, url: str, corpus: Corpus, options: Options) -> BackendRun:
    """Measure one backend."""
    print(f"{backend}: preparing the database ({len(corpus.users)} registered users)", flush=True)
    engine = prepare_database(url, corpus.users)
    server = server_version(engine)
    wrk_args: dict[str, Any] = {"connections": options.connections, "threads": options.threads}
    seconds = options.seconds
    token = secrets.token_urlsafe(24)
    files = corpus.files

    def run_bare(label: str) -> WrkResult:
        return bare_run(label, files["warm"], files["intake1"], seconds, f"{backend}-bare.log", **wrk_args)

    bares = [run_bare("bare")]
    bare_wsgi = bare_run("bare WSGI, no Flask", files["warm"], files["intake1"], seconds, f"{backend}-bare-wsgi.log",
                         app_spec="bench.bare_wsgi:create_app()", **wrk_args)

    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    with running(fake_line_command(fake_port, token), {**base_env(), "LINE_CHANNEL_ACCESS_TOKEN": token}, f"{backend}-fakeline.log",
                 f"{fake_url}/__fake__"):
        fake = FakeLineClient(fake_url, timeout=120)  # a run's records: tens of MB of JSON
        cost = measure_event_cost(url, corpus, fake_url, token)
        uncached = measure_event_cost(url, corpus, fake_url, token, answer_cache=False)
        fake.clear_requests()

        # The intake in trials, each between two runs of the bare app: a spell when the machine is
        # slower (a shared machine has them) moves a trial and the bare runs beside it together,
        # and the median trial's share counts.
        intakes: list[WrkResult] = []
        intakes_stored: list[int] = []
        env = app_env(url, corpus, worker_threads=0, fake_url=fake_url, token=token)
        for trial in range(1, INTAKE_TRIALS + 1):
            port = free_port()
            with running(gunicorn_command("bot:create_app()", port), env, f"{backend}-intake.log",
                         f"http://127.0.0.1:{port}/healthz"):
                run_wrk("intake warm-up", port, files["warm"], 2, **wrk_args)
                before = last_event_pk(engine)
                intakes.append(run_wrk(f"intake, trial {trial}", port, files[f"intake{trial}"], seconds, **wrk_args))
                time.sleep(0.3)
                intakes_stored.append(count_events(engine, before))
                print(f"  {'':<22} stored {intakes_stored[-1]} new events", flush=True)
                if trial == INTAKE_TRIALS:
                    median_rps = sorted(run.rps for run in intakes)[len(intakes) // 2]
                    half = run_wrk("intake at half rate", port, files["half"], seconds, rate=median_rps / 2,
                                   **wrk_args)
            bares.append(run_bare("bare, again"))  # the machine may change meanwhile
        print(f"  {'':<22} {retire_pending(engine):,} events of the intake runs marked done", flush=True)
        baseline = sum(run.rps for run in bares) / len(bares)

        target = baseline * FULL_SHARE * 1.02  # a hair above, so that wrk's pacing does not fall short

        def probe_and_sustain(label: str, suffix: str) -> tuple[FullPathResult, FullPathResult]:
            # a service that has been running: templates compiled, connections open, answer caches filled
            full_path_run(f"{label} warm-up", port, files["warm_full" + suffix], 5, min(target, 200), engine, fake,
                          **wrk_args)
            probe = full_path_run(f"{label} probe", port, files["probe" + suffix], PROBE_SECONDS, target, engine,
                                  fake, **wrk_args)
            rate = target if probe.kept_up else SUSTAINED_SHARE * probe.answered_rps
            return probe, full_path_run(label, port, files["full" + suffix], seconds, rate, engine, fake, **wrk_args)

        port = free_port()
        env = app_env(url, corpus, worker_threads=0, fake_url=fake_url, token=token)
        with running(gunicorn_command("bot:create_app()", port), env, f"{backend}-separate.log",
                     f"http://127.0.0.1:{port}/healthz"), workers_running(options.worker_processes, env, backend):
            separate_probe, separate = probe_and_sustain("ita worker", "_separate")

        port = free_port()
        env = app_env(url, corpus, worker_threads=options.worker_threads, fake_url=fake_url, token=token)
        with running(gunicorn_command("bot:create_app()", port), env, f"{backend}-full.log",
                     f"http://127.0.0.1:{port}/healthz"):
            probe, full = probe_and_sustain("full path", "")
            rate = full.load.offered
            fake.set_delay(SLOW_REPLY_S, REPLY_PATH)
            slow = run_wrk("acks, LINE takes 2 s", port, files["slow"], seconds / 2, rate=rate, **wrk_args)
            fake.set_delay(0)
            backlog = run_wrk("acks, backlog", port, files["backlog"], seconds / 2, rate=median_rps / 2, **wrk_args)
    engine.dispose()
    logs = [OUT / f"{backend}-full.log", *OUT.glob(f"{backend}-ita-worker-*.log")]
    log_text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in logs)
    failed = len(re.findall(r"handling event \S+ \(\w+\) failed", log_text))
    return BackendRun(
        backend, server, bares, bare_wsgi, intakes, intakes_stored, half, probe, full, separate_probe, separate, slow,
        backlog, cost, uncached, failed
    )


# --- the report ---------------------------------------------------------------------------------


def _span(values: Sequence[float], unit: str) -> str:
    """"0.6–0.8 ms", or "0.8 ms" when they round alike, or "some" when there are none."""
    if not values:
        return "some"
    low, high = f"{min(values):.1f}", f"{max(values):.1f}"
    return f"{low} {unit}" if low == high else f"{low}–{high} {unit}"


def _pct(part: float, whole: float) -> str:
    if not whole:
        return "n/a"
    share = 100 * part / whole
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def _ok(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _probe_cell(probe: FullPathResult) -> str:
    return f"{probe.answered_rps:,.0f}/s of {probe.rate:,.0f}/s offered" + (
        "" if probe.kept_up else f", {probe.drain_s:.0f} s backlog"
    )


def _sustained_cell(full: FullPathResult, baseline: float, met: bool) -> str:
    backlog = "" if full.kept_up else f", {full.drain_s:.0f} s backlog"
    return f"{full.rate:,.0f} ({_pct(full.rate, baseline)}); {full.answered:,}/{full.events:,}{backlog} {_ok(met)}"


def _sustains(full: FullPathResult, baseline: float) -> bool:
    """Every event answered at 15 % of the bare rate, with no backlog and no failed request."""
    return full.kept_up and full.rate >= FULL_SHARE * baseline and full.load.failed == 0


def verdicts(run: BackendRun) -> dict[str, bool]:
    """Each target, met or not."""
    full = run.full
    return {
        "intake": run.intake_share >= INTAKE_SHARE and run.intake.failed == 0,
        "full": _sustains(full, run.baseline),
        "full, ita worker": _sustains(run.separate, run.baseline),
        "ack": run.half.p99 < ACK_P99_MS and run.half.failed == 0,
        "reply": full.reply_p99 < REPLY_P99_MS,
        "reply, ita worker": run.separate.reply_p99 < REPLY_P99_MS,
        "slow": run.slow.p99 < ACK_P99_MS and run.slow.failed == 0,
    }


def _cpu_per_request_us(result: WrkResult) -> float:
    return 1e6 * result.cpu.get("app", 0.0) / result.rps if result.rps else math.nan


def analysis(runs: Sequence[BackendRun]) -> list[str]:
    """What the numbers say, computed from them."""
    lines = ["What the numbers say:", ""]
    for r in runs:
        bare_us = (_cpu_per_request_us(r.bare) + _cpu_per_request_us(r.bare_after)) / 2
        intake_us = _cpu_per_request_us(r.intake)
        handling_cores = r.full.load.cpu.get("app", 0.0)
        lines.append(
            f"- {r.backend}: a bare request costs the app {bare_us:.0f} µs of CPU, a stored webhook request "
            f"{intake_us:.0f} µs (verify, parse, one group-committed INSERT per batch of concurrent requests); "
            f"at {r.intake_share:.0%} of the bare rate (its median trial) the intake used "
            f"{r.intake.cpu.get('app', 0.0):.2f} cores for the app and {r.intake.cpu.get('wrk', 0.0):.2f} for wrk. "
            f"An event costs {r.cost.total:.1f} ms of CPU on one thread, {r.cost.handler:.1f} ms of it in the "
            f"handler (`bot/dispatch.py`, `bot/handlers`, `bot/views`, the `ita_core` queries), "
            f"{r.cost.reply_call:.1f} ms in the reply call and {r.cost.machinery:.1f} ms in the worker's own "
            f"claim/outbox/commit work. Even with nothing else to do, the handler alone would cap the full "
            f"path at {os.cpu_count() or 1} cores / {r.cost.handler:.1f} ms = "
            f"{1000 * (os.cpu_count() or 1) / r.cost.handler:,.0f} events/s, against "
            f"{FULL_SHARE * r.baseline:,.0f} for 15 % of bare; in the full-path run the app used "
            f"{handling_cores:.2f} cores for {r.full.rate:,.0f} events/s. "
            + (
                f"{r.handler_failures} event(s) were answered with the apology because their handler raised "
                f"(see `bench/out/webhook/{r.backend}-full.log`)."
                if r.handler_failures
                else "No handler raised."
            )
        )
    spreads = ", ".join(
        f"{(max(b.rps for b in r.bares) - min(b.rps for b in r.bares)) / r.baseline:.0%} on {r.backend}"
        for r in runs if r.baseline
    )
    lines.append(
        f"- The bare app's {len(runs[0].bares) if runs else 0} runs, minutes apart on the same machine, span {spreads}: "
        "a share near its threshold (the intake's) moves by a few points from one run to the next, hence the "
        "trials."
    )
    fake_ms = [1000 * r.full.load.cpu.get("fake LINE", 0.0) / r.full.rate for r in runs if r.full.rate]
    lines += [
        "- The fake LINE API keeps connections open (`bot/fakeline/http.py`), as LINE does, and checks every "
        "reply against the spec and the SDK's models: "
        + _span(fake_ms, "ms")
        + " of CPU per reply in the fake (its checks cached by content), on the same two cores as the app.",
        "- The answer cache: the simulated officials are 600 people of the five demo agencies asking the "
        "questions above, so after a warm-up nearly every results answer is a repeat (the share is in the "
        "table). A national deployment has many more agencies and fewer repeats per agency; the uncached "
        "row is the cost when nothing repeats.",
    ]
    return lines


def render_section(runs: Sequence[BackendRun], info: dict[str, str], options: Options, pg_shown: str) -> str:
    """The "## Webhook" section of docs/benchmarks.md."""
    names = [r.backend for r in runs]
    head = "| measure | " + " | ".join(names) + " | target |"
    rule = "|---|" + "---|" * len(runs) + "---|"

    def row(label: str, cells: Sequence[str], target: str = "") -> str:
        return f"| {label} | " + " | ".join(cells) + f" | {target} |"

    lines = [
        SECTION,
        "",
        f"Measured {info['Date']} with `.venv/bin/python -m bench.bench_webhook` (re-run it to refresh this section).",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items() if k != "Date") + ".",
        "",
        "gunicorn, from the Procfile's `web:` line (the same for the bare app): `"
        + " ".join(gunicorn_command("APP", 0)[1:-3])
        + "` and `gunicorn.conf.py` (which freezes the heap each worker starts with, out of the collector's way). "
        + "In-process worker threads for the full path: "
        + f"{options.worker_threads} per gunicorn worker. wrk: {options.threads} threads, {options.connections} "
        + f"connections, {options.seconds:g} s per run; one event per request, {options.users} "
        + "registered users asking a mix of Thai questions (every results intent, follow-ups, help, greetings).",
        "",
        head,
        rule,
        row("database", [r.server for r in runs]),
        row(
            "other processes on the machine during the bare / intake / bare again runs, cores",
            [
                " / ".join(f"{w.cpu.get('other', 0.0):.2f}" for w in (r.bare, r.intake, r.bare_after))
                for r in runs
            ],
            "0 on a quiet machine",
        ),
        row(
            "bare Flask app, req/s: before, between and after the intake trials → baseline (their mean)",
            [" / ".join(f"{b.rps:,.0f}" for b in r.bares) + f" → {r.baseline:,.0f}" for r in runs],
            "about 7,000 on this class",
        ),
        row(
            "&nbsp;&nbsp;for reference: a bare WSGI app without Flask (`bench.bare_wsgi`), req/s",
            [f"{r.bare_wsgi.rps:,.0f}" for r in runs],
        ),
        row(
            "intake only (`ITA_WORKER_THREADS=0`), req/s: the median trial (share of the bare runs either side)",
            [f"{r.intake.rps:,.0f} ({r.intake_share:.0%}) {_ok(verdicts(r)['intake'])}" for r in runs],
            "≥ 50 % of bare",
        ),
        row(
            "&nbsp;&nbsp;the median trial as a share of the bare WSGI app (the webhook is served outside Flask)",
            [f"{r.intake.rps / r.bare_wsgi.rps:.0%}" if r.bare_wsgi.rps else "–" for r in runs],
        ),
        row(
            "&nbsp;&nbsp;each trial: req/s (share of the bare runs either side)",
            ["; ".join(f"{t.rps:,.0f} ({share:.0%})" for t, share in zip(r.intakes, r.intake_shares, strict=True))
             for r in runs],
        ),
        row("&nbsp;&nbsp;ack p50 / p99 at that rate, ms", [f"{r.intake.p50:.1f} / {r.intake.p99:.1f}" for r in runs]),
        row(
            "&nbsp;&nbsp;events stored / requests answered 200",
            [f"{r.intake_stored:,} / {r.intake.requests - r.intake.failed:,}" for r in runs],
        ),
        row(
            "ack p99 at half the intake rate (intake only), ms",
            [f"{r.half.p99:.1f} at {r.half.rps:,.0f} req/s {_ok(verdicts(r)['ack'])}" for r in runs],
            "< 50 ms",
        ),
        row(
            f"full path offered 15 % of bare for {PROBE_SECONDS:g} s: answered/s",
            [_probe_cell(r.probe) for r in runs],
            "keeps up",
        ),
        row(
            "full path sustained: events/s (share of bare), answered",
            [_sustained_cell(r.full, r.baseline, verdicts(r)["full"]) for r in runs],
            "≥ 15 % of bare, every event",
        ),
        row(
            "&nbsp;&nbsp;receipt → reply at the fake LINE, p50 / p99, ms",
            [f"{r.full.reply_p50:.0f} / {r.full.reply_p99:.0f} {_ok(verdicts(r)['reply'])}" for r in runs],
            "p99 < 300 ms",
        ),
        row("&nbsp;&nbsp;ack p50 / p99 meanwhile, ms", [f"{r.full.load.p50:.1f} / {r.full.load.p99:.1f}" for r in runs]),
        row(
            f"full path with {options.worker_processes} `ita worker` processes instead (web `ITA_WORKER_THREADS=0`):"
            f" offered 15 % of bare for {PROBE_SECONDS:g} s, answered/s",
            [_probe_cell(r.separate_probe) for r in runs],
            "keeps up",
        ),
        row(
            "&nbsp;&nbsp;sustained: events/s (share of bare), answered",
            [_sustained_cell(r.separate, r.baseline, verdicts(r)["full, ita worker"]) for r in runs],
            "≥ 15 % of bare, every event",
        ),
        row(
            "&nbsp;&nbsp;receipt → reply p50 / p99, ms; ack p50 / p99 meanwhile, ms",
            [
                f"{r.separate.reply_p50:.0f} / {r.separate.reply_p99:.0f} {_ok(verdicts(r)['reply, ita worker'])}; "
                f"{r.separate.load.p50:.1f} / {r.separate.load.p99:.1f}"
                for r in runs
            ],
            "reply p99 < 300 ms",
        ),
        row(
            f"&nbsp;&nbsp;CPU during that run, cores ({CPU_HEADING})",
            [" / ".join(f"{r.separate.load.cpu.get(g, 0.0):.2f}" for g in CPU_GROUPS) for r in runs],
        ),
        row(
            "slow LINE (every reply held 2 s), same rate: ack p50 / p99, ms",
            [
                f"{r.slow.p50:.1f} / {r.slow.p99:.1f}, {r.slow.failed} not 200 {_ok(verdicts(r)['slow'])}"
                for r in runs
            ],
            "acks not held up",
        ),
        row(
            "workers saturated (half the intake rate into the full path): ack p50 / p99, ms",
            [f"{r.backlog.p50:.1f} / {r.backlog.p99:.1f} at {r.backlog.rps:,.0f} req/s" for r in runs],
        ),
        row(
            "CPU per event, one thread: total = handler + reply call + worker machinery, ms",
            [
                f"{r.cost.total:.2f} = {r.cost.handler:.2f} + {r.cost.reply_call:.2f} + {r.cost.machinery:.2f}"
                f" ({r.cost.cache_hits:.0%} from the answer cache)"
                for r in runs
            ],
        ),
        row(
            "&nbsp;&nbsp;the same with the answer caches and the matcher's memory off (`ITA_ANSWER_CACHE=0`), ms",
            [
                f"{r.uncached.total:.2f} = {r.uncached.handler:.2f} + {r.uncached.reply_call:.2f}"
                f" + {r.uncached.machinery:.2f}"
                for r in runs
            ],
        ),
        row(
            "&nbsp;&nbsp;the handler's CPU, under the profiler: SQLAlchemy / views and templates / intent matcher",
            [" / ".join(f"{v:.0%}" for v in r.cost.handler_shares.values()) for r in runs],
        ),
        row(
            f"CPU during the full-path run (threads), cores ({CPU_HEADING})",
            [" / ".join(f"{r.full.load.cpu.get(g, 0.0):.2f}" for g in CPU_GROUPS) for r in runs],
            f"{os.cpu_count()} cores",
        ),
        "",
        *analysis(runs),
        "",
        "How it is measured:",
        "",
        "- Bodies are generated before the servers start (`bench/out/webhook/*.tsv`, one signed body per line, "
        "each with its own `webhookEventId` and reply token) and sent by `bench/webhook.lua`; every wrk thread "
        "sends its own share of the lines, so no body is sent twice.",
        "- *Intake trials*: the intake is run three times, each time between two runs of the bare app (the first "
        "bare run, then one after each trial); a trial's share is its req/s over the mean of the bare runs either "
        "side of it, and the trial with the median share is the one reported and judged. A shared machine has "
        "slower spells; they move a trial and the bare runs beside it together, and one spell does not decide.",
        "- *req/s* is wrk's count of answered requests over the run; *ack* latency is wrk's, from writing a request "
        "to reading its answer. Runs marked with a rate are paced: wrk has no rate limit (wrk2 is not packaged), so "
        "the script's `delay()` hook schedules each request on an absolute clock (CLOCK_MONOTONIC via LuaJIT's FFI), "
        "the way wrk2 does without its latency correction.",
        "- *Full path*: the app with its worker threads (`ITA_WORKER_THREADS`, default 4 per gunicorn worker) and "
        "the fake LINE API (`python -m bot.fakeline --any-reply-token`, spec and SDK checks on) as a separate "
        "process, first warmed up for 5 s at up to 200 events/s (as a service that has been running: templates "
        "compiled, connections open, answer caches filled); the events the intake runs stored, which no one "
        "handles, are marked done before (they would otherwise be work for the workers' scans). An event is answered when the fake accepted a reply "
        "carrying its reply token; *receipt → reply* "
        "is the fake's record time minus the event's `received_at` in the database (same clock). *answered/s* is "
        "answers over first receipt to last reply. First a short run offered 15 % of the bare rate: if every "
        "event is answered within a second of its end, the full path keeps up and the measured run goes at that "
        f"rate; if not, the measured run goes at {SUSTAINED_SHARE:.0%} of the rate the probe managed, so its "
        "latencies are those of a rate the full path sustains.",
        "- *`ita worker` processes*: the same warm-up, probe and sustained run with the web processes storing only "
        "(`ITA_WORKER_THREADS=0`) and `ita worker` processes with their default options (one per core unless "
        "`--worker-processes` says otherwise) doing the handling: the configuration for larger deployments.",
        "- *Slow LINE*: the fake holds every reply 2 s (`/__fake__/delay`); the full-path app is driven at the "
        "full-path rate again, so its acknowledgements compare with the run before.",
        "- *Workers saturated*: half the intake rate into the full-path app, far above what the workers handle: "
        "acknowledgements while the backlog grows (it is not drained; the app is stopped).",
        "- *CPU per event, one thread*: before the servers start, the benchmark stores 400 events and has "
        "`EventProcessor.process` handle them one after another in its own process, timing CPU (`process_time`) "
        "inside the handler (`bot.dispatch` with the matcher, handlers, `ita_core` queries and views) and inside "
        "`LineClient` (the reply: body serialisation and the HTTP call); the rest is the worker's own work "
        "(claim, outbox row, commits, delivery bookkeeping, the `sent` marks written in batches as the worker "
        "threads write them). Twice: with the answer cache as deployed, warmed "
        "first by 400 other events as in a long run, and with it off (`ITA_ANSWER_CACHE=0`, which also turns off the matcher's memory of questions).",
        "- *CPU*: from `/proc`, per process group, over each wrk run; *other* is everything else on the machine "
        "(other people's jobs on a shared machine show up there, and the numbers above are only as good as it is "
        "small).",
        "",
        "Rerun (wrk 4.1 is a prerequisite: `apt-get install -y wrk`; PostgreSQL reachable, trust or a password in the URL):",
        "",
        "```sh",
        f".venv/bin/python -m bench.bench_webhook --pg-url {pg_shown}",
        "```",
        "",
        "The database named in the URL is dropped and recreated (the URL may also come from "
        f"`{PG_ENV}`); SQLite uses `bench/out/webhook/bench.db`. `--backends sqlite` skips PostgreSQL, "
        "`--no-doc` leaves this file alone, `--help` lists the rest. Server logs go to `bench/out/webhook/`. "
        "A run takes about four and a half minutes per backend, plus half a minute to write the request bodies.",
        "",
    ]
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV) or DEFAULT_PG,
                        help=f"PostgreSQL database to drop and recreate (default ${PG_ENV} or {DEFAULT_PG})")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each measured wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--worker-threads", type=int, default=4, help="ITA_WORKER_THREADS for the full path")
    parser.add_argument("--worker-processes", type=int, default=os.cpu_count() or 1,
                        help="`ita worker` processes for the full path without threads (default: one per core)")
    parser.add_argument("--users", type=int, default=600, help="simulated registered users")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    options = Options(
        args.seconds, args.connections, args.threads, args.worker_threads, args.worker_processes, args.users, args.seed
    )
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    print("; ".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    print("gunicorn " + " ".join(gunicorn_command("APP", 0)[1:]), flush=True)

    per_second = math.ceil(args.seconds)
    # Enough distinct events for each run at the rates seen so far, with room: a run that sends more
    # requests than its file holds wraps round (the harness prints "wrapped"), and the repeats are
    # redeliveries, stored once, so fewer events than requests count towards the run's rate.
    full_rate = 2_000  # events per second the full-path files are sized for
    sizes = {
        "warm": 9_000,
        "warm_full": 1_500,
        "warm_full_separate": 1_500,
        "probe_separate": math.ceil(full_rate * PROBE_SECONDS),
        "full_separate": full_rate * per_second,
        **{f"intake{trial}": 6_000 * per_second for trial in range(1, INTAKE_TRIALS + 1)},
        "half": 4_500 * per_second,
        "probe": math.ceil(full_rate * PROBE_SECONDS),
        "full": full_rate * per_second,
        "slow": full_rate * per_second,
        "backlog": 4_500 * per_second,
    }
    started = time.monotonic()
    corpus = generate(secrets.token_hex(16), sizes, args.users, args.seed)
    print(f"generated {sum(sizes.values()):,} signed bodies in {time.monotonic() - started:.1f} s", flush=True)

    runs: list[BackendRun] = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "sqlite":
            url = fresh_sqlite(OUT / "bench.db")
        elif backend == "postgresql":
            url = fresh_pg(args.pg_url)
        else:
            raise SystemExit(f"unknown backend {backend!r}")
        runs.append(bench_backend(backend, url, corpus, options))
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    for run in runs:
        print(f"{run.backend}: " + ", ".join(f"{k} {_ok(v)}" for k, v in verdicts(run).items()))
    if not args.no_doc and runs:
        pg_shown = make_url(normalise_url(args.pg_url)).render_as_string(hide_password=True)
        write_section(DOC, SECTION, render_section(runs, info, options, pg_shown))
        print(f"updated {DOC.relative_to(ROOT)} ({SECTION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
