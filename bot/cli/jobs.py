"""Job commands: ``ita reminders run``, ``ita notify results``, ``ita clock``."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime

import click

from bot.cli.common import emit_json, engine, fail_on_domain_errors, session_scope, settings, utcnow
from bot.outbox import Sender

log = logging.getLogger(__name__)


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings().timezone)  # a local wall-clock time
    return moment.astimezone(UTC)


def _parse_days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))
    except ValueError:
        raise click.BadParameter(f"{text!r}: give whole days, e.g. 7,1,0") from None
    if not days or any(d < 0 or d > 60 for d in days):
        raise click.BadParameter(f"{text!r}: days must be 0-60")
    return days


def _sender() -> Sender:
    """The outbox sender for this invocation."""
    from bot.app import utcnow as clock
    from bot.line_client import LineClient
    from ita_core.db import make_session_factory

    config = settings()
    return Sender(
        make_session_factory(engine()), LineClient(config.line_api_base_url, config.line_channel_access_token), clock
    )


@click.group("reminders")
def reminders_group() -> None:
    """Deadline reminders for staff."""


@reminders_group.command("run")
@click.option("--now", "now_text", help="the instant to run at, ISO-8601 (default: now; no zone = ITA_TIMEZONE)")
@click.option("--days", "days_text", default="7,1,0", show_default=True, help="days before a checkpoint to remind")
@click.option("--dry-run", is_flag=True, help="show who would be reminded of what, send nothing")
@click.option("--no-send", is_flag=True, help="queue in the outbox but leave sending to the worker")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def reminders_run(now_text: str | None, days_text: str, dry_run: bool, no_send: bool, as_json: bool) -> None:
    """One pass of the reminder job at that instant; safe to run twice or concurrently."""
    from bot.jobs.reminders import run_overdue_summaries, run_reminders

    now = _parse_now(now_text)
    offsets = _parse_days(days_text)
    with session_scope() as session:
        report = run_reminders(session, now, settings().timezone, offsets=offsets, dry_run=dry_run)
        if not dry_run:
            report.summaries = run_overdue_summaries(session, now, settings().timezone)
        else:
            session.rollback()
    delivery = None
    if not dry_run and not no_send:
        delivery = _sender().deliver_due()
    if as_json:
        document = report.as_json()
        if delivery is not None:
            document["sent"] = delivery.sent
            document["failed"] = delivery.failed
            document["quota_exhausted"] = delivery.quota_exhausted
        emit_json(document)
        return
    click.echo(
        f"{report.today}: {report.due} checkpoint reminder(s) due, {report.reminders} new for {report.people} person(s)"
        + (f", {report.summaries} overdue summary(ies)" if report.summaries else "")
        + (" (dry run: nothing sent)" if dry_run else "")
    )
    if delivery is not None:
        click.echo(
            f"sent {delivery.sent}, failed {delivery.failed}"
            + (" — monthly quota used up" if delivery.quota_exhausted else "")
        )


@click.group("notify")
def notify_group() -> None:
    """Push notifications."""


@notify_group.command("results")
@click.option("--agency", required=True)
@click.option("--year", type=int, required=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def notify_results_command(agency: str, year: int, as_json: bool) -> None:
    """Push that agency-year's result summary to its executives and officials now (again, on purpose)."""
    from bot.jobs.notify import notify_results

    with fail_on_domain_errors(as_json), session_scope() as session:
        note = notify_results(session, agency, year, utcnow(), force=True)
    report = _sender().deliver_due()
    if as_json:
        emit_json(
            {
                "agency": note.agency_code,
                "year": note.year,
                "recipients": note.recipients,
                "sent": report.sent,
                "failed": report.failed,
            }
        )
    else:
        click.echo(
            f"{note.agency_code} {note.year}: {note.recipients} recipient(s); sent {report.sent}, failed {report.failed}"
        )


@click.command("clock")
@click.option("--interval", type=float, default=300.0, show_default=True, help="seconds between reminder runs")
@click.option("--days", "days_text", default="7,1,0", show_default=True, help="days before a checkpoint to remind")
def clock(interval: float, days_text: str) -> None:
    """Run the reminder job (and outbox delivery) on a schedule: the Procfile's clock process."""
    from bot.jobs.reminders import run_overdue_summaries, run_reminders

    offsets = _parse_days(days_text)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sender = _sender()
    while not stop.is_set():
        now = utcnow()
        try:
            with session_scope() as session:
                report = run_reminders(session, now, settings().timezone, offsets=offsets)
                run_overdue_summaries(session, now, settings().timezone)
            delivery = sender.deliver_due()
            log.info("reminders: %d new for %d people; sent %d", report.reminders, report.people, delivery.sent)
        except Exception:
            log.exception("reminder run failed; trying again next interval")
        stop.wait(interval)


def register(cli: click.Group) -> None:
    """Add this module's commands."""
    cli.add_command(reminders_group)
    cli.add_command(notify_group)
    cli.add_command(clock)
