"""Admin commands for improvement measures (มาตรการ): ``ita measures import`` and ``ita measures list``."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import emit_json, fail_on_domain_errors, session_scope, utcnow
from ita_core import fileio
from ita_core.agencies import get_agency
from ita_core.measure_files import read_measures_file
from ita_core.measure_import import import_measures
from ita_core.measures import DONE, MeasureView, list_measures
from ita_core.thaidate import format_thai_date, format_thai_period


@click.group("measures")
def measures_group() -> None:
    """Improvement measures and their checkpoints."""


@measures_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(fileio.FORMATS), help="default: from the file extension")
@click.option("--dry-run", is_flag=True, help="show the changes without writing")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def measures_import(path: Path, fmt: str | None, dry_run: bool, as_json: bool) -> None:
    """Import measures from CSV, XLSX or JSON (see docs/measures-format.md). All or nothing."""
    with fail_on_domain_errors(as_json), session_scope() as session:
        raws = read_measures_file(path, fmt)
        plan = import_measures(session, raws, utcnow(), dry_run=dry_run, source=path.name)
        if dry_run:
            session.rollback()
    if as_json:
        emit_json({"dry_run": dry_run, **plan.as_json()})
        return
    for line in plan.summary_lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written")


@measures_group.command("list")
@click.option("--agency", required=True, help="agency code")
@click.option("--year", type=int, help="fiscal year (default: every year)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def measures_list(agency: str, year: int | None, as_json: bool) -> None:
    """List an agency's measures with their checkpoints and status."""
    with fail_on_domain_errors(as_json), session_scope() as session:
        found = get_agency(session, agency)
        name, code = found.name, found.code
        measures = list_measures(session, found.id, year)
    if as_json:
        emit_json({"agency": code, "name": name, "year": year, "measures": [m.as_json() for m in measures]})
        return
    click.echo(f"{name} ({code})")
    current: int | None = None
    for measure in measures:
        if measure.fiscal_year != current:
            current = measure.fiscal_year
            count = sum(1 for m in measures if m.fiscal_year == current)
            click.echo(f"fiscal year {current}: {count} measure(s)")
        _echo_measure(measure)
    if not measures:
        click.echo("no measures" + (f" for fiscal year {year}" if year else ""))


def _echo_measure(measure: MeasureView) -> None:
    indicators = ",".join(str(n) for n in measure.indicators)
    title = measure.title if len(measure.title) <= 90 else measure.title[:89] + "…"
    code = f" [{measure.code}]" if measure.code else ""
    click.echo(f"  #{measure.id}{code} ind {indicators}: {title}  ({measure.status})")
    period = format_thai_period(measure.period_start, measure.period_end)
    rhythm = measure.monitoring + (f" ({measure.monitoring_text})" if measure.monitoring_text else "")
    click.echo(f"      units: {', '.join(measure.units)} | {period} | {rhythm}")
    for checkpoint in measure.checkpoints:
        mark = "x" if checkpoint.status == DONE else " "
        extra = ""
        if checkpoint.status == DONE and checkpoint.done_by:
            extra = f" done by {checkpoint.done_by}"
        elif checkpoint.snoozed_until:
            extra = f" snoozed until {format_thai_date(checkpoint.snoozed_until)}"
        click.echo(f"      [{mark}] {format_thai_date(checkpoint.due)} {checkpoint.label}{extra}")
    if measure.notes:
        click.echo(f"      {len(measure.notes)} progress note(s), latest: {measure.notes[-1].text[:60]}")


def register(cli: click.Group) -> None:
    """Add this module's commands to the ``ita`` group."""
    cli.add_command(measures_group)
