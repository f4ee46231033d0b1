"""What each implemented Messaging API operation does, once its request passed every check."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.fakeline import answers
from bot.fakeline.answers import Answer
from bot.fakeline.state import FakeLineState

BOT_USER_ID = "U" + "f" * 32
RICH_MENU_IMAGE_TYPES = ("image/jpeg", "image/png")
RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One valid call to an operation, as the handler sees it."""

    operation: str
    path_args: Mapping[str, str]
    body: Any
    request_id: str
    retry_key: str | None
    content_type: str


Handler = Callable[[FakeLineState, Call], Answer]
OK_EMPTY = 200


def _sent_messages(state: FakeLineState, messages: list[Any]) -> list[dict[str, str]]:
    sent = []
    for message in messages:
        entry = {"id": state.message_id()}
        if isinstance(message, dict) and message.get("type") in ("text", "textV2", "sticker"):
            entry["quoteToken"] = secrets.token_urlsafe(24)
        sent.append(entry)
    return sent


def reply_message(state: FakeLineState, call: Call) -> Answer:
    """Reply: the token must be registered, unexpired and unused; replies cost no quota."""
    with state.lock:
        if not state.use_reply_token(call.body["replyToken"]):
            return answers.error(400, answers.INVALID_REPLY_TOKEN)
        sent = _sent_messages(state, call.body["messages"])
    return Answer(200, {"sentMessages": sent})


def _send(state: FakeLineState, call: Call, *, cost: int, status: int, returns_sent: bool) -> Answer:
    """Push-like sends: retry key first (409 when already accepted), then the monthly quota."""
    with state.lock:
        if call.retry_key is not None:
            accepted = state.accepted_key(call.retry_key)
            if accepted is not None:
                extra = {"sentMessages": accepted.sent_messages} if returns_sent else {}
                conflict = answers.error(409, answers.RETRY_KEY_ACCEPTED, extra=extra)
                conflict.headers["X-Line-Accepted-Request-Id"] = accepted.request_id
                return conflict
        if not state.quota.allows(cost):
            return answers.error(429, answers.MONTHLY_LIMIT)
        state.quota.used += cost
        sent = _sent_messages(state, call.body["messages"])
        if call.retry_key is not None:
            state.accept_key(call.retry_key, call.request_id, sent if returns_sent else [])
    return Answer(status, {"sentMessages": sent} if returns_sent else {})


def push_message(state: FakeLineState, call: Call) -> Answer:
    """Push: one quota unit per request, however many messages it carries."""
    return _send(state, call, cost=1, status=200, returns_sent=True)


def multicast(state: FakeLineState, call: Call) -> Answer:
    """Multicast: one quota unit per recipient."""
    return _send(state, call, cost=len(call.body["to"]), status=200, returns_sent=False)


def broadcast(state: FakeLineState, call: Call) -> Answer:
    """Broadcast: accepted; the fake knows no audience, so it costs no quota."""
    return _send(state, call, cost=0, status=200, returns_sent=False)


def narrowcast(state: FakeLineState, call: Call) -> Answer:
    """Narrowcast: accepted for later delivery (202), no quota counted."""
    return _send(state, call, cost=0, status=202, returns_sent=False)


def empty(status: int = OK_EMPTY) -> Handler:
    """A handler that accepts and answers `{}`."""

    def handler(state: FakeLineState, call: Call) -> Answer:
        return Answer(status, {})

    return handler


def message_quota(state: FakeLineState, call: Call) -> Answer:
    """`{"type": "limited", "value": N}`, or `{"type": "none"}` when unlimited."""
    with state.lock:
        limit = state.quota.limit
    return Answer(200, {"type": "none"} if limit is None else {"type": "limited", "value": limit})


def quota_consumption(state: FakeLineState, call: Call) -> Answer:
    """Messages counted against the quota this month."""
    with state.lock:
        used = state.quota.used
    return Answer(200, {"totalUsage": used})


def profile(state: FakeLineState, call: Call) -> Answer:
    """A registered or generated profile; 404 for unknown users when profiles are not generated."""
    found = state.profile(call.path_args["userId"])
    return Answer(200, found) if found is not None else answers.error(404, answers.NOT_FOUND)


def bot_info(state: FakeLineState, call: Call) -> Answer:
    """A fixed description of the fake bot."""
    return Answer(200, {
        "userId": BOT_USER_ID,
        "basicId": "@fakeline",
        "displayName": "Fake LINE bot",
        "chatMode": "bot",
        "markAsReadMode": "auto",
    })


def group_summary(state: FakeLineState, call: Call) -> Answer:
    """A generated group name."""
    group_id = call.path_args["groupId"]
    return Answer(200, {"groupId": group_id, "groupName": f"Group {group_id[-6:]}"})


def member_count(state: FakeLineState, call: Call) -> Answer:
    """A fixed member count."""
    return Answer(200, {"count": 3})


def create_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """Store the rich menu and answer its new ID."""
    rich_menu_id = f"richmenu-{secrets.token_hex(16)}"
    with state.lock:
        state.rich_menus[rich_menu_id] = {"richMenuId": rich_menu_id, **call.body}
    return Answer(200, {"richMenuId": rich_menu_id})


