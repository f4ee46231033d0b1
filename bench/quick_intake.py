"""A quick run of the webhook's intake alone (web processes storing, no worker threads) at fixed
offered rates, for A/B trials of one change: CPU per stored request at each rate.

    .venv/bin/python -m bench.quick_intake --backend postgresql --rates 700,2000 --seconds 8
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
    free_port,
    fresh_pg,
    fresh_sqlite,
    generate,
    gunicorn_command,
    prepare_database,
    run_wrk,
    running,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the trial and print what it measured."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV) or DEFAULT_PG)
    parser.add_argument("--rates", default="700,0", help="comma-separated offered rates, requests/s (0: as fast as it goes)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    per_run = int(9_000 * args.seconds)
    corpus = generate(secrets.token_hex(16), {"warm": 9_000, **{f"run{i}": per_run for i in range(len(rates))}},
                      args.users, args.seed)
    url = fresh_sqlite(OUT / "quick.db") if args.backend == "sqlite" else fresh_pg(args.pg_url)
    engine = prepare_database(url, corpus.users)
    port = free_port()
    env = app_env(url, corpus, worker_threads=0, fake_url="http://127.0.0.1:1", token="unused")
    wrk_args = {"connections": 32, "threads": 2}
    with running(gunicorn_command("bot:create_app()", port), env, "quick-intake.log", f"http://127.0.0.1:{port}/healthz"):
        run_wrk("warm-up", port, corpus.files["warm"], 2, **wrk_args)
        for index, rate in enumerate(rates):
            result = run_wrk(f"at {rate:.0f}/s" if rate else "flat out", port, corpus.files[f"run{index}"],
                             args.seconds, rate=rate, **wrk_args)
            per = ", ".join(f"{group} {cores / result.rps * 1e6:.0f}" for group, cores in result.cpu.items()
                            if cores >= 0.005)
            print(f"  CPU per request, µs: {per}", flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
