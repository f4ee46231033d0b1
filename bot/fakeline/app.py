"""The fake Messaging API as a WSGI app: authenticate, route, validate, fault, answer, record.

The Messaging API side reads what it needs straight from the WSGI environ (``_Incoming``) and
answers through ``Answer.wsgi``, without werkzeug's ``Request`` and ``Response`` objects, and
routes the operations without path parameters (reply, push, ...) with a dictionary: under a
benchmark those objects and the per-request URL-map binding cost more CPU than the checks of a
cached body. Everything they computed is computed the same way (the tests compare the two).
The control API, not on any hot path, keeps werkzeug.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.http import parse_options_header
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_content_length, get_input_stream

from bot.fakeline import answers
from bot.fakeline.answers import Answer
from bot.fakeline.checks import BodyChecker, KnownBody, recipient_errors
from bot.fakeline.control import CONTROL_PREFIX, ControlApi
from bot.fakeline.endpoints import HANDLERS, Call
from bot.fakeline.openapi import ErrorDetail, Operation, messaging_api
from bot.fakeline.state import FakeLineState, RawJSON, RecordedRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DEFAULT_TOKEN = "fake-line-channel-access-token"
MAX_BODY_BYTES = 10 * 1024 * 1024
RETRY_KEY_HEADER = "X-Line-Retry-Key"
# Request headers worth keeping in the record (never Authorization).
RECORDED_HEADERS = ("Content-Type", RETRY_KEY_HEADER, "User-Agent", "X-Line-Delivery-Tag")


def environ_key(header: str) -> str:
    """Where a request header is in a WSGI environ, as werkzeug's ``EnvironHeaders`` looks it up."""
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


_RECORDED_KEYS = tuple((name, environ_key(name)) for name in RECORDED_HEADERS)
_AUTHORIZATION_KEY = environ_key("Authorization")
_RETRY_KEY_KEY = environ_key(RETRY_KEY_HEADER)


def request_path(environ: WSGIEnvironment) -> str:
    """``werkzeug.Request(environ).path``: PATH_INFO decoded as UTF-8 (bad bytes replaced), one leading slash."""
    path: str = environ.get("PATH_INFO") or ""
    return "/" + path.encode("latin1").decode(errors="replace").lstrip("/")


