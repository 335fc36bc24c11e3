"""The HTTP edges of the real server (`python serve.py`, uvicorn with backend/web/server.py's protocol),
over raw sockets on loopback: stalled connections are closed, ambiguous framing is refused, redirects
never come from Host, and the server's own 400 carries the security headers."""

from __future__ import annotations

import http.client
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.policy import HEADERS

from .conftest import Server, seed, start_puente


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, release_dir: Path) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("edges")
    s = start_puente(tmp, *seed(tmp, release_dir))
    yield s
    s.stop()


def address(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def exchange(server: Server, raw: bytes, wait: float = 10) -> tuple[bytes, bool]:
    """Send raw bytes on a new connection; return everything the server sent and whether it then closed."""
    with socket.create_connection(address(server), timeout=wait) as s:
        s.sendall(raw)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                return received, False
            except ConnectionResetError:
                return received, True
            if not chunk:
                return received, True
            received += chunk
        return received, False


def head_of(response: bytes) -> tuple[int, dict[str, str]]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in head[1:])
    return int(head[0].split()[1]), {k.strip().lower(): v.strip() for k, v in fields.items()}


def get(server: Server, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(*address(server), timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_ambiguous_framing_is_refused_and_the_connection_closed(server: Server) -> None:
    # a request smuggled behind the first: a front end reading Content-Length and a back end reading chunks disagree
    smuggled = b"GET /es/ HTTP/1.1\r\nHost: x\r\n\r\n"
    for framing in (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                    b"Content-Length: 5\r\nContent-Length: 6\r\n"):
        raw = b"POST /api/release HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n0\r\n\r\n" + smuggled
        received, closed = exchange(server, raw)
        status, headers = head_of(received)
        assert status == 400, framing
        assert closed and headers.get("connection") == "close", framing
        assert received.count(b"HTTP/1.1 ") == 1, "the smuggled request was answered"


def test_the_servers_own_400_carries_the_security_headers(server: Server) -> None:
    for raw in (b"NOT HTTP AT ALL\r\n\r\n", b"GET /es/ HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n"):
        received, closed = exchange(server, raw)
        status, headers = head_of(received)
        assert status == 400 and closed
        for name, value in HEADERS:
            assert headers.get(name.lower()) == value, f"{raw!r}: {name}"
        assert "server" not in headers


def test_redirects_never_come_from_host(server: Server) -> None:
    for path in ("/es/rights", "/es", "/admin"):
        response = get(server, path, Host="evil.example")
        assert response.status in (301, 302, 307, 308), path
        location = response.getheader("Location") or ""
        assert "evil.example" not in location and "//" not in location, f"{path}: {location}"
        assert location.rstrip("/").endswith(path.rsplit("/", 1)[-1]), f"{path}: {location}"
        assert response.getheader("Content-Security-Policy"), path
    assert get(server, "/api/release/", Host="evil.example").status == 404  # no Host-built slash redirect


def _closed(s: socket.socket) -> bool:
    try:
        return s.recv(65536) == b""  # the server's FIN (whatever it answered before it)
    except (ConnectionResetError, BrokenPipeError):
        return True
    except BlockingIOError:
        return False


def test_stalled_connections_are_closed_while_families_are_answered(server: Server) -> None:
    """50 sockets that never finish a request: silent, a head cut short, a head trickled a byte at a time,
    a body that stops. All are closed within a minute, and the server answers everyone else meanwhile."""
    kinds = [b"", b"GET /es/ HTTP/1.1\r\nHost: x\r\n", b"POST /api/release HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"]
    stalled: list[socket.socket] = []
    for n in range(50):
        s = socket.create_connection(address(server), timeout=10)
        if n % 5 != 4:
            s.sendall(kinds[n % 3])
        stalled.append(s)
    trickled = [s for n, s in enumerate(stalled) if n % 5 == 4]  # these keep sending a byte of a head, never its end
    for s in stalled:
        s.setblocking(False)
    open_ = set(stalled)
    answered = 0
    deadline = time.monotonic() + 60
    trickle = iter(b"GET /es/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000)
    try:
        while open_ and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_), [], [], 1.0)
            open_ -= {s for s in ready if _closed(s)}
            byte = bytes([next(trickle)])
            for s in trickled:
                if s in open_:
                    try:
                        s.send(byte)
                    except OSError:
                        open_.discard(s)
            response = get(server, "/es/", **{"Accept-Encoding": "br"})
            assert response.status == 200
            answered += 1
        assert not open_, f"{len(open_)} of 50 stalled connections still open after a minute"
        assert answered >= 5
    finally:
        for s in stalled:
            s.close()
