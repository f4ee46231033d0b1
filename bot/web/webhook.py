"""``POST /callback``: verify, store, answer 200. No business logic here.

Every LINE event comes through this one route, hundreds of requests a second under load, so it is
answered by a small WSGI handler in front of Flask (``mount``) instead of a Flask view: Flask's
request context, routing and response objects cost about as much CPU per request as everything
the intake itself does but the commit (docs/benchmarks.md, "Eighth session"). Every other route
(``/healthz``, ``/simulator``) is Flask's as usual. The behaviour is what the view's was: the same
status codes and texts, the same limits, the same log lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bot.intake import BadWebhook, parse_webhook_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.app import Services

log = logging.getLogger(__name__)
PATH = "/callback"
_STATUS = {
    200: "200 OK",
    400: "400 BAD REQUEST",
    405: "405 METHOD NOT ALLOWED",
    413: "413 REQUEST ENTITY TOO LARGE",
    500: "500 INTERNAL SERVER ERROR",
    503: "503 SERVICE UNAVAILABLE",
}


def mount(app: WSGIApplication, svc: Services, utcnow: Callable[[], Any], max_body: int) -> WSGIApplication:
    """``app`` with ``PATH`` answered by the webhook; every other path passes through to ``app``."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            status, text, extra = 405, "only POST", [("Allow", "POST")]
        else:
            extra = []
            try:
                status, text = callback(svc, environ, utcnow, max_body)
            except Exception:  # a database down, a bug: LINE retries the request later
                log.exception("webhook failed")
                status, text = 500, "internal error"
        data = text.encode()
        start_response(_STATUS[status], [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(data))), *extra])
        return [data]

    return wsgi


def read_body(environ: WSGIEnvironment, max_body: int) -> bytes | None:
    """The request body, or None when it is over ``max_body`` bytes (413)."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        if not (length.isascii() and length.isdigit()):  # not a number, or negative
            raise BadRequest("bad Content-Length")
        size = int(length)
        if size > max_body:
            return None
        return bytes(stream.read(size))
    if environ.get("wsgi.input_terminated"):  # chunked: read to the end, but no further than the limit
        body = bytes(stream.read(max_body + 1))
        return None if len(body) > max_body else body
    return b""


class BadRequest(ValueError):
    """The HTTP request itself is malformed."""


def callback(svc: Services, environ: WSGIEnvironment, utcnow: Callable[[], Any], max_body: int) -> tuple[int, str]:
    """The LINE webhook: the status and text of the answer."""
    if svc.signature is None:
        log.error("webhook refused: LINE_CHANNEL_SECRET is not configured")
        return 503, "channel secret not configured"
    try:
        body = read_body(environ, max_body)
    except BadRequest:
        return 400, "bad Content-Length"
    if body is None:
        return 413, "body over 1 MiB"
    signature = environ.get("HTTP_X_LINE_SIGNATURE", "")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "body is not UTF-8"
    if not signature or not svc.signature.validate(text, signature):
        log.warning("webhook refused: bad or missing signature")
        return 400, "bad signature"
    try:
        events = parse_webhook_body(body)
    except BadWebhook as exc:
        log.warning("webhook refused: %s", exc)
        return 400, "not a LINE webhook"
    new_ids = svc.intake.store(events, utcnow())  # committed (with concurrent requests' events) on return
    if len(new_ids) < len(events):  # a redelivery or a retried request: worth a line
        log.info("webhook: %d event(s), %d new", len(events), len(new_ids))
    elif events:  # the common case, hundreds a second under load: not a log line each
        log.debug("webhook: %d event(s), %d new", len(events), len(new_ids))
    if svc.pool is not None and new_ids:
        svc.pool.submit(new_ids)
    return 200, "OK"
