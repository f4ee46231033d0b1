"""The fake's cheap paths do what the werkzeug objects and the full parse did, exactly.

The Messaging API side reads the WSGI environ itself, routes parameterless paths with a table,
answers without werkzeug's Response, and does not parse a body whose content it already checked
(the record keeps the bytes and parses them when read). Each is compared here with what it replaced.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from bot.fakeline import FakeLine, FakeLineClient, RecordedRequest
from bot.fakeline.answers import Answer
from bot.fakeline.app import RECORDED_HEADERS, _Incoming, request_path, static_routes
from bot.fakeline.openapi import messaging_api
from bot.fakeline.state import RawJSON

TOKEN = "fast-path-token"
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
USER = "U" + "4" * 32
BUBBLE = {
    "type": "bubble",
    "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "คะแนน ITA 99.35", "wrap": True}]},
}
MESSAGES = [{"type": "text", "text": "สวัสดีครับ"}, {"type": "flex", "altText": "คะแนน", "contents": BUBBLE}]
REST = b',"messages":' + json.dumps(MESSAGES, ensure_ascii=False, separators=(",", ":")).encode() + b"}"


def compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- the environ, read as werkzeug reads it --------------------------------------------------------


def _environs() -> list[dict[str, Any]]:
    built = [
        EnvironBuilder(path=REPLY, method="POST", data=b'{"a":1}', content_type="application/json",
                       headers=Headers({"User-Agent": "sdk", "X-Line-Retry-Key": "k", "Authorization": "Bearer t"})),
        EnvironBuilder(path="/v2/bot/info", method="get", headers=Headers({"X-Line-Delivery-Tag": "tag"})),
        EnvironBuilder(path="/v2/bot/message/quota", query_string="x=1&x=2&y=%E0%B8%81&flag", method="HEAD"),
        EnvironBuilder(path="/v2/bot/richmenu/r/content", method="POST", data=b"\x89PNG",
                       content_type="Image/PNG; charset=binary"),
        EnvironBuilder(path=REPLY, method="POST", data=b"{}", content_type="Application/JSON ; charset=UTF-8"),
    ]
    environs = [builder.get_environ() for builder in built]
    raw: dict[str, Any] = {  # as a bare WSGI server may give it: no CONTENT_TYPE, percent-decoded bytes as latin-1
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "//v2/bot/profile/\xe0\xb8\x81\xff",  # UTF-8 of ก, then a byte that is no UTF-8
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "2",
        "HTTP_USER_AGENT": "a,b",  # a header sent twice, joined
        "wsgi.input": io.BytesIO(b"{}"),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "1",
    }
    chunked = {**raw, "PATH_INFO": REPLY, "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"{}")}
    return [*environs, raw, chunked]


@pytest.mark.parametrize("index", range(len(_environs())))
def test_the_environ_is_read_as_werkzeug_reads_it(index: int) -> None:
    ours, theirs = _environs()[index], _environs()[index]  # each side reads its own input stream
    request = Request(theirs)
    incoming = _Incoming(ours, request_path(ours))
    assert incoming.path == request.path
    assert incoming.method == request.method
    assert incoming.query_string == request.query_string.decode("latin-1")
    assert incoming.mimetype == request.mimetype
    assert incoming.content_length == request.content_length
    assert incoming.data == request.get_data(cache=True)
    assert incoming.args == {key: request.args[key] for key in request.args}
    expected = {name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers}
    assert incoming.recorded_headers() == expected
    assert list(incoming.recorded_headers()) == list(expected)


def test_the_route_table_agrees_with_the_url_map() -> None:
    api = messaging_api()
    table = static_routes(api.url_map, api.operations)
    assert (REPLY, "POST") in table and ("/v2/bot/info", "HEAD") in table
    adapter = api.url_map.bind("127.0.0.1")
    for (path, method), operation in table.items():
        endpoint, args = adapter.match(path, method)
        assert (endpoint, args) == (operation.operation_id, {}), (path, method)
    assert all("{" not in path for path, _ in table)  # paths with parameters are left to the map


# -- answers without werkzeug's Response ---------------------------------------------------------


def _werkzeug_answer(answer: Answer, method: str) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = EnvironBuilder(path="/", method=method).get_environ()
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        started.extend([status, headers])
        return lambda data: None

    body = b"".join(answer.response()(environ, start_response))
    return started[0], list(started[1]), body


@pytest.mark.parametrize("status", [200, 202, 400, 401, 404, 405, 409, 413, 415, 418, 429, 500, 501, 503, 599])
@pytest.mark.parametrize("method", ["POST", "HEAD"])
def test_answers_are_what_werkzeug_would_send(status: int, method: str) -> None:
    bodies: list[Any] = [{"message": "ข้อความ", "details": [{"message": "x", "property": "messages[0]"}]}, {}, None]
    extra = [{}, {"X-Line-Accepted-Request-Id": "a"}, {"X-Line-Accepted-Request-Id": "a", "X-Line-Request-Id": "b"}]
    for body, headers in zip(bodies, extra, strict=True):
        answer = Answer(status, body, dict(headers))
        assert answer.wsgi(method) == _werkzeug_answer(answer, method)


def test_unusual_answers_are_left_to_werkzeug() -> None:
    for status in (101, 204, 304):
        assert Answer(status, {}).wsgi("GET") is None
    assert Answer(200, {}, {"Content-Type": "text/plain"}).wsgi("GET") is None


# -- bodies known without parsing ------------------------------------------------------------------


def post(fake: FakeLine, path: str, raw: bytes) -> tuple[int, Any]:
    """POST raw bytes with the bot's headers; (status, JSON answer)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", int(fake.base_url.rsplit(":", 1)[1]), timeout=10)
    try:
        connection.request("POST", path, raw, {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def stored(record: RecordedRequest) -> Any:
    """What the record holds before anyone reads its body."""
    return record.__dict__["_body"]


def prime(fake: FakeLine) -> None:
    """Have the fake check (and remember) the content once."""
    assert post(fake, REPLY, b'{"replyToken":"' + fake.register_reply_token().encode() + b'"' + REST)[0] == 200


def test_a_known_body_is_kept_raw_and_reads_as_if_parsed_on_arrival(fake: FakeLine) -> None:
    first_token, second_token = fake.register_reply_token(), fake.register_reply_token()
    first = b'{"replyToken":"' + first_token.encode() + b'"' + REST
    second = b'{"replyToken":"' + second_token.encode() + b'"' + REST
    assert post(fake, REPLY, first)[0] == 200
    assert post(fake, REPLY, second)[0] == 200
    checked, known = fake.requests(REPLY)
    assert not isinstance(stored(checked), RawJSON)  # new content: parsed and checked
    assert isinstance(stored(known), RawJSON) and stored(known).raw == second  # known content: kept as sent
    assert known.body == json.loads(second) and list(known.body) == ["replyToken", "messages"]
    assert known.body is known.body  # parsed once
    assert known.messages == MESSAGES
    assert known.to_dict()["body"] == json.loads(second)
    assert dataclasses.replace(known, seq=0).body == json.loads(second)
    assert RecordedRequest.from_dict(known.to_dict()) == known
    remote = FakeLineClient(fake.base_url).requests(REPLY)[1]  # the control API parses it too
    assert remote.body == json.loads(second) and remote == known


def test_an_unread_raw_body_equals_a_parsed_one() -> None:
    fields: dict[str, Any] = {"seq": 1, "time": 0.0, "method": "POST", "path": REPLY, "query": "", "operation": "replyMessage",
              "headers": {}, "status": 200, "response": {}, "request_id": "r", "duration_ms": 0.1}
    raw = b'{"replyToken":"t"' + REST
    lazy, eager = RecordedRequest(body=RawJSON(raw), **fields), RecordedRequest(body=json.loads(raw), **fields)
    assert [field.name for field in dataclasses.fields(RecordedRequest)] == [
        "seq", "time", "method", "path", "query", "operation", "headers", "body", "status", "response",
        "request_id", "duration_ms",
    ]
    assert lazy == eager and repr(lazy) == repr(eager)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.body = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        RecordedRequest(**fields)  # body is still required


@pytest.mark.parametrize(
    ("opening", "status", "reply_token", "kept_raw"),
    [
        (b'{"replyToken":"TOKEN"', 200, "TOKEN", True),  # the bot's way: the shortcut
        (b'{"replyToken": "TOKEN"', 200, "TOKEN", False),  # a space: parsed
        (b'{"replyToken":"ESCAPED"', 200, "TOKEN", False),  # an escape in the token: parsed, decoded
        (b'{"replyToken":"THAI"', 200, "โทเคน", False),  # not ASCII: parsed
        (b'{"replyToken":""', 400, "", True),  # empty: a valid string, an invalid token
        (b'{"replyToken":"un registered"', 400, "un registered", True),
        (b'{"replyToken":5', 400, 5, False),  # not a string: the spec refuses it
        (b'{"replyToken":"a\x01b"', 400, None, False),  # a control character: not JSON
        (b'{"replyToken":"a\\"', 400, None, False),  # the quote is escaped: not JSON either
    ],
    ids=["plain", "space", "escaped", "thai", "empty", "unregistered", "number", "control", "open quote"],
)
def test_reply_tokens_outside_the_shortcut_are_handled_as_before(
    fake: FakeLine, opening: bytes, status: int, reply_token: Any, kept_raw: bool
) -> None:
    prime(fake)
    token = fake.register_reply_token()
    fake.register_reply_token("โทเคน")
    escaped = token[:-1] + f"\\u{ord(token[-1]):04x}"
    opening = opening.replace(b"ESCAPED", escaped.encode()).replace(b"TOKEN", token.encode())
    opening = opening.replace(b"THAI", "โทเคน".encode())
    reply_token = token if reply_token == "TOKEN" else reply_token
    raw = opening + REST
    answered, answer = post(fake, REPLY, raw)
    assert answered == status, answer
    record = fake.requests(REPLY)[-1]
    assert isinstance(stored(record), RawJSON) is kept_raw
    if reply_token is None:
        assert answer == {"message": "The request body is not valid JSON"}
        assert set(record.body) == {"raw"}
    else:
        assert record.body == {"replyToken": reply_token, "messages": MESSAGES} == json.loads(raw)
    if status == 400 and isinstance(reply_token, str):
        assert answer == {"message": "Invalid reply token"}


def test_a_token_given_twice_never_takes_the_shortcut(fake: FakeLine) -> None:
    token = fake.register_reply_token()
    twice = b'{"replyToken":"' + token.encode() + b'"' + REST[:-1] + b',"replyToken":"' + token.encode() + b'"}'
    assert post(fake, REPLY, twice)[0] == 200  # both the same: a raw key, content checked and remembered
    other = twice.replace(token.encode(), b"other", 1)  # same bytes after the first token
    assert post(fake, REPLY, other) == (400, {"message": "Invalid reply token"})
    record = fake.requests(REPLY)[-1]
    assert not isinstance(stored(record), RawJSON)
    assert record.body["replyToken"] == token == json.loads(other)["replyToken"]  # the last one wins


def test_a_push_to_a_bad_id_is_refused_even_when_its_content_is_known(fake: FakeLine) -> None:
    assert post(fake, PUSH, b'{"to":"' + USER.encode() + b'"' + REST)[0] == 200
    status, answer = post(fake, PUSH, b'{"to":"Unobody"' + REST)
    assert status == 400 and answer["details"] == [
        {"message": "The property, 'to', in the request body is invalid", "property": "to"}
    ]
    assert post(fake, PUSH, b'{"to":"' + ("C" + "5" * 32).encode() + b'"' + REST)[0] == 200
    accepted, refused, group = fake.requests(PUSH)
    assert [isinstance(stored(record), RawJSON) for record in (accepted, refused, group)] == [False, True, True]
    assert refused.body["to"] == "Unobody" and group.body["to"] == "C" + "5" * 32
    assert fake.quota.used == 2  # the refused push cost nothing


def test_the_shortcut_still_honours_faults_retry_keys_and_spent_tokens(fake: FakeLine) -> None:
    prime(fake)
    token = fake.register_reply_token()
    raw = b'{"replyToken":"' + token.encode() + b'"' + REST
    fake.fail_next(429)
    assert post(fake, REPLY, raw)[0] == 429
    assert post(fake, REPLY, raw)[0] == 200
    assert post(fake, REPLY, raw) == (400, {"message": "Invalid reply token"})
    assert [isinstance(stored(record), RawJSON) for record in fake.requests(REPLY)[1:]] == [True, True, True]


def test_serve_still_answers_a_werkzeug_request(fake: FakeLine) -> None:
    raw = b'{"replyToken":"' + fake.register_reply_token().encode() + b'"' + REST
    environ = EnvironBuilder(path=REPLY, method="POST", data=raw, content_type="application/json",
                             headers=Headers({"Authorization": f"Bearer {TOKEN}"})).get_environ()
    request = Request(environ)
    request.get_data()  # already read by the caller: served from werkzeug's cache
    response = fake.app.serve(request)
    assert response.status_code == 200 and "sentMessages" in json.loads(response.get_data())
    assert fake.requests(REPLY)[-1].body == json.loads(raw)
