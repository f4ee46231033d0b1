"""The fake's HTTP server keeps connections open, as LINE does, reads every body in full, and parses requests strictly."""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from bot.fakeline import FakeLine
from bot.fakeline import http as fakeline_http

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


# -- the request parser, over raw sockets --------------------------------------------------------

Response = tuple[int, str, dict[str, str], bytes]


def port_of(fake: FakeLine) -> int:
    return int(fake.base_url.rsplit(":", 1)[1])


def request_bytes(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                  version: str = "HTTP/1.1", token: str | None = None) -> bytes:
    """A request as a client writes it (the fake's token unless told otherwise)."""
    all_headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {token or 'fake-line-channel-access-token'}"}
    if body:
        all_headers |= {"Content-Type": "application/json", "Content-Length": str(len(body))}
    all_headers |= headers or {}
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def push_body(text: str) -> bytes:
    return json.dumps({"to": USER, "messages": [{"type": "text", "text": text}]}).encode()


def parse_responses(data: bytes) -> list[Response]:
    """Every response in `data`, in order: (status, reason, lower-cased headers, body)."""
    found: list[Response] = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"an incomplete response: {data[:200]!r}"
        status_line, *lines = head.decode("latin-1").split("\r\n")
        _, code, reason = status_line.split(" ", 2)
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = 0 if code == "100" else int(headers.get("content-length", "0"))
        found.append((int(code), reason, headers, rest[:length]))
        data = rest[length:]
    return found


def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test)."""
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_one(sock: socket.socket, timeout: float = 5.0) -> Response:
    """Exactly one response, leaving the connection open."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(data) < len(head) + 4 + length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    (response,) = parse_responses(data)
    return response


