"""The Flask application factory. Nothing happens at import time; gunicorn calls ``create_app()``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from linebot.v3.webhook import SignatureValidator
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.intake import IntakeWriter
from bot.line_client import LineClient
from bot.outbox import Sender
from bot.wakeup import Notifier
from bot.worker import EventHandler, EventProcessor, WorkerPool
from ita_core.db import make_engine, make_session_factory

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # LINE webhook bodies are far smaller; anything above 1 MiB is refused (413)


def utcnow() -> datetime:
    """The current instant, aware and in UTC."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a request or a worker needs, built once per process by ``create_app``."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    line: LineClient
    signature: SignatureValidator | None
    processor: EventProcessor
    pool: WorkerPool | None
    intake: IntakeWriter


def services() -> Services:
    """The services of the running app."""
    found: Services = current_app.extensions["ita"]
    return found


def build_handler(settings: Settings) -> EventHandler:
    """The event dispatcher with its frozen handler tables."""
    from bot.dispatch import build_dispatcher

    return build_dispatcher(settings)


def create_app(config: Mapping[str, Any] | Settings | None = None, *, handler: EventHandler | None = None) -> Flask:
    """Build the app. ``config`` is a mapping of environment-style settings (tests) or Settings.

    Extra keys: ``ITA_WORKER_THREADS`` (default 4; 0 means no in-process worker — run ``ita worker``),
    ``ITA_SIMULATOR`` ("1" mounts the local chat page at /simulator).
    """
    extra: dict[str, str]
    if isinstance(config, Settings):
        settings, extra = config, {}
    elif config is None:
        import os

        settings, extra = Settings.from_env(), dict(os.environ)
    else:
        extra = {k: str(v) for k, v in config.items()}
        settings = Settings.from_env(extra, read_dotenv=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    threads = int(extra.get("ITA_WORKER_THREADS", "4") or 0)
    # Each worker thread keeps a connection: room for them beyond the pool's default five.
    engine = make_engine(settings.database_url, **({"pool_size": 5 + threads} if threads > 4 else {}))
    factory = make_session_factory(engine)
    line = LineClient(settings.line_api_base_url, settings.line_channel_access_token)
    if not line.configured:
        log.warning("LINE_CHANNEL_ACCESS_TOKEN is not set: no message will be sent")
    sender = Sender(factory, line, utcnow)
    processor = EventProcessor(factory, handler or build_handler(settings), sender, utcnow)
    pool = WorkerPool(processor, threads=threads) if threads > 0 else None
    signature = SignatureValidator(settings.line_channel_secret) if settings.line_channel_secret else None
    if signature is None:
        log.error("LINE_CHANNEL_SECRET is not set: the webhook refuses every request with 503")
    svc = app.extensions["ita"] = Services(
        settings, engine, factory, line, signature, processor, pool,
        IntakeWriter(engine, notifier=None if pool is not None else Notifier()),  # wakes ``ita worker``s
    )

    from bot.web import health, webhook

    app.wsgi_app = webhook.mount(app.wsgi_app, svc, utcnow, MAX_BODY)  # type: ignore[method-assign,assignment]
    app.register_blueprint(health.bp)
    if extra.get("ITA_SIMULATOR") == "1":
        from bot.web import simulator

        app.register_blueprint(simulator.bp)
    from bot.views.render import warm

    warm()  # compile templates now, not on the first message
    if pool is not None:
        pool.start()
    return app
