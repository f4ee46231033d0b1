"""The LINE client's transport: one kept-alive connection per thread, replaced when the server closed it."""

from __future__ import annotations

import http.client
import ssl
import threading

from bot.fakeline import FakeLine
from bot.line_client import LineClient, Transport

USER = "U" + "b" * 32


def text(value: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": value}]


def test_calls_from_one_thread_share_one_connection() -> None:
    with FakeLine() as fake:
        client = LineClient(fake.base_url, fake.token)
        for index in range(5):
            client.push(USER, text(f"ข้อ {index}"), retry_key=f"00000000-0000-4000-8000-00000000000{index}")
        assert fake.connections_accepted == 1
        other = threading.Thread(target=lambda: client.push(USER, text("x"), "00000000-0000-4000-8000-000000000009"))
        other.start()
        other.join()
        assert fake.connections_accepted == 2  # one per thread
        assert len([r for r in fake.requests("/v2/bot/message/push") if r.status == 200]) == 6
        client.close()


def test_a_connection_the_server_closed_is_replaced() -> None:
    fake = FakeLine().start()
    port = int(fake.base_url.rsplit(":", 1)[1])
    client = LineClient(fake.base_url, fake.token)
    client.push(USER, text("ก่อน"), retry_key="00000000-0000-4000-8000-000000000001")
    fake.stop()  # ends the kept connection
    again = FakeLine(port=port).start()
    try:
        client.push(USER, text("หลัง"), retry_key="00000000-0000-4000-8000-000000000002")
        assert [r.body["messages"][0]["text"] for r in again.requests("/v2/bot/message/push")] == ["หลัง"]
    finally:
        client.close()
        again.stop()


def test_https_verifies_the_server() -> None:
    transport = Transport("https://api.line.me", timeout=5)
    connection = transport.connect()
    assert isinstance(connection, http.client.HTTPSConnection)
    assert transport.context is not None
    assert transport.context.verify_mode == ssl.CERT_REQUIRED and transport.context.check_hostname
    assert (transport.host, transport.port, transport.prefix) == ("api.line.me", 443, "")
