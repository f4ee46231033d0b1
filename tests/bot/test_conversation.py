"""Conversations end to end: signed webhooks in, real dispatcher and views, fake LINE API out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import linesim
from bot.views.limits import check_messages
from ita_core.accounts import create_invite
from ita_core.db import make_engine, make_session_factory, unit_of_work
from ita_core.models import LineUser, RegistrationCode
from tests.bot.conftest import LiveApp


def text_of(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages, ensure_ascii=False)


def invite(live: LiveApp, role: str = "official", unit: str | None = None, agency: str = "SAO-CHIANGPHIN") -> str:
    factory = live.app.extensions["ita"].session_factory
    with unit_of_work(factory) as session:
        return create_invite(session, agency, role, datetime.now(UTC), unit).code


@pytest.fixture
def live(make_live_app: Callable[..., LiveApp]) -> LiveApp:
    return make_live_app()


@pytest.fixture
def official(live: LiveApp) -> Iterator[str]:
    user = linesim.user_id()
    answer = live.send_text(user, f"ลงทะเบียน {invite(live)}")
    assert "ลงทะเบียนเรียบร้อย" in text_of(answer)
    yield user


def ask(live: LiveApp, user: str, text: str) -> str:
    answer = live.send_text(user, text)
    assert answer, text
    assert check_messages(answer) == [], text
    return text_of(answer)


def test_follow_gets_welcome(live: LiveApp) -> None:
    event = linesim.follow_event(linesim.user_source(linesim.user_id()))
    assert live.deliver(event).status == 200
    assert "ลงทะเบียน" in text_of(live.replies_to(event))


def test_registration_codes_are_one_time(live: LiveApp) -> None:
    code = invite(live)
    first, second = linesim.user_id(), linesim.user_id()
    assert "ลงทะเบียนเรียบร้อย" in ask(live, first, f"ลงทะเบียน {code.lower()}")
    assert "ลงทะเบียนเรียบร้อย" not in ask(live, second, f"ลงทะเบียน {code}")
    assert "ลงทะเบียนเรียบร้อย" not in ask(live, second, "ลงทะเบียน ZZZZ99")
    expired = invite(live)
    factory = live.app.extensions["ita"].session_factory
    with unit_of_work(factory) as session:
        row = session.scalars(select(RegistrationCode).where(RegistrationCode.code == expired)).one()
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert "ลงทะเบียนเรียบร้อย" not in ask(live, second, f"ลงทะเบียน {expired}")


def test_unregistered_without_default_agency_is_asked_to_register(live: LiveApp) -> None:
    assert "ลงทะเบียน" in ask(live, linesim.user_id(), "ผล ITA ล่าสุด")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ผล ITA ปีล่าสุดเป็นยังไงบ้าง", ["90.42", "ผ่าน"]),
        ("คะแนนตัวชี้วัดที่ 9", ["80.00"]),
        ("ตัวชี้วัดที่๙ ปี ๒๕๖๗", ["79.29"]),
        ("OIT ได้เท่าไหร่", ["77.50"]),
        ("ข้อ o23", ["o23"]),
        ("เทียบปี 67 กับ 68", ["95.16", "90.42"]),
        ("ย้อนหลัง 5 ปี", ["2567", "2568"]),
        ("จุดแข็งมีอะไรบ้าง", ["100"]),
        ("ตัวชี้วัดไหนต่ำกว่า 90", ["80.00", "75.00"]),
        ("ทำยังไงให้ OIT ดีขึ้น", ["o23"]),
        ("อันดับในจังหวัด", ["อันดับ"]),
        ("ช่วยเหลือ", ["ตัวชี้วัด"]),
        ("สวัสดีครับ", ["สวัสดี"]),
    ],
)
def test_intents_answered_from_the_core(live: LiveApp, official: str, question: str, expected: list[str]) -> None:
    answer = ask(live, official, question)
    for fragment in expected:
        assert fragment in answer, (question, fragment)


def test_missing_year_lists_years(live: LiveApp, official: str) -> None:
    answer = ask(live, official, "ผลปี 2560")
    assert "2567" in answer and "2568" in answer


def test_follow_up_continues_previous_question(live: LiveApp, official: str) -> None:
    assert "80.00" in ask(live, official, "คะแนนตัวชี้วัดที่ 9")
    assert "79.29" in ask(live, official, "แล้วปีที่แล้วล่ะ")
    assert "100" in ask(live, official, "ตัวชี้วัดที่ 10 ล่ะ")


def test_out_of_domain_gets_help_not_silence(live: LiveApp, official: str) -> None:
    answer = live.send_text(official, "วันนี้ฝนตกไหม")
    assert answer and check_messages(answer) == []


def test_sticker_gets_polite_reply(live: LiveApp) -> None:
    event = linesim.sticker_event(linesim.user_source(linesim.user_id()))
    live.deliver(event)
    assert "สติกเกอร์" in text_of(live.replies_to(event))


def test_postback_skips_matcher(live: LiveApp, official: str) -> None:
    event = linesim.postback_event(linesim.user_source(official), "intent=indicator_score&indicator=10&year=2567")
    live.deliver(event)
    assert "100" in text_of(live.replies_to(event))


def test_group_never_shows_measures(live: LiveApp, official: str) -> None:
    event = linesim.text_event(linesim.group_source("C" + "1" * 32, official), "มาตรการตัวชี้วัดที่ 4")
    live.deliver(event)
    answer = text_of(live.replies_to(event))
    assert "กลุ่ม" in answer


def test_unfollow_marks_inactive(live: LiveApp, official: str, database_url: str) -> None:
    event = linesim.unfollow_event(linesim.user_source(official))
    assert live.deliver(event).status == 200
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with factory() as session:
            user = session.scalars(select(LineUser).where(LineUser.line_user_id == official)).one()
            if not user.active:
                break
        time.sleep(0.05)
    assert not user.active
    engine.dispose()
