"""LINE's limits on reply messages, as one reusable check (views tests and webhook tests).

The numbers are LINE's published limits (developers.line.biz, Messaging API reference); the
OpenAPI spec in ``shared/line-openapi`` carries only some of them (postback data 300, quick reply
13 items). Action labels are counted in grapheme clusters, the rest in UTF-16 code units.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from bot.postback import MAX_POSTBACK_DATA, parse_postback
from bot.views.labels import label_length

MESSAGES_MAX = 5
TEXT_MAX_CHARS = 5000
ALT_TEXT_MAX_CHARS = 1500
BUBBLE_MAX_BYTES = 30_000
CAROUSEL_MAX_BYTES = 50_000
CAROUSEL_MAX_BUBBLES = 12
QUICK_REPLY_MAX_ITEMS = 13
# 20 is LINE's limit for quick reply and template labels; flex buttons allow more on some clients,
# but we hold every label to 20 so a label is never cut off anywhere.
ACTION_LABEL_MAX = 20
DISPLAY_TEXT_MAX = 300
MESSAGE_ACTION_TEXT_MAX = 300
URI_MAX = 1000

# The intents of the contract (shared/spec/CONTRACT.md) a postback may carry.
INTENTS = frozenset(
    {
        "overall_score", "indicator_score", "tool_score", "question_score", "compare_years", "trend",
        "strengths", "weaknesses", "recommendations", "measures", "my_tasks", "ranking", "register",
        "help", "greeting", "unknown",
    }
)  # fmt: skip
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def json_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON of a value (how LINE measures flex containers)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as LINE counts text (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def check_messages(messages: Sequence[Any], *, sdk: bool = True) -> list[str]:
    """Everything wrong with one reply's messages under LINE's limits (empty: fine).

    With ``sdk`` (default) each message and the whole reply request are also parsed with
    line-bot-sdk's models (slow: tests only).
    """
    problems: list[str] = []
    if not 1 <= len(messages) <= MESSAGES_MAX:
        problems.append(f"{len(messages)} messages: a reply carries 1-{MESSAGES_MAX}")
    for index, message in enumerate(messages):
        problems += [f"messages[{index}]{p}" for p in _message_problems(message)]
    if sdk and not problems:
        problems += sdk_problems(messages)
    return problems


def sdk_problems(messages: Sequence[Any]) -> list[str]:
    """What line-bot-sdk's models refuse: each message, each flex container, the reply request."""
    from linebot.v3.messaging import FlexContainer, FlexMessage, ReplyMessageRequest, TextMessage

    problems: list[str] = []
    for index, message in enumerate(messages):
        try:
            if message.get("type") == "flex":
                FlexMessage.from_dict(message)
                FlexContainer.from_json(json.dumps(message["contents"], ensure_ascii=False))
            elif message.get("type") == "text":
                TextMessage.from_dict(message)
        except Exception as error:  # the SDK raises ValueError, TypeError, pydantic errors ...
            problems.append(f"messages[{index}]: line-bot-sdk refuses it: {error}")
    try:
        request = ReplyMessageRequest.from_dict({"replyToken": "x", "messages": list(messages)})
    except Exception as error:
        problems.append(f"reply request: line-bot-sdk refuses it: {error}")
    else:
        if request is None or len(request.messages) != len(messages):
            problems.append("reply request: line-bot-sdk lost messages")
    return problems


def _message_problems(message: Any) -> Iterator[str]:
    if not isinstance(message, dict):
        yield f": not an object ({type(message).__name__})"
        return
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            yield ".text: missing or empty"
        elif utf16_length(text) > TEXT_MAX_CHARS:
            yield f".text: {utf16_length(text)} characters, LINE allows {TEXT_MAX_CHARS}"
    elif kind == "flex":
        alt = message.get("altText")
        if not isinstance(alt, str) or not alt.strip():
            yield ".altText: missing or empty"
        elif utf16_length(alt) > ALT_TEXT_MAX_CHARS:
            yield f".altText: {utf16_length(alt)} characters, LINE allows {ALT_TEXT_MAX_CHARS}"
        yield from (f".contents{p}" for p in _container_problems(message.get("contents")))
    else:
        yield f".type: {kind!r} is not checked here (text or flex)"
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not items:
            yield ".quickReply.items: missing or empty"
        else:
            if len(items) > QUICK_REPLY_MAX_ITEMS:
                yield f".quickReply.items: {len(items)} items, LINE allows {QUICK_REPLY_MAX_ITEMS}"
            for i, item in enumerate(items):
                action = item.get("action") if isinstance(item, dict) else None
                if not isinstance(action, dict) or not action.get("label"):
                    yield f".quickReply.items[{i}]: an action with a label is required"
                else:
                    yield from (f".quickReply.items[{i}].action{p}" for p in _action_problems(action))


