"""A small threaded HTTP/1.1 server with keep-alive for the fake LINE API's WSGI app.

LINE's API keeps connections open, and so does the bot's client (``bot.line_client.Transport``). werkzeug's
development server closes every connection after one answer (``Connection: close``), so each
call paid for a new TCP connection and a new thread; under the webhook benchmark that was most
of the fake's CPU, on the same cores as the app it measures. This server reads each request's
body in full (``Content-Length``; chunked bodies are refused with 411, which the Messaging API
never receives from the SDK) before calling the app, so the next request on the connection
starts where it should, and answers with a ``Content-Length`` so the client can reuse it.
One thread per connection, as ``http.server.ThreadingHTTPServer``.

It parses requests itself rather than with ``http.server.BaseHTTPRequestHandler``, whose header
parsing goes through the ``email`` package and cost about a tenth of the fake's CPU per call: the
request line and each header line are read from a buffered socket file (one ``recv`` usually
brings in the whole request), and the answer goes out in one ``sendall``. What a client sees is
what ``BaseHTTPRequestHandler`` answered: the same ``Server`` and ``Date`` headers, status lines,
error pages and status codes (400 for a malformed request line, 414, 431, 501 for an unknown
method, 505 for HTTP/2+, ``100 Continue`` on ``Expect``), HTTP/1.0 closing after its answer unless
it asks for keep-alive, ``Connection: close`` honoured. It is stricter where the old parser
silently misread a request: a header line that is not ``name: value`` (or an obsolete folded
line) is a 400 instead of ending the headers early, conflicting ``Content-Length`` headers are a
400, and an HTTP/0.9-style request line is a 400 instead of an answer without a status line (as
are a malformed or unsupported version, which ``http.server`` answered with its error page
alone). After an answer that ends a connection early it reads and drops what the client still
sends, for up to a second, so that the client reads the answer instead of a connection reset.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import socket
import socketserver
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

MAX_BODY = 16 * 1024 * 1024
IDLE_TIMEOUT = 30.0  # seconds an idle kept-alive connection is held
MAX_LINE = 65536  # bytes in the request line and in each header line, as http.server
MAX_HEADERS = 100
READ_BUFFER = 64 * 1024  # a whole reply call (headers and a ~10 KB body) in one recv
LINGER_SECONDS = 1.0  # after an error that ends a connection, what the client still sends is read
LINGER_BYTES = 1024 * 1024  # and dropped, up to this long and this much (see _Connection._linger)

PROTOCOL = "HTTP/1.1"
# What BaseHTTPRequestHandler sends, so a client sees the same server it saw before.
SERVER_HEADER = f"Server: {BaseHTTPRequestHandler.server_version} {BaseHTTPRequestHandler.sys_version}\r\n"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
# RFC 9110 token characters: a header name is one token, right before its colon.
_FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
# Headers the server writes itself, whatever the app says.
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding"})
_BLANK_LINES = (b"\r\n", b"\n")

_date_cache: tuple[int, str] = (0, "")


def _date_header() -> str:
    """``Date: ...\\r\\n`` for now; formatted once a second, not once a request."""
    global _date_cache
    now = int(time.time())
    second, header = _date_cache
    if second != now:
        header = f"Date: {formatdate(now, usegmt=True)}\r\n"
        _date_cache = (now, header)  # one assignment: threads see the old pair or the new one
    return header


def _version(text: str) -> tuple[int, int] | None:
    """``HTTP/x.y`` as numbers, by http.server's rules; None when malformed."""
    if not text.startswith("HTTP/"):
        return None
    parts = text[5:].split(".")
    if len(parts) != 2 or not all(_DIGITS.fullmatch(part) and len(part) <= 10 for part in parts):
        return None
    return int(parts[0]), int(parts[1])


class KeepAliveServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server carrying a WSGI app over keep-alive HTTP/1.1."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WSGIApplication, *, log_requests: bool = False) -> None:
        self.app = app
        self.log_requests = log_requests
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.accepted = 0  # TCP connections accepted so far
        self.server_name = ""
        self.server_port = 0
        super().__init__(address, _Connection)

    def server_bind(self) -> None:
        """Bind, and note the address (no reverse DNS lookup, unlike http.server)."""
        super().server_bind()
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (or a connection ended by ``server_close``) is not an error."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stop listening and end the kept-alive connections too (a stopped fake answers nothing)."""
        super().server_close()
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)


class _Connection(socketserver.BaseRequestHandler):
    """One client connection: requests in order, one at a time, until either side closes it."""

    server: KeepAliveServer
    request: socket.socket

    def handle(self) -> None:
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(IDLE_TIMEOUT)  # an idle connection ends with TimeoutError, quietly (an OSError)
        self.rfile = sock.makefile("rb", READ_BUFFER)
        self.lingering = False  # set by an answer that ends the connection before reading the whole request
        try:
            while self._serve_one():
                pass
            if self.lingering:
                self._linger()
        finally:
            self.rfile.close()

    def _linger(self) -> None:
        """Say we are done, then read and drop what the client still sends, for a moment, before closing.

        Closing a socket with unread input makes the kernel send a reset, which can destroy the
        error answer before the client has read it (a chunked body refused with 411, the rest of
        a malformed request).
        """
        sock = self.request
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)

    def _serve_one(self) -> bool:
        """Read, answer and log one request; whether the connection stays open for another."""
        rfile = self.rfile
        line = rfile.readline(MAX_LINE + 1)
        if line in _BLANK_LINES:  # RFC 9112 2.2: an empty line before a request line is ignored
            line = rfile.readline(MAX_LINE + 1)
        if not line:
            return False  # the client closed the connection
        if len(line) > MAX_LINE:
            self._error(414, None, "", "-")
            return False
        request_line = line.decode("iso-8859-1").rstrip("\r\n")
        words = request_line.split()
        if len(words) != 3:
            self._error(400, f"Bad request syntax ({request_line!r})", request_line, "-")
            return False
        method, target, version_text = words
        if version_text == PROTOCOL:
            version, close = (1, 1), False
        else:
            parsed = _version(version_text)
            if parsed is None:
                self._error(400, f"Bad request version ({version_text!r})", request_line, method)
                return False
            if parsed >= (2, 0):
                self._error(505, f"Invalid HTTP version ({version_text[5:]})", request_line, method)
                return False
            version, close = parsed, parsed < (1, 1)

        headers: list[tuple[str, str]] = []
        fields: dict[str, str] = {}  # lower-case name: its first value
        lengths: set[str] = set()  # every Content-Length given
        chunked = False
        while True:
            raw = rfile.readline(MAX_LINE + 1)
            if len(raw) > MAX_LINE:
                self._error(431, "Line too long", request_line, method,
                            f"got more than {MAX_LINE} bytes when reading header line")
                return False
            if raw in _BLANK_LINES:
                break
            if not raw:
                return False  # the client went away in the middle of its headers
            if len(headers) >= MAX_HEADERS:
                self._error(431, "Too many headers", request_line, method, f"got more than {MAX_HEADERS} headers")
                return False
            name_bytes, colon, value_bytes = raw.partition(b":")
            if not colon or _FIELD_NAME.fullmatch(name_bytes) is None:
                self._error(400, "Bad header line", request_line, method)
                return False
            # As http.client.parse_headers: the value without its leading blanks and line end.
            name, value = name_bytes.decode("iso-8859-1"), value_bytes.decode("iso-8859-1").lstrip(" \t").rstrip("\r\n")
            headers.append((name, value))
            key = name.lower()
            fields.setdefault(key, value)
            if key == "content-length":
                lengths.add(value)
            elif key == "transfer-encoding" and "chunked" in value.lower():
                chunked = True

        connection = fields.get("connection", "").lower()
        if connection == "close":
            close = True
        elif connection == "keep-alive":
            close = False
        if version >= (1, 1) and fields.get("expect", "").lower() == "100-continue":
            self.request.sendall(f"{PROTOCOL} 100 Continue\r\n\r\n".encode("latin-1"))
        if method not in METHODS:
            self._error(501, f"Unsupported method ({method!r})", request_line, method)
            return False

        if chunked:
            self._plain(411, "Length Required", b"Length Required", request_line)
            return False
        length_text = fields.get("content-length") or "0"
        if len(lengths) > 1 or not (length_text.isascii() and length_text.isdigit()):
            self._plain(400, "Bad Request", b"Bad Content-Length", request_line)
            return False
        length = int(length_text)
        if length > MAX_BODY:
            self._plain(413, "Request Entity Too Large", b"Bad Content-Length", request_line)
            return False
        body = rfile.read(length) if length else b""
        if len(body) < length:
            return False  # the client went away in the middle of its body

        self._respond(method, target, version_text, headers, fields, body, request_line)
        return not close

    def _respond(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        fields: dict[str, str],
        body: bytes,
        request_line: str,
    ) -> None:
        status_line: list[str] = []
        response_headers: list[tuple[str, str]] = []

        def start_response(status: str, app_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info and status_line:
                raise exc_info[1].with_traceback(exc_info[2])
            status_line[:] = [status]
            response_headers[:] = app_headers
            return lambda data: None  # the legacy write() callable; the fake's app never uses it

        result = self.server.app(self._environ(method, target, version, headers, fields, body), start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        code, _, reason = status_line[0].partition(" ")
        lines = [f"{PROTOCOL} {int(code)} {reason}\r\n", SERVER_HEADER, _date_header()]
        lines.extend(f"{name}: {value}\r\n" for name, value in response_headers if name.lower() not in _HOP_BY_HOP)
        lines.append(f"Content-Length: {len(payload)}\r\n\r\n")
        head = "".join(lines).encode("latin-1")
        self.request.sendall(head if method == "HEAD" else head + payload)
        self._log_request(request_line, code)

    def _environ(
        self, method: str, target: str, version: str, headers: list[tuple[str, str]], fields: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        if target.startswith("//"):  # as http.server: never a scheme-relative URL
            target = "/" + target.lstrip("/")
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": fields.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_name,
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,  # the stream ends where the body does: safe to read to its end
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _plain(self, code: int, reason: str, text: bytes, request_line: str) -> None:
        """A short text answer that ends the connection (the body was not read, so nothing can follow)."""
        self.lingering = True
        head = (f"{PROTOCOL} {code} {reason}\r\n{SERVER_HEADER}{_date_header()}Content-Type: text/plain\r\n"
                f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n")
        self.request.sendall(head.encode("latin-1") + text)
        self._log_request(request_line, str(code))

    def _error(self, code: int, message: str | None, request_line: str, method: str, explain: str | None = None) -> None:
        """An HTML error page, as ``BaseHTTPRequestHandler.send_error`` writes it; the connection then ends."""
        self.lingering = True
        short, long = BaseHTTPRequestHandler.responses.get(code, ("???", "???"))
        message = short if message is None else message
        explain = long if explain is None else explain
        self._log(f"code {code}, message {message}")
        page = BaseHTTPRequestHandler.error_message_format % {
            "code": code,
            "message": html.escape(message, quote=False),
            "explain": html.escape(explain, quote=False),
        }
        content = page.encode("utf-8", "replace")
        head = (f"{PROTOCOL} {code} {message}\r\n{SERVER_HEADER}{_date_header()}Connection: close\r\n"
                f"Content-Type: {BaseHTTPRequestHandler.error_content_type}\r\nContent-Length: {len(content)}\r\n\r\n")
        self.request.sendall(head.encode("latin-1", "replace") + (b"" if method == "HEAD" else content))
        self._log_request(request_line, str(code))

    def _log_request(self, request_line: str, code: str) -> None:
        if self.server.log_requests:
            self._log(f'"{request_line}" {code} -')

    def _log(self, text: str) -> None:
        sys.stderr.write(f"{self.client_address[0]} - {text}\n")
