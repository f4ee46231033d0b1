"""The fake's body checks remember passed content, keyed without recipients, exactly."""

from __future__ import annotations

import json
from typing import Any

from bot.fakeline.checks import BodyChecker, content_key
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
