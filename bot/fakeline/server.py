"""Handles on a fake LINE: `FakeLine` runs one in this process, `FakeLineClient` steers a remote one."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any

from linebot.v3.messaging import Configuration

from bot.fakeline.app import DEFAULT_TOKEN, FakeLineApp, FakeLineConfig
from bot.fakeline.control import CONTROL_PREFIX
from bot.fakeline.http import KeepAliveServer
from bot.fakeline.state import (
    DEFAULT_MAX_RECORDS,
    DEFAULT_REPLY_TOKEN_TTL,
    FakeLineState,
    Quota,
    RecordedRequest,
    Settings,
    Unchanged,
)

DEFAULT_HOST = "127.0.0.1"


def serve(app: FakeLineApp, host: str = DEFAULT_HOST, port: int = 0, *, log_requests: bool = False) -> KeepAliveServer:
    """A threaded keep-alive HTTP server for the app, bound but not yet serving."""
    return KeepAliveServer((host, port), app, log_requests=log_requests)


class FakeLine(FakeLineState):
    """A fake LINE Messaging API on loopback, served from a background thread.

    Use it as a context manager or call `start()`/`stop()`; point the bot (or the SDK's
    `Configuration(host=...)`) at `base_url`, then assert on `requests(...)`. It is its own state:
    `register_reply_token`, `fail_next`, `set_quota`, `set_delay`, `wait_for`... act on it directly.
    """

    def __init__(
        self,
        token: str | None = DEFAULT_TOKEN,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        accept_any_reply_token: bool = False,
        reply_token_ttl: float = DEFAULT_REPLY_TOKEN_TTL,
        auto_profiles: bool = True,
        sdk_models: bool = True,
        quota_limit: int | None = None,
        max_records: int = DEFAULT_MAX_RECORDS,
        clock: Callable[[], float] = time.monotonic,
        log_requests: bool = False,
    ) -> None:
        settings = Settings(
            reply_token_ttl=reply_token_ttl,
            accept_any_reply_token=accept_any_reply_token,
            auto_profiles=auto_profiles,
            quota=Quota(limit=quota_limit),
        )
        super().__init__(settings, max_records=max_records, clock=clock)
        self.app = FakeLineApp(self, FakeLineConfig(token=token, sdk_models=sdk_models))
        self.host = host
        self.port = port
        self.log_requests = log_requests
        self._server: KeepAliveServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeLine:
        """Bind (port 0: a free port) and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = serve(self.app, self.host, self.port, log_requests=self.log_requests)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakeline", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeLine:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`: the value for LINE_API_BASE_URL and LINE_DATA_API_BASE_URL."""
        if self._server is None:
            raise RuntimeError("the fake LINE API is not running: call start() first")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted since start (a client that keeps its connection open makes one)."""
        return self._server.accepted if self._server is not None else 0

    @property
    def token(self) -> str | None:
        """The channel access token the fake accepts (None: any)."""
        return self.app.config.token

    def configuration(self) -> Configuration:
        """A line-bot-sdk configuration pointing at this fake with its token."""
        return Configuration(host=self.base_url, access_token=self.token or DEFAULT_TOKEN)


class FakeLineClient:
    """Steers a fake LINE running in another process, through its control API."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, route: str, payload: Any = None, query: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{CONTROL_PREFIX}{route}"
        if query:
            url += "?" + urllib.parse.urlencode({key: value for key, value in query.items() if value is not None})
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        timeout = self.timeout + float((query or {}).get("wait") or 0)
        with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback control API
            return json.loads(response.read() or b"null")

    def requests(self, path: str | None = None, *, since: int = 0, status: int | None = None) -> list[RecordedRequest]:
        """Recorded requests, as `FakeLine.requests`."""
        found = self._call("GET", "/requests", query={"path": path, "since": since, "status": status})
        return [RecordedRequest.from_dict(item) for item in found["requests"]]

    def wait_for(
        self, path: str | None = None, *, count: int = 1, since: int = 0, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Long-poll until `count` requests (to `path`) arrived; TimeoutError otherwise."""
        query = {"path": path, "since": since, "wait": timeout, "count": count}
        found = [RecordedRequest.from_dict(item) for item in self._call("GET", "/requests", query=query)["requests"]]
        if len(found) < count:
            seen = [f"{record.method} {record.path} -> {record.status}" for record in self.requests(since=since)]
            raise TimeoutError(f"expected {count} request(s) to {path or 'any path'} within {timeout}s; got {seen}")
        return found

    def fail_next(
        self,
        status: int,
        count: int = 1,
        path: str | None = None,
        message: str | None = None,
        *,
        after_accept: bool = False,
    ) -> None:
        """As `FakeLine.fail_next`."""
        payload = {"status": status, "count": count, "path": path, "message": message, "after_accept": after_accept}
        self._call("POST", "/fail", payload)

    def register_reply_token(self, token: str | None = None, ttl: float | None = None) -> str:
        """As `FakeLine.register_reply_token`."""
        registered: list[str] = self._call("POST", "/reply-tokens", {"tokens": [token], "ttl": ttl})["tokens"]
        return registered[0]

    def set_quota(
        self,
        limit: int | Unchanged | None = Unchanged.UNCHANGED,
        used: int | None = None,
        exhausted: bool | None = None,
    ) -> Quota:
        """As `FakeLine.set_quota`."""
        payload: dict[str, Any] = {}
        if not isinstance(limit, Unchanged):
            payload["limit"] = limit
        if used is not None:
            payload["used"] = used
        if exhausted is not None:
            payload["exhausted"] = exhausted
        return Quota(**self._call("POST", "/quota", payload))

    def exhaust_quota(self) -> None:
        """As `FakeLine.exhaust_quota`."""
        self.set_quota(exhausted=True)

    def set_delay(self, seconds: float, path: str | None = None) -> None:
        """As `FakeLine.set_delay`."""
        self._call("POST", "/delay", {"seconds": seconds, "path": path})

    def set_profile(self, user_id: str, display_name: str, **extra: Any) -> dict[str, Any]:
        """As `FakeLine.set_profile`."""
        profile: dict[str, Any] = self._call("POST", "/profiles", {"userId": user_id, "displayName": display_name, **extra})
        return profile

    def clear_requests(self) -> None:
        """As `FakeLine.clear_requests`."""
        self._call("DELETE", "/requests")

    def reset(self) -> None:
        """As `FakeLine.reset`."""
        self._call("POST", "/reset")
