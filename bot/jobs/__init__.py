"""Jobs that push to LINE: result notifications and deadline reminders.

Jobs are plain functions taking a session and ``now``; they write to the outbox (committed by the
caller with the work) and the sender delivers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.outbox import Renderer


def default_renderers() -> dict[str, Renderer]:
    """Renderers for outbox rows queued with ``render=``: name → function(session, payload)."""
    from bot.jobs.reminders import render_reminder

    return {"reminder": render_reminder}
