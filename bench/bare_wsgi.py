"""A reference for bench/bench_webhook.py: a WSGI app with no framework that answers 200 to ``POST /callback``.

The webhook itself is served outside Flask (``bot.web.webhook``), so besides its share of the bare
Flask app (``bench.bare_app``, the issue's baseline) the benchmark reports its share of this: what
gunicorn alone does on the same machine, the ceiling of any app it serves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def create_app() -> WSGIApplication:
    """Read the body of any request and answer 200 "OK" (``/healthz``, which the harness polls, included)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        if length:
            environ["wsgi.input"].read(int(length))
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
        return [b"OK"]

    return app
