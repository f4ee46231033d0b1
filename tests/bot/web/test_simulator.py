"""The chat simulator at /simulator: its API over real HTTP, and its page in headless Chromium.

The page test drives Debian's ``chromium`` over the DevTools protocol (``cdp.py``): it types Thai
into the chat box, waits for the flex answer drawn in the page, taps a row of the flex carousel and a
quick reply, and saves a screenshot (copied to ``$ITA_SIMULATOR_SCREENSHOT`` when set; that is how
docs/img/simulator.png is made). Without Chromium it is skipped, unless CI is set: then it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import linesim
from ita_core import accounts
from ita_core.db import unit_of_work
from tests.bot.conftest import LiveApp
from tests.bot.web.cdp import Page, chromium_page, find_chromium

SIMULATOR = {"ITA_SIMULATOR": "1", "ITA_DEFAULT_AGENCY": "SAO-CHIANGPHIN"}
OVERALL_SCORE = "90.42"  # อบต.เชียงพิณ, 2568, in the demo data
INDICATOR_9_SCORE = "80.00"


def call(
    live: LiveApp, method: str, path: str, body: Any = None, content_type: str = "application/json"
) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode("utf-8"))
    request = urllib.request.Request(live.url + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def send(live: LiveApp, user: str, **payload: Any) -> dict[str, Any]:
    status, answer = call(live, "POST", "/simulator/api/send", {"user": user, **payload})
    assert status == 200, answer
    assert answer["ok"] and answer["status"] == 200, answer
    return dict(answer)


def wait_items(
    live: LiveApp, user: str, since: int, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15.0
) -> tuple[list[dict[str, Any]], int]:
    """Poll /simulator/api/messages as the page does until ``done(items)``; return the items and the cursor."""
    items: list[dict[str, Any]] = []
    cursor = since
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, answer = call(live, "GET", f"/simulator/api/messages?user={user}&since={cursor}")
        assert status == 200, answer
        items += answer["items"]
        assert answer["last"] >= cursor
        cursor = answer["last"]
        if done(items):
            return items, cursor
        time.sleep(0.1)
    raise AssertionError(f"the simulator did not show the expected answer within {timeout}s: {items}")


def messages_of(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item["message"] for item in items if item["kind"] == "message"]


def has_flex_with(text: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda items: any(
        m["type"] == "flex" and text in json.dumps(m, ensure_ascii=False) for m in messages_of(items)
    )


def has_message(items: list[dict[str, Any]]) -> bool:
    return bool(messages_of(items))


# --- the API ----------------------------------------------------------------------------------


def test_send_text_and_read_the_answers(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(**SIMULATOR)
    user = linesim.user_id()

    send(live, user, text="สวัสดี")
    items, cursor = wait_items(live, user, 0, has_message)
    assert {item["via"] for item in items if item["kind"] == "message"} == {"reply"}
    assert not [item for item in items if item["kind"] == "rejected"], items

    send(live, user, text="คะแนนรวม")
    items, cursor = wait_items(live, user, cursor, has_flex_with(OVERALL_SCORE))
    flex = next(m for m in messages_of(items) if m["type"] == "flex")
    assert flex["altText"] and flex["contents"]["type"] in ("bubble", "carousel")

    # The answer went through the real webhook and the fake LINE API, as a reply to the event.
    replies = live.fake.accepted("/v2/bot/message/reply")
    assert any(OVERALL_SCORE in json.dumps(r.body, ensure_ascii=False) for r in replies)

    # Another simulated user sees none of it; nothing new is shown twice.
    status, other = call(live, "GET", f"/simulator/api/messages?user={linesim.user_id()}&since=0")
    assert status == 200 and other["items"] == []
    status, again = call(live, "GET", f"/simulator/api/messages?user={user}&since={cursor}")
    assert status == 200 and messages_of(again["items"]) == []
    assert again["last"] >= cursor and again["epoch"] == other["epoch"]


def test_postback_and_events(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(**SIMULATOR)
    user = linesim.user_id()

    answer = send(live, user, event="follow")
    assert answer["type"] == "follow"
    _, cursor = wait_items(live, user, 0, has_message)

    send(live, user, postback="intent=overall_score")
    _, cursor = wait_items(live, user, cursor, has_flex_with(OVERALL_SCORE))

    send(live, user, event="sticker")
    wait_items(live, user, cursor, has_message)


def test_register_as_a_role(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(**SIMULATOR)
    user = linesim.user_id()

    status, invite = call(live, "POST", "/simulator/api/invite", {"role": "staff", "unit": "กองคลัง"})
    assert status == 200, invite
    assert invite["agency"] == "SAO-CHIANGPHIN" and invite["role"] == "staff" and invite["unit"] == "กองคลัง"
    assert len(invite["code"]) == accounts.CODE_LENGTH

    send(live, user, text=f"ลงทะเบียน {invite['code']}")
    wait_items(live, user, 0, has_message)
    factory = live.app.extensions["ita"].session_factory
    with unit_of_work(factory) as session:
        linked = accounts.find_user(session, user)
        assert linked is not None and linked.agency_id is not None
        assert linked.role == "staff"

    status, refused = call(live, "POST", "/simulator/api/invite", {"role": "staff"})
    assert status == 400 and "unit" in refused["error"]
    status, refused = call(live, "POST", "/simulator/api/invite", {"role": "admin"})
    assert status == 400


def test_bad_requests(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(**SIMULATOR)
    user = linesim.user_id()
    assert call(live, "POST", "/simulator/api/send", {"user": "someone", "text": "สวัสดี"})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user + "\n", "text": "สวัสดี"})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user, "text": "   "})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user, "text": "ก" * 5001})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user, "postback": "x" * 301})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user, "event": "explode"})[0] == 400
    assert call(live, "POST", "/simulator/api/send", {"user": user})[0] == 400
    assert call(live, "POST", "/simulator/api/send", b"user=U&text=hi", "application/x-www-form-urlencoded")[0] == 415
    assert call(live, "GET", "/simulator/api/messages?user=nobody")[0] == 400
    assert call(live, "GET", f"/simulator/api/messages?user={user}&since=-1")[0] == 400
    # Nothing reached the webhook.
    assert live.fake.requests("/v2/bot/message/reply") == []


def test_page_and_assets_are_served(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(**SIMULATOR)
    page = live.get("/simulator")
    assert page.status == 200
    html = page.body.decode("utf-8")
    assert 'lang="th"' in html and "/simulator/static/simulator.js" in html
    for asset in ("simulator.js", "simulator.css"):
        assert live.get(f"/simulator/static/{asset}").status == 200
    assert live.get("/simulator/static/../simulator.py").status == 404
    assert live.get("/simulator/static/nothing.js").status == 404


def test_not_mounted_unless_enabled(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app()
    assert live.get("/simulator").status == 404
    assert call(live, "POST", "/simulator/api/send", {"user": linesim.user_id(), "text": "สวัสดี"})[0] == 404


def test_refused_when_the_line_api_is_real(make_live_app: Callable[..., LiveApp]) -> None:
    # A misconfigured production (ITA_SIMULATOR=1 with the real LINE API) must not expose it.
    live = make_live_app(LINE_API_BASE_URL="https://api.line.me", **SIMULATOR)
    assert live.get("/simulator").status == 404
    assert call(live, "POST", "/simulator/api/invite", {"role": "official"})[0] == 404
    assert live.get("/healthz").status == 200


# --- the page in headless Chromium -----------------------------------------------------------


def require_chromium() -> str:
    binary = find_chromium()
    if binary:
        return binary
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set but Chromium is not installed (Debian: apt-get install chromium)")
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium); with CI set this test fails instead")


def text_of(page: Page, selector: str) -> str:
    return str(
        page.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})].map(e => e.innerText).join('\\n')")
    )


def count(page: Page, selector: str) -> int:
    return int(page.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length"))


def picture(page: Page, first_question: str, width: int, path: Path) -> None:
    """A screenshot of the conversation from the question ``first_question`` on, all of it in view."""
    frame = page.evaluate(
        "(() => { const chat = document.getElementById('chat');"
        f" const row = [...document.querySelectorAll('.row-mine')].find(r => r.innerText.includes({json.dumps(first_question)}));"
        " const top = row.getBoundingClientRect().top - chat.getBoundingClientRect().top + chat.scrollTop - 8;"
        " return {top: top, height: chat.scrollHeight - top + (document.documentElement.clientHeight - chat.clientHeight)}; })()"
    )
    page.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=min(int(frame["height"]) + 2, 4000),
        deviceScaleFactor=1,
        mobile=False,
    )
    page.evaluate(f"document.getElementById('chat').scrollTop = {frame['top']}")
    time.sleep(0.3)  # let the layout settle before the picture
    assert page.screenshot(path).startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_chat_page_in_headless_chromium(make_live_app: Callable[..., LiveApp], tmp_path: Path) -> None:
    binary = require_chromium()
    live = make_live_app(**SIMULATOR)
    with chromium_page(binary, width=820, height=1560) as page:
        page.navigate(live.url + "/simulator")
        page.wait_for("document.body.dataset.ready === '1'", what="the page to start")
        # A new browser is a new LINE user who has just added the bot: the welcome arrives.
        page.wait_for("document.querySelectorAll('.row-theirs').length >= 1", what="the welcome message")

        # Type a Thai question into the chat box and press Enter, as a person would.
        page.click("document.getElementById('input')")
        page.type_text("คะแนนรวม")
        page.press_enter()
        page.wait_for(
            f"[...document.querySelectorAll('.row-theirs .fx-message')].some(m => m.innerText.includes('{OVERALL_SCORE}'))",
            what="the overall score drawn as a flex message",
        )
        assert "คะแนนรวม" in text_of(page, ".row-mine")
        assert page.evaluate("document.getElementById('input').value") == ""
        overall = (
            "[...document.querySelectorAll('.fx-message')].find(m => m.innerText.includes('" + OVERALL_SCORE + "'))"
        )
        assert page.evaluate(f"{overall}.title.includes('{OVERALL_SCORE}')"), "altText is the tooltip"
        # Drawn like LINE: mega bubbles 300 px wide, side by side in a carousel; bars as wide as the score.
        widths = page.evaluate(
            f"[...{overall}.querySelectorAll('.fx-bubble')].map(b => b.getBoundingClientRect().width)"
        )
        assert widths and all(abs(w - 300) < 1 for w in widths), widths
        bars = page.evaluate(
            f"[...{overall}.querySelectorAll('.fx-box')].filter(b => b.style.width.endsWith('%')).map(b =>"
            " [parseFloat(b.style.width), b.getBoundingClientRect().width / b.parentElement.clientWidth * 100])"
        )
        assert bars and all(abs(want - got) < 1 for want, got in bars), bars
        assert count(page, "#quick-replies:not([hidden]) .chip") > 0

        # Tap indicator 9 in the carousel: a postback button row; the indicator answer follows.
        answers = count(page, ".row-theirs")
        page.click(
            f"[...{overall}.querySelectorAll('.fx-box.is-action')]"
            ".find(b => /^(9\\s|ตัวชี้วัดที่ 9\\b)/.test(b.innerText.trim()))"
        )
        page.wait_for(f"document.querySelectorAll('.row-theirs').length > {answers}", what="the indicator answer")
        page.wait_for(
            f"[...document.querySelectorAll('.row-theirs')].slice({answers}).some(r => r.innerText.includes('{INDICATOR_9_SCORE}'))",
            what="indicator 9's score",
        )
        shot = tmp_path / "simulator.png"
        picture(page, "คะแนนรวม", 820, shot)
        target = os.environ.get("ITA_SIMULATOR_SCREENSHOT")
        if target:
            shutil.copyfile(shot, target)

        # Tap a quick reply: its action is sent and answered.
        answers = count(page, ".row-theirs")
        chips = text_of(page, "#quick-replies .chip")
        assert chips.strip(), "the answer offers quick replies"
        page.click("document.querySelector('#quick-replies .chip')")
        page.wait_for(f"document.querySelectorAll('.row-theirs').length > {answers}", what="the quick reply's answer")

        errors = [e for e in page.events if e.get("method") == "Runtime.exceptionThrown"]
        assert errors == [], errors
        assert count(page, ".row-system.is-error") == 0, text_of(page, ".row-system.is-error")
