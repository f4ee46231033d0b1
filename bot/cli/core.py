"""Admin commands over the scoring core: db, score, agencies, import, export, show, demo load."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import emit_json, engine, fail_on_domain_errors, session_scope, utcnow
from ita_core import agencies as agency_service
from ita_core import analysis, demo, fileio
from ita_core.db import current_revision, upgrade
from ita_core.errors import ScoreInputError
from ita_core.framework import get_framework
from ita_core.numbers import parse_decimal
from ita_core.results import import_results
from ita_core.scoring import score_indicators


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema of DATABASE_URL (idempotent)."""
    upgrade(engine())
    click.echo(f"database at revision {current_revision(engine())}")


@click.command("score")
@click.option("--year", type=int, required=True, help="Buddhist-era fiscal year, e.g. 2567")
@click.option("--indicators", required=True, help="ten comma-separated scores for indicators 1-10")
@click.option("--eit1", help="EIT part 1 (2566 onward)")
@click.option("--eit2", help="EIT part 2 (2566 onward)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def score(year: int, indicators: str, eit1: str | None, eit2: str | None, as_json: bool) -> None:
    """Score ten indicator values under that fiscal year's framework (no database needed)."""
    values = [v for v in indicators.replace(";", ",").split(",")]
    parts = {k: v for k, v in (("EIT1", eit1), ("EIT2", eit2)) if v is not None}
    with fail_on_domain_errors(as_json):
        if len(values) != 10:
            raise ScoreInputError(f"--indicators needs 10 comma-separated values, got {len(values)}")
        result = score_indicators(year, values, parts)
    if as_json:
        emit_json(result.as_json())
        return
    framework = get_framework(year)
    click.echo(f"ITA {year}: overall {result.overall}  level {result.level}")
    for tool, value in result.tools.items():
        label = result.tool_label(tool)
        click.echo(f"  {tool} {value}" + (f"  ({label})" if label else ""))
    for n, value in result.indicators.items():
        click.echo(f"  {n:>2} {framework.indicator(n).name}: {value}")


@click.group("agencies")
def agencies_group() -> None:
    """Agencies."""


@agencies_group.command("list")
@click.option("--province")
@click.option("--type", "type_")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def agencies_list(province: str | None, type_: str | None, as_json: bool) -> None:
    """List agencies."""
    with session_scope() as session:
        rows = agency_service.list_agencies(session, province, type_)
        data = [{"code": a.code, "name": a.name, "type": a.type, "province": a.province} for a in rows]
    if as_json:
        emit_json(data)
        return
    for a in data:
        click.echo(f"{a['code']:<24} {a['type']:<14} {a['province']:<16} {a['name']}")
    click.echo(f"{len(data)} agencies")


@agencies_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(fileio.FORMATS))
@click.option("--dry-run", is_flag=True, help="show the changes without writing")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def agencies_import(path: Path, fmt: str | None, dry_run: bool, as_json: bool) -> None:
    """Create or update agencies from CSV/XLSX (code,name,type,province,district,target) or JSON."""
    with fail_on_domain_errors(as_json), session_scope() as session:
        rows = fileio.read_agencies_file(path, fmt)
        plan = agency_service.upsert_agencies(session, rows, dry_run=dry_run, source=path.name)
        if dry_run:
            session.rollback()
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "new": plan.new,
                "changed": [{"code": c, "changes": ch} for c, ch in plan.changed],
                "unchanged": len(plan.unchanged),
            }
        )
    else:
        for line in plan.summary_lines():
            click.echo(line)
        if dry_run:
            click.echo("dry run: nothing was written")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(fileio.FORMATS), help="default: from the file extension")
