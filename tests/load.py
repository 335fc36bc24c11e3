"""Load on loopback: many concurrent HTTP/1.1 clients, each on its own keep-alive connection.

    run_load(url, clients=500, seconds=30) -> LoadStats

Each client asks for the next of `paths` (every client starts at a different one) as soon as it
has the previous answer whole. A request fails when the connection breaks, it takes longer than
`timeout`, or `check(path, status, headers, body)` names a problem (by default: anything but a
200 whose body has the length it announced). Plain asyncio sockets: the client costs little CPU,
so what is measured is the server. Used by the suite (tests/test_load.py, a few seconds) and by
tests/bench/load30.py (500 clients for 30 s).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

Check = Callable[[str, int, dict[str, str], bytes], "str | None"]


@dataclass
class LoadStats:
    clients: int
    seconds: float = 0.0
    requests: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # the first few, with what went wrong
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    bytes: int = 0
    connects: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "failed": self.failed,
            "requests_per_second": round(self.rate, 1),
            "latency_ms": {f"p{p}": round(self.percentile(p) * 1000, 1) for p in (50, 95, 99, 100)},
            "statuses": dict(self.statuses),
            "megabytes": round(self.bytes / 1e6, 1),
            "connections": self.connects,
            "failures": self.failures[:10],
        }

    def summary(self) -> str:
        return (
            f"{self.clients} clients, {self.seconds:.1f} s: {self.requests} requests ({self.rate:.0f}/s), {self.failed} failed; "
            f"latency p50 {self.percentile(50) * 1000:.0f} ms, p99 {self.percentile(99) * 1000:.0f} ms, "
            f"max {self.percentile(100) * 1000:.0f} ms"
        )


def default_check(path: str, status: int, headers: dict[str, str], body: bytes) -> str | None:
    if status != 200:
        return f"status {status}"
    return None


class _Broken(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise _Broken(f"not an HTTP response: {lines[0][:80]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        body = b"".join(chunks)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        raise _Broken("a response with neither Content-Length nor chunked encoding")
    declared = headers.get("content-length")
    if declared is not None and int(declared) != len(body):
        raise _Broken("the body is shorter than its Content-Length")
    return status, headers, body


async def _client(
    number: int, host: str, port: int, paths: Sequence[str], deadline: float, stop: threading.Event | None,
    headers: bytes, check: Check, timeout: float, stats: LoadStats,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    i = number * 7919  # spread the clients over the paths
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        path = paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        try:
            if writer is None:
                opened = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                reader, writer = opened
                sock = opened[1].get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                stats.connects += 1
            assert reader is not None and writer is not None
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n".encode() + headers + b"\r\n")
            status, head, body = await asyncio.wait_for(_read_response(reader), timeout)
            problem = check(path, status, head, body)
            if head.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, _Broken, ValueError) as e:
            problem = f"{type(e).__name__}: {e}"
            if writer is not None:
                writer.close()
            writer = None
            status, body = 0, b""
        stats.requests += 1
        stats.statuses[status] += 1
        stats.bytes += len(body)
        if problem is None:
            stats.latencies.append(time.monotonic() - started)
        else:
            stats.failed += 1
            if len(stats.failures) < 50:
                stats.failures.append(f"{path}: {problem}")
    if writer is not None:
        writer.close()


async def load(
    url: str, clients: int, seconds: float, paths: Sequence[str] = ("/",), *, check: Check = default_check,
    accept_encoding: str = "br, gzip", timeout: float = 30.0, stop: threading.Event | None = None,
) -> LoadStats:
    """The coroutine behind run_load, for callers that already run an event loop."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is for loopback only, not {host}")
    headers = f"Accept-Encoding: {accept_encoding}\r\nUser-Agent: puente-load\r\n".encode() if accept_encoding else b""
    stats = LoadStats(clients)
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(
        _client(n, host, port, list(paths), deadline, stop, headers, check, timeout, stats) for n in range(clients)
    ))
    stats.seconds = time.monotonic() - started
    return stats


def run_load(
    url: str, clients: int = 500, seconds: float = 30.0, paths: Sequence[str] = ("/",), *, check: Check = default_check,
    accept_encoding: str = "br, gzip", timeout: float = 30.0, stop: threading.Event | None = None,
) -> LoadStats:
    """Given a server on loopback, run `clients` concurrent clients for `seconds` (or until `stop` is set)
    and return what happened. Raises the open-file limit first if it is too low for that many sockets."""
    _enough_files(clients)
    coroutine = load(url, clients, seconds, paths, check=check, accept_encoding=accept_encoding, timeout=timeout, stop=stop)
    with ThreadPoolExecutor(max_workers=1) as pool:  # its own thread: the caller's may already run an event loop (Playwright's)
        return pool.submit(asyncio.run, coroutine).result()


def _enough_files(clients: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = clients * 2 + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))


# -- what a release serves, to check answers against ---------------------------------------------

SKIP = {"release.json", "_headers"}


def etag_of(path: Path) -> str:
    st = path.stat()  # whitenoise's ETag: the plain file's mtime and size
    return f'"{int(st.st_mtime):x}-{st.st_size:x}"'


@dataclass
class Snapshot:
    """What a release serves at each URL: {(url, content-encoding): (sha256 of body, ETag)}."""

    id: str
    root: Path
    files: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path) -> Snapshot:
        snap = cls(json.loads((root / "release.json").read_text())["id"], root)
        for path in (Path(folder) / name for folder, _, names in os.walk(root, followlinks=True) for name in names):  # into the language links
            if not path.is_file() or path.suffix in (".br", ".gz") or path.name in SKIP or path.parts[-3:-1] == ("api", "hsds"):
                continue
            rel = path.relative_to(root).as_posix()
            url = "/" + rel.removesuffix("index.html")
            etag = etag_of(path)
            for encoding, suffix in (("", ""), ("br", ".br"), ("gzip", ".gz")):
                variant = path.with_name(path.name + suffix)
                if variant.exists():
                    snap.files[(url, encoding)] = (hashlib.sha256(variant.read_bytes()).hexdigest(), etag)
        return snap

    def serves(self, url: str, encoding: str, digest: str, etag: str | None) -> bool:
        want = self.files.get((url, encoding))
        return want is not None and want[0] == digest and (etag is None or etag == want[1])

    def urls(self) -> list[str]:
        """Every URL whose name carries no content hash, plus the shell assets: what both of two releases serve."""
        return sorted({url for url, _ in self.files if ".json" not in url or "manifest" in url})


def served_release(url: str, data: Path) -> Path:
    """The directory of the release that the server at `url`, keeping its releases in `data`, serves now."""
    with urllib.request.urlopen(url + "/api/release", timeout=10) as r:
        return Path(data) / "releases" / str(json.load(r)["release"])


class Recorder:
    """The load's check: records every answer, to be matched against the releases afterwards."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str | None, bytes]] = []
        self.lock = threading.Lock()

    def __call__(self, path: str, status: int, headers: dict[str, str], body: bytes) -> str | None:
        if status != 200:
            return f"status {status}"
        small = body if path.startswith("/api/") else b""
        with self.lock:
            self.seen.append((path, headers.get("content-encoding", ""), hashlib.sha256(body).hexdigest(), headers.get("etag"), small))
        return None
