"""The LINE Messaging API client: plain JSON-ready dicts over keep-alive HTTP, with the SDK's headers.

Messages are built as plain dicts (rendered from templates); converting them to the SDK's
pydantic models costs about 2 ms each, so that validation is done in the tests, not here.
line-bot-sdk v3's ``Configuration``/``ApiClient`` give the default headers (bearer token,
User-Agent). The body is serialised here, once, as compact UTF-8 JSON: the SDK's own path walks
every node of a flex message in Python (``sanitize_for_serialization``) and then escapes all Thai
text to ``\\uXXXX``, which doubles the bytes sent. Calls go over one kept-alive HTTP/1.1
connection per thread (``Transport``; TLS verified against certifi's CAs for https): a reply per
webhook event is the hottest call the bot makes, and the SDK's urllib3 pool costs several times as
much CPU per call, ``http.client`` still a third more. A kept connection the server has closed
meanwhile is replaced and the call made once more, as urllib3 does. Errors are mapped the way the
SDK maps them (status, body, headers).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
from linebot.v3.messaging import ApiClient, Configuration

log = logging.getLogger(__name__)

MAX_MESSAGES = 5
MAX_MULTICAST = 500


class LineNotConfigured(Exception):
    """LINE_CHANNEL_ACCESS_TOKEN is not set: nothing can be sent."""


class LineApiError(Exception):
    """The Messaging API refused a call, or could not be reached (``status`` None)."""

    def __init__(self, status: int | None, message: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.message = message
        self.headers = headers or {}
        super().__init__(f"LINE API {status or 'unreachable'}: {message}")

    @property
    def transient(self) -> bool:
        """Worth retrying later: unreachable, timeout, 5xx, or 429 that is not the monthly limit."""
        if self.status is None or self.status >= 500:
            return True
        return self.status == 429 and not self.quota_exhausted

    @property
    def quota_exhausted(self) -> bool:
        """The channel's monthly message quota is used up (429 with LINE's monthly-limit message)."""
        return self.status == 429 and "monthly limit" in self.message.lower()

    @property
    def already_accepted(self) -> bool:
        """409: a request with the same X-Line-Retry-Key was already accepted (so it was delivered)."""
        return self.status == 409

    @property
    def invalid_reply_token(self) -> bool:
        """400 because the reply token was used or has expired."""
        return self.status == 400 and "reply token" in self.message.lower()


@dataclass(frozen=True)
class EncodedMessages:
    """Messages already serialised as a JSON array (an outbox row's), sent as they are."""

    text: str


Messages = Sequence[dict[str, Any]] | EncodedMessages


@dataclass(frozen=True)
class SentResult:
    """What LINE answered to a successful call."""

    status: int
    request_id: str | None


# The server closed a kept-alive connection before (or while) this request was written to it.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
_MAX_LINE = 65_536  # longest status or header line taken from a server
_MAX_HEADERS = 100


class _Connection:
    """One kept-alive HTTP/1.1 connection: the socket and a buffered reader on it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class Transport:
    """Keep-alive HTTP/1.1 (or HTTPS) connections to one base URL, one per thread.

    A small client of its own rather than ``http.client``: a reply per webhook event is the
    hottest call the bot makes, and ``http.client`` parses every answer's headers with the
    ``email`` package (about a third of the call's CPU). The request is written in one piece; the
    answer is read as RFC 9112 says: the status line, header lines, then a body delimited by
    ``Content-Length``, by chunked transfer coding, or by the server closing the connection
    (which then is not kept); 1xx answers are skipped; HEAD, 204 and 304 have no body. A
    connection the server closed while it was kept (nothing at all comes back) raises
    ``http.client.RemoteDisconnected``, and the call is made once more on a new connection, as
    ``http.client`` and urllib3 do. Malformed answers raise ``http.client.HTTPException``s,
    timeouts and network errors ``OSError``s, as ``http.client`` does.
    """

    def __init__(self, base_url: str, timeout: float, context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        https = parts.scheme == "https"
        default_port = 443 if https else 80
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or default_port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.context = (context or ssl.create_default_context(cafile=certifi.where())) if https else None
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal in brackets
        self._host_header = host if self.port == default_port else f"{host}:{self.port}"
        self._local = threading.local()
        self._all: set[_Connection] = set()
        self._lock = threading.Lock()

    def connect(self) -> _Connection:
        """A new connection to the server (TLS verified against certifi's CAs for https)."""
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (names in lower case) and body of one call; OSError/HTTPException when there is no answer."""
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self._host_header}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            try:
                return self._exchange(connection, method, data)
            except _STALE:
                log.debug("a kept connection was closed by the server; calling again on a new one")
        connection = self.connect()
        with self._lock:
            self._all.add(connection)
        self._local.connection = connection
        return self._exchange(connection, method, data)

    def _exchange(self, connection: _Connection, method: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            connection.sock.sendall(data)
            status, headers, body, will_close = _read_response(connection.reader, method)
        except BaseException:
            self._drop(connection)
            raise
        if will_close:
            self._drop(connection)
        return status, headers, body

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        with self._lock:
            self._all.discard(connection)
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._all = list(self._all), set()
        for connection in connections:
            connection.close()


def _read_line(reader: Any) -> bytes:
    line: bytes = reader.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise http.client.LineTooLong("header line")
    return line


def _read_response(reader: Any, method: str) -> tuple[int, dict[str, str], bytes, bool]:
    """One answer from ``reader``: status, headers, body, and whether the connection must be closed."""
    while True:
        line = _read_line(reader)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code_text = rest[:3]
        if not version.startswith("HTTP/1.") or len(code_text) != 3 or not code_text.isdigit():
            raise http.client.BadStatusLine(line.decode("latin-1", "replace")[:200])
        status = int(code_text)
        headers: dict[str, str] = {}
        while True:
            line = _read_line(reader)
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise http.client.IncompleteRead(b"")
            if len(headers) >= _MAX_HEADERS:
                raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise http.client.HTTPException("malformed header line")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if 100 <= status < 200 and status != 101:
            continue  # an interim answer (100 Continue): the real one follows
        break
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    will_close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", will_close
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, headers, _read_chunked(reader), will_close
    length_text = headers.get("content-length")
    if length_text is not None:
        if not length_text.isdigit():
            raise http.client.HTTPException(f"bad Content-Length {length_text[:40]!r}")
        length = int(length_text)
        body: bytes = reader.read(length)
        if len(body) < length:
            raise http.client.IncompleteRead(body, length - len(body))
        return status, headers, body, will_close
    return status, headers, reader.read(), True  # delimited by the server closing the connection


def _read_chunked(reader: Any) -> bytes:
    parts: list[bytes] = []
    while True:
        size_text = _read_line(reader).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise http.client.HTTPException("bad chunk size") from None
        if size == 0:
            while _read_line(reader) not in (b"\r\n", b"\n", b""):  # trailer fields, ignored
                pass
            return b"".join(parts)
        chunk: bytes = reader.read(size)
        if len(chunk) < size:
            raise http.client.IncompleteRead(b"".join(parts) + chunk, size - len(chunk))
        parts.append(chunk)
        reader.read(2)  # the CRLF after the chunk


class LineClient:
    """Thin client over the SDK's ApiClient for the calls the bot makes."""

    def __init__(self, base_url: str, access_token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout = timeout
        self._headers: dict[str, str] | None = None
        self._transport: Transport | None = None

    @property
    def configured(self) -> bool:
        """Whether an access token is set."""
        return bool(self.access_token)

    def _setup(self) -> tuple[Transport, dict[str, str]]:
        if not self.access_token:
            raise LineNotConfigured("LINE_CHANNEL_ACCESS_TOKEN is not set: nothing is sent")
        if self._transport is None or self._headers is None:
            config = Configuration(host=self.base_url, access_token=self.access_token)
            with ApiClient(config) as api:  # the SDK's own default headers: bearer token, User-Agent
                self._headers = {**api.default_headers, "Accept": "application/json"}
            self._transport = Transport(self.base_url, self.timeout)
        return self._transport, self._headers

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, *, parse: bool = False
    ) -> tuple[SentResult, Any]:
        transport, defaults = self._setup()
        header_params = {**defaults, **(headers or {})}
        payload: bytes | None = None
        if body is not None:
            header_params["Content-Type"] = "application/json"
            payload = body if isinstance(body, bytes) else compact_json(body).encode("utf-8")
        try:
            status, response_headers, raw = transport.request(method, path, payload, header_params)
        except ssl.SSLError:
            raise LineApiError(0, "") from None  # what the SDK's ApiException(status=0) amounted to
        except (OSError, http.client.HTTPException) as exc:  # timeouts, refused, reset, malformed answers
            raise LineApiError(None, type(exc).__name__) from None
        if not 200 <= status <= 299:
            raise LineApiError(status, _error_message(raw), response_headers)
        data = json.loads(raw) if parse and raw else None  # the send calls' answers are not used
        return SentResult(status=status, request_id=response_headers.get("x-line-request-id")), data

    def reply(self, reply_token: str, messages: Messages) -> SentResult:
        """Reply to an event (one use per token, within a minute)."""
        return self._call("POST", "/v2/bot/message/reply", _body({"replyToken": reply_token}, messages))[0]

    def push(self, to: str, messages: Messages, retry_key: str) -> SentResult:
        """Push to one user or chat; the same ``retry_key`` on every retry so LINE never delivers twice."""
        body = _body({"to": to}, messages)
        return self._call("POST", "/v2/bot/message/push", body, {"X-Line-Retry-Key": retry_key})[0]

    def multicast(self, to: Sequence[str], messages: Messages, retry_key: str) -> SentResult:
        """Send the same messages to up to 500 users."""
        if not 1 <= len(to) <= MAX_MULTICAST:
            raise ValueError(f"multicast takes 1-{MAX_MULTICAST} recipients, got {len(to)}")
        body = _body({"to": list(to)}, messages)
        return self._call("POST", "/v2/bot/message/multicast", body, {"X-Line-Retry-Key": retry_key})[0]

    def show_loading(self, chat_id: str, seconds: int = 5) -> None:
        """Show the loading animation in a one-to-one chat."""
        self._call("POST", "/v2/bot/chat/loading/start", {"chatId": chat_id, "loadingSeconds": seconds})

    def profile(self, user_id: str) -> dict[str, Any]:
        """A user's profile (display name, picture)."""
        data = self._call("GET", f"/v2/bot/profile/{user_id}", parse=True)[1]
        return data if isinstance(data, dict) else {}

    def close(self) -> None:
        """Close the kept connections."""
        if self._transport is not None:
            self._transport.close()


def check_count(messages: Sequence[Any]) -> None:
    """ValueError unless there are 1-5 messages (what one request to LINE takes)."""
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise ValueError(f"LINE takes 1-{MAX_MESSAGES} messages per request, got {len(messages)}")


def compact_json(value: Any) -> str:
    """JSON as sent to LINE and stored in the outbox: compact, Thai as UTF-8 (not ``\\uXXXX``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _body(fields: dict[str, Any], messages: Messages) -> bytes:
    """The request body: ``fields`` plus ``messages``; already-encoded messages are spliced in as they are."""
    if isinstance(messages, EncodedMessages):
        return (compact_json(fields)[:-1] + ',"messages":' + messages.text + "}").encode("utf-8")
    check_count(messages)
    return compact_json({**fields, "messages": list(messages)}).encode("utf-8")


def _error_message(body: object) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return body[:200]
        if isinstance(parsed, dict):
            return str(parsed.get("message", ""))[:200]
    return ""
