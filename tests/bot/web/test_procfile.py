"""The Procfile as a deployment runs it: the release line migrates, the web line serves the webhook.

gunicorn with the Procfile's own options (processes, threads, ``--reuse-port``) and ``gunicorn.conf.py``,
the real app with its worker threads, and the fake LINE API: signed webhook requests over HTTP are
stored and each answered once.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot import linesim
from bot.fakeline import FakeLine
from tests.bot.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[3]
SECRET = "procfile-test-secret"
REPLY = "/v2/bot/message/reply"


def procfile_command(kind: str, env: Mapping[str, str]) -> list[str]:
    """The Procfile's ``kind:`` command, ``${VAR:-default}`` expanded as a shell would, its program
    taken from this virtualenv."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(kind + ":"):
            command = line.split(":", 1)[1]
            break
    else:
        raise AssertionError(f"the Procfile has no {kind}: line")
    expanded = re.sub(r"\$\{(\w+):-([^}]*)\}|\$(\w+)",
                      lambda m: env.get(m[1] or m[3]) or (m[2] or ""), command)
    words = shlex.split(expanded)
    return [str(Path(sys.executable).parent / words[0]), *words[1:]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def web(database_url: str, fake_line: FakeLine, tmp_path: Path) -> Iterator[str]:
    """The Procfile's release line run, then its web line serving; yields the base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "ITA_", "DATABASE_URL", "GUNICORN",
                                                                     "WEB_CONCURRENCY", "PORT"))}
    port = free_port()
    env.update(DATABASE_URL=database_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
               LINE_API_BASE_URL=fake_line.base_url, PORT=str(port), PYTHONPATH=str(ROOT))
    subprocess.run(procfile_command("release", env), cwd=ROOT, env=env, check=True, capture_output=True)
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(procfile_command("web", env), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "web.log").read_text()
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # not stopping: take the whole group down, then fail
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
            raise
        finally:
            log.close()


def post(base: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(base + "/callback", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Line-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_procfile_serves_the_webhook(web: str, fake_line: FakeLine) -> None:
    events: list[dict[str, Any]] = [linesim.text_event(linesim.user_source(linesim.user_id()), "ช่วยเหลือ")
                                    for _ in range(12)]
    for event in events:
        fake_line.register_reply_token(event["replyToken"])
    for event in events:  # one request each, on new connections: both gunicorn processes get some
        body = linesim.webhook_body(event)
        assert post(web, body, linesim.sign(SECRET, body)) == 200
    body = linesim.webhook_body(events[0])
    assert post(web, body, linesim.sign("another secret", body)) == 400
    tokens = {event["replyToken"] for event in events}
    deadline = time.monotonic() + 30
    while True:
        replied = [r.body["replyToken"] for r in fake_line.accepted(REPLY) if r.body.get("replyToken") in tokens]
        if len(replied) >= len(events) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert sorted(replied) == sorted(tokens)  # each event answered, once
    assert not fake_line.rejected()
