"""A handler that raises: its writes are undone and the person gets one apology, once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import func, select

from bot import linesim
from bot.config import Settings
from bot.dispatch import Ctx, Dispatcher, build_dispatcher, save_conversation
from ita_core.db import make_session_factory
from ita_core.models import Conversation, OutboxMessage, WebhookEvent
from tests.bot.conftest import SECRET, LiveApp


def test_a_failing_handler_is_answered_with_one_apology(make_live_app: Callable[..., LiveApp]) -> None:
    def broken(ctx: Ctx) -> list[dict[str, object]]:
        assert ctx.chat_id
        save_conversation(ctx.session, ctx.chat_id, ctx.now, intent="help", updated_at=ctx.now)  # undone below
        raise RuntimeError("a bug in a handler")

    settings = Settings.from_env({"LINE_CHANNEL_SECRET": SECRET}, read_dotenv=False)
    real = build_dispatcher(settings)
    dispatcher = Dispatcher(settings, real.matcher, {**real.intents, "help": broken}, real.events, real.replies)
    live = make_live_app(load_demo=False, handler=dispatcher)
    user = linesim.user_id()
    answer = json.dumps(live.send_text(user, "ช่วยเหลือ"), ensure_ascii=False)
    assert "ขออภัย" in answer
    time.sleep(0.3)
    factory = make_session_factory(live.app.extensions["ita"].engine)
    with factory() as session:
        assert session.get(Conversation, user) is None  # the handler's write was rolled back
        assert session.scalars(select(WebhookEvent.status)).all() == ["done"]
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert len(live.fake.requests("/v2/bot/message/reply")) == 1
