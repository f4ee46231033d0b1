"""A tiny Chrome DevTools Protocol client on the standard library, to drive headless Chromium in tests.

No playwright or websocket package is needed: Chromium is started with ``--remote-debugging-port=0``,
the port is read from ``DevToolsActivePort`` in its profile directory, the page target is found with
``GET /json/list`` (http.client), and commands go over a minimal RFC 6455 WebSocket client (text
frames, masked as a client must, with fragmentation, ping and close handled).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
)


class CdpError(RuntimeError):
    """Chromium answered a command with an error, or the connection broke."""


def find_chromium() -> str | None:
    """The path of a Chromium binary, or None (``CHROMIUM`` overrides the search)."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class WebSocket:
    """A client WebSocket (RFC 6455) over a plain TCP socket: enough for the DevTools protocol."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws" or not parts.hostname:
            raise ValueError(f"not a ws:// URL: {url}")
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode("ascii"))
        self._buffer = b""
        head = self._read_until(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status_line + b" ":
            raise CdpError(f"WebSocket handshake refused: {status_line.decode('latin-1')}")

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise CdpError("connection closed during the handshake")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self.sock.recv(max(65536, size - len(self._buffer)))
            if not chunk:
                raise CdpError("connection closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        size = len(payload)
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", size)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        """Send one text message."""
        self._send_frame(0x1, text.encode("utf-8"))

    def receive(self) -> str:
        """The next complete text message (pings are answered, fragments joined)."""
        parts: list[bytes] = []
        while True:
            first, second = self._read_exact(2)
            fin, opcode = first & 0x80, first & 0x0F
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read_exact(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read_exact(8))
            mask = self._read_exact(4) if second & 0x80 else b""
            payload = self._read_exact(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise CdpError("Chromium closed the DevTools connection")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            parts.append(payload)
            if fin:
                return b"".join(parts).decode("utf-8")

    def close(self) -> None:
        """Close politely, then the socket."""
        with suppress(OSError):
            self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


class Page:
    """One page target driven over CDP: commands, events, and a few conveniences."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one command and return its result (events arriving meanwhile are kept)."""
        self._next_id += 1
        ident = self._next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CdpError(f"JavaScript error: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 15.0, what: str | None = None) -> Any:
        """Poll until the expression is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what or expression}")
            time.sleep(0.1)

    def navigate(self, url: str, timeout: float = 15.0) -> None:
        """Open ``url`` and wait for the document to finish loading."""
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", timeout)

    def type_text(self, text: str) -> None:
        """Type into the focused element as an input method would (Thai included)."""
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        """Press and release Enter."""
        common = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", type="rawKeyDown", text="\r", **common)
        self.send("Input.dispatchKeyEvent", type="char", text="\r", **common)
        self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    def click(self, selector_expression: str) -> None:
        """Click the middle of the element the JavaScript expression returns, with real mouse events."""
        box = self.evaluate(
            f"(() => {{ const e = {selector_expression}; if (!e) return null; e.scrollIntoView({{block: 'center', inline: 'center'}});"
            " const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        if not box:
            raise CdpError(f"nothing to click: {selector_expression}")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def screenshot(self, path: Path) -> bytes:
        """Save a PNG of the viewport."""
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        path.write_bytes(data)
        return data


def _http_json(port: int, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


def _wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


@contextmanager
def chromium_page(binary: str, width: int = 800, height: int = 1000, scale: float = 1.0) -> Iterator[Page]:
    """Start headless Chromium on a throw-away profile and yield its first page, driven over CDP."""
    profile = Path(tempfile.mkdtemp(prefix="ita-chromium-"))
    command = [
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        f"--window-size={width},{height}",
        "about:blank",
    ]
    # Chromium is chatty on stderr; a pipe nobody reads could block it, so it goes to a file.
    with tempfile.TemporaryFile() as log:
        yield from _run(command, profile, log, width, height, scale)


def _run(command: list[str], profile: Path, log: IO[bytes], width: int, height: int, scale: float) -> Iterator[Page]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    ws: WebSocket | None = None
    try:
        port_file = profile / "DevToolsActivePort"

        def port() -> int | None:
            if process.poll() is not None:
                log.seek(0)
                stderr = log.read().decode("utf-8", "replace")
                raise CdpError(f"Chromium exited with {process.returncode}: {stderr[-2000:]}")
            text = port_file.read_text() if port_file.exists() else ""
            first = text.split("\n", 1)[0].strip()
            return int(first) if first.isdigit() else None

        debug_port: int = _wait(port, 30, "Chromium's DevTools port")
        targets = _wait(
            lambda: [t for t in _http_json(debug_port, "/json/list") if t.get("type") == "page"], 15, "a page target"
        )
        ws = WebSocket(targets[0]["webSocketDebuggerUrl"])
        page = Page(ws)
        page.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale, mobile=False
        )
        page.send("Runtime.enable")
        yield page
    finally:
        if ws is not None:
            ws.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
