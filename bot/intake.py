"""Webhook intake: check the body is a LINE webhook, store each event durably, once.

Storing is an INSERT that ignores an event id already stored, so a redelivered event
(``deliveryContext.isRedelivery``) or a retried request is stored, and so handled, only once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ita_core.models import WebhookEvent


class BadWebhook(ValueError):
    """The body is not JSON, or not a LINE webhook."""


def parse_webhook_body(body: bytes) -> list[dict[str, Any]]:
    """The events of a webhook body; BadWebhook when it is not one."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadWebhook("body is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise BadWebhook("body is not a LINE webhook (no events list)")
    if not isinstance(document.get("destination", ""), str):
        raise BadWebhook("destination is not a string")
    events = document["events"]
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise BadWebhook(f"events[{index}] has no type")
    return events


def event_row(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The stored form of one event."""
    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    event_id = event.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id:
        # Very old events lack an id: the payload itself identifies them.
        event_id = "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:56]
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    assert isinstance(source, dict)
    user_id = source.get("userId")
    chat_id = source.get("groupId") or source.get("roomId") or user_id
    delivery = event.get("deliveryContext") if isinstance(event.get("deliveryContext"), dict) else {}
    assert isinstance(delivery, dict)
    timestamp = event.get("timestamp")
    return {
        "event_id": event_id[:64],
        "type": str(event["type"])[:32],
        "source_type": str(source.get("type") or "")[:16] or None,
        "user_id": user_id if isinstance(user_id, str) else None,
        "chat_id": chat_id if isinstance(chat_id, str) else None,
        "reply_token": event.get("replyToken") if isinstance(event.get("replyToken"), str) else None,
        "timestamp_ms": timestamp if isinstance(timestamp, int) else None,
        "redelivery": bool(delivery.get("isRedelivery")),
        "payload": payload,
        "received_at": now,
        "status": "pending",
        "attempts": 0,
    }


def store_events(session: Session, events: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Store events, skipping ids already stored; returns the ids of the rows inserted now."""
    if not events:
        return []
    rows = [event_row(e, now) for e in events]
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(WebhookEvent).on_conflict_do_nothing(index_elements=["event_id"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(WebhookEvent).on_conflict_do_nothing(index_elements=["event_id"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(WebhookEvent)
    # RETURNING yields only the rows really inserted (conflicts are skipped).
    return list(session.scalars(stmt.returning(WebhookEvent.id), rows))
