"""The fake LINE Messaging API, driven over real HTTP by line-bot-sdk v3 and by plain http.client."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    FlexContainer,
    FlexMessage,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from bot.fakeline import FakeLine, FakeLineClient, webhook_body_errors
from bot.fakeline.openapi import messaging_api

TOKEN = "test-channel-token"
USER = "U" + "1" * 32
OTHER_USER = "U" + "2" * 32
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
MULTICAST = "/v2/bot/message/multicast"

BUBBLE: dict[str, Any] = {
    "type": "bubble",
    "body": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {"type": "text", "text": "คะแนน ITA ปี 2567", "weight": "bold", "size": "lg", "wrap": True},
            {
                "type": "box",
                "layout": "horizontal",
                "contents": [
                    {"type": "text", "text": "IIT", "flex": 2},
                    {"type": "text", "text": "99.35", "align": "end", "color": "#1DB446"},
                ],
            },
            {"type": "separator", "margin": "md"},
            {
                "type": "button",
                "style": "primary",
                "action": {"type": "postback", "label": "ดูรายละเอียด", "data": "action=detail&year=2567"},
            },
        ],
    },
}


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def api(fake: FakeLine) -> Iterator[MessagingApi]:
    with ApiClient(fake.configuration()) as client:
        yield MessagingApi(client)


def send(
    fake: FakeLine,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One request with plain http.client: (status, decoded JSON body, lower-cased headers)."""
    url = urllib.parse.urlsplit(fake.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        payload = response.read()
        return (
            response.status,
            json.loads(payload) if payload else None,
            {key.lower(): value for key, value in response.getheaders()},
        )
    finally:
        connection.close()


def text_reply(fake: FakeLine, text: str = "สวัสดีครับ") -> ReplyMessageRequest:
    return ReplyMessageRequest(reply_token=fake.register_reply_token(), messages=[TextMessage(text=text)])


def error_body(error: ApiException) -> dict[str, Any]:
    body = json.loads(error.body)
    assert isinstance(body, dict)
    return body


# -- the SDK against the fake --------------------------------------------------------------------


def test_reply_with_a_registered_token_is_recorded_as_sent(fake: FakeLine, api: MessagingApi) -> None:
    token = fake.register_reply_token()
    flex = FlexMessage(alt_text="คะแนน ITA ปี 2567", contents=FlexContainer.from_dict(BUBBLE))
    quick = QuickReply(items=[QuickReplyItem(action=MessageAction(label="ช่วยเหลือ", text="ช่วยเหลือ"))])
    answer = api.reply_message(
        ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="สวัสดีครับ", quick_reply=quick), flex])
    )

    assert len(answer.sent_messages) == 2
    (record,) = fake.requests(REPLY)
    assert record.accepted and record.status == 200
    assert record.operation == "replyMessage"
    assert record.body["replyToken"] == token
    assert record.messages[0] == {
        "type": "text",
        "text": "สวัสดีครับ",
        "quickReply": {
            "items": [{"type": "action", "action": {"type": "message", "label": "ช่วยเหลือ", "text": "ช่วยเหลือ"}}]
        },
    }
    assert record.messages[1]["contents"] == BUBBLE
    assert record.headers["User-Agent"].startswith("line-bot-sdk-python")
    assert record.response["sentMessages"][0]["id"] == answer.sent_messages[0].id


def test_a_reply_token_works_once(fake: FakeLine, api: MessagingApi) -> None:
    request = text_reply(fake)
    api.reply_message(request)
    with pytest.raises(ApiException) as raised:
        api.reply_message(request)
    assert raised.value.status == 400
    assert error_body(raised.value) == {"message": "Invalid reply token"}
    assert [record.status for record in fake.requests(REPLY)] == [200, 400]


def test_an_unregistered_reply_token_is_refused(fake: FakeLine, api: MessagingApi) -> None:
    with pytest.raises(ApiException) as raised:
        api.reply_message(ReplyMessageRequest(reply_token="made-up", messages=[TextMessage(text="x")]))
    assert raised.value.status == 400


def test_a_reply_token_expires_after_a_minute() -> None:
    now = [1000.0]
    with FakeLine(token=TOKEN, clock=lambda: now[0]) as fake, ApiClient(fake.configuration()) as client:
        api = MessagingApi(client)
        fresh, stale = fake.register_reply_token(), fake.register_reply_token()
        now[0] += 59
        api.reply_message(ReplyMessageRequest(reply_token=fresh, messages=[TextMessage(text="ok")]))
        now[0] += 2
        with pytest.raises(ApiException) as raised:
            api.reply_message(ReplyMessageRequest(reply_token=stale, messages=[TextMessage(text="late")]))
        assert error_body(raised.value)["message"] == "Invalid reply token"


