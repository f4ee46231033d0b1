"""``GET /healthz``: 200 when the database answers, 503 otherwise; the outbox's undelivered rows for monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.answers import AnswerCache
from bot.app import services
from bot.outbox import undelivered_counts

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness and database readiness."""
    svc = services()
    try:
        with svc.engine.connect() as conn:
            try:  # one round trip: the count is also the proof that the database answers
                undelivered: dict[str, int] | None = undelivered_counts(conn)
            except SQLAlchemyError as exc:  # no schema yet, or no database: ask it the plainest question
                conn.rollback()
                conn.execute(text("select 1"))  # raises (503 below) when the database does not answer
                log.warning("health check: outbox unreadable (%s)", type(exc).__name__)
                undelivered = None
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
        # For monitoring: pushes stop when LINE's monthly quota is used up, until an admin retries
        # them (``ita outbox retry``); replies are not counted against the quota and go on.
        line_quota=None if undelivered is None else ("exhausted" if undelivered["quota"] else "ok"),
        outbox_undelivered=undelivered,
    )


def _stats(cache: AnswerCache | None) -> dict[str, int] | None:
    if cache is None:
        return None
    return {"size": cache.size, "entries": len(cache), "hits": cache.hits, "misses": cache.misses}
