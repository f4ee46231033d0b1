"""``ita nlu``: the intent matcher alone (placeholder until the matcher lands)."""

from __future__ import annotations

import click


@click.command("nlu")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def nlu(text: str | None, as_json: bool) -> None:
    """Match one TEXT (or JSON lines from stdin) to an intent and slots."""
    raise click.ClickException("the intent matcher is not built yet")