def _container_problems(container: Any) -> Iterator[str]:
    if not isinstance(container, dict):
        yield ": not an object"
        return
    kind = container.get("type")
    size = json_size(container)
    if kind == "bubble":
        if size > BUBBLE_MAX_BYTES:
            yield f": bubble is {size} bytes, LINE allows {BUBBLE_MAX_BYTES}"
    elif kind == "carousel":
        bubbles = container.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= CAROUSEL_MAX_BUBBLES:
            count = len(bubbles) if isinstance(bubbles, list) else 0
            yield f".contents: {count} bubbles, a carousel holds 1-{CAROUSEL_MAX_BUBBLES}"
        else:
            for i, bubble in enumerate(bubbles):
                if json_size(bubble) > BUBBLE_MAX_BYTES:
                    yield f".contents[{i}]: bubble is {json_size(bubble)} bytes, LINE allows {BUBBLE_MAX_BYTES}"
        if size > CAROUSEL_MAX_BYTES:
            yield f": carousel is {size} bytes, LINE allows {CAROUSEL_MAX_BYTES}"
    else:
        yield f".type: {kind!r} is not bubble or carousel"
    yield from _component_problems(container, "")


def _component_problems(node: Any, path: str) -> Iterator[str]:
    """Walk a flex container: empty texts, bad colours, and every action's limits."""
    if isinstance(node, list):
        for i, child in enumerate(node):
            yield from _component_problems(child, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    if node.get("type") in ("text", "span") and not node.get("text") and not node.get("contents"):
        yield f"{path}.text: empty text"
    for key, value in node.items():
        if key.endswith("Color") and isinstance(value, str) and not _COLOUR.fullmatch(value):
            yield f"{path}.{key}: {value!r} is not #RRGGBB or #RRGGBBAA"
        elif key == "action" and isinstance(value, dict):
            yield from (f"{path}.action{p}" for p in _action_problems(value))
        elif isinstance(value, (dict, list)):
            yield from _component_problems(value, f"{path}.{key}")


def _action_problems(action: dict[str, Any]) -> Iterator[str]:
    label = action.get("label")
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            yield ".label: empty"
        elif label_length(label) > ACTION_LABEL_MAX:
            yield f".label: {label!r} is {label_length(label)} characters, LINE allows {ACTION_LABEL_MAX}"
    kind = action.get("type")
    if kind == "postback":
        data = action.get("data")
        if not isinstance(data, str) or not data:
            yield ".data: missing"
        else:
            if len(data) > MAX_POSTBACK_DATA:
                yield f".data: {len(data)} characters, LINE allows {MAX_POSTBACK_DATA}"
            intent, _ = parse_postback(data)
            if intent not in INTENTS:
                yield f".data: {data!r} does not name a known intent"
        display = action.get("displayText")
        if display is not None and (not isinstance(display, str) or not 1 <= utf16_length(display) <= DISPLAY_TEXT_MAX):
            yield f".displayText: must be 1-{DISPLAY_TEXT_MAX} characters"
    elif kind == "message":
        text = action.get("text")
        if not isinstance(text, str) or not 1 <= utf16_length(text) <= MESSAGE_ACTION_TEXT_MAX:
            yield f".text: must be 1-{MESSAGE_ACTION_TEXT_MAX} characters"
    elif kind == "uri":
        uri = action.get("uri")
        if not isinstance(uri, str) or not 1 <= len(uri) <= URI_MAX:
            yield f".uri: must be 1-{URI_MAX} characters"
