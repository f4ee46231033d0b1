"""Measures (มาตรการ) and the person's own follow-up items; always need a linked account."""

from __future__ import annotations

from datetime import date, timedelta

from bot.dispatch import Ctx, Messages, NeedsRegistration, save_conversation
from bot.views import messages as views
from ita_core import measures as service
from ita_core.fiscal import fiscal_year_of, local_today
from ita_core.models import Agency

PROGRESS_WINDOW = timedelta(minutes=15)
AWAIT_PROGRESS = "progress"


def _agency(ctx: Ctx) -> Agency:
    if ctx.user is None or ctx.user.agency_id is None:
        raise NeedsRegistration("measures need a registered account")
    agency = ctx.session.get(Agency, ctx.user.agency_id)
    assert agency is not None
    return agency


def measures(ctx: Ctx) -> Messages:
    """The agency's measures for a fiscal year: what, who, when, status."""
    agency = _agency(ctx)
    today = local_today(ctx.now, ctx.settings.timezone)
    years = service.measure_years(ctx.session, agency.id)
    year = ctx.slots.get("year")
    if year is None:
        current = fiscal_year_of(today)
        year = current if current in years else (years[-1] if years else current)
        if ctx.slots.get("year_offset"):
            year += int(ctx.slots["year_offset"])
    found = service.list_measures(ctx.session, agency.id, int(year))
    indicator = ctx.slots.get("indicator")
    if indicator is not None:
        found = [m for m in found if int(indicator) in m.indicators]
    if not found:
        return views.no_measures_messages(int(year), years)
    return views.measures_messages(found, agency.name, int(year), today, indicator=indicator)


def my_tasks(ctx: Ctx) -> Messages:
    """งานของฉัน: open items, and the buttons on them (done, report progress, snooze)."""
    agency = _agency(ctx)
    assert ctx.user is not None
    today = local_today(ctx.now, ctx.settings.timezone)
    action = ctx.extras.get("action")
    checkpoint = _int(ctx.extras.get("checkpoint"))
    try:
        if action == "done" and checkpoint is not None:
            done = service.mark_checkpoint_done(
                ctx.session, checkpoint, by=ctx.user.line_user_id, now=ctx.now, agency_id=agency.id
            )
            title = service.get_measure(ctx.session, done.measure_id, agency.id).title
            return views.checkpoint_done_messages(title, done.label)
        if action == "snooze" and checkpoint is not None:
            days = _int(ctx.extras.get("days")) or 3
            snoozed = service.snooze_checkpoint(ctx.session, checkpoint, days, today=today, agency_id=agency.id)
            title = service.get_measure(ctx.session, snoozed.measure_id, agency.id).title
            return views.snoozed_messages(title, snoozed.snoozed_until or today)
        if action == "progress":
            measure_id = _int(ctx.extras.get("item"))
            if measure_id is None:
                return views.task_not_found_messages()
            title = service.get_measure(ctx.session, measure_id, agency.id).title
            _await(ctx, f"{AWAIT_PROGRESS}:{measure_id}:{checkpoint or ''}")
            return views.progress_prompt_messages(title)
        if action == "cancel":
            _await(ctx, None)
            return views.my_tasks_messages(_open(ctx, agency, today), today)
    except (service.MeasureNotFound, service.CheckpointNotFound):
        return views.task_not_found_messages()
    items = _open(ctx, agency, today)
    return views.my_tasks_messages(items, today) if items else views.no_tasks_messages()


def _open(ctx: Ctx, agency: Agency, today: date) -> list[service.OpenItem]:
    assert ctx.user is not None
    return service.open_items(ctx.session, agency.id, ctx.user.unit, ctx.user.role, today)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _await(ctx: Ctx, what: str | None) -> None:
    """Remember (or forget) that the person's next text is a progress note."""
    if ctx.chat_id is None:
        return
    until = ctx.now + PROGRESS_WINDOW if what else None
    save_conversation(ctx.session, ctx.chat_id, ctx.now, awaiting=what, awaiting_until=until)


def take_progress_note(ctx: Ctx, text: str) -> Messages | None:
    """If the chat is waiting for a progress note, record ``text`` as one and confirm it back."""
    if ctx.chat_id is None or ctx.user is None or ctx.user.agency_id is None:
        return None
    state = ctx.chat_state
    if state is None or not state.awaiting or not state.awaiting.startswith(AWAIT_PROGRESS + ":"):
        return None
    _await(ctx, None)  # asked once: whatever comes next is not a note any more
    if state.awaiting_until is None or state.awaiting_until < ctx.now:
        return None
    _, measure_text, checkpoint_text = state.awaiting.split(":", 2)
    if text.strip() in ("ยกเลิก", "cancel"):
        today = local_today(ctx.now, ctx.settings.timezone)
        return views.my_tasks_messages(_open(ctx, _agency(ctx), today), today)
    try:
        note = service.add_progress_note(
            ctx.session,
            int(measure_text),
            text,
            now=ctx.now,
            line_user_id=ctx.user.line_user_id,
            checkpoint_id=_int(checkpoint_text),
            agency_id=ctx.user.agency_id,
        )
        title = service.get_measure(ctx.session, int(measure_text), ctx.user.agency_id).title
    except (service.MeasureNotFound, service.CheckpointNotFound):
        return views.task_not_found_messages()
    except service.MeasureInputError:
        return views.progress_prompt_messages(service.get_measure(ctx.session, int(measure_text)).title)
    return views.progress_saved_messages(title, note.text)
