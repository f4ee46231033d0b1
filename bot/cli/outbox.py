"""``ita outbox``: what did not get through to LINE, and retrying it."""

from __future__ import annotations

import json

import click
from sqlalchemy import update

from bot.cli.common import emit_json, session_scope, utcnow
from ita_core.db import affected_rows
from ita_core.models import OutboxMessage


@click.group("outbox", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def outbox_group(ctx: click.Context, as_json: bool) -> None:
    """List messages that failed (or whose fate is unknown) and why."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.outbox import failed_messages

    with session_scope() as session:
        rows = [
            {
                "id": r.id,
                "kind": r.kind,
                "purpose": r.purpose,
                "status": r.status,
                "attempts": r.attempts,
                "recipients": len(json.loads(r.recipients)),
                "created_at": r.created_at,
                "error": r.last_error,
            }
            for r in failed_messages(session)
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(
            f"#{r['id']} {r['kind']}/{r['purpose']} {r['status']} after {r['attempts']} attempt(s), "
            f"{r['recipients']} recipient(s): {r['error']}"
        )
    click.echo(f"{len(rows)} message(s) not delivered")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="retry every failed message")
def outbox_retry(ids: tuple[int, ...], retry_all: bool) -> None:
    """Queue failed messages again (same retry key, so LINE never delivers one twice)."""
    if not ids and not retry_all:
        raise click.UsageError("give message ids or --all")
    with session_scope() as session:
        stmt = update(OutboxMessage).where(OutboxMessage.status.in_(("failed", "quota")))
        if ids:
            stmt = stmt.where(OutboxMessage.id.in_(ids))
        count = affected_rows(session.execute(stmt.values(status="pending", next_attempt_at=utcnow(), attempts=0)))
    click.echo(f"{count} message(s) queued again; `ita worker --once` or the running worker sends them")
