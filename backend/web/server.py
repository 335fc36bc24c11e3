"""The HTTP server under the app: uvicorn with httptools (llhttp) and uvloop, and the edges it must hold.

Measured against hypercorn and granian serving the same release beside nginx (tests/bench/run.py
`load`; figures in the README), uvicorn with httptools and uvloop was the fastest that also holds
every edge below itself or through this subclass:

- A connection that sends no complete request head within HEADER_TIMEOUT of opening, or of its
  previous response, is closed: half-open and slowloris sockets cannot pile up. uvicorn alone
  only times out an idle keep-alive connection after a response, and never a request that
  stalls midway. A body that stops for BODY_IDLE, or is still arriving BODY_TIMEOUT after its
  head, is cut off; a client that stops reading its response is dropped after WRITE_TIMEOUT.
- Ambiguous framing (Content-Length with Transfer-Encoding, two lengths, a bad chunk) is refused
  by llhttp; the server answers 400 and closes the connection.
- The server's own 400 carries the security headers of backend/policy.py, like every response.

Most of what families ask for is a plain GET of a release file. Going through ASGI costs a task, a
scope and a dozen messages per request, far more than the answer: so `on_headers_complete` asks the
app (web/app.py Puente.raw, which uses the same prepared answers and headers as its ASGI path) and
writes the response itself when the connection is idle, the request is HTTP/1.1 without a body or a
proxy's headers, and the access log is off. Everything else goes to the app over ASGI.
"""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Protocol as Interface

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..policy import HSTS_HEADER, security_headers

HEADER_TIMEOUT = 10.0  # seconds from a connection's start (or its last response) to a complete request head
BODY_IDLE = 15.0  # seconds a request body may pause
BODY_TIMEOUT = 120.0  # seconds from a request's head to the end of its body: a 2 MB upload at 18 KB/s
WRITE_TIMEOUT = 60.0  # seconds a client may leave a response unread while its buffer is full
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept (uvicorn's timeout_keep_alive)

_BAD_REQUEST_HEADERS = b"".join(
    name.encode("latin-1") + b": " + value.encode("latin-1") + b"\r\n"
    for name, value in (
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Cache-Control", "no-store"),
        *security_headers("text/plain", ""),
    )
)


class Answering(Interface):
    def raw(self, path: str, method: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, bytes, bool] | None: ...


_STATUS = {200: b"HTTP/1.1 200 OK\r\n", 304: b"HTTP/1.1 304 Not Modified\r\n"}
_HSTS = HSTS_HEADER[0].encode() + b": " + HSTS_HEADER[1].encode() + b"\r\n"


def _find_answering(app: Any) -> Answering | None:
    """The app under uvicorn's wrappers (proxy headers, message logger), if it can answer raw."""
    for _ in range(8):
        if hasattr(app, "raw"):
            return app  # type: ignore[no-any-return]
        app = getattr(app, "app", None)
    return None


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines on reading a request and writing a response,
    and the fast path for release files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._answered = False  # the current request was answered by the fast path
        self._answering = None if self.access_log else _find_answering(self.app)
        self._body_ends = 0.0  # when the body being read must be complete (loop time)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # the app, if it waits for a body, is told the client went away

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm()
        if self._answering is not None and self._fast():
            return
        super().on_headers_complete()
        if self.parser is not None and self._has_body():
            self._body_ends = self.loop.time() + BODY_TIMEOUT
            self._arm(BODY_IDLE)

    def _has_body(self) -> bool:
        for name, value in self.headers:
            if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"0", b"")):
                return True
        return False

    def on_message_complete(self) -> None:
        self._disarm()
        self._body_ends = 0.0
        if self._answered:
            self._answered = False
            return
        super().on_message_complete()

    def on_body(self, body: bytes) -> None:
        if self._answered:
            return
        super().on_body(body)
        if self._body_ends:
            self._arm(min(BODY_IDLE, self._body_ends - self.loop.time()))

    def _fast(self) -> bool:  # long: each condition is one reason the general path must answer
        """Answer a plain GET or HEAD of a release file here; False when the app must answer over ASGI."""
        if (self.cycle is not None and not self.cycle.response_complete) or self.pipeline or self.flow.write_paused:
            return False  # an answer is still being written, or the client is not reading: keep the order, keep the bound
        if self.parser.get_http_version() != "1.1" or self.parser.should_upgrade():
            return False
        method = self.parser.get_method()
        if method not in (b"GET", b"HEAD") or self._has_body():
            return False
        path = self.url.split(b"?", 1)[0]
        if b"%" in path or not path.startswith(b"/"):
            return False
        assert self._answering is not None
        try:
            found = self._answering.raw(path.decode("ascii"), method.decode("ascii"), self.headers)
        except (UnicodeDecodeError, OSError):
            return False
        if found is None:
            return False
        status, block, body, document = found
        keep_alive = self.parser.should_keep_alive()
        parts = [_STATUS[status], *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers), block]
        if document and self.scheme == "https":
            parts.append(_HSTS)
        parts.append(b"\r\n" if keep_alive else b"connection: close\r\n\r\n")
        parts.append(body)
        self.transport.write(b"".join(parts))
        self._answered = True
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
            return True
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        self._arm(HEADER_TIMEOUT)
        return True

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._arm(HEADER_TIMEOUT)  # the next request's head, however slowly it trickles in

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm(WRITE_TIMEOUT)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._disarm()

    def send_400_response(self, msg: str) -> None:
        body = msg.encode("ascii")
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [_BAD_REQUEST_HEADERS, b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))
        self.transport.close()


def options(host: str, port: int, access_log: bool) -> dict[str, Any]:
    """uvicorn's settings for serving families: this protocol, uvloop, no Server header, no access log unless asked."""
    return {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": "info",
        "server_header": False,
        "http": Protocol,
        "loop": "uvloop",
        "ws": "none",
        "timeout_keep_alive": KEEP_ALIVE,
    }
