"""The webhook's intake: signatures, bad bodies, limits, durable storage, exactly-once handling."""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from bot import linesim
from ita_core.db import make_engine, make_session_factory
from ita_core.models import OutboxMessage, WebhookEvent
from tests.bot.conftest import LiveApp


def echo_handler(calls: list[str]) -> Callable[[Session, dict[str, Any], datetime], list[dict[str, Any]]]:
    lock = threading.Lock()

    def handle(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        with lock:
            calls.append(event["webhookEventId"])
        text = (event.get("message") or {}).get("text", event["type"])
        return [{"type": "text", "text": f"echo {text}"}]

    return handle


def stored_events(live: LiveApp) -> int:
    engine = live.app.extensions["ita"].engine
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one()


def test_signed_event_is_answered(make_live_app: Callable[..., LiveApp]) -> None:
    calls: list[str] = []
    live = make_live_app(load_demo=False, handler=echo_handler(calls))
    event = linesim.text_event(linesim.user_source(linesim.user_id()), "สวัสดีครับ")
    assert live.deliver(event).status == 200
    assert live.replies_to(event) == [{"type": "text", "text": "echo สวัสดีครับ"}]
    assert calls == [event["webhookEventId"]]


def test_bad_or_missing_signature_is_400_and_nothing_stored(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    body = linesim.webhook_body(linesim.text_event(linesim.user_source(linesim.user_id()), "x"))
    assert live.post(body, signature=None).status == 400
    assert live.post(body, signature="bm90IGEgc2lnbmF0dXJl").status == 400
    assert live.post(body, signature=linesim.sign("another-secret", body)).status == 400
    tampered = body.replace(b'"x"', b'"y"')
    assert live.post(tampered, signature=linesim.sign(live.secret, body)).status == 400
    assert stored_events(live) == 0


def test_bodies_that_are_not_webhooks(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    for body in (b"not json", b"[1, 2]", b'{"destination": "x"}', b'{"events": [{"no": "type"}]}', b"\xff\xfe"):
        assert live.post(body).status == 400, body
    assert stored_events(live) == 0
    # LINE's "verify" button sends an empty events list: 200, nothing stored.
    assert live.post(linesim.webhook_body()).status == 200


def test_body_over_one_mebibyte_is_413(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    event = linesim.text_event(linesim.user_source(linesim.user_id()), "x" * (1024 * 1024))
    body = linesim.webhook_body(event)
    # The app answers from the declared length, without reading the body, and the server then closes
    # the connection: a client still sending would get a broken pipe (or a reset that drops the
    # answer), so the headers go first and the answer is read before any of the body is sent.
    host, port = live.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/callback")
        for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Line-Signature", linesim.sign(live.secret, body))):  # fmt: skip
            connection.putheader(name, value)
        connection.endheaders()
        assert connection.getresponse().status == 413
    finally:
        connection.close()
    assert stored_events(live) == 0


def test_chunked_bodies_are_read_to_their_end_and_limited(make_live_app: Callable[..., LiveApp]) -> None:
    calls: list[str] = []
    live = make_live_app(load_demo=False, handler=echo_handler(calls))
    host, port = live.url.removeprefix("http://").split(":")

    def post_chunked(body: bytes) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            headers = {"Content-Type": "application/json", "X-Line-Signature": linesim.sign(live.secret, body)}
            chunks = (body[i : i + 4096] for i in range(0, len(body), 4096))  # no Content-Length: chunked
            connection.request("POST", "/callback", body=chunks, headers=headers, encode_chunked=True)
            return connection.getresponse().status
        finally:
            connection.close()

    event = linesim.text_event(linesim.user_source(linesim.user_id()), "แบ่งเป็นก้อน")
    live.fake.register_reply_token(event["replyToken"])
    assert post_chunked(linesim.webhook_body(event)) == 200
    assert live.replies_to(event) == [{"type": "text", "text": "echo แบ่งเป็นก้อน"}]
    big = linesim.text_event(linesim.user_source(linesim.user_id()), "x" * (1024 * 1024))
    assert post_chunked(linesim.webhook_body(big)) == 413
    assert stored_events(live) == 1


def test_callback_answers_post_only(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    request = urllib.request.Request(live.url + "/callback", method="GET")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405 and refused.value.headers["Allow"] == "POST"
    assert stored_events(live) == 0


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_bad_content_length_is_400(length: str) -> None:
    from bot import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "LINE_CHANNEL_SECRET": "s", "ITA_WORKER_THREADS": "0"},
                     handler=echo_handler([]))
    environ = {"PATH_INFO": "/callback", "REQUEST_METHOD": "POST", "CONTENT_LENGTH": length,
               "wsgi.input": io.BytesIO(b"{}"), "HTTP_X_LINE_SIGNATURE": linesim.sign("s", b"{}")}
    started: list[str] = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers: started.append(status)))
    assert started == ["400 BAD REQUEST"] and body == b"bad Content-Length"
    app.extensions["ita"].engine.dispose()


def test_storing_fails_500_and_logs_no_message_text(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    """No schema, so the INSERT fails: 500 (LINE tries again later), the error logged, the text not."""
    from bot import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "LINE_CHANNEL_SECRET": "s",
                      "ITA_WORKER_THREADS": "0"}, handler=echo_handler([]))
    body = linesim.webhook_body(linesim.text_event(linesim.user_source(linesim.user_id()), "ข้อความลับ"))
    with caplog.at_level(logging.INFO):
        response = app.test_client().post("/callback", data=body,
                                          headers={"X-Line-Signature": linesim.sign("s", body)})
    assert response.status_code == 500 and response.data == b"internal error"
    assert any(r.getMessage() == "webhook failed" and r.exc_info for r in caplog.records)
    assert "ข้อความลับ" not in caplog.text
    app.extensions["ita"].engine.dispose()


