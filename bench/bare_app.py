"""The baseline of bench/bench_webhook.py: a bare Flask app that answers 200 to ``POST /callback``.

Served by gunicorn with the web process's settings from the Procfile (``bench.bare_app:create_app()``
in place of ``bot:create_app()``), so the webhook's numbers can be read as a share of what Flask and
gunicorn alone do on the same machine in the same run.
"""

from __future__ import annotations

from flask import Flask, Response, request


def create_app() -> Flask:
    """Flask, one route that reads the body and answers 200, and the health check the harness polls."""
    app = Flask(__name__)

    @app.post("/callback")
    def callback() -> Response:
        request.get_data(cache=False)
        return Response("OK", status=200, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", status=200, mimetype="text/plain")

    return app
