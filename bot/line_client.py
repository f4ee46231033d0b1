"""The LINE Messaging API client: line-bot-sdk v3's ApiClient, fed plain JSON-ready dicts.

Messages are built as plain dicts (rendered from templates); converting them to the SDK's
pydantic models costs about 2 ms each, so that validation is done in the tests, not here.
The SDK's configuration and connection pool (urllib3, with the SDK's retries, pool size and
default headers: bearer token, User-Agent) carry every call. The body is serialised here, once,
as compact UTF-8 JSON: the SDK's own path walks every node of a flex message in Python
(``sanitize_for_serialization``) and then escapes all Thai text to ``\\uXXXX``, which doubles the
bytes sent. Errors are mapped the way the SDK maps them (status, body, headers).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
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
class SentResult:
    """What LINE answered to a successful call."""

    status: int
    request_id: str | None


class LineClient:
    """Thin client over the SDK's ApiClient for the calls the bot makes."""

    def __init__(self, base_url: str, access_token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout = timeout
        self._api: ApiClient | None = None

    @property
    def configured(self) -> bool:
        """Whether an access token is set."""
        return bool(self.access_token)

    def _client(self) -> ApiClient:
        if not self.access_token:
            raise LineNotConfigured("LINE_CHANNEL_ACCESS_TOKEN is not set: nothing is sent")
        if self._api is None:
            config = Configuration(host=self.base_url, access_token=self.access_token)
            config.connection_pool_maxsize = 16
            self._api = ApiClient(config)
        return self._api

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[SentResult, Any]:
        client = self._client()
        header_params = {**client.default_headers, "Accept": "application/json", **(headers or {})}
        payload: bytes | None = None
        if body is not None:
            header_params["Content-Type"] = "application/json"
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            response = client.rest_client.pool_manager.request(
                method,
                self.base_url + path,
                body=payload,
                headers=header_params,
                timeout=urllib3.Timeout(total=self.timeout),
                preload_content=True,
            )
        except urllib3.exceptions.SSLError:
            raise LineApiError(0, "") from None  # what the SDK's ApiException(status=0) amounted to
        except Exception as exc:  # urllib3 timeouts and connection errors
            raise LineApiError(None, type(exc).__name__) from None
        raw = response.data
        if not 200 <= response.status <= 299:
            raise LineApiError(response.status, _error_message(raw), dict(response.headers))
        data = json.loads(raw) if raw else None
        request_id = response.headers.get("x-line-request-id")
        return SentResult(status=response.status, request_id=request_id), data

    def reply(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> SentResult:
        """Reply to an event (one use per token, within a minute)."""
        _check_count(messages)
        return self._call("POST", "/v2/bot/message/reply", {"replyToken": reply_token, "messages": list(messages)})[0]

    def push(self, to: str, messages: Sequence[dict[str, Any]], retry_key: str) -> SentResult:
        """Push to one user or chat; the same ``retry_key`` on every retry so LINE never delivers twice."""
        _check_count(messages)
        body = {"to": to, "messages": list(messages)}
        return self._call("POST", "/v2/bot/message/push", body, {"X-Line-Retry-Key": retry_key})[0]

    def multicast(self, to: Sequence[str], messages: Sequence[dict[str, Any]], retry_key: str) -> SentResult:
        """Send the same messages to up to 500 users."""
        _check_count(messages)
        if not 1 <= len(to) <= MAX_MULTICAST:
            raise ValueError(f"multicast takes 1-{MAX_MULTICAST} recipients, got {len(to)}")
        body = {"to": list(to), "messages": list(messages)}
        return self._call("POST", "/v2/bot/message/multicast", body, {"X-Line-Retry-Key": retry_key})[0]

    def show_loading(self, chat_id: str, seconds: int = 5) -> None:
        """Show the loading animation in a one-to-one chat."""
        self._call("POST", "/v2/bot/chat/loading/start", {"chatId": chat_id, "loadingSeconds": seconds})

    def profile(self, user_id: str) -> dict[str, Any]:
        """A user's profile (display name, picture)."""
        data = self._call("GET", f"/v2/bot/profile/{user_id}")[1]
        return data if isinstance(data, dict) else {}

    def close(self) -> None:
        """Release the connection pool."""
        if self._api is not None:
            self._api.close()
            self._api = None


def _check_count(messages: Sequence[dict[str, Any]]) -> None:
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise ValueError(f"LINE takes 1-{MAX_MESSAGES} messages per request, got {len(messages)}")


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