def exchange(fake: FakeLine, data: bytes) -> list[Response]:
    """Send `data`, say that nothing more follows, and read every answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return parse_responses(read_until_closed(sock))


@pytest.fixture(scope="module")
def served() -> Iterator[FakeLine]:
    with FakeLine() as fake:
        yield fake


@pytest.fixture
def fake(served: FakeLine) -> FakeLine:
    served.reset()
    return served


def test_pipelined_requests_are_answered_in_order(fake: FakeLine) -> None:
    data = (request_bytes("GET", "/v2/bot/info") + request_bytes("POST", "/v2/bot/message/push", push_body("หนึ่ง"))
            + request_bytes("GET", "/__fake__/quota") + request_bytes("GET", "/v2/bot/nothing"))
    answers = exchange(fake, data)
    assert [status for status, *_ in answers] == [200, 200, 200, 404]
    assert json.loads(answers[1][3])["sentMessages"]
    assert json.loads(answers[2][3])["used"] == 1
    assert [(r.method, r.path) for r in fake.requests()] == [
        ("GET", "/v2/bot/info"), ("POST", "/v2/bot/message/push"), ("GET", "/v2/bot/nothing")
    ]


def test_a_request_split_across_tcp_segments(fake: FakeLine) -> None:
    data = request_bytes("POST", "/v2/bot/message/push", push_body("ทีละนิด"), {"User-Agent": "pieces"})
    cuts = [3, 20, data.index(b"User-Agent") + 5, data.index(b"\r\n\r\n") + 2, data.index(b"\r\n\r\n") + 4, len(data) - 7]
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            sock.sendall(data[start:end])
            time.sleep(0.03)
        assert read_one(sock)[0] == 200
        sock.sendall(request_bytes("GET", "/v2/bot/info"))  # still in step with the server
        assert read_one(sock)[0] == 200
    push, info = fake.requests()
    assert push.body["messages"][0]["text"] == "ทีละนิด" and push.headers["User-Agent"] == "pieces"
    assert info.path == "/v2/bot/info"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GET /v2/bot/info HTTP/1.1 extra\r\n\r\n", "Bad request syntax"),
        (b"NONSENSE\r\n\r\n", "Bad request syntax"),
        (b"GET /v2/bot/info\r\n\r\n", "Bad request syntax"),  # HTTP/0.9 is not spoken here
        (b"GET /v2/bot/info HTXP/1.1\r\n\r\n", "Bad request version"),
        (b"GET /v2/bot/info HTTP/1.x\r\n\r\n", "Bad request version"),
        (b"GET /v2/bot/info HTTP/1.1\r\nNo colon here\r\n\r\n", "Bad header line"),
        (b"GET /v2/bot/info HTTP/1.1\r\nHost : x\r\n\r\n", "Bad header line"),
        (b"GET /v2/bot/info HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", "Bad header line"),
        (b"GET /v2/bot/info HTTP/1.1\r\n: empty name\r\n\r\n", "Bad header line"),
    ],
    ids=["four words", "one word", "two words", "bad version", "bad minor", "no colon", "space before colon",
         "folded line", "empty name"],
)
def test_malformed_requests_get_400_and_the_connection_ends(fake: FakeLine, data: bytes, reason: str) -> None:
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(data + request_bytes("GET", "/v2/bot/info"))  # nothing after a malformed request is read
        ((status, answered, headers, body),) = parse_responses(read_until_closed(sock))
    assert status == 400 and answered.startswith(reason)
    assert headers["connection"] == "close" and headers["content-type"] == "text/html;charset=utf-8"
    assert b"Error code: 400" in body
    assert fake.requests() == []


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /v2/bot/info HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /v2/bot/info HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431),
        (b"GET /v2/bot/info HTTP/2.0\r\n\r\n", 505),
        (b"BREW /v2/bot/info HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ],
    ids=["request line too long", "header line too long", "101 headers", "HTTP/2", "unknown method"],
)
def test_requests_out_of_bounds_get_their_status(fake: FakeLine, data: bytes, status: int) -> None:
    ((answered, *_),) = exchange(fake, data)
    assert answered == status
    assert fake.requests() == []


def test_a_hundred_headers_are_fine(fake: FakeLine) -> None:
    headers = {f"X-{index}": "1" for index in range(98)}  # with Host and Authorization: 100
    ((status, *_),) = exchange(fake, request_bytes("GET", "/v2/bot/info", headers=headers))
    assert status == 200


def test_chunked_bodies_get_411(fake: FakeLine) -> None:
    data = request_bytes("POST", "/v2/bot/message/push", headers={"Transfer-Encoding": "gzip, chunked"})
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(data + b"5\r\nhello\r\n0\r\n\r\n")
        ((status, reason, headers, body),) = parse_responses(read_until_closed(sock))
    assert (status, reason, body) == (411, "Length Required", b"Length Required")
    assert headers["connection"] == "close"
    assert fake.requests() == []


@pytest.mark.parametrize(
    ("lengths", "status"),
    [([str(16 * 1024 * 1024 + 1)], 413), (["12abc"], 400), (["-1"], 400), (["²"], 400), (["3", "4"], 400)],
    ids=["over 16 MB", "not a number", "negative", "a unicode digit", "two different lengths"],
)
def test_bad_or_oversize_content_lengths(fake: FakeLine, lengths: list[str], status: int) -> None:
    head = "POST /v2/bot/message/push HTTP/1.1\r\nHost: x\r\n" + "".join(f"Content-Length: {n}\r\n" for n in lengths)
    ((answered, _, headers, body),) = exchange(fake, (head + "\r\n").encode("latin-1") + b"{}")
    assert (answered, body) == (status, b"Bad Content-Length")
    assert headers["connection"] == "close"


def test_the_same_content_length_twice_is_accepted(fake: FakeLine) -> None:
    body = push_body("x")
    data = request_bytes("POST", "/v2/bot/message/push", body).replace(
        b"\r\n\r\n", f"\r\nContent-Length: {len(body)}\r\n\r\n".encode(), 1)
    ((status, *_),) = exchange(fake, data)
    assert status == 200


def test_head_answers_headers_only_and_keeps_the_connection_in_step(fake: FakeLine) -> None:
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(request_bytes("HEAD", "/v2/bot/info"))
        status, _, headers, body = read_one(sock)
        assert (status, headers["content-length"], body) == (200, "0", b"")
        assert headers["content-type"] == "application/json" and "x-line-request-id" in headers
        sock.sendall(request_bytes("GET", "/v2/bot/info"))
        status, _, _, body = read_one(sock)
        assert status == 200 and json.loads(body)["basicId"] == "@fakeline"
    assert [r.method for r in fake.requests()] == ["HEAD", "GET"]


@pytest.mark.parametrize(
    ("version", "headers", "kept"),
    [
        ("HTTP/1.1", {}, True),
        ("HTTP/1.1", {"Connection": "close"}, False),
        ("HTTP/1.0", {}, False),
        ("HTTP/1.0", {"Connection": "keep-alive"}, True),
    ],
)
def test_which_connections_stay_open(fake: FakeLine, version: str, headers: dict[str, str], kept: bool) -> None:
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(request_bytes("GET", "/v2/bot/info", headers=headers, version=version))
        assert read_one(sock)[0] == 200
        if kept:
            sock.sendall(request_bytes("GET", "/v2/bot/info"))
            assert read_one(sock)[0] == 200
        else:
            assert read_until_closed(sock, timeout=2) == b""  # closed by the server right after its answer


def test_expect_100_continue(fake: FakeLine) -> None:
    body = push_body("รอก่อน")
    data = request_bytes("POST", "/v2/bot/message/push", body, {"Expect": "100-continue"})
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(data[: -len(body)])
        sock.settimeout(5)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert read_one(sock)[0] == 200


def test_answers_look_as_http_server_wrote_them(fake: FakeLine) -> None:
    data = request_bytes("POST", "/v2/bot/message/reply", json.dumps(
        {"replyToken": "never-registered", "messages": [{"type": "text", "text": "x"}]}).encode())
    ((status, reason, headers, body),) = exchange(fake, data)
    assert (status, reason) == (400, "BAD REQUEST")  # werkzeug's reason phrases, as before
    assert headers["server"] == f"BaseHTTP/0.6 Python/{sys.version.split()[0]}"
    assert email.utils.parsedate_to_datetime(headers["date"]).tzinfo is not None
    assert list(headers) == ["server", "date", "x-line-request-id", "content-type", "content-length"]
    assert json.loads(body) == {"message": "Invalid reply token"}


def test_idle_connections_are_closed(fake: FakeLine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakeline_http, "IDLE_TIMEOUT", 0.3)
    with socket.create_connection(("127.0.0.1", port_of(fake))) as sock:
        sock.sendall(request_bytes("GET", "/v2/bot/info"))
        assert read_one(sock)[0] == 200
        started = time.monotonic()
        assert read_until_closed(sock, timeout=5) == b""
    assert time.monotonic() - started < 3
