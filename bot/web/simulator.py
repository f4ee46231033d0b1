"""The local chat simulator at ``/simulator`` (``ita demo run``): a LINE-like page for trying the bot.

The page posts what a person types to ``/simulator/api/send``; this module turns it into the
webhook event LINE would send (``bot.linesim``), signs it with the channel secret and posts it
over real HTTP to the app's own ``/callback``. The bot answers through the fake LINE API; the page
polls ``/simulator/api/messages``, which reads what the fake recorded (its control API) and keeps
what was sent to that simulated user: replies by reply token, pushes and multicasts by recipient.

Only mounted when ``ITA_SIMULATOR=1``, and even then it answers 404 unless ``LINE_API_BASE_URL``
is a fake on loopback: the simulator can speak as any LINE user id, so it must never be reachable
in production. Message text and tokens are never logged.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, request, send_from_directory
from flask.typing import ResponseReturnValue

from bot import linesim
from bot.app import services, utcnow
from ita_core import accounts
from ita_core.db import unit_of_work
from ita_core.errors import ItaError

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static" / "simulator"
bp = Blueprint("simulator", __name__, url_prefix="/simulator")

USER_ID = re.compile(r"U[0-9a-f]{32}")
MAX_TEXT = 5000  # LINE's limit on a text message
MAX_POSTBACK = 300  # LINE's limit on postback data
MAX_TOKENS = 10_000  # reply tokens remembered (oldest forgotten first)
HTTP_TIMEOUT = 10.0
SEND_PATHS = {
    "/v2/bot/message/reply": "reply",
    "/v2/bot/message/push": "push",
    "/v2/bot/message/multicast": "multicast",
    "/v2/bot/message/broadcast": "broadcast",
}
LOADING_PATH = "/v2/bot/chat/loading/start"
EVENTS = ("follow", "unfollow", "sticker", "image")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
# Both the webhook and the fake LINE API are on loopback: never through an HTTP proxy from the environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _QuietPolling(logging.Filter):
    """Drops the development server's access-log line for each poll (two a second per open page)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/simulator/api/messages" not in record.getMessage()


@bp.record_once
def _quiet_polling(_state: Any) -> None:
    server_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _QuietPolling) for f in server_log.filters):
        server_log.addFilter(_QuietPolling())


class SimulatorState:
    """Which reply tokens were given to which simulated user (per app, in memory).

    ``epoch`` names this process: the fake LINE API starts with it and numbers its records from 1
    again, so a page that kept a cursor from an earlier run starts over when the epoch changes.
    """

    def __init__(self, limit: int = MAX_TOKENS) -> None:
        self.epoch = secrets.token_hex(6)
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def remember(self, token: str, user: str) -> None:
        """Note that ``token`` was handed out in an event from ``user``."""
        with self._lock:
            self._owners[token] = user
            while len(self._owners) > self._limit:
                self._owners.popitem(last=False)

    def owner(self, token: str) -> str | None:
        """The simulated user a reply token belongs to, if the simulator made it."""
        with self._lock:
            return self._owners.get(token)


def _state(app: Flask) -> SimulatorState:
    found = app.extensions.get("ita_simulator")
    if found is None:
        found = app.extensions.setdefault("ita_simulator", SimulatorState())
    assert isinstance(found, SimulatorState)
    return found


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@bp.before_request
def only_with_a_local_fake() -> None:
    """404 unless the LINE API the bot talks to is a fake on loopback (never in production)."""
    base = services().settings.line_api_base_url
    if not is_loopback(urllib.parse.urlsplit(base).hostname):
        log.error("simulator refused: LINE_API_BASE_URL is not a fake LINE API on loopback")
        abort(404)


# --- the page ---------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    """The chat page."""
    response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/static/<path:name>")