def test_permissive_mode_accepts_any_reply_token_once() -> None:
    with FakeLine(token=TOKEN, accept_any_reply_token=True) as fake:
        body = {"replyToken": "anything", "messages": [{"type": "text", "text": "hi"}]}
        assert send(fake, "POST", REPLY, body)[0] == 200
        assert send(fake, "POST", REPLY, body)[0] == 400


def test_push_with_a_retry_key_is_delivered_once(fake: FakeLine, api: MessagingApi) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=USER, messages=[TextMessage(text="แจ้งเตือน")])
    first = api.push_message_with_http_info(request, x_line_retry_key=key)

    with pytest.raises(ApiException) as raised:
        api.push_message(request, x_line_retry_key=key)
    assert raised.value.status == 409
    body = error_body(raised.value)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [message.to_dict() for message in first.data.sent_messages]
    assert raised.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]

    api.push_message(request, x_line_retry_key=str(uuid.uuid4()))
    api.push_message(request)
    api.push_message(request)
    assert [record.status for record in fake.requests(PUSH)] == [200, 409, 200, 200, 200]
    assert fake.requests(PUSH)[0].headers["X-Line-Retry-Key"] == key


def test_multicast_counts_each_recipient_against_the_quota(fake: FakeLine, api: MessagingApi) -> None:
    recipients = [USER, OTHER_USER, "U" + "3" * 32]
    api.multicast(MulticastRequest(to=recipients, messages=[TextMessage(text="ผลประเมินปี 2567 มาแล้ว")]))
    api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="a"), TextMessage(text="b")]))

    (record,) = fake.requests(MULTICAST)
    assert record.body["to"] == recipients
    assert record.response == {}
    assert api.get_message_quota_consumption().total_usage == 4
    assert api.get_message_quota().type == "none"


def test_profile_loading_animation_and_bot_info(fake: FakeLine, api: MessagingApi) -> None:
    fake.set_profile(USER, "สมชาย ใจดี", language="th")
    assert api.get_profile(USER).display_name == "สมชาย ใจดี"
    assert api.get_profile(OTHER_USER).user_id == OTHER_USER  # generated for unknown users
    api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=20))
    assert api.get_bot_info().user_id.startswith("U")

    (loading,) = fake.requests("/v2/bot/chat/loading/start")
    assert loading.status == 202 and loading.body == {"chatId": USER, "loadingSeconds": 20}


def test_unknown_profiles_are_404_without_generated_profiles() -> None:
    with FakeLine(token=TOKEN, auto_profiles=False) as fake, ApiClient(fake.configuration()) as client:
        with pytest.raises(ApiException) as raised:
            MessagingApi(client).get_profile(USER)
        assert raised.value.status == 404


def test_rich_menu_lifecycle(fake: FakeLine, api: MessagingApi) -> None:
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=True,
        name="main",
        chat_bar_text="เมนู",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
                action=MessageAction(label="ช่วยเหลือ", text="ช่วยเหลือ"),
            )
        ],
    )
    rich_menu_id = api.create_rich_menu(menu).rich_menu_id
    with ApiClient(fake.configuration()) as client:
        blob = MessagingApiBlob(client)
        blob.set_rich_menu_image(rich_menu_id, b"\x89PNG fake", _headers={"Content-Type": "image/png"})
        with pytest.raises(ApiException) as raised:
            blob.set_rich_menu_image(rich_menu_id, b"\x89PNG fake", _headers={"Content-Type": "image/png"})
        assert raised.value.status == 400
    api.set_default_rich_menu(rich_menu_id)
    assert api.get_default_rich_menu_id().rich_menu_id == rich_menu_id
    assert [item.rich_menu_id for item in api.get_rich_menu_list().richmenus] == [rich_menu_id]


# -- invalid requests --------------------------------------------------------------------------


def _text(text: str = "x") -> dict[str, Any]:
    return {"type": "text", "text": text}


