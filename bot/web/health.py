"""``GET /healthz``: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from bot.answers import AnswerCache
from bot.app import services

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness and database readiness."""
    svc = services()
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        log.error("health check: database unavailable (%s)", type(exc).__name__)
        return jsonify(status="error", database="unavailable"), 503
    handler = svc.processor.handler  # this process's answer caches (bot/answers.py), if it is the dispatcher
    return jsonify(
        status="ok",
        database="ok",
        line_configured=svc.line.configured,
        webhook_configured=svc.signature is not None,
        worker_threads=svc.pool.threads if svc.pool else 0,
        answer_cache=_stats(getattr(handler, "answers", None)),
        measure_answer_cache=_stats(getattr(handler, "measure_answers", None)),
    )


def _stats(cache: AnswerCache | None) -> dict[str, int] | None:
    if cache is None:
        return None
    return {"size": cache.size, "entries": len(cache), "hits": cache.hits, "misses": cache.misses}
