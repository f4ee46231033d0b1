"""Quick runs of the webhook at fixed offered rates, for A/B trials of one change.

The webhook benchmark (``bench.bench_webhook``) measures everything against the bare app and takes
minutes per engine; this drives one configuration at the rates given and prints, per rate, what
it managed and the CPU each process group spent per event. Nothing is written to the docs.

- the full path (default): web processes with their worker threads, or with ``--separate N`` web
  processes that only store plus N ``ita worker`` processes; per rate: events answered per second,
  receipt → reply latency, CPU per answered event;
- ``--intake``: the web processes storing only (no worker threads, no fake LINE); per rate (0: as
  fast as it goes): requests per second and CPU per request.

    .venv/bin/python -m bench.quick_full --backend postgresql --rates 500,700 --seconds 8
    .venv/bin/python -m bench.quick_full --intake --rates 700,0
    .venv/bin/python -m bench.quick_full --intake --rates 0 --bare
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from collections.abc import Sequence

from sqlalchemy import Engine

from bench.bench_webhook import (
    DEFAULT_PG,
    OUT,
    PG_ENV,
    Corpus,
    app_env,
    bare_run,
    base_env,
    fake_line_command,
    free_port,
    fresh_pg,
    fresh_sqlite,
    full_path_run,
    generate,
    gunicorn_command,
    prepare_database,
    retire_pending,
    run_wrk,
    running,
    workers_running,
)
from bot.fakeline import FakeLineClient
from ita_core.db import make_engine

WRK = {"connections": 32, "threads": 2}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the trial and print what it measured."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV) or DEFAULT_PG)
    parser.add_argument("--rates", default="600", help="comma-separated offered rates per second (0: flat out, --intake)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--intake", action="store_true", help="the intake alone: no worker threads, no fake LINE")
    parser.add_argument("--bare", action="store_true", help="with --intake: the bare app flat out before and after")
    parser.add_argument("--separate", type=int, default=0, help="`ita worker` processes (0: the web processes' threads)")
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--sqlite-copy", metavar="FILE", help="SQLite: start from a copy of this database (the webhook "
                        "benchmark's bench/out/webhook/bench.db after a run, same --users and --seed) instead of an "
                        "empty one: a file as big as the benchmark's by the time it runs the full path")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    per_run = int(9_000 * args.seconds) if args.intake else int(max(rates) * args.seconds * 1.1) + 100
    sizes = {"warm": 9_000 if args.intake else 1_500, **{f"run{i}": per_run for i in range(len(rates))}}
    corpus = generate(secrets.token_hex(16), sizes, args.users, args.seed)
    url = fresh_sqlite(OUT / "quick.db") if args.backend == "sqlite" else fresh_pg(args.pg_url)
    if args.backend == "sqlite" and args.sqlite_copy:
        shutil.copyfile(args.sqlite_copy, OUT / "quick.db")
        engine = make_engine(url)
        print(f"  started from a copy of {args.sqlite_copy} ({retire_pending(engine)} pending events marked done)")
    else:
        engine = prepare_database(url, corpus.users)
    if args.intake:
        if args.bare:
            bare(corpus, args.seconds, "bare before")
        intake(url, corpus, rates, args.seconds)
        if args.bare:
            bare(corpus, args.seconds, "bare after")
    else:
        full_path(url, corpus, engine, rates, args.seconds, args.separate, args.worker_threads)
    engine.dispose()
    return 0


def intake(url: str, corpus: Corpus, rates: list[float], seconds: float) -> None:
    """The web processes storing only, at each rate: requests per second and CPU per request."""
    port = free_port()
    env = app_env(url, corpus, worker_threads=0, fake_url="http://127.0.0.1:1", token="unused")
    with running(gunicorn_command("bot:create_app()", port), env, "quick-intake.log", f"http://127.0.0.1:{port}/healthz"):
        run_wrk("warm-up", port, corpus.files["warm"], 2, **WRK)
        for index, rate in enumerate(rates):
            result = run_wrk(f"at {rate:.0f}/s" if rate else "flat out", port, corpus.files[f"run{index}"], seconds,
                             rate=rate, **WRK)
            print("  CPU per request, µs: " + per_unit(result.cpu, result.rps, 1e6), flush=True)


def bare(corpus: Corpus, seconds: float, label: str) -> None:
    """The bare app (``bench.bare_app``) flat out, under the same gunicorn settings."""
    result = bare_run(label, corpus.files["warm"], corpus.files["run0"], seconds, "quick-bare.log", **WRK)
    print("  CPU per request, µs: " + per_unit(result.cpu, result.rps, 1e6), flush=True)


def full_path(
    url: str, corpus: Corpus, engine: Engine, rates: list[float], seconds: float, separate: int, threads: int
) -> None:
    """The full path at each rate: answered per second, latencies, CPU per answered event."""
    token = secrets.token_urlsafe(24)
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    with running(fake_line_command(fake_port, token), {**base_env(), "LINE_CHANNEL_ACCESS_TOKEN": token},
                 "quick-fakeline.log", f"{fake_url}/__fake__"):
        fake = FakeLineClient(fake_url, timeout=120)  # a run's records: tens of MB of JSON
        port = free_port()
        env = app_env(url, corpus, worker_threads=0 if separate else threads, fake_url=fake_url, token=token)
        with running(gunicorn_command("bot:create_app()", port), env, "quick-app.log",
                     f"http://127.0.0.1:{port}/healthz"), workers_running(separate, env, "quick"):
            full_path_run("warm-up", port, corpus.files["warm"], 5, 200, engine, fake, **WRK)
            for index, rate in enumerate(rates):
                result = full_path_run(f"at {rate:.0f}/s", port, corpus.files[f"run{index}"], seconds, rate,
                                       engine, fake, **WRK)
                print("  CPU per answered event while loaded, ms: "
                      + per_unit(result.load.cpu, result.answered_rps, 1e3), flush=True)


def per_unit(cpu: dict[str, float], per_second: float, scale: float) -> str:
    """Each process group's cores over ``per_second`` units, times ``scale``."""
    per_second = per_second or 1.0
    return ", ".join(f"{group} {cores / per_second * scale:.2f}" for group, cores in cpu.items() if cores >= 0.005)


if __name__ == "__main__":
    sys.exit(main())
