"""Build and sign LINE webhook requests exactly as LINE does (for tests, the simulator, benchmarks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any


def sign(channel_secret: str, body: bytes) -> str:
    """The X-Line-Signature of a body: base64(HMAC-SHA256(channel secret, body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event_id(now_ms: int | None = None) -> str:
    """A new webhookEventId: a ULID, as LINE's are (26 characters of Crockford's base32: 48 bits of
    milliseconds since the epoch, then 80 random bits), so ids sort by the time they were made."""
    value = ((time.time_ns() // 1_000_000 if now_ms is None else now_ms) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def reply_token() -> str:
    """A new reply token."""
    return secrets.token_hex(16)


def user_id() -> str:
    """A new LINE user id (U + 32 hex digits)."""
    return "U" + secrets.token_hex(16)


def _base(kind: str, source: dict[str, Any], *, redelivery: bool = False, with_token: bool = True) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source,
        "webhookEventId": event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if with_token:
        event["replyToken"] = reply_token()
    return event


def user_source(uid: str) -> dict[str, Any]:
    """The source of a one-to-one chat."""
    return {"type": "user", "userId": uid}


def group_source(group_id: str, uid: str) -> dict[str, Any]:
    """The source of a group chat message."""
    return {"type": "group", "groupId": group_id, "userId": uid}


def text_event(source: dict[str, Any], text: str) -> dict[str, Any]:
    """A text message event."""
    event = _base("message", source)
    event["message"] = {
        "id": str(int(time.time() * 1e6)),
        "type": "text",
        "text": text,
        "quoteToken": secrets.token_hex(8),
    }
    return event


def sticker_event(source: dict[str, Any]) -> dict[str, Any]:
    """A sticker message event."""
    event = _base("message", source)
    event["message"] = {
        "id": str(int(time.time() * 1e6)),
        "type": "sticker",
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "STATIC",
        "quoteToken": secrets.token_hex(8),
    }
    return event


def image_event(source: dict[str, Any]) -> dict[str, Any]:
    """An image message event."""
    event = _base("message", source)
    event["message"] = {
        "id": str(int(time.time() * 1e6)),
        "type": "image",
        "contentProvider": {"type": "line"},
        "quoteToken": secrets.token_hex(8),
    }
    return event


def postback_event(source: dict[str, Any], data: str) -> dict[str, Any]:
    """A postback event (a button tap)."""
    event = _base("postback", source)
    event["postback"] = {"data": data}
    return event


def follow_event(source: dict[str, Any]) -> dict[str, Any]:
    """The user added the account as a friend."""
    event = _base("follow", source)
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow_event(source: dict[str, Any]) -> dict[str, Any]:
    """The user blocked the account."""
    return _base("unfollow", source, with_token=False)


def join_event(source: dict[str, Any]) -> dict[str, Any]:
    """The account was added to a group."""
    return _base("join", source)


def webhook_body(*events: dict[str, Any], destination: str = "U" + "0" * 32) -> bytes:
    """The JSON body LINE posts to the webhook."""
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode("utf-8")
