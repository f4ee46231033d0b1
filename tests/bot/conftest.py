"""Fixtures that speak LINE: a fake Messaging API, the real app on a real port, signed webhooks."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from bot import linesim
from bot.fakeline import FakeLine
from ita_core.db import make_engine, make_session_factory, unit_of_work, upgrade

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"


@pytest.fixture
def fake_line() -> Iterator[FakeLine]:
    """A fake Messaging API on 127.0.0.1 that checks every request against LINE's spec."""
    fake = FakeLine(token=TOKEN)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@dataclass
class Response:
    status: int
    body: bytes


@dataclass
class LiveApp:
    """The real app served over HTTP on loopback, plus a helper that speaks LINE to it."""

    app: Flask
    url: str
    fake: FakeLine
    secret: str = SECRET
    users: dict[str, str] = field(default_factory=dict)

    def post(self, body: bytes, signature: str | None = "sign", content_type: str = "application/json") -> Response:
        headers = {"Content-Type": content_type}
        if signature == "sign":
            signature = linesim.sign(self.secret, body)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        request = urllib.request.Request(self.url + "/callback", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read())

    def get(self, path: str) -> Response:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read())

    def deliver(self, *events: dict[str, Any], register_tokens: bool = True) -> Response:
        """Sign and post events (registering their reply tokens with the fake API)."""
        for event in events:
            if register_tokens and event.get("replyToken"):
                self.fake.register_reply_token(event["replyToken"])
        return self.post(linesim.webhook_body(*events))

    def replies_to(self, event: dict[str, Any], timeout: float = 10.0) -> list[dict[str, Any]]:
        """The messages the bot sent in answer to ``event`` (reply, or push to the chat)."""
        token = event.get("replyToken")
        source = event.get("source") or {}
        chat = source.get("groupId") or source.get("userId")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [
                r
                for r in self.fake.accepted()
                if (r.path == "/v2/bot/message/reply" and r.body.get("replyToken") == token)
                or (r.path == "/v2/bot/message/push" and r.body.get("to") == chat and r.seq > 0 and token is None)
            ]
            if found:
                return [m for r in found for m in r.body["messages"]]
            time.sleep(0.02)
        raise AssertionError(f"no answer to event {event.get('webhookEventId')} within {timeout}s")

    def send_text(self, user: str, text: str) -> list[dict[str, Any]]:
        """Send a text as ``user`` and return the bot's answer."""
        event = linesim.text_event(linesim.user_source(user), text)
        response = self.deliver(event)
        assert response.status == 200, response
        return self.replies_to(event)


def serve(app: Flask) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def make_live_app(database_url: str, fake_line: FakeLine) -> Iterator[Callable[..., LiveApp]]:
    """Build the real app on a fresh database with the demo data, served on a free port."""
    servers: list[tuple[BaseWSGIServer, Flask]] = []

    def build(load_demo: bool = True, handler: Any = None, **overrides: str | None) -> LiveApp:
        from bot import create_app
        from ita_core.demo import load_demo as load

        engine = make_engine(database_url)
        upgrade(engine)
        if load_demo:
            from datetime import UTC, datetime

            with unit_of_work(make_session_factory(engine)) as session:
                load(session, datetime.now(UTC))
        engine.dispose()
        config: dict[str, str | None] = {
            "DATABASE_URL": database_url,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": fake_line.base_url,
            "ITA_WORKER_THREADS": "2",
        }
        config.update(overrides)
        app = create_app({k: v for k, v in config.items() if v is not None}, handler=handler)
        server, _ = serve(app)
        servers.append((server, app))
        return LiveApp(app, f"http://127.0.0.1:{server.server_port}", fake_line)

    yield build
    for server, app in servers:
        server.shutdown()
        svc = app.extensions["ita"]
        if svc.pool is not None:
            svc.pool.stop()
        svc.engine.dispose()
