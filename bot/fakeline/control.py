"""The control API under `/__fake__`: inspect and steer the fake from another process.

It has no authentication: the fake is a test tool and listens on loopback.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bot.fakeline.state import FakeLineState, Unchanged

CONTROL_PREFIX = "/__fake__"
MAX_WAIT_SECONDS = 60.0


class ControlError(ValueError):
    """A control request that cannot be carried out (answered 400)."""


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _payload(request: Request) -> dict[str, Any]:
    data = request.get_data(cache=True)
    if not data:
        return {}
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ControlError(f"body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ControlError("body must be a JSON object")
    return payload


def _int(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ControlError(f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None
    if number < minimum:
        raise ControlError(f"{name} must be at least {minimum}")
    return number


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ControlError(f"{name} must be a number")
    try:
        return float(value)
    except ValueError:
        raise ControlError(f"{name} must be a number") from None


def _optional_str(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


class ControlApi:
    """Routes of the control API, bound to one fake's state."""

    def __init__(self, state: FakeLineState) -> None:
        self.state = state
        routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            "": {"GET": self.status},
            "/requests": {"GET": self.list_requests, "DELETE": self.clear_requests},
            "/reset": {"POST": self.reset},
            "/fail": {"GET": self.list_faults, "POST": self.add_fault, "DELETE": self.clear_faults},
            "/reply-tokens": {"POST": self.add_reply_tokens},
            "/quota": {"GET": self.get_quota, "POST": self.set_quota},
            "/delay": {"GET": self.get_delay, "POST": self.set_delay},
            "/profiles": {"POST": self.add_profile},
        }
        self._views = {(path, method): view for path, views in routes.items() for method, view in views.items()}
        self.url_map = Map(
            [Rule(CONTROL_PREFIX + path, endpoint=path, methods=list(views)) for path, views in routes.items()],
            strict_slashes=False,
        )

    def dispatch(self, request: Request) -> Response:
        """Answer one control request."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, _ = adapter.match()
            return self._views[(str(endpoint), request.method)](request)
        except HTTPException as error:
            return _json({"error": error.description}, error.code or 500)
        except (ControlError, ValueError) as error:
            return _json({"error": str(error)}, 400)

    def status(self, request: Request) -> Response:
        """A summary of the fake's state (never the token)."""
        state = self.state
        with state.lock:
            summary = {
                "requests": len(state.requests()),
                "pendingFaults": [asdict(fault) for fault in state.faults],
                "quota": asdict(state.quota),
                "delay": asdict(state.delay),
                "replyTokens": len(state.reply_tokens),
                "acceptAnyReplyToken": state.accept_any_reply_token,
            }
        return _json(summary)

    def list_requests(self, request: Request) -> Response:
        """Recorded requests; `?path=&since=&status=`, and `wait=SECONDS&count=N` to long-poll."""
        args = request.args
        path = args.get("path") or None
        since = _int(args.get("since", "0"), "since")
        status = _int(args["status"], "status") if "status" in args else None
        if "wait" in args:
            wait = min(_number(args["wait"], "wait"), MAX_WAIT_SECONDS)
            count = _int(args.get("count", "1"), "count", minimum=1)
            with contextlib.suppress(TimeoutError):
                self.state.wait_for(path, count=count, since=since, timeout=wait)
        found = self.state.requests(path, since=since, status=status)
        last = found[-1].seq if found else since
        return _json({"requests": [record.to_dict() for record in found], "last": last})

    def clear_requests(self, request: Request) -> Response:
        """Forget the recorded requests."""
        self.state.clear_requests()
        return _json({"cleared": True})

    def reset(self, request: Request) -> Response:
        """Back to the start: no records, tokens, keys or faults; quota and delay as configured."""
        self.state.reset()
        return _json({"reset": True})

    def list_faults(self, request: Request) -> Response:
        """Injected faults still to fire."""
        return _json({"faults": [asdict(fault) for fault in self.state.pending_faults()]})

    def add_fault(self, request: Request) -> Response:
        """`{"status": 429, "count": 1, "path": null, "message": null, "after_accept": false}`."""
        payload = _payload(request)
        if "status" not in payload:
            raise ControlError("status is required")
        self.state.fail_next(
            _int(payload["status"], "status"),
            _int(payload.get("count", 1), "count", minimum=1),
            _optional_str(payload, "path"),
            _optional_str(payload, "message"),
            after_accept=bool(payload.get("after_accept", False)),
        )
        return self.list_faults(request)

    def clear_faults(self, request: Request) -> Response:
        """Drop all pending faults."""
        self.state.clear_faults()
        return _json({"faults": []})

    def add_reply_tokens(self, request: Request) -> Response:
        """`{"tokens": [...], "ttl": 60}` or `{"token": "..."}`; no token given: one is made up."""
        payload = _payload(request)
        tokens = payload.get("tokens", [payload["token"]] if "token" in payload else [None])
        if not isinstance(tokens, list) or not all(token is None or isinstance(token, str) for token in tokens):
            raise ControlError("tokens must be a list of strings")
        ttl = _number(payload["ttl"], "ttl") if payload.get("ttl") is not None else None
        registered = [self.state.register_reply_token(token, ttl) for token in tokens]
        return _json({"tokens": registered})

    def get_quota(self, request: Request) -> Response:
        """The monthly quota: limit (null: unlimited), used, exhausted."""
        with self.state.lock:
            return _json(asdict(self.state.quota))

    def set_quota(self, request: Request) -> Response:
        """`{"limit": 1000 | null, "used": 0, "exhausted": false}`; keys left out stay as they are."""
        payload = _payload(request)
        limit: int | Unchanged | None = Unchanged.UNCHANGED
        if "limit" in payload:
            limit = None if payload["limit"] is None else _int(payload["limit"], "limit")
        used = _int(payload["used"], "used") if "used" in payload else None
        exhausted = bool(payload["exhausted"]) if "exhausted" in payload else None
        return _json(asdict(self.state.set_quota(limit, used, exhausted)))

    def get_delay(self, request: Request) -> Response:
        """The artificial delay before each answer."""
        with self.state.lock:
            return _json(asdict(self.state.delay))

    def set_delay(self, request: Request) -> Response:
        """`{"seconds": 0.5, "path": null}`; 0 turns it off."""
        payload = _payload(request)
        self.state.set_delay(_number(payload.get("seconds", 0), "seconds"), _optional_str(payload, "path"))
        return self.get_delay(request)

    def add_profile(self, request: Request) -> Response:
        """`{"userId": ..., "displayName": ..., "pictureUrl"?, "statusMessage"?, "language"?}`."""
        payload = _payload(request)
        user_id = _optional_str(payload, "userId")
        display_name = _optional_str(payload, "displayName")
        if not user_id or not display_name:
            raise ControlError("userId and displayName are required")
        extra = {key: payload[key] for key in ("pictureUrl", "statusMessage", "language") if key in payload}
        return _json(self.state.set_profile(user_id, display_name, **extra))
