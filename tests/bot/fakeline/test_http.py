"""The fake's HTTP server keeps connections open, as LINE does, and reads every body in full."""

from __future__ import annotations

import http.client
import json

from bot.fakeline import FakeLine

USER = "U" + "a" * 32


def push(connection: http.client.HTTPConnection, token: str, text: str) -> http.client.HTTPResponse:
    body = json.dumps({"to": USER, "messages": [{"type": "text", "text": text}]}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", "/v2/bot/message/push", body, headers)
    return connection.getresponse()


def test_one_connection_carries_many_calls() -> None:
    with FakeLine() as fake:
        connection = http.client.HTTPConnection("127.0.0.1", int(fake.base_url.rsplit(":", 1)[1]), timeout=5)
        token = fake.token or ""
        for index in range(3):
            response = push(connection, token, f"ข้อความ {index}")
            assert response.status == 200
            assert response.getheader("Connection") != "close"
            assert "sentMessages" in json.loads(response.read())
        sock = connection.sock
        assert sock is not None  # still the first connection: it was never closed
        bad = push(connection, "wrong", "x")
        assert bad.status == 401
        bad.read()
        assert connection.sock is sock
        connection.close()
        accepted = [r for r in fake.requests("/v2/bot/message/push") if r.status == 200]
        assert [r.body["messages"][0]["text"] for r in accepted] == [
            "ข้อความ 0",
            "ข้อความ 1",
            "ข้อความ 2",
        ]


def test_stopping_ends_kept_connections() -> None:
    fake = FakeLine().start()
    connection = http.client.HTTPConnection("127.0.0.1", int(fake.base_url.rsplit(":", 1)[1]), timeout=5)
    assert push(connection, fake.token or "", "x").read()
    fake.stop()
    try:
        response = push(connection, fake.token or "", "y")
        response.read()
        answered = True
    except (ConnectionError, http.client.HTTPException, OSError):
        answered = False
    assert not answered
