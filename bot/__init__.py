"""The LINE adapter: Flask webhook, intent matcher, handlers, LINE client, jobs and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Any = None, **kwargs: Any) -> Flask:
    """Build the Flask app (see ``bot.app.create_app``); gunicorn: ``'bot:create_app()'``."""
    from bot.app import create_app as factory

    return factory(config, **kwargs)
