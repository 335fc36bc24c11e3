"""The Starlette app: the current release's static files, the few dynamic routes, and headers.

    /…                 files of the current release (whitenoise's index, see static.py)
    /api/release       which release is current, for update checks and operators
    anything else      the release's not-found page in the path's language, status 404
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"permissions-policy",
        b"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


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
                headers += SECURITY_HEADERS
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Puente:
    """Serves the current release first; anything it does not hold goes to the Starlette routes."""

    def __init__(self, release: Release, languages: list[str]):
        self.release = release
        self.languages = set(languages)
        self.routes = Starlette(
            routes=[Route("/api/release", self.release_info)],
            exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.server_error},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.release.find(scope["path"])
            if found is not None:
                await self.release.serve(found, scope, receive, send)
                return
        await self.routes(scope, receive, send)

    async def release_info(self, request: Request) -> Response:
        return JSONResponse({"release": self.release.id}, headers={"Cache-Control": "no-store"})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        first = request.url.path.split("/")[1] if request.url.path.count("/") >= 1 else ""
        name = f"{first}/404.html" if first in self.languages else "404.html"
        try:
            body = self.release.read(name)
        except OSError:
            return PlainTextResponse("Not found", status_code=404)
        return HTMLResponse(body, status_code=404, headers={"Cache-Control": "no-cache"})

    async def not_allowed(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Method not allowed", status_code=405, headers={"Allow": "GET, HEAD"})

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path, exc_info=exc)
        return PlainTextResponse("Something went wrong on our side. Please try again.", status_code=500)


def create_app(release_dir: Path, release_id: str, languages: list[str]) -> ASGIApp:
    """Given a built release, return the ASGI app that serves it."""
    return SecurityHeaders(Puente(Release(release_dir, release_id), languages))
