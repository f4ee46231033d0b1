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
