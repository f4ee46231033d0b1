"""CPU cost of the fake LINE API per reply call, measured on the fake's own process.

Run from the repository root::

    .venv/bin/python bench/bench_fakeline.py                 # 4,000 replies, same content, 3 rounds
    .venv/bin/python bench/bench_fakeline.py --distinct      # every reply's content different (no cache hits)
    .venv/bin/python bench/bench_fakeline.py --calls 2000 --rounds 5

The fake is started as a separate process with the options the webhook benchmark gives it
(``--any-reply-token --max-records 200000``, spec and SDK checks on), and this process sends it
``POST /v2/bot/message/reply`` calls over one kept-alive ``http.client`` connection, one at a time,
with the headers the bot sends and a realistic flex message (the "sub-indicator 9.2" reply
rendered by the bot's own views, about 9.5 KB of compact JSON). What is reported is the fake
process's CPU time (user + system, all threads, from ``/proc/<pid>/stat``) per call: wall-clock time
would say more about whatever else runs on the machine than about the fake.

The fake runs through this script (``bench_fakeline.py --serve ...``, which calls
``bot.fakeline.__main__.main``: the same server) rather than ``python -m bot.fakeline``, so that a
webhook benchmark running at the same time does not count this process as its own fake.
Nothing is written to docs/; the figure in docs/fake-line.md was copied from a run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-fakeline-token"
REPLY = "/v2/bot/message/reply"
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU seconds used so far by every thread of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / _TICKS, int(fields[12]) / _TICKS


def flex_messages() -> list[dict[str, Any]]:
    """A realistic reply: the bot's answer to "sub-indicator 9.2" (a flex bubble and quick replies)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bot.views import messages as views
    from tests.bot.views import samples

    result = samples.chiangphin_2568()
    return list(views.indicator_messages(result, 9, None, (), samples.comparison(), sub_indicator="9.2"))


def bot_headers() -> dict[str, str]:
    """The headers bot.line_client sends: the SDK's defaults (bearer token, User-Agent) and JSON."""
    from linebot.v3.messaging import ApiClient, Configuration

    with ApiClient(Configuration(host="http://127.0.0.1", access_token=TOKEN)) as api:
        return {**api.default_headers, "Accept": "application/json", "Content-Type": "application/json"}


def compact(value: Any) -> bytes:
    """As the bot writes a body: compact JSON, UTF-8, the reply token first."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def start_fake() -> tuple[subprocess.Popen[str], str]:
    """The fake in its own process, as the webhook benchmark runs it; (process, base URL)."""
    command = [sys.executable, __file__, "--serve", "--port", "0", "--token", TOKEN,
               "--any-reply-token", "--max-records", "200000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    if " on " not in line:
        process.kill()
        raise RuntimeError(f"the fake did not start: {line!r}")
    return process, line.split(" on ", 1)[1].split()[0]


def send_replies(connection: http.client.HTTPConnection, headers: dict[str, str],
                 messages: list[dict[str, Any]], count: int, *, distinct: bool) -> None:
    """`count` reply calls, each with a new reply token; every one must be accepted."""
    for index in range(count):
        sent = messages
        if distinct:  # a different altText makes different content: no cache hit
            sent = [{**messages[0], "altText": f"{messages[0].get('altText', '')} {uuid.uuid4().hex}"}, *messages[1:]]
        body = compact({"replyToken": uuid.uuid4().hex, "messages": sent})
        connection.request("POST", REPLY, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"reply {index} answered {response.status}: {answer[:300]!r}")


def main(argv: list[str] | None = None) -> int:
    """Measure and print the fake's CPU per reply call."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=4000, help="measured calls per round (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=300, help="calls before measuring (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default %(default)s)")
    parser.add_argument("--distinct", action="store_true", help="a different message content on every call")
    args = parser.parse_args(argv)

    messages = flex_messages()
    headers = bot_headers()
    size = len(compact({"replyToken": uuid.uuid4().hex, "messages": messages}))
    process, base_url = start_fake()
    try:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        send_replies(connection, headers, messages, args.warmup, distinct=args.distinct)
        per_call: list[float] = []
        for _ in range(args.rounds):
            (user_before, system_before), wall_before = cpu_seconds(process.pid), time.perf_counter()
            send_replies(connection, headers, messages, args.calls, distinct=args.distinct)
            (user_after, system_after), wall_after = cpu_seconds(process.pid), time.perf_counter()
            user, system = user_after - user_before, system_after - system_before
            cpu, wall = user + system, wall_after - wall_before
            per_call.append(cpu / args.calls)
            print(f"round: {args.calls} calls, fake CPU {cpu:.2f} s = {cpu / args.calls * 1000:.3f} ms/call "
                  f"(user {user / args.calls * 1000:.3f}, system {system / args.calls * 1000:.3f}; "
                  f"wall {wall / args.calls * 1000:.3f} ms/call, noisy)", flush=True)
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    content = "a different content every call" if args.distinct else "the same content every call"
    print(f"fake LINE CPU per reply call ({size:,}-byte body, {content}): "
          f"median {statistics.median(per_call) * 1000:.3f} ms, min {min(per_call) * 1000:.3f} ms "
          f"over {args.rounds} x {args.calls} calls")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from bot.fakeline.__main__ import main as serve

        sys.exit(serve(sys.argv[2:]))
    sys.exit(main())