def test_no_channel_secret_is_503(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]), LINE_CHANNEL_SECRET=None)
    body = linesim.webhook_body(linesim.text_event(linesim.user_source(linesim.user_id()), "x"))
    assert live.post(body).status == 503


def test_redelivered_event_is_answered_once(make_live_app: Callable[..., LiveApp]) -> None:
    calls: list[str] = []
    live = make_live_app(load_demo=False, handler=echo_handler(calls))
    event = linesim.text_event(linesim.user_source(linesim.user_id()), "ครั้งเดียว")
    assert live.deliver(event).status == 200
    live.replies_to(event)
    again = json.loads(json.dumps(event))
    again["deliveryContext"]["isRedelivery"] = True
    assert live.deliver(again, register_tokens=False).status == 200
    assert live.deliver(again, register_tokens=False).status == 200
    time.sleep(0.3)
    assert calls == [event["webhookEventId"]]
    assert len(live.fake.requests("/v2/bot/message/reply")) == 1
    assert stored_events(live) == 1


def test_same_event_posted_concurrently_is_handled_once(make_live_app: Callable[..., LiveApp]) -> None:
    calls: list[str] = []
    live = make_live_app(load_demo=False, handler=echo_handler(calls))
    event = linesim.text_event(linesim.user_source(linesim.user_id()), "พร้อมกัน")
    live.fake.register_reply_token(event["replyToken"])
    body = linesim.webhook_body(event)
    threads = [threading.Thread(target=live.post, args=(body,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    live.replies_to(event)
    time.sleep(0.3)
    assert calls == [event["webhookEventId"]]


def test_crash_between_storing_and_handling(make_live_app: Callable[..., LiveApp], database_url: str) -> None:
    # First process: stores events but has no worker (as if it died right after answering 200).
    first = make_live_app(load_demo=False, handler=echo_handler([]), ITA_WORKER_THREADS="0")
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อความ {n}") for n in range(3)]
    assert first.deliver(*events).status == 200
    assert stored_events(first) == 3
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).where(WebhookEvent.status == "pending")) == 3
    # A restarted process picks the unhandled events up and answers each once.
    calls: list[str] = []
    second = make_live_app(load_demo=False, handler=echo_handler(calls))
    for event in events:
        assert second.replies_to(event)
    time.sleep(0.3)
    assert sorted(calls) == sorted(e["webhookEventId"] for e in events)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).where(WebhookEvent.status == "done")) == 3
        assert (
            session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")) == 3
        )
    engine.dispose()


def test_events_left_processing_are_claimed_after_their_lease(
    make_live_app: Callable[..., LiveApp], database_url: str
) -> None:
    # An earlier version committed its claims: a crash left events "processing" under a lease.
    first = make_live_app(load_demo=False, handler=echo_handler([]), ITA_WORKER_THREADS="0")
    expired, leased = (linesim.text_event(linesim.user_source(linesim.user_id()), f"ค้าง {n}") for n in range(2))
    assert first.deliver(expired, leased).status == 200
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        for event, until in ((expired, now - timedelta(seconds=1)), (leased, now + timedelta(minutes=10))):
            session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.event_id == event["webhookEventId"])
                .values(status="processing", claimed_until=until, attempts=1)
            )
        session.commit()
    calls: list[str] = []
    second = make_live_app(load_demo=False, handler=echo_handler(calls))
    assert second.replies_to(expired)
    time.sleep(0.3)
    assert calls == [expired["webhookEventId"]]  # the other is still someone's until its lease ends
    with make_session_factory(engine)() as session:
        rows = {r.event_id: r for r in session.scalars(select(WebhookEvent))}
        done = rows[expired["webhookEventId"]]
        assert (done.status, done.attempts, done.claimed_until) == ("done", 2, None)
        assert rows[leased["webhookEventId"]].status == "processing"
    engine.dispose()


