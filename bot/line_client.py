"""The LINE Messaging API client: plain JSON-ready dicts over keep-alive HTTP, with the SDK's headers.

Messages are built as plain dicts (rendered from templates); converting them to the SDK's
pydantic models costs about 2 ms each, so that validation is done in the tests, not here.
line-bot-sdk v3's ``Configuration``/``ApiClient`` give the default headers (bearer token,
User-Agent). The body is serialised here, once, as compact UTF-8 JSON: the SDK's own path walks
every node of a flex message in Python (``sanitize_for_serialization``) and then escapes all Thai
text to ``\\uXXXX``, which doubles the bytes sent. Calls go over one kept-alive ``http.client``
connection per thread (TLS verified against certifi's CAs for https): a reply per webhook event is
the hottest call the bot makes, and the SDK's urllib3 pool costs several times as much CPU per
call. A kept connection the server has closed meanwhile is replaced and the call made once more,
as urllib3 does. Errors are mapped the way the SDK maps them (status, body, headers).
"""

from __future__ import annotations

import http.client
import json
import logging
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


class Transport:
    """Keep-alive HTTP(S) connections to one base URL, one per thread."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=certifi.where()) if parts.scheme == "https" else None
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def connect(self) -> http.client.HTTPConnection:
        """A new connection (not yet opened: http.client opens it on the first request)."""
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of one call; OSError/HTTPException when there is no answer."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            try:
                return self._exchange(connection, method, path, body, headers)
            except _STALE:
                log.debug("a kept connection was closed by the server; calling again on a new one")
        connection = self.connect()
        with self._lock:
            self._all.add(connection)
        self._local.connection = connection
        return self._exchange(connection, method, path, body, headers)

    def _exchange(
        self, connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            connection.request(method, self.prefix + path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            self._drop(connection)
            raise
        if response.will_close:
            self._drop(connection)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def _drop(self, connection: http.client.HTTPConnection) -> None:
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
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
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
        data = json.loads(raw) if raw else None
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
        data = self._call("GET", f"/v2/bot/profile/{user_id}")[1]
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
