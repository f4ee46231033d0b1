"""The ``ita`` command line. Each concern registers its commands from its own module."""

from __future__ import annotations

import click

from bot.cli import core as core_commands
from bot.cli import jobs as job_commands
from bot.cli import measures as measures_commands
from bot.cli import nlu as nlu_commands
from bot.cli import outbox as outbox_commands
from bot.cli import service as service_commands
from bot.cli.common import state


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """ita-bot: ITA results, scoring and the LINE bot."""
    ctx.call_on_close(state().close)


core_commands.register(cli)
job_commands.register(cli)
measures_commands.register(cli)
service_commands.register(cli, core_commands.demo_group)
cli.add_command(nlu_commands.nlu)
cli.add_command(outbox_commands.outbox_group)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ita")