def test_worker_replaces_a_connection_the_server_closed(
    make_live_app: Callable[..., LiveApp], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    if backend != "postgresql":
        pytest.skip("a server that drops connections: PostgreSQL only")
    pids: list[int] = []
    echo = echo_handler([])

    def handle(session: Session, event: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        pids.append(session.connection().connection.driver_connection.info.backend_pid)
        return echo(session, event, now)

    live = make_live_app(load_demo=False, handler=handle, ITA_WORKER_THREADS="1")
    first, second = (linesim.text_event(linesim.user_source(linesim.user_id()), f"ครั้งที่ {n}") for n in (1, 2))
    assert live.deliver(first).status == 200 and live.replies_to(first)
    engine = live.app.extensions["ita"].engine
    with engine.connect() as conn:  # the database drops the worker thread's kept connection
        conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pids[0]})
        conn.commit()
    with caplog.at_level(logging.WARNING, logger="bot.worker"):
        assert live.deliver(second).status == 200
        assert live.replies_to(second) == [{"type": "text", "text": "echo ครั้งที่ 2"}]
    assert len(pids) == 2 and pids[1] != pids[0]  # handled on a new connection, once
    assert any("connection lost" in r.getMessage() for r in caplog.records)


def outbox_statuses(live: LiveApp) -> list[str]:
    engine = live.app.extensions["ita"].engine
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars())


def test_delivered_answers_are_marked_sent_in_batches(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    pool = live.app.extensions["ita"].pool
    events = [linesim.text_event(linesim.user_source(linesim.user_id()), f"ข้อความ {n}") for n in range(3)]
    for event in events:
        assert live.deliver(event).status == 200
        assert live.replies_to(event)
    deadline = time.monotonic() + 5
    while outbox_statuses(live) != ["sent"] * 3 and time.monotonic() < deadline:  # written when due (50 ms)
        time.sleep(0.02)
    assert outbox_statuses(live) == ["sent"] * 3
    # Held marks are written when the pool stops, however long they were allowed to wait.
    pool.marks.max_delay = 3600
    more = [linesim.text_event(linesim.user_source(linesim.user_id()), f"อีก {n}") for n in range(2)]
    for event in more:
        assert live.deliver(event).status == 200
        assert live.replies_to(event)
    assert outbox_statuses(live) == ["sent"] * 3 + ["sending"] * 2
    pool.stop()
    assert outbox_statuses(live) == ["sent"] * 5


def test_healthz(make_live_app: Callable[..., LiveApp]) -> None:
    live = make_live_app(load_demo=False, handler=echo_handler([]))
    response = live.get("/healthz")
    assert response.status == 200
    assert json.loads(response.body)["status"] == "ok"


def test_healthz_tells_when_the_monthly_quota_is_used_up(
    make_live_app: Callable[..., LiveApp], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bot.app import utcnow
    from bot.cli import cli
    from bot.outbox import Sender, enqueue

    live = make_live_app(load_demo=False, handler=echo_handler([]))
    before = json.loads(live.get("/healthz").body)
    assert before["line_quota"] == "ok"
    assert before["outbox_undelivered"] == {"failed": 0, "quota": 0, "unknown": 0}
    svc = live.app.extensions["ita"]
    with svc.session_factory() as session:
        for n in range(2):
            enqueue(session, kind="push", messages=[{"type": "text", "text": f"แจ้งเตือน {n}"}], now=utcnow(),
                    recipients=[linesim.user_id()], purpose="test")
        session.commit()
    live.fake.exhaust_quota()
    sender = Sender(svc.session_factory, svc.line, utcnow)
    assert sender.deliver_due().quota_exhausted
    response = live.get("/healthz")
    assert response.status == 200  # the webhook still works, and replies are not counted against the quota
    during = json.loads(response.body)
    assert during["line_quota"] == "exhausted"
    assert during["outbox_undelivered"] == {"failed": 0, "quota": 1, "unknown": 0}
    # The admin's way out: a new month (or a bigger plan), then ``ita outbox retry``.
    live.fake.set_quota(limit=None, used=0, exhausted=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    retried = CliRunner().invoke(cli, ["outbox", "retry", "--all"])
    assert retried.exit_code == 0, retried.output
    assert sender.deliver_due().sent == 2
    after = json.loads(live.get("/healthz").body)
    assert after["line_quota"] == "ok" and after["outbox_undelivered"]["quota"] == 0


def test_healthz_before_the_schema_exists(database_url: str) -> None:
    from bot import create_app

    app = create_app({"DATABASE_URL": database_url, "LINE_CHANNEL_SECRET": "s", "ITA_WORKER_THREADS": "0"},
                     handler=echo_handler([]))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200  # the database answers; `ita db upgrade` has not run yet
    health = response.get_json()
    assert health["line_quota"] is None and health["outbox_undelivered"] is None
    app.extensions["ita"].engine.dispose()


def test_healthz_503_when_database_is_down() -> None:
    from bot import create_app

    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1",
            "LINE_CHANNEL_SECRET": "s",
            "ITA_WORKER_THREADS": "0",
        },
        handler=echo_handler([]),
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
