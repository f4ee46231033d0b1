"""Request-body checks: LINE's OpenAPI spec, the SDK's own request models, and LINE's limits.

The three checks depend only on the content of a body, not on who it goes to, so a body that
passed once is remembered (keyed by its JSON with the reply token and recipient IDs blanked; see
``content_key``) and the next identical reply skips straight past them. That keeps the fake cheap under a benchmark.
A body written as the bot writes it, recipient first, need not even be parsed when its content
is known: see ``BodyChecker.known``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import linebot.v3.messaging as sdk

from bot.fakeline.openapi import ErrorDetail, Operation

# LINE's documented limits that the OpenAPI spec does not carry.
TEXT_MAX_CHARS = 5000
ALT_TEXT_MAX_CHARS = 1500
BUBBLE_MAX_BYTES = 30_000
CAROUSEL_MAX_BYTES = 50_000
CAROUSEL_MAX_BUBBLES = 12

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
CHAT_ID = re.compile(r"^[UCR][0-9a-f]{32}$")

# Fields whose validity depends only on their type and length, never their value.
_RECIPIENT_FIELDS = ("replyToken", "to")
# A body that opens with its recipient field as a JSON string of plain printable ASCII: no
# escapes (no backslash), no control characters, so the bytes between the quotes are the value.
_SIMPLE_RECIPIENT = re.compile(rb'\{"(replyToken|to)":"([\x20\x21\x23-\x5b\x5d-\x7e]*)",')
# Contents whose parsed form is kept for ``BodyChecker.known`` (a parsed flex message is ~100 KB).
KNOWN_CONTENTS = 256
_UNSEEN: Any = object()


def _blank(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [""] * len(value)
    return value


def content_key(operation_id: str, body: Any, raw: bytes | None = None) -> str | bytes:
    """A cache key for a body's content: recipients and reply token blanked.

    With ``raw`` (the body as sent) that opens with its one recipient field written as compact JSON
    (``{"replyToken":"…",`` as the bot writes it), the key is that field blanked plus the rest of
    the raw bytes, which determine everything else in the body: no re-serialising of a large flex
    message per request. Otherwise the parsed body is serialised with its keys sorted.
    """
    if isinstance(body, dict) and raw is not None and body:
        first = next(iter(body))  # the parsed dict keeps the order of the raw text
        if first in _RECIPIENT_FIELDS:
            prefix = (_compact({first: body[first]})[:-1] + ",").encode("utf-8")
            if raw.startswith(prefix):
                blanked = _compact({first: _blank(body[first])})
                return (operation_id + "\n" + blanked + "\n").encode("utf-8") + raw[len(prefix) :]
    if isinstance(body, dict):
        body = {key: (_blank(value) if key in _RECIPIENT_FIELDS else value) for key, value in body.items()}
    return operation_id + "\n" + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sdk_model_errors(schema_name: str, body: Any) -> list[ErrorDetail]:
    """Parse the body with the line-bot-sdk model of that schema name; report what it refuses."""
    model = getattr(sdk, schema_name, None)
    from_dict: Callable[[Any], Any] | None = getattr(model, "from_dict", None)
    if from_dict is None:
        return []
    try:
        from_dict(body)
    except Exception as error:  # the SDK raises ValueError, TypeError, KeyError... on bad input
        return [ErrorDetail(f"line-bot-sdk {schema_name}: {_sdk_message(error)}", "")]
    return []


def _sdk_message(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing property {error.args[0]!r}" if error.args else "missing property"
    errors: Callable[[], list[Mapping[str, Any]]] | None = getattr(error, "errors", None)
    if errors is not None:
        try:
            return "; ".join(
                f"{type(error).__name__ if not item.get('loc') else '.'.join(map(str, item['loc']))}: "
                f"{item.get('msg', '')}"
                for item in errors()
            )
        except Exception:  # a foreign `errors` attribute: fall back to the plain text
            pass
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def _compact_size(value: Any) -> int:
    return len(_compact(value).encode("utf-8"))


def _message_limit_errors(index: int, message: Any) -> Iterable[ErrorDetail]:
    if not isinstance(message, dict):
        return
    where = f"messages[{index}]"
    text = message.get("text")
    if message.get("type") == "text" and isinstance(text, str) and len(text) > TEXT_MAX_CHARS:
        yield ErrorDetail(f"Length must be between 0 and {TEXT_MAX_CHARS}", f"{where}.text")
    alt_text = message.get("altText")
    if isinstance(alt_text, str) and len(alt_text) > ALT_TEXT_MAX_CHARS:
        yield ErrorDetail(f"Length must be between 0 and {ALT_TEXT_MAX_CHARS}", f"{where}.altText")
    contents = message.get("contents")
    if message.get("type") != "flex" or not isinstance(contents, dict):
        return
    if contents.get("type") == "bubble" and _compact_size(contents) > BUBBLE_MAX_BYTES:
        yield ErrorDetail(f"A bubble must not exceed {BUBBLE_MAX_BYTES} bytes", f"{where}.contents")
    if contents.get("type") == "carousel":
        bubbles = contents.get("contents")
        if isinstance(bubbles, list) and len(bubbles) > CAROUSEL_MAX_BUBBLES:
            yield ErrorDetail(f"Size must be between 1 and {CAROUSEL_MAX_BUBBLES}", f"{where}.contents.contents")
        if _compact_size(contents) > CAROUSEL_MAX_BYTES:
            yield ErrorDetail(f"A carousel must not exceed {CAROUSEL_MAX_BYTES} bytes", f"{where}.contents")


def limit_errors(body: Any) -> list[ErrorDetail]:
    """LINE's published size limits on the messages of a body."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return []
    return [detail for index, message in enumerate(body["messages"]) for detail in _message_limit_errors(index, message)]


def recipient_errors(operation_id: str, body: Any) -> list[ErrorDetail]:
    """LINE's ID formats for recipients (checked on every request: not part of the cached content)."""
    if not isinstance(body, dict):
        return []
    to = body.get("to")
    if operation_id == "pushMessage" and isinstance(to, str) and not CHAT_ID.match(to):
        return [ErrorDetail("The property, 'to', in the request body is invalid", "to")]
    if operation_id == "multicast" and isinstance(to, list):
        return [
            ErrorDetail("The property, 'to', in the request body is invalid", f"to[{index}]")
            for index, user_id in enumerate(to)
            if isinstance(user_id, str) and not USER_ID.match(user_id)
        ]
    if operation_id == "showLoadingAnimation":
        chat_id = body.get("chatId")
        seconds = body.get("loadingSeconds")
        details = []
        if isinstance(chat_id, str) and not USER_ID.match(chat_id):
            details.append(ErrorDetail("The chatId must be a user ID", "chatId"))
        if isinstance(seconds, int) and seconds % 5:
            details.append(ErrorDetail("Must be a multiple of 5", "loadingSeconds"))
        return details
    return []


def string_only_fields(schemas: Mapping[str, Any], schema_name: str | None) -> frozenset[str]:
    """The recipient fields of a request schema whose value the spec checks for being a string and nothing else.

    That holds when the (converted) schema is a plain object schema, with no keyword but
    ``type``, ``required``, ``properties`` and ``additionalProperties``, and the field's own
    schema is exactly ``{"type": "string"}``: then the spec's verdict on a body depends on that
    field only through its type, never through its value. (``replyToken`` of
    ``ReplyMessageRequest`` and ``to`` of ``PushMessageRequest``; line-bot-sdk declares both as a
    ``StrictStr`` with no constraint either.) Computed from the spec, so a stricter spec turns
    the shortcut off by itself.
    """
    schema = schemas.get(schema_name) if schema_name is not None else None
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return frozenset()
    if not set(schema) <= {"type", "required", "properties", "additionalProperties"}:
        return frozenset()
    properties = schema.get("properties", {})
    return frozenset(name for name in _RECIPIENT_FIELDS if properties.get(name) == {"type": "string"})


class KnownBody(NamedTuple):
    """A body whose content already passed every check, read without parsing it."""

    body: dict[str, Any]  # for the handler: the recipient's value and the known content (shared: read only)
    raw: bytes  # as sent (what the record keeps, parsed when read)


class BodyChecker:
    """Checks JSON bodies against the spec, the SDK models and LINE's limits, remembering passes."""

    def __init__(
        self,
        *,
        sdk_models: bool = True,
        cache_size: int = 5_000,
        schemas: Mapping[str, Any] | None = None,
        known_size: int = KNOWN_CONTENTS,
    ) -> None:
        self.sdk_models = sdk_models
        self._cache_size = cache_size
        self._passed: set[str | bytes] = set()
        self._lock = threading.Lock()
        # For ``known``: the spec's schemas, and per passed raw key the rest of its body, parsed
        # (None: its recipient field appears twice, never read that way).
        self._schemas: Mapping[str, Any] = schemas if schemas is not None else {}
        self._string_fields: dict[str, frozenset[str]] = {}
        self._known: dict[bytes, dict[str, Any] | None] = {}
        self._known_size = known_size

    def errors(self, operation: Operation, body: Any, raw: bytes | None = None) -> list[ErrorDetail]:
        """Everything wrong with this body (``raw``: as sent, when known) for this operation (empty: valid)."""
        key = content_key(operation.operation_id, body, raw)
        if key in self._passed:
            return recipient_errors(operation.operation_id, body)
        details = operation.check_body(body)
        if not details:
            if self.sdk_models and operation.body_schema is not None:
                details = sdk_model_errors(operation.body_schema, body)
            details.extend(limit_errors(body))
        if not details:
            with self._lock:
                if len(self._passed) >= self._cache_size:
                    self._passed.clear()
                self._passed.add(key)
        return details + recipient_errors(operation.operation_id, body)

    def known(self, operation: Operation, raw: bytes) -> KnownBody | None:
        """The body in ``raw``, without parsing it, when its content is known to pass; else None.

        ``raw`` must open with ``{"<field>":"<value>",`` where ``<field>`` is the operation's
        recipient field and ``<value>`` printable ASCII without ``"`` or ``\\`` (a reply token,
        a user ID), and the bytes after that comma must equal those of a body that parsed and
        passed every check (same ``content_key``, which ``errors`` remembered). Then, exactly:

        - ``raw`` is valid JSON: it is that body with one JSON string literal swapped for
          another, and ``<value>`` is a complete string literal (no escape, no control
          character, nothing but the quote can end it);
        - it parses to ``{field: <value>, **rest}``, ``rest`` being the members after the field
          (parsed the first time the content comes again, then kept), in the same order:
          ``json.loads`` builds an object from its members in order, and ``rest`` never holds
          ``field`` itself (``_learn`` refuses a body whose field appears twice, where the last
          would win);
        - it passes the spec, the SDK model and the limits exactly when that body did: the
          only difference is the field's value, both are strings, and ``string_only_fields``
          says those checks look at nothing but its type. What depends on the value itself
          (a push recipient's ID format) is ``recipient_errors``, which the caller still runs.

        Anything else (an escape in the token, a space after the colon, another field first,
        a list of recipients, new content) returns None, and the body is parsed and checked
        the ordinary way.
        """
        match = _SIMPLE_RECIPIENT.match(raw)
        if match is None:
            return None
        field = match.group(1).decode("ascii")
        if field not in self._string_only(operation):
            return None
        key = _raw_key(operation.operation_id, field, raw, match.end())
        rest = self._known.get(key, _UNSEEN)
        if rest is _UNSEEN:
            if key not in self._passed:
                return None  # content never checked (or forgotten): parse and check it
            rest = self._learn(field, raw, match.end(), key)  # the first repeat of a passed content
        if not isinstance(rest, dict):
            return None
        return KnownBody({field: match.group(2).decode("ascii"), **rest}, raw)

    def _string_only(self, operation: Operation) -> frozenset[str]:
        fields = self._string_fields.get(operation.operation_id)
        if fields is None:
            fields = string_only_fields(self._schemas, operation.body_schema)
            self._string_fields[operation.operation_id] = fields
        return fields

    def _learn(self, field: str, raw: bytes, start: int, key: bytes) -> dict[str, Any] | None:
        """Parse and keep the members after the recipient of a body whose content passed (None: never usable).

        They are byte for byte those of the body that passed, which parsed: ``{`` and them is valid JSON.
        """
        rest = json.loads(b"{" + raw[start:])
        usable = rest if isinstance(rest, dict) and field not in rest else None  # a repeated field: the last wins
        with self._lock:
            if len(self._known) >= self._known_size:
                del self._known[next(iter(self._known))]  # the oldest
            self._known[key] = usable
        return usable


_KEY_HEADS: dict[tuple[str, str], bytes] = {}


def _raw_key(operation_id: str, field: str, raw: bytes, start: int) -> bytes:
    """``content_key`` of a body that opens with ``field`` as a string and continues at ``raw[start:]``."""
    head = _KEY_HEADS.get((operation_id, field))
    if head is None:
        head = _KEY_HEADS[(operation_id, field)] = (operation_id + "\n" + _compact({field: ""}) + "\n").encode("utf-8")
    return b"".join((head, memoryview(raw)[start:]))  # one copy of a large body, not two
