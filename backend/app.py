"""The Starlette app: the current release's static files, the few dynamic routes, and headers.

    /…                 files of the current release (whitenoise's index, see static.py)
    /api/release       which release is current, for update checks and operators
    /api/hsds/organizations.json
                       the service directory as Open Referral HSDS 3.0, from the current release
    anything else      the release's not-found page in the path's language, status 404
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import Config
from .hsds import RELEASE_FILE as HSDS_FILE
from .static import Release

log = logging.getLogger("puente")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# Browser features the app never uses, denied to every page (and to anything a page could embed).
# Left out on purpose: clipboard-write, web-share and fullscreen, which the share page uses.
DENIED_FEATURES = (
    "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "encrypted-media", "gamepad",
    "geolocation", "gyroscope", "hid", "idle-detection", "local-fonts", "magnetometer", "microphone", "midi",
    "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
    "xr-spatial-tracking",
)
# The one source of truth for the security headers: this app sends them on every response, and the
# static export's `_headers` file (build.py) and the README's nginx snippet carry the same.
HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")  # only over HTTPS
SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in HEADERS]
HSTS = (HSTS_HEADER[0].lower().encode(), HSTS_HEADER[1].encode())
_OURS = {name for name, _ in SECURITY_HEADERS} | {HSTS[0]}
MAX_BODY = 2 * 1024 * 1024 + 64 * 1024  # the largest body any route reads: one catalog upload (admin.UPLOAD_LIMIT) and its form


class SecurityHeaders:
    """Adds the security headers to every response, and HSTS when served over HTTPS."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"set-cookie"] if not scope["path"].startswith("/admin/") else list(message.get("headers", []))
                headers = [h for h in headers if h[0].lower() not in _OURS] + SECURITY_HEADERS  # ours win, never doubled
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body over `limit` bytes with 413, without ever reading it whole.

    A Content-Length over the limit is refused before a byte of the body is read. A body of
    unknown length (chunked) is counted as it arrives: once it passes the limit the client gets
    the 413, the app is told the client went away, and the connection is closed, so the rest is
    never read. Whatever the app still tries to send after that is dropped.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths = [v for k, v in scope["headers"] if k.lower() == b"content-length"]
        if lengths and (len(lengths) > 1 or not lengths[0].isdigit()):
            await self._refuse(send, 400, "The request's Content-Length is not a number.")
            return
        if lengths and int(lengths[0]) > self.limit:
            await self._refuse(send, 413, self._too_large())
            return
        received = 0
        refused = started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        await self._refuse(send, 413, self._too_large())
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:  # the app gave up reading a body we cut off: already answered with 413
                raise

    def _too_large(self) -> str:
        return f"That upload is too large (the limit is {self.limit // 1024 // 1024} MB). Nothing was changed."

    @staticmethod
    async def _refuse(send: Send, status: int, text: str) -> None:
        body = text.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),  # the server closes instead of reading the rest of the body
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class FixedRelease:
    """Always the same release: for a static directory and for tests."""

    def __init__(self, release: Release):
        self.release = release

    def get(self) -> Release:
        return self.release


class CurrentRelease:
    """The release named by <data>/current, switched when a publish or rollback replaces that file.

    Checked at most twice a second (one stat); a request keeps the release it started with,
    so every response belongs wholly to one release.
    """

    INTERVAL = 0.5

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self.release: Release | None = None
        self.refresh()
        if self.release is None:
            raise RuntimeError(f"no current release in {cfg.data}: run `python serve.py publish` or `python serve.py`")

    def get(self) -> Release:
        now = time.monotonic()
        if now - self._checked >= self.INTERVAL:
            self._checked = now
            self.refresh()
        assert self.release is not None
        return self.release

    def refresh(self) -> None:
        path = self.cfg.data / "current"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_ino)
            if stamp == self._stamp:
                return
            release_id = path.read_text().strip()
            self.release = Release(self.cfg.releases / release_id, release_id)
            self._stamp = stamp
        except (OSError, ValueError, KeyError):
            log.exception("could not switch to the release named in %s; still serving the previous one", path)


class Puente:
    """Serves the current release first; anything it does not hold goes to the Starlette routes."""

    def __init__(self, source: FixedRelease | CurrentRelease, extra_routes: list[BaseRoute] | None = None):
        self.source = source
        self.routes = Starlette(
            routes=[Route("/api/release", self.release_info), Route("/api/hsds/organizations.json", self.hsds), *(extra_routes or [])],
            exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.server_error},
        )

    @property
    def release(self) -> Release:
        return self.source.get()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        release = self.source.get()
        if scope["type"] == "http":
            found = release.find(scope["path"])
            if found is not None:
                await release.serve(found, scope, receive, send)
                return
            scope.setdefault("state", {})["release"] = release
        await self.routes(scope, receive, send)

    def _release_of(self, request: Request) -> Release:
        return getattr(request.state, "release", None) or self.source.get()

    async def release_info(self, request: Request) -> Response:
        return JSONResponse({"release": self._release_of(request).id}, headers={"Cache-Control": "no-store"})

    async def hsds(self, request: Request) -> Response:
        """The directory for 211 and referral systems: public data, so any site may read it; phones never cache it."""
        try:
            body = self._release_of(request).read(HSDS_FILE)
        except OSError:
            raise HTTPException(404) from None
        headers = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
        return Response(body, media_type="application/json", headers=headers)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        release = self._release_of(request)
        first = request.url.path.split("/")[1] if request.url.path.count("/") >= 1 else ""
        name = f"{first}/404.html" if first in release.languages else "404.html"
        try:
            body = release.read(name)
        except OSError:
            return PlainTextResponse("Not found", status_code=404)
        return HTMLResponse(body, status_code=404, headers={"Cache-Control": "no-cache"})

    async def not_allowed(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Method not allowed", status_code=405, headers={"Allow": "GET, HEAD"})

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path, exc_info=exc)
        return PlainTextResponse("Something went wrong on our side. Please try again.", status_code=500)


def create_app(release_dir: Path, release_id: str | None = None, languages: list[str] | None = None) -> ASGIApp:
    """Given a built release directory, return the ASGI app that serves it (no admin)."""
    return SecurityHeaders(BodyLimit(Puente(FixedRelease(Release(release_dir, release_id)))))


def create_server_app(cfg: Config) -> ASGIApp:
    """The full server: whatever release is current in the data directory, and the admin console."""
    from .admin import admin_routes

    return SecurityHeaders(BodyLimit(Puente(CurrentRelease(cfg), admin_routes(cfg))))


def app_from_env() -> ASGIApp:
    """The full server for one of several worker processes: its Config from the environment `serve --workers` set."""
    return create_server_app(Config.load())
