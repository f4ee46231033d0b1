"""What the fake answers, in LINE's shapes: success bodies and `{"message", "details"}` errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from bot.fakeline.openapi import ErrorDetail

# The messages LINE sends with these statuses.
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT = "You have reached your monthly limit."
INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
NOT_FOUND = "Not found"
NO_TOKEN = (
    "Authentication failed due to the following reason: no token. "
    "Confirm that the access token in the authorization header is valid."
)
INVALID_TOKEN = (
    "Authentication failed due to the following reason: invalid token. "
    "Confirm that the access token in the authorization header is valid."
)
DEFAULT_FAULT_MESSAGES = {
    429: RATE_LIMITED,
    500: "An error occurred in the server.",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Answer:
    """A status, a JSON body and extra headers, not yet turned into a response."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether this is a 2xx answer."""
        return 200 <= self.status < 300

    def response(self) -> Response:
        """The werkzeug response for this answer."""
        payload = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))
        return Response(payload, status=self.status, headers=self.headers, mimetype="application/json")

    def wsgi(self, method: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Status, headers and body exactly as ``response()`` hands them to a WSGI server, built directly.

        A werkzeug ``Response`` costs more to build and call than the whole of a cached reply
        call's checks. This skips it for the ordinary case (a status of 200 or more other than 204
        and 304, no Content-Type or Content-Length of the answer's own), where werkzeug only adds
        ``Content-Type: application/json`` and ``Content-Length`` after the answer's headers and
        sends no body to a HEAD request; None otherwise, and the caller uses ``response()``
        (a test holds the two to agreeing).
        """
        if self.status < 200 or self.status in (204, 304):
            return None
        headers = list(self.headers.items())
        if any(name.lower() in ("content-type", "content-length") for name, _ in headers):
            return None
        payload = json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers.append(("Content-Type", "application/json"))
        headers.append(("Content-Length", str(len(payload))))
        return status_line(self.status), headers, b"" if method == "HEAD" else payload


_STATUS_LINES: dict[int, str] = {}


def status_line(status: int) -> str:
    """werkzeug's WSGI status for a code (``"400 BAD REQUEST"``, ``"599 UNKNOWN"``), worked out once per code."""
    line = _STATUS_LINES.get(status)
    if line is None:
        line = _STATUS_LINES[status] = Response(status=status).status
    return line


def error(
    status: int, message: str, details: Iterable[ErrorDetail] = (), extra: Mapping[str, Any] | None = None
) -> Answer:
    """A LINE error answer; `details` is left out when empty, as LINE does."""
    body: dict[str, Any] = {"message": message}
    listed = [detail.to_dict() for detail in details]
    if listed:
        body["details"] = listed
    body.update(extra or {})
    return Answer(status, body)


def invalid_request(details: list[ErrorDetail]) -> Answer:
    """400 for a request that breaks the spec, the SDK models or LINE's limits."""
    return error(400, f"The request body has {len(details)} error(s)", details)


def fault(status: int, message: str | None) -> Answer:
    """The answer to an injected fault."""
    return error(status, message or DEFAULT_FAULT_MESSAGES.get(status, f"Injected HTTP {status}"))
