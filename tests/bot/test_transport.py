"""The LINE client's transport: one kept-alive connection per thread, replaced when the server closed it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from bot.fakeline import FakeLine
from bot.line_client import LineApiError, LineClient, Transport

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
    assert transport.context is not None
    assert transport.context.verify_mode == ssl.CERT_REQUIRED and transport.context.check_hostname
    assert (transport.host, transport.port, transport.prefix) == ("api.line.me", 443, "")


class Scripted:
    """A raw HTTP server on loopback answering each request with the next scripted bytes.

    Each script item is the answer's bytes, and whether to close the connection after it. The
    requests received (head and body, raw) are kept.
    """

    def __init__(self, answers: list[tuple[bytes, bool]], tls: ssl.SSLContext | None = None) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tls = tls
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                self._talk(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def _talk(self, conn: socket.socket) -> None:
        buffer = b""
        while self.answers:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + rest[:length])
            buffer = rest[length:]
            answer, close = self.answers.pop(0)
            conn.sendall(answer)
            if close:
                return

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


def ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_answers_are_read_as_http_1_1_delimits_them() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Line-Request-Id: abc\r\n\r\n"
        b"5;ext=1\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"{}")
    server = Scripted([
        (ok(b"{}", "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"), False),
        (chunked, False),
        (interim, False),
        (b"HTTP/1.1 204 No Content\r\n\r\n", False),
        (ok(b"{\"x\": 1}", "Connection: close\r\n"), True),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil closed", True),
    ])
    transport = Transport(f"http://127.0.0.1:{server.port}/base", timeout=5)
    try:
        status, headers, body = transport.request("POST", "/v2/x", b'{"k":"\xe0\xb8\x81"}', {"Authorization": "Bearer t"})
        assert (status, body, headers["set-cookie"]) == (200, b"{}", "a=1, b=2")
        assert server.requests[0] == (
            f"POST /base/v2/x HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer t\r\n"
            "Content-Length: 11\r\n\r\n"
        ).encode() + b'{"k":"\xe0\xb8\x81"}'
        status, headers, body = transport.request("GET", "/chunked", None, {})
        assert (status, body, headers["x-line-request-id"]) == (200, b'{"a": 1}', "abc")
        assert transport.request("POST", "/interim", b"{}", {})[2] == b"{}"
        assert transport.request("DELETE", "/none", None, {})[:1] == (204,)
        assert server.connections == 1  # all kept alive so far
        assert transport.request("POST", "/close", b"{}", {})[2] == b'{"x": 1}'  # and then closed
        assert transport.request("GET", "/old", None, {})[2] == b"until closed"  # HTTP/1.0: body until close
        assert server.connections == 2
        assert transport._local.connection is None  # not kept: the server closed it
    finally:
        transport.close()
        server.close()


def test_broken_answers_are_errors_and_the_connection_is_not_kept() -> None:
    server = Scripted([
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", True),  # the server dies mid-body
        (b"SMTP ready\r\n\r\n", True),
        (ok(b"{}"), False),
    ])
    client = LineClient(f"http://127.0.0.1:{server.port}", "token")
    try:
        for _ in range(2):
            with pytest.raises(LineApiError) as raised:
                client.push(USER, text("x"), retry_key="00000000-0000-4000-8000-000000000001")
            assert raised.value.status is None  # no answer: worth retrying later
        assert client.push(USER, text("y"), retry_key="00000000-0000-4000-8000-000000000002").status == 200
        assert server.connections == 3
    finally:
        client.close()
        server.close()


def test_a_server_that_is_not_trusted_is_refused_and_a_trusted_one_answers(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = Scripted([(ok(b"{}"), False), (ok(b"{}"), False)], tls=tls)
    try:
        untrusting = LineClient(f"https://localhost:{server.port}", "token")
        with pytest.raises(LineApiError):
            untrusting.push(USER, text("x"), retry_key="00000000-0000-4000-8000-000000000001")
        trusting = Transport(f"https://localhost:{server.port}", timeout=5,
                             context=ssl.create_default_context(cafile=str(cert)))
        assert trusting.request("POST", "/v2/bot/message/push", b"{}", {})[:1] == (200,)
        trusting.close()
        assert len(server.requests) == 1  # the refused handshake sent nothing
    finally:
        server.close()