def asset(name: str) -> ResponseReturnValue:
    """The page's script and style sheet."""
    response = send_from_directory(STATIC_DIR, name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- talking to the bot and to the fake LINE API ----------------------------------------------


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        abort(415)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    return payload


def _error(message: str, status: int = 400) -> ResponseReturnValue:
    return jsonify(error=message), status


def _user(value: Any) -> str | None:
    return value if isinstance(value, str) and USER_ID.fullmatch(value) else None


def _callback_url() -> str:
    """The app's own webhook: the address the page used when it is loopback, else the bound one."""
    if is_loopback(urllib.parse.urlsplit(request.host_url).hostname):
        return request.host_url.rstrip("/") + "/callback"
    server = str(request.environ.get("SERVER_NAME") or "127.0.0.1")
    if server in ("0.0.0.0", ""):
        server = "127.0.0.1"
    elif server == "::":
        server = "[::1]"
    port = request.environ.get("SERVER_PORT") or "80"
    return f"{request.scheme}://{server}:{port}/callback"


def _fake_api(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the fake LINE's control API (at LINE_API_BASE_URL) and return its JSON answer."""
    base = services().settings.line_api_base_url
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with _http.open(req, timeout=HTTP_TIMEOUT) as response:
        return json.loads(response.read() or b"null")


def _build_event(user: str, payload: dict[str, Any]) -> dict[str, Any] | str:
    """The webhook event for the page's request, or a Thai error message."""
    source = linesim.user_source(user)
    if "text" in payload:
        text = payload["text"]
        if not isinstance(text, str) or not text.strip():
            return "ข้อความว่าง"
        if len(text) > MAX_TEXT:
            return "ข้อความยาวเกิน 5,000 ตัวอักษร"
        return linesim.text_event(source, text)
    if "postback" in payload:
        data = payload["postback"]
        if not isinstance(data, str) or not data or len(data) > MAX_POSTBACK:
            return "ข้อมูล postback ไม่ถูกต้อง"
        event = linesim.postback_event(source, data)
        params = payload.get("params")
        if isinstance(params, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
            event["postback"]["params"] = params
        return event
    kind = payload.get("event")
    if kind == "follow":
        return linesim.follow_event(source)
    if kind == "unfollow":
        return linesim.unfollow_event(source)
    if kind == "sticker":
        return linesim.sticker_event(source)
    if kind == "image":
        return linesim.image_event(source)
    return "ต้องมี text, postback หรือ event (" + ", ".join(EVENTS) + ")"


@bp.post("/api/send")
def send() -> ResponseReturnValue:
    """Deliver one event from a simulated user to the webhook, signed as LINE signs it."""
    payload = _json_body()
    user = _user(payload.get("user"))
    if user is None:
        return _error("user ต้องเป็นรหัสผู้ใช้ LINE (U ตามด้วยเลขฐานสิบหก 32 หลัก)")
    event = _build_event(user, payload)
    if isinstance(event, str):
        return _error(event)
    svc = services()
    secret = svc.settings.line_channel_secret
    if not secret:
        return _error("ยังไม่ได้ตั้งค่า LINE_CHANNEL_SECRET", 503)
    token = event.get("replyToken")
    if isinstance(token, str):
        _state(current_app).remember(token, user)
        try:  # a strict fake only accepts reply tokens it was told about, as LINE only accepts its own
            _fake_api("POST", "/__fake__/reply-tokens", {"token": token})
        except (OSError, ValueError) as exc:
            log.error("simulator: the fake LINE API cannot be reached (%s)", type(exc).__name__)
            return _error("ติดต่อ LINE API จำลองไม่ได้", 502)
    body = linesim.webhook_body(event)
    headers = {"Content-Type": "application/json", "X-Line-Signature": linesim.sign(secret, body)}
    req = urllib.request.Request(_callback_url(), data=body, headers=headers, method="POST")
    try:
        with _http.open(req, timeout=HTTP_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        log.error("simulator: the webhook cannot be reached (%s)", type(exc).__name__)
        return _error("ส่งถึง webhook ไม่ได้", 502)
    log.info("simulator: %s event delivered, webhook answered %d", event["type"], status)
    return jsonify(ok=status == 200, status=status, type=event["type"], eventId=event["webhookEventId"])


def _recipient_items(record: dict[str, Any], user: str, state: SimulatorState) -> list[dict[str, Any]]:
    """What one recorded request showed ``user``: messages, a refusal, or a loading animation."""
    path = record.get("path")
    body = record.get("body") if isinstance(record.get("body"), dict) else {}
    assert isinstance(body, dict)
    if path == LOADING_PATH:
        if body.get("chatId") != user or not record.get("accepted"):
            return []
        return [{"seq": record["seq"], "kind": "loading", "seconds": body.get("loadingSeconds", 5)}]
    via = SEND_PATHS.get(str(path))
    if via is None:
        return []
    if via == "reply":
        mine = isinstance(body.get("replyToken"), str) and state.owner(body["replyToken"]) == user
    elif via == "push":
        mine = body.get("to") == user
    elif via == "multicast":
        mine = isinstance(body.get("to"), list) and user in body["to"]
    else:
        mine = True
    if not mine:
        return []
    if not record.get("accepted"):
        response = record.get("response")
        message = response.get("message") if isinstance(response, dict) else None
        details = response.get("details") if isinstance(response, dict) else None
        return [{"seq": record["seq"], "kind": "rejected", "via": via, "status": record.get("status"),
                 "error": message or "", "details": details or []}]
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    assert isinstance(messages, list)
    return [
        {"seq": record["seq"], "kind": "message", "via": via, "index": i, "time": record.get("time"), "message": m}
        for i, m in enumerate(messages)
    ]


@bp.get("/api/messages")
def messages() -> ResponseReturnValue:
    """What the bot sent to ``user`` since the fake's record number ``since``; ``last`` is the next cursor."""
    user = _user(request.args.get("user"))
    if user is None:
        return _error("user ต้องเป็นรหัสผู้ใช้ LINE")
    since_text = request.args.get("since", "0")
    if not since_text.isdigit():
        return _error("since ต้องเป็นจำนวนเต็ม")
    since = int(since_text)
    try:
        found = _fake_api("GET", f"/__fake__/requests?since={since}")
    except (OSError, ValueError) as exc:
        log.error("simulator: the fake LINE API cannot be reached (%s)", type(exc).__name__)
        return _error("ติดต่อ LINE API จำลองไม่ได้", 502)
    records = found.get("requests", []) if isinstance(found, dict) else []
    state = _state(current_app)
    items = [item for record in records if isinstance(record, dict) for item in _recipient_items(record, user, state)]
    last = max([since, *(int(r.get("seq", 0)) for r in records if isinstance(r, dict))])
    return jsonify(items=items, last=last, epoch=state.epoch)


@bp.post("/api/invite")
def invite() -> ResponseReturnValue:
    """A one-time registration code for the default agency, so the page can "register as" a role."""
    payload = _json_body()
    svc = services()
    agency = svc.settings.default_agency
    if agency is None:
        return _error("ยังไม่ได้ตั้งค่า ITA_DEFAULT_AGENCY")
    role = payload.get("role")
    if role not in accounts.ROLES:
        return _error("role ต้องเป็น " + ", ".join(accounts.ROLES))
    unit = payload.get("unit")
    if unit is not None and not isinstance(unit, str):
        return _error("unit ต้องเป็นข้อความ")
    unit = (unit or "").strip() or None
    try:
        with unit_of_work(svc.session_factory) as session:
            created = accounts.create_invite(session, agency, str(role), utcnow(), unit)
    except ItaError as exc:
        return _error(str(exc))
    return jsonify(code=created.code, agency=created.agency_code, role=created.role, unit=created.unit,
                   roleName=accounts.ROLE_NAMES_TH.get(created.role, created.role),
                   expiresAt=created.expires_at.isoformat())