def _known_rich_menu(state: FakeLineState, call: Call) -> str | None:
    rich_menu_id = call.path_args["richMenuId"]
    return rich_menu_id if rich_menu_id in state.rich_menus else None


def get_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """A stored rich menu, or 404."""
    with state.lock:
        menu = state.rich_menus.get(call.path_args["richMenuId"])
    return Answer(200, dict(menu)) if menu is not None else answers.error(404, answers.NOT_FOUND)


def delete_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """Forget a rich menu and every link to it."""
    rich_menu_id = call.path_args["richMenuId"]
    with state.lock:
        if state.rich_menus.pop(rich_menu_id, None) is None:
            return answers.error(404, answers.NOT_FOUND)
        state.rich_menu_images.pop(rich_menu_id, None)
        if state.default_rich_menu == rich_menu_id:
            state.default_rich_menu = None
        for user_id in [user for user, menu in state.user_rich_menus.items() if menu == rich_menu_id]:
            del state.user_rich_menus[user_id]
    return Answer(200, {})


def rich_menu_list(state: FakeLineState, call: Call) -> Answer:
    """Every stored rich menu."""
    with state.lock:
        menus = [dict(menu) for menu in state.rich_menus.values()]
    return Answer(200, {"richmenus": menus})


def set_rich_menu_image(state: FakeLineState, call: Call) -> Answer:
    """Accept one JPEG or PNG image (≤ 1 MB) per rich menu, as LINE does."""
    with state.lock:
        rich_menu_id = _known_rich_menu(state, call)
        if rich_menu_id is None:
            return answers.error(404, answers.NOT_FOUND)
        if call.content_type not in RICH_MENU_IMAGE_TYPES:
            return answers.error(415, "Unsupported Media Type: use image/jpeg or image/png")
        size = int(call.body.get("size", 0))
        if size > RICH_MENU_IMAGE_MAX_BYTES:
            return answers.error(400, "The image must not exceed 1 MB")
        if rich_menu_id in state.rich_menu_images:
            return answers.error(400, "An image has already been uploaded to the richmenu")
        state.rich_menu_images[rich_menu_id] = (call.content_type, size)
    return Answer(200, {})


def set_default_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """Make a stored rich menu the default one."""
    with state.lock:
        rich_menu_id = _known_rich_menu(state, call)
        if rich_menu_id is None:
            return answers.error(404, answers.NOT_FOUND)
        state.default_rich_menu = rich_menu_id
    return Answer(200, {})


def default_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """The default rich menu's ID, or 404."""
    with state.lock:
        rich_menu_id = state.default_rich_menu
    if rich_menu_id is None:
        return answers.error(404, "no default richmenu")
    return Answer(200, {"richMenuId": rich_menu_id})


def cancel_default_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """No default rich menu any more."""
    with state.lock:
        state.default_rich_menu = None
    return Answer(200, {})


def link_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """Link a stored rich menu to one user."""
    with state.lock:
        rich_menu_id = _known_rich_menu(state, call)
        if rich_menu_id is None:
            return answers.error(404, answers.NOT_FOUND)
        state.user_rich_menus[call.path_args["userId"]] = rich_menu_id
    return Answer(200, {})


def unlink_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """Unlink whatever rich menu a user has."""
    with state.lock:
        state.user_rich_menus.pop(call.path_args["userId"], None)
    return Answer(200, {})


def user_rich_menu(state: FakeLineState, call: Call) -> Answer:
    """The rich menu linked to a user, or 404."""
    with state.lock:
        rich_menu_id = state.user_rich_menus.get(call.path_args["userId"])
    if rich_menu_id is None:
        return answers.error(404, "the user has no richmenu")
    return Answer(200, {"richMenuId": rich_menu_id})


HANDLERS: Mapping[str, Handler] = {
    "replyMessage": reply_message,
    "pushMessage": push_message,
    "multicast": multicast,
    "broadcast": broadcast,
    "narrowcast": narrowcast,
    "validateReply": empty(),
    "validatePush": empty(),
    "validateMulticast": empty(),
    "validateNarrowcast": empty(),
    "validateBroadcast": empty(),
    "getMessageQuota": message_quota,
    "getMessageQuotaConsumption": quota_consumption,
    "getProfile": profile,
    "getGroupMemberProfile": profile,
    "getRoomMemberProfile": profile,
    "getBotInfo": bot_info,
    "getGroupSummary": group_summary,
    "getGroupMemberCount": member_count,
    "getRoomMemberCount": member_count,
    "leaveGroup": empty(),
    "leaveRoom": empty(),
    "showLoadingAnimation": empty(202),
    "markMessagesAsRead": empty(),
    "markMessagesAsReadByToken": empty(),
    "createRichMenu": create_rich_menu,
    "validateRichMenuObject": empty(),
    "getRichMenu": get_rich_menu,
    "deleteRichMenu": delete_rich_menu,
    "getRichMenuList": rich_menu_list,
    "setRichMenuImage": set_rich_menu_image,
    "setDefaultRichMenu": set_default_rich_menu,
    "getDefaultRichMenuId": default_rich_menu,
    "cancelDefaultRichMenu": cancel_default_rich_menu,
    "linkRichMenuIdToUser": link_rich_menu,
    "unlinkRichMenuIdFromUser": unlink_rich_menu,
    "getRichMenuIdOfUser": user_rich_menu,
}
