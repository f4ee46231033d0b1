"""Running the service: ``ita serve``, ``ita worker``, ``ita demo run``, ``ita users invite``."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
import time
from datetime import timedelta

import click

from bot.cli.common import emit_json, engine, fail_on_domain_errors, session_scope, utcnow
from ita_core import accounts
from ita_core.db import upgrade

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, help="default: PORT or 8000")
def serve(host: str, port: int | None) -> None:
    """Run the web app with Werkzeug (development; production uses gunicorn from the Procfile)."""
    from werkzeug.serving import run_simple

    from bot import create_app

    app = create_app()
    run_simple(host, port or int(os.environ.get("PORT", "8000")), app, threaded=True, use_reloader=False)


@click.command("worker")
@click.option("--once", is_flag=True, help="handle what is waiting, then exit")
@click.option(
    "--interval", type=float, default=0.2, show_default=True, help="seconds between looks for new events when idle"
)
@click.option(
    "--scan", type=float, default=2.0, show_default=True, help="seconds between scans for leftovers and due pushes"
)
def worker(once: bool, interval: float, scan: float) -> None:
    """Handle stored webhook events and deliver the outbox in a separate process.

    Run web processes with ITA_WORKER_THREADS=0 when this does the work; several may run side by
    side, and with the web processes' threads: each takes the oldest event no one else has, and an
    event is only ever claimed once. One handling thread per process (and one that sends the answers
    to LINE meanwhile): start more processes for more. On
    PostgreSQL an idle worker is woken as soon as such web processes store new events (LISTEN/NOTIFY);
    --interval is then only the fallback.
    """
    from bot.app import build_handler
    from bot.app import utcnow as clock
    from bot.cli.common import settings
    from bot.line_client import LineClient
    from bot.outbox import Sender
    from bot.views.render import warm
    from bot.wakeup import Listener
    from bot.worker import EventProcessor, run_separately
    from ita_core.db import make_session_factory

    config = settings()
    warm()  # compile the templates now, not while the first people to ask wait (about 0.3 s in all)
    bound = engine()
    factory = make_session_factory(bound)
    line = LineClient(config.line_api_base_url, config.line_channel_access_token)
    processor = EventProcessor(factory, build_handler(config), Sender(factory, line, clock), clock)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # PostgreSQL: idle, wait for the web processes' word that events were stored (bot/wakeup.py)
    listener = Listener(bound) if bound.dialect.name == "postgresql" and not once else None
    run_separately(processor, stop, interval=interval, scan=scan, once=once, say=click.echo, listener=listener)


@click.group("users")
def users_group() -> None:
    """LINE accounts and registration codes."""


@users_group.command("invite")
@click.option("--agency", required=True, help="agency code")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--unit", help="the staff member's unit, e.g. กองคลัง (required for staff)")
@click.option("--days", type=int, default=14, show_default=True, help="days the code stays valid")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def users_invite(agency: str, role: str, unit: str | None, days: int, as_json: bool) -> None:
    """Create a one-time registration code; the person sends "ลงทะเบียน CODE" to the bot."""
    with fail_on_domain_errors(as_json), session_scope() as session:
        invite = accounts.create_invite(session, agency, role, utcnow(), unit, timedelta(days=days))
    if as_json:
        emit_json(
            {
                "code": invite.code,
                "agency": invite.agency_code,
                "role": invite.role,
                "unit": invite.unit,
                "expires_at": invite.expires_at,
            }
        )
    else:
        click.echo(
            f"{invite.code}  ({invite.agency_code}, {invite.role}{', ' + unit if unit else ''}; "
            f"valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC)"
        )
        click.echo(f"send to the bot: ลงทะเบียน {invite.code}")


@click.command("run")
@click.option("--port", type=int, help="default: PORT or 8000")
@click.option("--fake-line-port", type=int, default=0, help="port of the fake LINE API (default: any free port)")
def demo_run(port: int | None, fake_line_port: int) -> None:
    """Run the bot locally with the demo data, a fake LINE API and the chat simulator at /simulator."""
    from werkzeug.serving import make_server

    from bot import create_app
    from bot.cli.common import settings
    from bot.fakeline import FakeLine
    from ita_core.demo import load_demo

    config = settings()
    upgrade(engine())
    with session_scope() as session:
        for line in load_demo(session, utcnow()):
            click.echo(line)
    token = config.line_channel_access_token or "demo-" + secrets.token_hex(8)
    secret = config.line_channel_secret or "demo-" + secrets.token_hex(8)
    fake = FakeLine(token=token, port=fake_line_port, accept_any_reply_token=True)
    fake.start()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": config.database_url,
            "LINE_CHANNEL_SECRET": secret,
            "LINE_CHANNEL_ACCESS_TOKEN": token,
            "LINE_API_BASE_URL": fake.base_url,
            "ITA_SIMULATOR": "1",
            "ITA_DEFAULT_AGENCY": config.default_agency or "SAO-CHIANGPHIN",
        }
    )
    app = create_app(env)
    listen = port or config.port
    server = make_server("127.0.0.1", listen, app, threaded=True)
    click.echo(f"fake LINE API: {fake.base_url}")
    click.echo(f"chat simulator: http://127.0.0.1:{listen}/simulator")
    click.echo(f"health: http://127.0.0.1:{listen}/healthz   (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        time.sleep(0)


def register(cli: click.Group, demo_group: click.Group) -> None:
    """Add this module's commands."""
    cli.add_command(serve)
    cli.add_command(worker)
    cli.add_command(users_group)
    demo_group.add_command(demo_run)
