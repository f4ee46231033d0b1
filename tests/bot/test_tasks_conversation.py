"""Measures and tasks in chat: staff see their unit's items, tap done / snooze / report progress."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot import linesim
from bot.views.limits import check_messages
from ita_core.accounts import create_invite
from ita_core.db import unit_of_work
from ita_core.models import Checkpoint, ProgressNote
from tests.bot.conftest import LiveApp


def register(live: LiveApp, role: str, unit: str | None = None) -> str:
    factory = live.app.extensions["ita"].session_factory
    with unit_of_work(factory) as session:
        code = create_invite(session, "SAO-CHIANGPHIN", role, datetime.now(UTC), unit).code
    user = linesim.user_id()
    assert "ลงทะเบียนเรียบร้อย" in json.dumps(live.send_text(user, f"ลงทะเบียน {code}"), ensure_ascii=False)
    return user


def tap(live: LiveApp, user: str, data: str) -> list[dict[str, Any]]:
    event = linesim.postback_event(linesim.user_source(user), data)
    live.deliver(event)
    answer = live.replies_to(event)
    assert check_messages(answer) == []
    return answer


def postbacks(messages: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("type") == "postback":
                found.append(action["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return found


@pytest.fixture
def live(make_live_app: Callable[..., LiveApp]) -> LiveApp:
    return make_live_app()


def test_measures_need_registration(live: LiveApp) -> None:
    answer = json.dumps(live.send_text(linesim.user_id(), "มาตรการตัวชี้วัดที่ 4"), ensure_ascii=False)
    assert "ลงทะเบียน" in answer


def test_measures_listed_for_official(live: LiveApp) -> None:
    user = register(live, "official")
    answer = live.send_text(user, "มาตรการปี 2569")
    assert check_messages(answer) == []
    text = json.dumps(answer, ensure_ascii=False)
    assert "มาตรการ" in text and "2569" in text


def test_staff_tasks_done_snooze_and_progress(live: LiveApp) -> None:
    user = register(live, "staff", "กองคลัง")
    answer = live.send_text(user, "งานของฉัน")
    assert check_messages(answer) == []
    data = postbacks(answer)
    done = next(d for d in data if "action=done" in d)
    snooze = next(d for d in data if "action=snooze" in d)
    progress = next(d for d in data if "action=progress" in d)
    # Report progress: the next text is the note, confirmed back.
    assert "ความก้าวหน้า" in json.dumps(tap(live, user, progress), ensure_ascii=False)
    saved = json.dumps(live.send_text(user, "จัดทำทะเบียนคุมทรัพย์สินแล้วร้อยละ 80"), ensure_ascii=False)
    assert "ร้อยละ 80" in saved
    factory = live.app.extensions["ita"].session_factory
    with factory() as session:
        note = session.scalars(select(ProgressNote)).one()
        assert note.line_user_id == user and "ร้อยละ 80" in note.text
    # The next message is a question again, not a note.
    assert "90.42" in json.dumps(live.send_text(user, "ผล ITA ล่าสุด"), ensure_ascii=False)
    tap(live, user, snooze)
    tap(live, user, done)
    checkpoint_id = int(done.split("checkpoint=")[1].split("&")[0])
    with factory() as session:
        checkpoint = session.get(Checkpoint, checkpoint_id)
        assert checkpoint is not None and checkpoint.status == "done" and checkpoint.done_by == user


def test_forged_tap_on_another_agency_is_refused(live: LiveApp) -> None:
    user = register(live, "staff", "กองคลัง")
    factory = live.app.extensions["ita"].session_factory
    with factory() as session:
        from ita_core.agencies import get_agency
        from ita_core.models import Measure

        other = get_agency(session, "BMA-TALINGCHAN").id
        checkpoint = session.scalars(select(Checkpoint).join(Measure).where(Measure.agency_id == other)).first()
        assert checkpoint is not None
    answer = json.dumps(tap(live, user, f"intent=my_tasks&action=done&checkpoint={checkpoint.id}"), ensure_ascii=False)
    assert "ไม่พบ" in answer
    with factory() as session:
        assert session.get(Checkpoint, checkpoint.id).status == "open"  # type: ignore[union-attr]


def test_tasks_answer_kept_per_role_and_unit_until_an_item_changes(live: LiveApp) -> None:
    kept = live.app.extensions["ita"].processor.handler.measure_answers
    staff = register(live, "staff", "กองคลัง")
    first = live.send_text(staff, "งานของฉัน")
    assert live.send_text(staff, "งานของฉัน") == first
    assert (kept.hits, kept.misses) == (1, 1)
    # another unit's staff and an official see other items: not the kept answer
    other_unit = live.send_text(register(live, "staff", "กองช่าง"), "งานของฉัน")
    official = live.send_text(register(live, "official"), "งานของฉัน")
    assert (kept.hits, kept.misses) == (1, 3)
    assert other_unit != first and official != first
    # a button's action is never answered from it; marking an item done changes the list
    done = next(d for d in postbacks(first) if "action=done" in d)
    tap(live, staff, done)
    checkpoint = done.split("checkpoint=")[1].split("&")[0]
    after = live.send_text(staff, "งานของฉัน")
    assert f"checkpoint={checkpoint}&" not in json.dumps(after, ensure_ascii=False)
    assert f"checkpoint={checkpoint}&" in json.dumps(first, ensure_ascii=False)
    assert (kept.hits, kept.misses) == (1, 4)
