"""The fake's memory: recorded requests, reply tokens, retry keys, faults, quota, delay, profiles.

Everything is guarded by one condition variable, held only for dictionary-sized moments, so the
threaded server can serve many requests at once and a test can wait for a request to arrive.
"""

from __future__ import annotations

import enum
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

RETRY_KEY_TTL = 24 * 3600.0
DEFAULT_REPLY_TOKEN_TTL = 60.0
DEFAULT_MAX_RECORDS = 10_000
# Above this many unspent reply tokens, expired ones are swept out on the next registration.
MAX_PENDING_REPLY_TOKENS = 10_000


class Unchanged(enum.Enum):
    """Marks an argument that was not given (where None has a meaning of its own)."""

    UNCHANGED = enum.auto()


_PARSE_LOCK = threading.Lock()


class RawJSON:
    """A request body kept as the bytes that were sent: valid JSON, parsed when first read.

    The server records a body this way when it did not need to parse it (its content had
    already been checked: see ``checks.BodyChecker.known``). Parsing is deferred to whoever
    reads ``RecordedRequest.body`` (a test, the control API), which then gets exactly what
    ``json.loads`` of the bytes gives, as if it had been parsed on arrival.
    """

    __slots__ = ("_value", "raw")
    _value: Any

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def value(self) -> Any:
        """The parsed body; parsed once, so every reader gets the same object."""
        try:
            return self._value
        except AttributeError:
            with _PARSE_LOCK:
                if not hasattr(self, "_value"):
                    self._value = json.loads(self.raw)
            return self._value


class _Body:
    """``RecordedRequest.body``: a plain field, except that a ``RawJSON`` is parsed on first read.

    A data descriptor with no class-level default, so the dataclass field keeps its place and
    stays required; the frozen dataclass's ``__init__`` stores through ``__set__``.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            raise AttributeError(self._slot[1:])  # no default value for the field
        value = instance.__dict__[self._slot]
        if type(value) is RawJSON:
            value = value.value()
            instance.__dict__[self._slot] = value
        return value

    def __set__(self, instance: object, value: Any) -> None:
        instance.__dict__[self._slot] = value


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, and what it answered.

    ``body`` is the parsed JSON body (or a description of a non-JSON one); the server may give it
    as a ``RawJSON``, which the field parses on first read.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    operation: str | None
    headers: Mapping[str, str]
    if TYPE_CHECKING:
        body: Any
    else:
        body: Any = _Body()
    status: int
    response: Any
    request_id: str
    duration_ms: float

    @property
    def accepted(self) -> bool:
        """Whether the fake answered with a 2xx status."""
        return 200 <= self.status < 300

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The message objects of a send request (reply, push, multicast...), else empty."""
        if isinstance(self.body, dict) and isinstance(self.body.get("messages"), list):
            return list(self.body["messages"])
        return []

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the control API."""
        data = asdict(self)
        data["headers"] = dict(self.headers)
        data["accepted"] = self.accepted
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedRequest:
        """Rebuild a record from its control-API JSON form."""
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass
class Fault:
    """An injected answer for the next `remaining` matching calls."""

    status: int
    remaining: int
    path: str | None = None
    message: str | None = None
    after_accept: bool = False

    def matches(self, path: str) -> bool:
        """Whether this fault applies to a request for that path."""
        return self.remaining > 0 and (self.path is None or self.path == path)


@dataclass
class Quota:
    """The channel's monthly message quota: `limit` None means unlimited."""

    limit: int | None = None
    used: int = 0
    exhausted: bool = False

    def allows(self, cost: int) -> bool:
        """Whether `cost` more messages fit in this month's quota."""
        if self.exhausted:
            return False
        return self.limit is None or self.used + cost <= self.limit


@dataclass
class Delay:
    """An artificial delay before each answer, optionally for one path only."""

    seconds: float = 0.0
    path: str | None = None

    def applies(self, path: str) -> bool:
        """Whether to sleep before answering a request for that path."""
        return self.seconds > 0 and (self.path is None or self.path == path)


@dataclass(frozen=True)
class AcceptedKey:
    """A retry key whose request was accepted, with what was answered then."""

    request_id: str
    sent_messages: list[dict[str, str]]
    at: float