INVALID_BODIES: list[tuple[str, str, dict[str, Any], str]] = [
    ("text without text", REPLY, {"messages": [{"type": "text"}]}, "messages[0].text"),
    ("six messages", REPLY, {"messages": [_text()] * 6}, "messages"),
    ("no messages", REPLY, {"messages": []}, "messages"),
    ("flex without altText", REPLY, {"messages": [{"type": "flex", "contents": BUBBLE}]}, "messages[0].altText"),
    ("unknown message type", REPLY, {"messages": [{"type": "poem", "text": "x"}]}, "messages[0].type"),
    (
        "flex box without layout",
        REPLY,
        {
            "messages": [
                {
                    "type": "flex",
                    "altText": "x",
                    "contents": {"type": "bubble", "body": {"type": "box", "contents": []}},
                }
            ]
        },
        "messages[0].contents.body.layout",
    ),
    (
        "unknown flex container",
        REPLY,
        {"messages": [{"type": "flex", "altText": "x", "contents": {"type": "bubbles"}}]},
        "messages[0].contents.type",
    ),
    (
        "postback data over 300",
        REPLY,
        {
            "messages": [
                {
                    "type": "template",
                    "altText": "x",
                    "template": {
                        "type": "buttons",
                        "text": "t",
                        "actions": [{"type": "postback", "label": "l", "data": "d" * 301}],
                    },
                }
            ]
        },
        "messages[0].template.actions[0].data",
    ),
    (
        "14 quick replies",
        REPLY,
        {
            "messages": [
                {
                    **_text(),
                    "quickReply": {
                        "items": [{"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}] * 14
                    },
                }
            ]
        },
        "messages[0].quickReply.items",
    ),
    (
        "action without type (the SDK refuses it)",
        REPLY,
        {
            "messages": [
                {**_text(), "quickReply": {"items": [{"type": "action", "action": {"label": "a", "text": "a"}}]}}
            ]
        },
        "",
    ),
    (
        "altText over 1,500 characters",
        REPLY,
        {"messages": [{"type": "flex", "altText": "ก" * 1501, "contents": BUBBLE}]},
        "messages[0].altText",
    ),
    (
        "carousel of 13 bubbles",
        REPLY,
        {"messages": [{"type": "flex", "altText": "x", "contents": {"type": "carousel", "contents": [BUBBLE] * 13}}]},
        "messages[0].contents.contents",
    ),
    ("text over 5,000 characters", PUSH, {"to": USER, "messages": [_text("ก" * 5001)]}, "messages[0].text"),
    ("push without to", PUSH, {"messages": [_text()]}, "to"),
    ("push to a malformed ID", PUSH, {"to": "someone", "messages": [_text()]}, "to"),
    ("multicast to 501 users", MULTICAST, {"to": [USER] * 501, "messages": [_text()]}, "to"),
    ("multicast to a malformed ID", MULTICAST, {"to": [USER, "nobody"], "messages": [_text()]}, "to[1]"),
    (
        "loading seconds not a multiple of 5",
        "/v2/bot/chat/loading/start",
        {"chatId": USER, "loadingSeconds": 7},
        "loadingSeconds",
    ),
    ("loading seconds over 60", "/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 65}, "loadingSeconds"),
]


@pytest.mark.parametrize(
    ("path", "body", "prop"), [case[1:] for case in INVALID_BODIES], ids=[case[0] for case in INVALID_BODIES]
)
def test_invalid_bodies_are_rejected_with_line_errors(
    fake: FakeLine, path: str, body: dict[str, Any], prop: str
) -> None:
    if path == REPLY:
        body = {"replyToken": fake.register_reply_token(), **body}
    status, answer, _ = send(fake, "POST", path, body)

    assert status == 400, answer
    assert answer["message"].startswith("The request body has")
    assert prop in [detail["property"] for detail in answer["details"]]
    (record,) = fake.requests(path)
    assert not record.accepted and record.body == body


def test_a_rejected_reply_does_not_spend_its_token(fake: FakeLine) -> None:
    token = fake.register_reply_token()
    assert send(fake, "POST", REPLY, {"replyToken": token, "messages": [{"type": "text"}]})[0] == 400
    assert send(fake, "POST", REPLY, {"replyToken": token, "messages": [_text()]})[0] == 200


@pytest.mark.parametrize(
    ("raw", "content_type"), [(b"{not json", "application/json"), (b'{"messages": []}', "text/plain")]
)
def test_bodies_that_are_not_json_are_rejected(fake: FakeLine, raw: bytes, content_type: str) -> None:
    status, answer, _ = send(fake, "POST", PUSH, raw=raw, headers={"Content-Type": content_type})
    assert status == 400 and answer["message"]


def test_retry_key_must_be_a_uuid_and_only_where_line_takes_one(fake: FakeLine) -> None:
    push = {"to": USER, "messages": [_text()]}
    status, answer, _ = send(fake, "POST", PUSH, push, headers={"X-Line-Retry-Key": "not-a-uuid"})
    assert status == 400 and answer["details"][0]["property"] == "X-Line-Retry-Key"

    reply = {"replyToken": fake.register_reply_token(), "messages": [_text()]}
    status, answer, _ = send(fake, "POST", REPLY, reply, headers={"X-Line-Retry-Key": str(uuid.uuid4())})
    assert status == 400 and "X-Line-Retry-Key" in answer["message"]


def test_wrong_or_missing_token_is_401_and_never_recorded(fake: FakeLine) -> None:
    configuration = Configuration(host=fake.base_url, access_token="wrong-token")
    with ApiClient(configuration) as client, pytest.raises(ApiException) as raised:
        MessagingApi(client).push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))
    assert raised.value.status == 401
    assert "invalid token" in error_body(raised.value)["message"]

    status, answer, _ = send(fake, "GET", "/v2/bot/info", token=None)
    assert status == 401 and "no token" in answer["message"]
    dumped = json.dumps([record.to_dict() for record in fake.requests()])
    assert "wrong-token" not in dumped and TOKEN not in dumped


def test_unknown_routes_methods_and_unimplemented_operations(fake: FakeLine) -> None:
    assert send(fake, "GET", "/v2/bot/nothing-here")[0] == 404
    assert send(fake, "GET", REPLY)[0] == 405
    assert send(fake, "GET", "/v2/bot/followers/ids")[0] == 501


# -- faults, quota, delay ----------------------------------------------------------------------


def test_fail_next_answers_the_status_for_the_next_n_calls(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next(429, count=2)
    for _ in range(2):
        with pytest.raises(ApiException) as raised:
            api.reply_message(text_reply(fake))
        assert raised.value.status == 429
        assert error_body(raised.value)["message"] == "The API rate limit has been exceeded. Try again later."
    api.reply_message(text_reply(fake))
    assert [record.status for record in fake.requests(REPLY)] == [429, 429, 200]


def test_fail_next_can_target_one_path(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next(500, count=1, path=PUSH)
    api.reply_message(text_reply(fake))
    with pytest.raises(ApiException) as raised:
        api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))
    assert raised.value.status == 500
    api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))


