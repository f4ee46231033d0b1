"""A quick run of the webhook's full path at fixed offered rates, for A/B trials of one change.

The webhook benchmark (``bench.bench_webhook``) measures everything against the bare app and takes
minutes per engine; this drives only the full path (web processes with their worker threads, or
web processes that only store plus ``ita worker`` processes) at the rates given, and prints, per
rate: events answered per second, receipt → reply latency, and the CPU each process group used per
answered event. Nothing is written to the docs.

    .venv/bin/python -m bench.quick_full --backend postgresql --rates 500,700 --seconds 8
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence

from bench.bench_webhook import (
    DEFAULT_PG,
    OUT,
    PG_ENV,
    app_env,
    base_env,
    fake_line_command,
    free_port,
    fresh_pg,
    fresh_sqlite,
    full_path_run,
    generate,
    gunicorn_command,
    prepare_database,
    running,
    workers_running,
)
from bot.fakeline import FakeLineClient


def main(argv: Sequence[str] | None = None) -> int:
    """Run the trial and print what it measured."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV) or DEFAULT_PG)
    parser.add_argument("--rates", default="600", help="comma-separated offered rates, events/s")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--separate", type=int, default=0, help="`ita worker` processes (0: the web processes' threads)")
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    per_run = int(max(rates) * args.seconds * 1.1) + 100
    sizes = {"warm_full": 1_500, **{f"run{i}": per_run for i in range(len(rates))}}
    corpus = generate(secrets.token_hex(16), sizes, args.users, args.seed)
    url = fresh_sqlite(OUT / "quick.db") if args.backend == "sqlite" else fresh_pg(args.pg_url)
    engine = prepare_database(url, corpus.users)
    token = secrets.token_urlsafe(24)
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    wrk_args = {"connections": 32, "threads": 2}
    with running(fake_line_command(fake_port, token), {**base_env(), "LINE_CHANNEL_ACCESS_TOKEN": token},
                 "quick-fakeline.log", f"{fake_url}/__fake__"):
        fake = FakeLineClient(fake_url)
        port = free_port()
        env = app_env(url, corpus, worker_threads=0 if args.separate else args.worker_threads, fake_url=fake_url,
                      token=token)
        with running(gunicorn_command("bot:create_app()", port), env, "quick-app.log",
                     f"http://127.0.0.1:{port}/healthz"), workers_running(args.separate, env, "quick"):
            full_path_run("warm-up", port, corpus.files["warm_full"], 5, 200, engine, fake, **wrk_args)
            for index, rate in enumerate(rates):
                result = full_path_run(f"at {rate:.0f}/s", port, corpus.files[f"run{index}"], args.seconds, rate,
                                       engine, fake, **wrk_args)
                answered = result.answered_rps or 1.0
                cpu = ", ".join(f"{group} {cores / answered * 1000:.2f}" for group, cores in result.load.cpu.items()
                                if cores >= 0.005)
                print(f"  CPU per answered event while loaded, ms (cores / answered/s): {cpu}", flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
