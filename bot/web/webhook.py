"""``POST /callback``: verify, store, answer 200. No business logic here."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from bot.app import services, utcnow
from bot.intake import BadWebhook, parse_webhook_body

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


@bp.post("/callback")
def callback() -> Response | tuple[str, int]:
    """The LINE webhook."""
    svc = services()
    if svc.signature is None:
        log.error("webhook refused: LINE_CHANNEL_SECRET is not configured")
        return "channel secret not configured", 503
    body = request.get_data(cache=False)  # raises 413 above MAX_CONTENT_LENGTH
    signature = request.headers.get("X-Line-Signature", "")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8", 400
    if not signature or not svc.signature.validate(text, signature):
        log.warning("webhook refused: bad or missing signature")
        return "bad signature", 400
    try:
        events = parse_webhook_body(body)
    except BadWebhook as exc:
        log.warning("webhook refused: %s", exc)
        return "not a LINE webhook", 400
    new_ids = svc.intake.store(events, utcnow())  # committed (with concurrent requests' events) on return
    if len(new_ids) < len(events):  # a redelivery or a retried request: worth a line
        log.info("webhook: %d event(s), %d new", len(events), len(new_ids))
    elif events:  # the common case, hundreds a second under load: not a log line each
        log.debug("webhook: %d event(s), %d new", len(events), len(new_ids))
    if svc.pool is not None and new_ids:
        svc.pool.submit(new_ids)
    return Response("OK", status=200, mimetype="text/plain")
