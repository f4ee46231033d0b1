"""Registration, help, greetings and the fallback."""

from __future__ import annotations

from bot.dispatch import Ctx, Messages
from bot.views import messages as views
from ita_core import accounts
from ita_core.accounts import RegistrationError


def register(ctx: Ctx) -> Messages:
    """ลงทะเบียน AB12CD: link this LINE account to an agency and a role."""
    code = ctx.slots.get("code")
    if not code:
        return views.register_help_messages()
    if ctx.in_group:
        return views.register_in_group_messages()
    uid = ctx.line_user_id
    if uid is None:
        return views.register_help_messages()
    try:
        user = accounts.redeem(ctx.session, str(code), uid, ctx.now)
    except RegistrationError as exc:
        return views.register_failed_messages(exc.reason)
    agency = accounts.user_agency(ctx.session, user)
    assert agency is not None
    return views.registered_messages(agency.name, user.role or "", user.unit)


def help_(ctx: Ctx) -> Messages:
    """What the bot can do."""
    return views.help_messages()


def greeting(ctx: Ctx) -> Messages:
    """Hello / thank you."""
    return views.greeting_messages(registered=ctx.registered)


def unknown(ctx: Ctx) -> Messages:
    """A message the matcher could not place."""
    return views.unknown_messages()