def test_invalid_requests_do_not_consume_injected_faults(fake: FakeLine) -> None:
    fake.fail_next(503)
    assert send(fake, "POST", PUSH, {"to": USER, "messages": []})[0] == 400
    assert send(fake, "POST", PUSH, {"to": USER, "messages": [_text()]})[0] == 503


def test_a_fault_after_acceptance_means_delivered_but_unacknowledged(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next(500, after_accept=True)
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=USER, messages=[TextMessage(text="x")])
    with pytest.raises(ApiException) as raised:
        api.push_message(request, x_line_retry_key=key)
    assert raised.value.status == 500
    with pytest.raises(ApiException) as raised:
        api.push_message(request, x_line_retry_key=key)
    assert raised.value.status == 409


def test_monthly_quota(fake: FakeLine, api: MessagingApi) -> None:
    fake.set_quota(limit=3)
    api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))
    with pytest.raises(ApiException) as raised:
        api.multicast(MulticastRequest(to=[USER, OTHER_USER, "U" + "3" * 32], messages=[TextMessage(text="x")]))
    assert raised.value.status == 429
    assert error_body(raised.value) == {"message": "You have reached your monthly limit."}
    api.multicast(MulticastRequest(to=[USER, OTHER_USER], messages=[TextMessage(text="x")]))
    quota = api.get_message_quota()
    assert (quota.type, quota.value) == ("limited", 3)
    assert api.get_message_quota_consumption().total_usage == 3


def test_exhausted_quota_refuses_pushes_but_not_replies(fake: FakeLine, api: MessagingApi) -> None:
    fake.exhaust_quota()
    with pytest.raises(ApiException) as raised:
        api.push_message(
            PushMessageRequest(to=USER, messages=[TextMessage(text="x")]), x_line_retry_key=str(uuid.uuid4())
        )
    assert raised.value.status == 429
    assert error_body(raised.value)["message"] == "You have reached your monthly limit."
    api.reply_message(text_reply(fake))


def test_delay_holds_answers_for_one_path(fake: FakeLine, api: MessagingApi) -> None:
    fake.set_delay(0.3, path=PUSH)
    started = time.monotonic()
    api.reply_message(text_reply(fake))
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))
    assert time.monotonic() - started >= 0.3


# -- concurrency -------------------------------------------------------------------------------


def test_concurrent_senders_are_all_recorded_and_a_retry_key_wins_once(fake: FakeLine) -> None:
    shared_key = str(uuid.uuid4())
    statuses: list[int] = []
    lock = threading.Lock()

    def sender(index: int) -> None:
        with ApiClient(fake.configuration()) as client:
            api = MessagingApi(client)
            for attempt in range(5):
                key = shared_key if attempt == 0 else str(uuid.uuid4())
                try:
                    api.push_message(
                        PushMessageRequest(to=USER, messages=[TextMessage(text=f"{index}")]), x_line_retry_key=key
                    )
                    status = 200
                except ApiException as error:
                    status = error.status
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=sender, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fake.requests(PUSH)) == 100
    assert statuses.count(409) == 19 and statuses.count(200) == 81
    assert len({record.request_id for record in fake.requests(PUSH)}) == 100