class _Incoming:
    """One Messaging API request, read from its WSGI environ as werkzeug's ``Request`` would read it."""

    __slots__ = ("_args", "_data", "_read", "environ", "method", "path")

    def __init__(self, environ: WSGIEnvironment, path: str, read: Callable[[], bytes] | None = None) -> None:
        self.environ = environ
        self.path = path
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        self._read = read
        self._data: bytes | None = None
        self._args: dict[str, str] | None = None

    @property
    def query_string(self) -> str:
        """The raw query string."""
        query: str = self.environ.get("QUERY_STRING", "")
        return query

    @property
    def mimetype(self) -> str:
        """``Request.mimetype``: the Content-Type without parameters, lower-cased."""
        content_type: str = self.environ.get("CONTENT_TYPE", "")
        if content_type == "application/json":  # what every client sends: no parsing needed
            return content_type
        return parse_options_header(content_type)[0].lower()

    @property
    def content_length(self) -> int | None:
        """``Request.content_length``."""
        return get_content_length(self.environ)

    @property
    def data(self) -> bytes:
        """``Request.get_data()``: the body, read once."""
        if self._data is None:
            self._data = self._read() if self._read is not None else get_input_stream(self.environ).read()
        return self._data

    @property
    def args(self) -> dict[str, str]:
        """The query's parameters, the first value of each (werkzeug parses them, when there are any)."""
        if self._args is None:
            args = Request(self.environ).args if self.query_string else {}
            self._args = {key: args[key] for key in args}
        return self._args

    def recorded_headers(self) -> dict[str, str]:
        """The headers a record keeps, as ``{name: request.headers[name] for name in RECORDED_HEADERS if ...}``."""
        environ = self.environ
        return {name: environ[key] for name, key in _RECORDED_KEYS if key in environ}


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
    body: Any = None  # what the record keeps: the parsed body, or a RawJSON of a known one


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
        self.checker = BodyChecker(
            sdk_models=self.config.sdk_models, schemas=self.api.schemas.document["components"]["schemas"]
        )
        self.control = ControlApi(state)
        self.static_routes = static_routes(self.api.url_map, self.api.operations)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.control.dispatch(Request(environ))(environ, start_response)
        request = _Incoming(environ, path)
        answer = self._serve(request)
        parts = answer.wsgi(request.method)
        if parts is None:
            return answer.response()(environ, start_response)
        status, headers, payload = parts
        start_response(status, headers)
        return [payload]

    def serve(self, request: Request) -> Response:
        """Answer one Messaging API request and record it."""
        return self._serve(_Incoming(request.environ, request.path, request.get_data)).response()

    def _serve(self, request: _Incoming) -> Answer:
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
            query=request.query_string,
            operation=outcome.operation,
            headers=request.recorded_headers(),
            body=outcome.body,
            status=answer.status,
            response=answer.body,
            request_id=request_id,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        ))
        return answer

    def _outcome(self, request: _Incoming, request_id: str) -> _Outcome:
        operation: Operation | None = None
        body: Any = None
        recorded: Any = None  # the body as the record keeps it
        try:
            self._authenticate(request)
            operation, path_args = self._route(request)
            body, known = self._read_body(request, operation)
            recorded = RawJSON(known.raw) if known is not None else body
            self._validate(request, operation, path_args, body, known)
            fault = self.state.take_fault(request.path, after_accept=False)
            if fault is not None:
                return _Outcome(answers.fault(fault.status, fault.message), operation.operation_id, recorded)
            answer = self._handle(request, operation, path_args, body, request_id)
        except _Rejected as rejected:
            recorded = rejected.body if rejected.body is not None else recorded
            return _Outcome(rejected.answer, operation.operation_id if operation else None, recorded)
        if answer.ok:
            fault = self.state.take_fault(request.path, after_accept=True)
            if fault is not None:
                answer = answers.fault(fault.status, fault.message)
        return _Outcome(answer, operation.operation_id, recorded)

    def _authenticate(self, request: _Incoming) -> None:
        scheme, _, token = request.environ.get(_AUTHORIZATION_KEY, "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Rejected(answers.error(401, answers.NO_TOKEN))
        expected = self.config.token
        if expected is not None and not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise _Rejected(answers.error(401, answers.INVALID_TOKEN))

    def _route(self, request: _Incoming) -> tuple[Operation, dict[str, str]]:
        operation = self.static_routes.get((request.path, request.method))
        if operation is not None and "HTTP_UPGRADE" not in request.environ:  # (an upgrade may make it a websocket)
            return operation, {}
        adapter = self.api.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            raise _Rejected(answers.error(405, "Method Not Allowed")) from None
        except NotFound:
            raise _Rejected(answers.error(404, answers.NOT_FOUND)) from None
        return self.api.operations[str(endpoint)], {key: str(value) for key, value in args.items()}

    def _read_body(self, request: _Incoming, operation: Operation) -> tuple[Any, KnownBody | None]:
        """The body for the handler, and, when its content is known to pass, how it was read without parsing."""
        content_length = request.content_length
        if content_length is not None and content_length > self.config.max_body_bytes:
            raise _Rejected(answers.error(413, "Request Entity Too Large"))
        data = request.data
        if not operation.body_content_types:
            return None, None
        if "application/json" not in operation.body_content_types:
            return {"contentType": request.mimetype, "size": len(data)}, None
        if not data:
            if operation.body_required:
                raise _Rejected(answers.error(400, "The request body is missing"))
            return None, None
        if request.mimetype != "application/json":
            raise _Rejected(answers.error(400, "The request body must be sent as Content-Type: application/json"))
        if operation.body_validator is not None:
            known = self.checker.known(operation, data)  # valid JSON of checked content: no need to parse it
            if known is not None:
                return known.body, known
        try:
            return json.loads(data), None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raw = data[:2000].decode("utf-8", "replace")
            raise _Rejected(answers.error(400, "The request body is not valid JSON"), {"raw": raw}) from None

    def _validate(
        self, request: _Incoming, operation: Operation, path_args: dict[str, str], body: Any, known: KnownBody | None
    ) -> None:
        environ = request.environ
        if _RETRY_KEY_KEY in environ and operation.header(RETRY_KEY_HEADER) is None:
            raise _Rejected(answers.error(400, f"{RETRY_KEY_HEADER} is not supported by this endpoint"))
        headers = {
            parameter.name: environ[key]
            for parameter in operation.parameters
            if parameter.location == "header" and (key := environ_key(parameter.name)) in environ
        }
        details: list[ErrorDetail] = operation.check_parameters(path_args, request.args, headers)
        if details:
            first = details[0].property
            raise _Rejected(answers.error(400, f"The value for the '{first}' parameter is invalid", details))
        if operation.body_validator is not None and body is not None:
            if known is not None:  # its content passed every check: only the recipient's value is new
                details = recipient_errors(operation.operation_id, body)
            else:
                details = self.checker.errors(operation, body, request.data)
            if details:
                raise _Rejected(answers.invalid_request(details))

    def _handle(
        self, request: _Incoming, operation: Operation, path_args: dict[str, str], body: Any, request_id: str
    ) -> Answer:
        handler = HANDLERS.get(operation.operation_id)
        if handler is None:
            return answers.error(501, f"Not implemented by the fake LINE API: {operation.operation_id}")
        call = Call(
            operation=operation.operation_id,
            path_args=path_args,
            body=body,
            request_id=request_id,
            retry_key=request.environ.get(_RETRY_KEY_KEY),
            content_type=request.mimetype,
        )
        return handler(self.state, call)


def static_routes(url_map: Map, operations: Mapping[str, Operation]) -> dict[tuple[str, str], Operation]:
    """(path, method) of every rule without path parameters, with the operation it routes to.

    werkzeug matches a path's static parts before its variable ones, so a request for exactly
    such a path with one of the rule's methods (HEAD included wherever GET is) goes to that rule;
    anything else (a trailing slash, another method, a path parameter) is left to the URL map. A
    (path, method) two rules claim is left to it too. A test checks the table against the map.
    """
    routes: dict[tuple[str, str], Operation] = {}
    claimed: set[tuple[str, str]] = set()
    for rule in url_map.iter_rules():
        if rule.arguments or rule.methods is None:
            continue
        for method in rule.methods:
            key = (rule.rule, method)
            if key in claimed:
                routes.pop(key, None)
            else:
                claimed.add(key)
                routes[key] = operations[str(rule.endpoint)]
    return routes