@dataclass
class Settings:
    """What a reset returns to."""

    reply_token_ttl: float = DEFAULT_REPLY_TOKEN_TTL
    accept_any_reply_token: bool = False
    auto_profiles: bool = True
    quota: Quota = field(default_factory=Quota)
    delay: Delay = field(default_factory=Delay)


class FakeLineState:
    """Thread-safe state of one fake LINE Messaging API."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        max_records: int = DEFAULT_MAX_RECORDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.initial = settings or Settings()
        self.clock = clock
        self._cond = threading.Condition()
        self._records: deque[RecordedRequest] = deque(maxlen=max_records)
        self._seq = itertools.count(1)
        self._message_ids = itertools.count(int(time.time() * 1000) * 1000)
        self._apply(self.initial)

    def _apply(self, settings: Settings) -> None:
        self.reply_token_ttl = settings.reply_token_ttl
        self.accept_any_reply_token = settings.accept_any_reply_token
        self.auto_profiles = settings.auto_profiles
        self.quota = Quota(settings.quota.limit, settings.quota.used, settings.quota.exhausted)
        self.delay = Delay(settings.delay.seconds, settings.delay.path)
        self.faults: list[Fault] = []
        self.reply_tokens: dict[str, float] = {}
        self.used_reply_tokens: set[str] = set()
        self.retry_keys: dict[str, AcceptedKey] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.rich_menu_images: dict[str, tuple[str, int]] = {}
        self.default_rich_menu: str | None = None
        self.user_rich_menus: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: records, tokens, keys, faults; quota and delay back to the start."""
        with self._cond:
            self._records.clear()
            self._apply(self.initial)

    @property
    def lock(self) -> threading.Condition:
        """The state's lock, for handlers that must check and update atomically."""
        return self._cond

    # -- records -----------------------------------------------------------------------------

    def next_seq(self) -> int:
        """A new sequence number for a record."""
        return next(self._seq)

    def record(self, request: RecordedRequest) -> None:
        """Keep a received request and wake anyone waiting for it."""
        with self._cond:
            self._records.append(request)
            self._cond.notify_all()

    def requests(
        self, path: str | None = None, *, since: int = 0, status: int | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests in arrival order (exact `path` such as "/v2/bot/message/reply")."""
        with self._cond:
            snapshot = list(self._records)
        return [
            record
            for record in snapshot
            if record.seq > since
            and (path is None or record.path == path)
            and (status is None or record.status == status)
        ]

    def accepted(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests answered 2xx."""
        return [record for record in self.requests(path) if record.accepted]

    def rejected(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests answered with an error status."""
        return [record for record in self.requests(path) if not record.accepted]

    def wait_for(
        self, path: str | None = None, *, count: int = 1, since: int = 0, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Block until `count` requests (to `path`) arrived and return them; TimeoutError says what did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self.requests(path, since=since)
                remaining = deadline - time.monotonic()
                if len(found) >= count:
                    return found
                if remaining <= 0:
                    seen = [f"{record.method} {record.path} -> {record.status}" for record in self.requests(since=since)]
                    raise TimeoutError(
                        f"expected {count} request(s) to {path or 'any path'} within {timeout}s; got {seen}"
                    )
                self._cond.wait(remaining)

    def clear_requests(self) -> None:
        """Forget the recorded requests only."""
        with self._cond:
            self._records.clear()

    # -- reply tokens ------------------------------------------------------------------------

    def register_reply_token(self, token: str | None = None, ttl: float | None = None) -> str:
        """Make a reply token valid once, for `ttl` seconds (default one minute); return it."""
        token = token or secrets.token_hex(16)
        with self._cond:
            now = self.clock()
            if len(self.reply_tokens) >= MAX_PENDING_REPLY_TOKENS:
                self.reply_tokens = {key: expires for key, expires in self.reply_tokens.items() if expires >= now}
            self.reply_tokens[token] = now + (self.reply_token_ttl if ttl is None else ttl)
            self.used_reply_tokens.discard(token)
        return token

    def use_reply_token(self, token: str) -> bool:
        """Spend a reply token; False when unknown, expired or already used. Caller holds the lock."""
        expires = self.reply_tokens.pop(token, None)
        if expires is None:
            if not self.accept_any_reply_token or token in self.used_reply_tokens:
                return False
        elif expires < self.clock():
            return False
        if self.accept_any_reply_token:
            self.used_reply_tokens.add(token)
        return True

    def reply_token_usable(self, token: str) -> bool:
        """Whether a reply would be accepted now, without spending the token. Caller holds the lock."""
        expires = self.reply_tokens.get(token)
        if expires is None:
            return self.accept_any_reply_token and token not in self.used_reply_tokens
        return expires >= self.clock()

    # -- retry keys --------------------------------------------------------------------------

    def accepted_key(self, key: str) -> AcceptedKey | None:
        """The earlier accepted request with this retry key, if still remembered. Caller holds the lock."""
        accepted = self.retry_keys.get(key.lower())
        if accepted is not None and self.clock() - accepted.at > RETRY_KEY_TTL:
            del self.retry_keys[key.lower()]
            return None
        return accepted

    def accept_key(self, key: str, request_id: str, sent_messages: list[dict[str, str]]) -> None:
        """Remember that a request with this retry key was accepted. Caller holds the lock."""
        self.retry_keys[key.lower()] = AcceptedKey(request_id, sent_messages, self.clock())

    # -- faults, quota, delay ----------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        count: int = 1,
        path: str | None = None,
        message: str | None = None,
        *,
        after_accept: bool = False,
    ) -> None:
        """Answer `status` to the next `count` valid calls (to `path` only, if given).

        With `after_accept` the call is carried out first (message sent, retry key spent) and the
        error answered anyway: LINE delivered, the client never heard.
        """
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        with self._cond:
            self.faults.append(Fault(status, count, path, message, after_accept))

    def clear_faults(self) -> None:
        """Drop every pending injected fault."""
        with self._cond:
            self.faults.clear()

    def pending_faults(self) -> list[Fault]:
        """Injected faults still to fire."""
        with self._cond:
            return [Fault(**asdict(fault)) for fault in self.faults if fault.remaining > 0]

    def take_fault(self, path: str, *, after_accept: bool) -> Fault | None:
        """Consume one firing of the first fault that matches this call, if any."""
        with self._cond:
            for fault in self.faults:
                if fault.after_accept == after_accept and fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def set_quota(
        self,
        limit: int | Unchanged | None = Unchanged.UNCHANGED,
        used: int | None = None,
        exhausted: bool | None = None,
    ) -> Quota:
        """Change the monthly quota (limit None: unlimited); parts not given stay as they are."""
        with self._cond:
            if not isinstance(limit, Unchanged):
                self.quota.limit = limit
            if used is not None:
                self.quota.used = used
            if exhausted is not None:
                self.quota.exhausted = exhausted
            return Quota(self.quota.limit, self.quota.used, self.quota.exhausted)

    def exhaust_quota(self) -> None:
        """From now on push and multicast answer 429 "You have reached your monthly limit."."""
        self.set_quota(exhausted=True)

    def set_delay(self, seconds: float, path: str | None = None) -> None:
        """Sleep `seconds` before every answer (to `path` only, if given); 0 turns it off."""
        if seconds < 0:
            raise ValueError("a delay cannot be negative")
        with self._cond:
            self.delay = Delay(seconds, path)

    def delay_for(self, path: str) -> float:
        """How long to hold the answer to a request for that path."""
        delay = self.delay
        return delay.seconds if delay.applies(path) else 0.0

    # -- ids and profiles --------------------------------------------------------------------

    def message_id(self) -> str:
        """A new LINE-like numeric message ID."""
        return str(next(self._message_ids))

    def set_profile(self, user_id: str, display_name: str, **extra: Any) -> dict[str, Any]:
        """Register the profile `GET /v2/bot/profile/{userId}` answers for that user."""
        profile = {"userId": user_id, "displayName": display_name, **extra}
        with self._cond:
            self.profiles[user_id] = profile
        return profile

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """The registered profile, a generated one when `auto_profiles` is on, else None."""
        with self._cond:
            profile = self.profiles.get(user_id)
        if profile is not None:
            return dict(profile)
        if not self.auto_profiles:
            return None
        return {"userId": user_id, "displayName": f"LINE user {user_id[-6:]}", "language": "th"}
