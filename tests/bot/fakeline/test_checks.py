"""The fake's body checks remember passed content, keyed without recipients, exactly."""

from __future__ import annotations

import json
from typing import Any

from bot.fakeline.checks import BodyChecker, content_key, string_only_fields
from bot.fakeline.openapi import messaging_api

MESSAGES = [{"type": "text", "text": 'สวัสดีครับ "replyToken":"x"'}]  # a look-alike inside a string


def raw(body: dict[str, Any]) -> bytes:
    """As the bot's client writes a body: compact, recipient first."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_key_from_raw_bytes_ignores_the_reply_token_and_nothing_else() -> None:
    first = {"replyToken": "a" * 32, "messages": MESSAGES}
    second = {"replyToken": "b" * 32, "messages": MESSAGES}
    other = {"replyToken": "a" * 32, "messages": [{"type": "text", "text": "อื่น"}]}
    key = content_key("replyMessage", first, raw(first))
    assert isinstance(key, bytes)
    assert key == content_key("replyMessage", second, raw(second))
    assert key != content_key("replyMessage", other, raw(other))
    assert key != content_key("pushMessage", first, raw(first))
    numeric = {"replyToken": 5, "messages": MESSAGES}  # the token's type is content: never shares a verdict
    assert key != content_key("replyMessage", numeric, raw(numeric))
    pushed = [{"to": "U" + c * 32, "messages": MESSAGES} for c in "12"]
    assert content_key("pushMessage", pushed[0], raw(pushed[0])) == content_key("pushMessage", pushed[1], raw(pushed[1]))


def test_bodies_written_otherwise_fall_back_to_the_sorted_key() -> None:
    body = {"messages": MESSAGES, "replyToken": "a" * 32}  # recipient not first
    assert content_key("replyMessage", body, raw(body)) == content_key("replyMessage", body)
    spaced = json.dumps({"replyToken": "a" * 32, "messages": MESSAGES}, ensure_ascii=False).encode()
    assert content_key("replyMessage", json.loads(spaced), spaced) == content_key("replyMessage", body)
    doubled = b'{"replyToken":"' + b"a" * 32 + b'","messages":[],"replyToken":"' + b"b" * 32 + b'"}'
    parsed = json.loads(doubled)  # the last one wins, so the first does not match: not a raw key
    assert isinstance(content_key("replyMessage", parsed, doubled), str)


def test_checker_remembers_a_pass_but_not_a_refusal() -> None:
    checker = BodyChecker()
    reply = messaging_api().operations["replyMessage"]
    bodies = [{"replyToken": c * 32, "messages": MESSAGES} for c in "ab"]
    assert checker.errors(reply, bodies[0], raw(bodies[0])) == []
    assert checker.errors(reply, bodies[1], raw(bodies[1])) == []
    assert len(checker._passed) == 1  # the second was answered from the first
    numeric = {"replyToken": 5, "messages": MESSAGES}
    assert checker.errors(reply, numeric, raw(numeric))  # checked, and refused
    bad = {"replyToken": "c" * 32, "messages": [{"type": "text"}]}
    assert checker.errors(reply, bad, raw(bad)) and checker.errors(reply, bad, raw(bad))
    assert len(checker._passed) == 1


def schemas() -> dict[str, Any]:
    return messaging_api().schemas.document["components"]["schemas"]


def test_string_only_fields_follow_the_spec() -> None:
    spec = schemas()
    assert string_only_fields(spec, "ReplyMessageRequest") == {"replyToken"}
    assert string_only_fields(spec, "PushMessageRequest") == {"to"}
    assert string_only_fields(spec, "MulticastRequest") == set()  # a list of recipients
    assert string_only_fields(spec, "ValidateMessageRequest") == set()
    assert string_only_fields(spec, None) == set()
    reply = spec["ReplyMessageRequest"]
    bounded = {**reply, "properties": {**reply["properties"], "replyToken": {"type": "string", "maxLength": 32}}}
    assert string_only_fields({"R": bounded}, "R") == set()  # the value would matter: no shortcut
    assert string_only_fields({"R": {**reply, "allOf": [{"required": ["x"]}]}}, "R") == set()


def test_known_reads_a_passed_content_with_a_plain_token_without_parsing() -> None:
    checker = BodyChecker(schemas=schemas())
    reply = messaging_api().operations["replyMessage"]
    first = {"replyToken": "a" * 32, "messages": MESSAGES}
    assert checker.known(reply, raw(first)) is None  # not checked yet
    assert checker.errors(reply, first, raw(first)) == []
    for token in ("b" * 32, "", "x-Y_z.~!#$%&'()*+,/:;<=>?@[]^`{|}"):
        body = {"replyToken": token, "messages": MESSAGES}
        known = checker.known(reply, raw(body))
        assert known is not None and known.body == json.loads(raw(body)) and known.raw == raw(body)
    assert checker.known(reply, raw({"replyToken": "c", "messages": [{"type": "text", "text": "อื่น"}]})) is None
    look_alikes = [
        b'{"replyToken":"c\\u0063"' + raw(first)[len(b'{"replyToken":"') + 32 + 1 :],  # an escape
        b'{"replyToken":"\xe0\xb8\x81"' + raw(first)[len(b'{"replyToken":"') + 32 + 1 :],  # not ASCII
        b'{"replyToken": "c"' + raw(first)[len(b'{"replyToken":"') + 32 + 1 :],  # a space
        b'{"replyToken":7' + raw(first)[len(b'{"replyToken":"') + 32 + 1 :],  # a number
    ]
    assert raw(first).endswith(look_alikes[0][len(b'{"replyToken":"c\\u0063"') :])  # the same rest of the body
    assert [checker.known(reply, body) for body in look_alikes] == [None] * 4
    push = messaging_api().operations["pushMessage"]
    assert checker.known(push, b'{"to":"U' + b"1" * 32 + raw(first)[len(b'{"replyToken":"') + 32 :]) is None


def test_known_without_the_spec_or_for_a_repeated_field_says_nothing() -> None:
    reply = messaging_api().operations["replyMessage"]
    body = {"replyToken": "a" * 32, "messages": MESSAGES}
    plain = BodyChecker()  # no schemas given: no shortcut
    assert plain.errors(reply, body, raw(body)) == []
    assert plain.known(reply, raw({**body, "replyToken": "b" * 32})) is None
    checker = BodyChecker(schemas=schemas())
    twice = raw(body)[:-1] + b',"replyToken":"' + b"a" * 32 + b'"}'
    assert checker.errors(reply, json.loads(twice), twice) == []
    assert checker.known(reply, twice.replace(b"a" * 32, b"b" * 32, 1)) is None


def test_known_contents_are_bounded_and_relearned() -> None:
    checker = BodyChecker(schemas=schemas(), known_size=2)
    reply = messaging_api().operations["replyMessage"]
    bodies = [{"replyToken": "a", "messages": [{"type": "text", "text": f"ข้อความ {n}"}]} for n in range(3)]
    for body in bodies:
        assert checker.errors(reply, body, raw(body)) == []
    assert checker._known == {}  # parsed again only when the content comes again
    again = [raw({**body, "replyToken": "b"}) for body in bodies]
    for sent in [*again, *again]:
        known = checker.known(reply, sent)
        assert known is not None and known.body == json.loads(sent)
        assert len(checker._known) <= 2
    checker._passed.clear()  # evicted here and forgotten there (the pass cache was full): checked again
    assert checker.known(reply, again[0]) is None


def test_the_sdk_takes_any_string_as_reply_token_or_push_recipient() -> None:
    """What ``string_only_fields`` assumes of line-bot-sdk (an SDK that starts checking them fails here)."""
    from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest
    from pydantic.v1 import StrictStr

    for model, name in ((ReplyMessageRequest, "reply_token"), (PushMessageRequest, "to")):
        field = model.__fields__[name]
        assert field.outer_type_ is StrictStr
        constraints = [getattr(StrictStr, name) for name in ("min_length", "max_length", "regex")]
        assert constraints == [None, None, None]
        assert model.__validators__ == {} and not model.__pre_root_validators__ and not model.__post_root_validators__
