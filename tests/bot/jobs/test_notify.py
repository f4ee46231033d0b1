"""Result notifications: once per agency-year, multicast in chunks of 500, re-send on purpose."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import linesim
from bot.cli import cli
from bot.fakeline import FakeLine
from bot.jobs.notify import notify_results
from ita_core import accounts
from ita_core.db import make_engine, make_session_factory, unit_of_work, upgrade
from ita_core.models import LineUser, OutboxMessage
from tests.bot.conftest import TOKEN
from tests.factories import S001_2567, S001_2568, add_agency, add_result

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def register(session: Session, role: str, count: int = 1, agency: str = "SAO-A") -> list[str]:
    ids = []
    for _ in range(count):
        invite = accounts.create_invite(session, agency, role, NOW, "กองคลัง" if role == "staff" else None)
        uid = linesim.user_id()
        accounts.redeem(session, invite.code, uid, NOW)
        ids.append(uid)
    return ids


def test_once_per_agency_year_and_forced_resend(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        add_agency(session, "SAO-A")
        add_result(session, "SAO-A", 2567, S001_2567)
        add_result(session, "SAO-A", 2568, S001_2568)
        executives = register(session, "executive", 2)
        officials = register(session, "official")
        register(session, "staff")
        first = notify_results(session, "SAO-A", 2568, NOW)
        assert first.recipients == 3 and len(first.outbox_ids) == 1
        assert notify_results(session, "SAO-A", 2568, NOW).already_sent
        forced = notify_results(session, "SAO-A", 2568, NOW, force=True)
        assert len(forced.outbox_ids) == 1
    with factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(rows) == 2
    assert sorted(json.loads(rows[0].recipients)) == sorted(executives + officials)
    text = rows[0].messages
    assert "90.42" in text and "4.74" in text  # the score and the change from last year


def test_ten_thousand_executives_take_twenty_multicasts(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        add_agency(session, "SAO-A")
        add_result(session, "SAO-A", 2568, S001_2568)
        agency_id = session.scalars(select(LineUser.agency_id)).first()
        from ita_core.agencies import get_agency

        agency_id = get_agency(session, "SAO-A").id
        session.add_all(
            LineUser(line_user_id=linesim.user_id(), agency_id=agency_id, role="executive", active=True)
            for _ in range(10_000)
        )
        session.flush()
        note = notify_results(session, "SAO-A", 2568, NOW)
    assert note.recipients == 10_000 and len(note.outbox_ids) == 20
    with factory() as session:
        sizes = [len(json.loads(r)) for r in session.scalars(select(OutboxMessage.recipients))]
    assert sizes == [500] * 20


def test_import_notifies_once_and_delivers(
    factory: sessionmaker[Session],
    database_url: str,
    fake_line: FakeLine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(factory) as session:
        add_agency(session, "SAO-A")
        add_result(session, "SAO-A", 2567, S001_2567)
        (executive,) = register(session, "executive")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("LINE_API_BASE_URL", fake_line.base_url)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency_code", "fiscal_year"] + [f"ind{n}" for n in range(1, 11)])
        writer.writerow(["SAO-A", "2568", *S001_2568])
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(path), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["notified"] == [{"agency": "SAO-A", "year": 2568, "recipients": 1}]
    (push,) = fake_line.accepted("/v2/bot/message/multicast")
    assert push.body["to"] == [executive]
    again = runner.invoke(cli, ["import", str(path), "--json"])
    assert json.loads(again.output)["notified"] == []
    resend = runner.invoke(cli, ["notify", "results", "--agency", "SAO-A", "--year", "2568", "--json"])
    assert resend.exit_code == 0, resend.output
    assert json.loads(resend.output)["sent"] == 1
    assert len(fake_line.accepted("/v2/bot/message/multicast")) == 2


def test_reminders_cli_dry_run_and_json(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    result = runner.invoke(cli, ["reminders", "run", "--now", "2026-09-23T09:00:00", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["today"] == "2026-09-23" and document["dry_run"] is True
    assert document["due_checkpoints"] > 0  # the demo's FY2569 year-end checkpoints, 7 days ahead
    assert document["people"] == 0  # no one has registered in the demo data


def test_new_results_notify_only_latest_year_and_only_where_someone_listens(factory: sessionmaker[Session]) -> None:
    from bot.jobs.notify import notify_new_results

    with unit_of_work(factory) as session:
        add_agency(session, "SAO-A")
        add_agency(session, "SAO-B")
        add_result(session, "SAO-A", 2568, S001_2568)
        add_result(session, "SAO-A", 2567, S001_2567)  # back-filled history
        add_result(session, "SAO-B", 2568, S001_2568)  # nobody registered
        register(session, "official")
        notes = notify_new_results(session, [("SAO-A", 2567), ("SAO-A", 2568), ("SAO-B", 2568)], NOW)
    assert [(n.agency_code, n.year, n.recipients) for n in notes] == [("SAO-A", 2568, 1)]


def test_reminder_days_are_configurable(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    # 16 Sep 2026 is 14 days before the demo's FY2569 checkpoints: only a 14-day setting sees them.
    default = runner.invoke(cli, ["reminders", "run", "--now", "2026-09-16T09:00:00", "--dry-run", "--json"])
    custom = runner.invoke(
        cli, ["reminders", "run", "--now", "2026-09-16T09:00:00", "--days", "14,3", "--dry-run", "--json"]
    )
    assert json.loads(default.output)["due_checkpoints"] == 0
    assert json.loads(custom.output)["due_checkpoints"] > 0
    bad = runner.invoke(cli, ["reminders", "run", "--days", "x", "--dry-run"])
    assert bad.exit_code != 0