# -- control API and handles -------------------------------------------------------------------


def test_control_api_steers_the_fake_from_another_process(fake: FakeLine, api: MessagingApi) -> None:
    control = FakeLineClient(fake.base_url)
    token = control.register_reply_token("token-from-webhook")
    api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="x")]))
    assert [record.body["replyToken"] for record in control.requests(REPLY)] == [token]

    control.fail_next(500, count=1, path=PUSH)
    with pytest.raises(ApiException):
        api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text="x")]))
    assert control.set_quota(limit=10).limit == 10
    control.set_profile(USER, "ผู้ทดสอบ")
    assert api.get_profile(USER).display_name == "ผู้ทดสอบ"

    last = control.requests()[-1].seq
    threading.Timer(0.2, lambda: api.reply_message(text_reply(fake))).start()
    (arrived,) = control.wait_for(REPLY, since=last, timeout=5)
    assert arrived.accepted

    control.clear_requests()
    assert control.requests() == []
    control.reset()
    assert api.get_message_quota().type == "none"


def test_control_api_refuses_bad_input(fake: FakeLine) -> None:
    status, answer, _ = send(fake, "POST", "/__fake__/fail", {"count": 2})
    assert status == 400 and "status" in answer["error"]
    assert send(fake, "POST", "/__fake__/fail", {"status": 42})[0] == 400
    assert send(fake, "POST", "/__fake__/delay", {"seconds": -1})[0] == 400
    assert send(fake, "PUT", "/__fake__/requests")[0] == 405


def test_wait_for_says_what_arrived_on_timeout(fake: FakeLine) -> None:
    send(fake, "GET", "/v2/bot/info")
    with pytest.raises(TimeoutError, match="/v2/bot/info"):
        fake.wait_for(REPLY, timeout=0.1)


def test_command_line_entry_serves_with_the_given_token() -> None:
    env = {**os.environ, "LINE_CHANNEL_ACCESS_TOKEN": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.fakeline", "--port", "0", "--token", "cli-secret-token"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "cli-secret-token" not in line
        base_url = line.split(" on ", 1)[1].split()[0]
        with ApiClient(Configuration(host=base_url, access_token="cli-secret-token")) as client:
            assert MessagingApi(client).get_message_quota().type == "none"
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the spec machinery ------------------------------------------------------------------------


def test_fast_check_agrees_with_jsonschema() -> None:
    operation = messaging_api().operations["replyMessage"]
    assert operation.body_validator is not None and operation.body_fast_check is not None
    bodies: list[Any] = [{"replyToken": "t", **body} for _, path, body, _ in INVALID_BODIES if path == REPLY]
    bodies += [
        {"replyToken": "t", "messages": [_text(), {"type": "flex", "altText": "x", "contents": BUBBLE}]},
        {
            "replyToken": "t",
            "messages": [
                {"type": "flex", "altText": "x", "contents": {"type": "carousel", "contents": [BUBBLE, BUBBLE]}}
            ],
        },
        {"replyToken": "t", "messages": [{"type": "sticker", "packageId": "446", "stickerId": "1988"}]},
        {
            "replyToken": "t",
            "messages": [
                {"type": "image", "originalContentUrl": "not a url", "previewImageUrl": "https://example.com/p.png"}
            ],
        },
        {"replyToken": 5, "messages": [_text()]},
        {"replyToken": "t", "messages": [_text()], "notificationDisabled": "yes"},
        [],
        None,
        "text",
    ]
    for body in bodies:
        expected = not list(operation.body_validator.iter_errors(body))
        assert operation.body_fast_check(body) is expected, body


def test_webhook_bodies_can_be_checked_against_lines_webhook_spec() -> None:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": USER},
        "webhookEventId": "01HXYZ",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "r" * 32,
        "message": {"type": "text", "id": "1", "quoteToken": "q", "text": "คะแนน"},
    }
    assert webhook_body_errors({"destination": "U" + "f" * 32, "events": [event]}) == []
    broken = {**event, "message": {"type": "text", "id": "1", "quoteToken": "q"}}
    errors = webhook_body_errors({"destination": "U" + "f" * 32, "events": [broken]})
    assert [error.property for error in errors] == ["events[0].message.text"]
