"""The fake Messaging API as a WSGI app: authenticate, route, validate, fault, answer, record."""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from bot.fakeline import answers
from bot.fakeline.answers import Answer
from bot.fakeline.checks import BodyChecker
from bot.fakeline.control import CONTROL_PREFIX, ControlApi
from bot.fakeline.endpoints import HANDLERS, Call
from bot.fakeline.openapi import ErrorDetail, Operation, messaging_api
from bot.fakeline.state import FakeLineState, RecordedRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DEFAULT_TOKEN = "fake-line-channel-access-token"
MAX_BODY_BYTES = 10 * 1024 * 1024
RETRY_KEY_HEADER = "X-Line-Retry-Key"
# Request headers worth keeping in the record (never Authorization).
RECORDED_HEADERS = ("Content-Type", RETRY_KEY_HEADER, "User-Agent", "X-Line-Delivery-Tag")


@dataclass(frozen=True)
class FakeLineConfig:
    """How strict the fake is. `token` None accepts any bearer token."""

    token: str | None = DEFAULT_TOKEN
    sdk_models: bool = True
    max_body_bytes: int = MAX_BODY_BYTES


@dataclass
class _Outcome:
    answer: Answer
    operation: str | None = None
    body: Any = None


class _Rejected(Exception):
    """Stops the pipeline with an answer."""

    def __init__(self, answer: Answer, body: Any = None) -> None:
        super().__init__(answer.status)
        self.answer = answer
        self.body = body


class FakeLineApp:
    """WSGI app serving the fake Messaging API and, under `/__fake__`, its control API."""

    def __init__(self, state: FakeLineState, config: FakeLineConfig | None = None) -> None:
        self.state = state
        self.config = config or FakeLineConfig()
        self.api = messaging_api()
        self.checker = BodyChecker(sdk_models=self.config.sdk_models)
        self.control = ControlApi(state)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            response = self.control.dispatch(request)
        else:
            response = self.serve(request)
        return response(environ, start_response)

    def serve(self, request: Request) -> Response:
        """Answer one Messaging API request and record it."""
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        outcome = self._outcome(request, request_id)
        delay = self.state.delay_for(request.path)
        if delay:
            time.sleep(delay)
        answer = outcome.answer
        answer.headers["X-Line-Request-Id"] = request_id
        self.state.record(RecordedRequest(
            seq=self.state.next_seq(),
            time=time.time(),
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            operation=outcome.operation,
            headers={name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers},
            body=outcome.body,
            status=answer.status,
            response=answer.body,
            request_id=request_id,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        ))
        return answer.response()

    def _outcome(self, request: Request, request_id: str) -> _Outcome:
        operation: Operation | None = None
        body: Any = None
        try:
            self._authenticate(request)
            operation, path_args = self._route(request)
            body = self._read_body(request, operation)
            self._validate(request, operation, path_args, body)
            fault = self.state.take_fault(request.path, after_accept=False)
            if fault is not None:
                return _Outcome(answers.fault(fault.status, fault.message), operation.operation_id, body)
            answer = self._handle(request, operation, path_args, body, request_id)
        except _Rejected as rejected:
            body = rejected.body if rejected.body is not None else body
            return _Outcome(rejected.answer, operation.operation_id if operation else None, body)
        if answer.ok:
            fault = self.state.take_fault(request.path, after_accept=True)
            if fault is not None:
                answer = answers.fault(fault.status, fault.message)
        return _Outcome(answer, operation.operation_id, body)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Rejected(answers.error(401, answers.NO_TOKEN))
        expected = self.config.token
        if expected is not None and not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise _Rejected(answers.error(401, answers.INVALID_TOKEN))

    def _route(self, request: Request) -> tuple[Operation, dict[str, str]]:
        adapter = self.api.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            raise _Rejected(answers.error(405, "Method Not Allowed")) from None
        except NotFound:
            raise _Rejected(answers.error(404, answers.NOT_FOUND)) from None
        return self.api.operations[str(endpoint)], {key: str(value) for key, value in args.items()}

    def _read_body(self, request: Request, operation: Operation) -> Any:
        if request.content_length is not None and request.content_length > self.config.max_body_bytes:
            raise _Rejected(answers.error(413, "Request Entity Too Large"))
        data = request.get_data(cache=True)
        if not operation.body_content_types:
            return None
        if "application/json" not in operation.body_content_types:
            return {"contentType": request.mimetype, "size": len(data)}
        if not data:
            if operation.body_required:
                raise _Rejected(answers.error(400, "The request body is missing"))
            return None
        if request.mimetype != "application/json":
            raise _Rejected(answers.error(400, "The request body must be sent as Content-Type: application/json"))
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raw = data[:2000].decode("utf-8", "replace")
            raise _Rejected(answers.error(400, "The request body is not valid JSON"), {"raw": raw}) from None

    def _validate(self, request: Request, operation: Operation, path_args: dict[str, str], body: Any) -> None:
        if RETRY_KEY_HEADER in request.headers and operation.header(RETRY_KEY_HEADER) is None:
            raise _Rejected(answers.error(400, f"{RETRY_KEY_HEADER} is not supported by this endpoint"))
        headers = {
            parameter.name: request.headers[parameter.name]
            for parameter in operation.parameters
            if parameter.location == "header" and parameter.name in request.headers
        }
        query = {key: request.args[key] for key in request.args}
        details: list[ErrorDetail] = operation.check_parameters(path_args, query, headers)
        if details:
            first = details[0].property
            raise _Rejected(answers.error(400, f"The value for the '{first}' parameter is invalid", details))
        if operation.body_validator is not None and body is not None:
            details = self.checker.errors(operation, body, request.get_data(cache=True))
            if details:
                raise _Rejected(answers.invalid_request(details))

    def _handle(
        self, request: Request, operation: Operation, path_args: dict[str, str], body: Any, request_id: str
    ) -> Answer:
        handler = HANDLERS.get(operation.operation_id)
        if handler is None:
            return answers.error(501, f"Not implemented by the fake LINE API: {operation.operation_id}")
        call = Call(
            operation=operation.operation_id,
            path_args=path_args,
            body=body,
            request_id=request_id,
            retry_key=request.headers.get(RETRY_KEY_HEADER),
            content_type=request.mimetype,
        )
        return handler(self.state, call)