@click.option("--dry-run", is_flag=True, help="show the changes without writing")
@click.option(
    "--notify/--no-notify",
    default=True,
    show_default=True,
    help="push new latest-year results to each agency's executives and officials",
)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def import_command(path: Path, fmt: str | None, dry_run: bool, notify: bool, as_json: bool) -> None:
    """Import results from CSV, XLSX or JSON (see docs/import-format.md). All or nothing."""
    with fail_on_domain_errors(as_json), session_scope() as session:
        document = fileio.read_results_file(path, fmt)
        agency_plan = None
        if document.agencies:
            agency_plan = agency_service.upsert_agencies(session, document.agencies, source=path.name)
        plan = import_results(session, document.results, utcnow(), dry_run=dry_run, source=path.name)
        notifications = []
        if dry_run:
            session.rollback()
        elif notify and plan.new:
            from bot.jobs.notify import notify_new_results

            # Queued with the results in one transaction: new results and their notifications land together.
            notifications = notify_new_results(session, [(r.agency_code, r.year) for r in plan.new], utcnow())
    queued = sum(len(n.outbox_ids) for n in notifications)
    if queued:
        from bot.cli.jobs import _sender

        _sender().deliver_due()
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                **plan.as_json(),
                "notified": [
                    {"agency": n.agency_code, "year": n.year, "recipients": n.recipients}
                    for n in notifications
                    if n.recipients
                ],
            }
        )
        return
    if agency_plan is not None:
        for line in agency_plan.summary_lines():
            click.echo(line)
    for line in plan.summary_lines():
        click.echo(line)
    for note in notifications:
        if note.recipients:
            click.echo(f"notified {note.recipients} executive(s)/official(s) of {note.agency_code} about {note.year}")
    if dry_run:
        click.echo("dry run: nothing was written")


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(fileio.FORMATS), help="default: from the file extension")
@click.option("--year", type=int)
@click.option("--agency")
def export_command(path: Path, fmt: str | None, year: int | None, agency: str | None) -> None:
    """Export stored results in the import format (CSV, XLSX or JSON)."""
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind not in fileio.FORMATS:
        raise click.ClickException("use a .csv, .xlsx or .json file name, or --format")
    with session_scope() as session:
        records = fileio.export_records(session, year, agency)
        agencies = fileio.agency_dicts(session, {r["agency"] for r in records})
    fileio.write_records(records, path, kind, agencies)
    click.echo(f"wrote {len(records)} results to {path}")


@click.command("show")
@click.option("--agency", required=True, help="agency code")
@click.option("--year", type=int, help="fiscal year (default: the latest)")
@click.option("--target", help="analysis target (default: the agency's, else 85)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def show(agency: str, year: int | None, target: str | None, as_json: bool) -> None:
    """Print an agency-year summary: scores, level, tools, weaknesses."""
    goal = parse_decimal(target) if target else None
    with fail_on_domain_errors(as_json), session_scope() as session:
        result = analysis.load_agency_year(session, agency, year)
        report = analysis.analyse(result, goal)
        previous = analysis.previous_year_change(session, result)
    if as_json:
        emit_json(
            {
                "agency": result.agency_code,
                "name": result.agency_name,
                "year": result.year,
                "overall": result.overall,
                "level": result.level,
                "tools": result.tools,
                "indicators": {str(k): v for k, v in result.indicators.items()},
                "target": report.target,
                "meets_national_target": report.meets_national_target,
                "weaknesses": [w.number for w in report.weaknesses],
                "strengths": [s.number for s in report.strengths],
                "oit_zero": [i.code for i in report.oit_zero],
                "previous_overall_change": previous.overall.delta if previous else None,
            }
        )
        return
    click.echo(f"{result.agency_name} ({result.agency_code}), {result.agency_type} จ.{result.province}")
    met = {True: "meets", False: "below", None: "unknown vs"}[report.meets_national_target]
    click.echo(f"ITA {result.year}: overall {result.overall}  level {result.level}  ({met} the national target 85)")
    if previous is not None and previous.overall.delta is not None:
        click.echo(f"  change from {previous.before.year}: {previous.overall.delta:+} ({previous.overall.direction})")
    for tool, value in result.tools.items():
        click.echo(f"  {tool} {value}")
    for standing in sorted(report.strengths + report.weaknesses, key=lambda s: s.number):
        mark = "  " if standing.gap >= 0 else "▼ "
        click.echo(f"  {mark}{standing.number:>2} {standing.name}: {standing.score}")
    click.echo(f"target {report.target}: {len(report.weaknesses)} indicator(s) below")
    for item in report.oit_zero:
        click.echo(f"  OIT item {item.code} scored 0" + (f": {item.title}" if item.title else ""))


@click.group("demo")
def demo_group() -> None:
    """The demo data from the real seed reports."""


@demo_group.command("load")
def demo_load() -> None:
    """Load the demo agencies, results and measures (idempotent)."""
    upgrade(engine())
    with session_scope() as session:
        lines = demo.load_demo(session, utcnow())
    for line in lines:
        click.echo(line)


def register(cli: click.Group) -> None:
    """Add this module's commands to the ``ita`` group."""
    for command in (db_group, score, agencies_group, import_command, export_command, show, demo_group):
        cli.add_command(command)
