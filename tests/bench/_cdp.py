"""Bytes over the wire as Chromium counts them, from every page and service worker, via the DevTools protocol.

Playwright drives the browser; this is a second DevTools client on the same browser
(`--remote-debugging-port`) that auto-attaches to every target at the browser level,
flattened, with targets paused until it has enabled the Network domain. So the service
worker's own fetches (its script, the bundle, every precached page) are counted from
the first one, which Playwright's page-level sessions cannot see.

For each finished request it keeps `Network.loadingFinished.encodedDataLength`: the bytes
received for it, headers included, compressed as sent; 0 when the HTTP cache or the
service worker answered.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import websocket


@dataclass
class Request:
    url: str
    target: str  # "page" or "service_worker"
    context: str  # the browser context id, one per simulated phone
    seq: int  # order of completion, for "everything after this mark"
    started: float = 0.0  # monotonic seconds, the clock of Page.lifecycleEvent
    finished: float = 0.0
    status: int = 0
    encoding: str = ""
    bytes: int = 0
    from_cache: bool = False
    from_worker: bool = False
    kind: str = ""  # Document, Stylesheet, Script, ...
    blocking: str = ""  # Chromium's renderBlockingBehavior: Blocking, NonBlocking, ...

    def row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("url", "target", "kind", "blocking", "status", "encoding", "bytes", "from_cache", "from_worker")}


@dataclass
class _Session:
    target_id: str
    type: str
    context: str
    lifecycle: list[tuple[str, float, str]] = field(default_factory=list)  # (name, timestamp, frame loader)


class Meter:
    """Counts every network byte of the browser listening on `port` until closed."""

    def __init__(self, port: int):
        info = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10))
        self._ws = websocket.create_connection(info["webSocketDebuggerUrl"], suppress_origin=True, timeout=None)
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._by_target: dict[str, list[str]] = {}
        self._pending: dict[tuple[str, str], Request] = {}
        self.finished: list[Request] = []
        self._thread = threading.Thread(target=self._loop, name="cdp-meter", daemon=True)
        self._thread.start()
        self._send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True})

    def close(self) -> None:
        try:
            self._ws.close()
        except OSError:
            pass

    # -- queries ----------------------------------------------------------------

    def mark(self) -> int:
        with self._lock:
            return len(self.finished)

    def since(self, mark: int, context: str | None = None, origin: str = "") -> list[Request]:
        """Requests finished after `mark`, of one browser context, to `origin`."""
        with self._lock:
            rows = self.finished[mark:]
        return [r for r in rows if (context is None or r.context == context) and r.url.startswith(origin)]

    def lifecycle(self, context: str, name: str) -> float | None:
        """Monotonic time of the last lifecycle event `name` (e.g. firstContentfulPaint) of a page of `context`."""
        with self._lock:
            times = [t for s in self._sessions.values() if s.context == context for n, t, _ in s.lifecycle if n == name]
        return max(times) if times else None

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until no request has been in flight for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = (-1, -1)
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            with self._lock:
                now = (len(self.finished), len(self._pending))
            if now != last or now[1]:
                last, calm_since = now, time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return
            time.sleep(0.05)

    # -- protocol ---------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> None:
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        with self._lock:
            self._ws.send(json.dumps(message))

    def _loop(self) -> None:
        while True:
            try:
                message = json.loads(self._ws.recv())
            except (OSError, ValueError, websocket.WebSocketException):
                return
            method = message.get("method")
            if method:
                try:
                    self._event(method, message.get("params", {}), message.get("sessionId", ""))
                except (OSError, websocket.WebSocketException):
                    return

    def _event(self, method: str, p: dict[str, Any], sid: str) -> None:
        if method == "Target.attachedToTarget":
            info, child = p["targetInfo"], p["sessionId"]
            if info["type"] in {"page", "service_worker"}:
                self._sessions[child] = _Session(info["targetId"], info["type"], info.get("browserContextId", ""))
                self._by_target.setdefault(info["targetId"], []).append(child)
                self._send("Network.enable", {}, child)
                if info["type"] == "page":
                    self._send("Page.enable", {}, child)
                    self._send("Page.setLifecycleEventsEnabled", {"enabled": True}, child)
                self._send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}, child)
            self._send("Runtime.runIfWaitingForDebugger", {}, child)
            return
        if method == "Target.detachedFromTarget":
            gone = self._sessions.pop(p.get("sessionId", ""), None)
            if gone is not None:
                self._by_target[gone.target_id].remove(p["sessionId"])
            return
        session = self._sessions.get(sid)
        # A target attached twice (a worker is related to the browser and to its page) reports
        # everything in both sessions: only its first live session counts.
        if session is None or self._by_target[session.target_id][0] != sid:
            return
        key = (sid, p.get("requestId", ""))
        if method == "Network.requestWillBeSent":
            with self._lock:
                if key not in self._pending:
                    self._pending[key] = Request(
                        p["request"]["url"], session.type, session.context, 0, started=p["timestamp"],
                        kind=p.get("type", ""), blocking=p.get("renderBlockingBehavior", ""),
                    )
        elif method == "Network.responseReceived":
            with self._lock:
                r = self._pending.get(key)
            if r is not None:
                resp = p["response"]
                headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
                r.url, r.status = resp["url"], resp["status"]
                r.encoding = headers.get("content-encoding", "")
                r.from_cache = bool(resp.get("fromDiskCache") or resp.get("fromPrefetchCache"))
                r.from_worker = bool(resp.get("fromServiceWorker"))
        elif method in {"Network.loadingFinished", "Network.loadingFailed"}:
            with self._lock:
                r = self._pending.pop(key, None)
                if r is not None:
                    r.finished = p["timestamp"]
                    r.bytes = int(p.get("encodedDataLength", 0))
                    r.seq = next(self._seq)
                    self.finished.append(r)
        elif method == "Page.lifecycleEvent":
            with self._lock:
                session.lifecycle.append((p["name"], p["timestamp"], p.get("loaderId", "")))


def context_id(context: Any) -> str:
    """The DevTools browserContextId of a Playwright context (it must have a page open)."""
    page = context.pages[0]
    cdp = context.new_cdp_session(page)
    try:
        return str(cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"])
    finally:
        cdp.detach()
