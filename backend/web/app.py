"""The Starlette app: the current release's static files, the few dynamic routes, and headers.

    /…                 files of the current release (whitenoise's index, see static.py)
    /api/release       which release is current, for update checks and operators
    /healthz           for a load balancer or a container's health check: the release id and whether it
                       verified (no visitor data); also at the root when the app lives under a path
    /api/hsds/...      the service directory as Open Referral HSDS 3.0's read API, from the release's
                       static JSON (content/hsds/api.py): /, /services, /services/{id}, /organizations,
                       /organizations/{id} (?page=N), and the fully nested /organizations.json
    anything else      the release's not-found page in the path's language, status 404

A release built for a public URL with a path (https://district.example.org/puente/) is served
under that path, as the proxy in front passes it on: /puente/es/ is the release's /es/.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from whitenoise.responders import Redirect, StaticFile

from .. import releases
from ..build.metadata import is_release_name
from ..config import Config
from ..content.hsds import api_file
from .admin import admin_routes
from .middleware import BodyLimit, SecurityHeaders, encoded_security_headers
from .static import Release

log = logging.getLogger("puente")


class FixedRelease:
    """Always the same release: for a static directory and for tests."""

    def __init__(self, release: Release):
        self.release = release
        for problem in release.problems:
            log.error("%s: %s (not served)", release.root, problem)

    def get(self) -> Release:
        return self.release

    def older(self, path: str) -> tuple[Release, StaticFile | Redirect] | None:
        return None


class CurrentRelease:
    """The release named by <data>/current, switched when a publish or rollback replaces that file.

    Checked at most twice a second (one stat). A new release is indexed and verified in a thread
    while the previous one goes on serving, and is switched to only if it is intact; a request keeps
    the release it started with, so every response belongs wholly to one release. The hashed files
    of the other kept releases stay served too: a hashed name never changes meaning, so a page cached
    before a switch still finds its stylesheet.
    """

    INTERVAL = 0.5

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._switching = threading.Lock()
        self._older: dict[str, tuple[Release, StaticFile | Redirect]] = {}
        self._kept: dict[str, Release] = {}  # each kept release's hashed files, indexed once
        self.release = self._first()
        self._switching.acquire()  # released by the thread: no switch while the kept releases are indexed
        threading.Thread(target=self._index_at_start, name="puente-index", daemon=True).start()

    def _first(self) -> Release:
        """The release to start with: the current one if intact, else (loudly) the newest intact published one."""
        path = self.cfg.data / "current"
        with contextlib.suppress(OSError):
            st = path.stat()
            self._stamp = (st.st_mtime_ns, st.st_ino)
        named = _pointer(path)
        release = self._open(named) if named else None
        if release is not None:
            return release
        fallback = releases.newest_intact(self.cfg, skip=named)
        release = self._open(fallback) if fallback else None
        if release is None:
            raise RuntimeError(f"no intact current release in {self.cfg.data}: run `python serve.py verify`, then `python serve.py publish`")
        log.error("!!! %s names %r, which is missing or damaged: serving %s, the newest intact published release", path, named, fallback)
        return release

    def _open(self, release_id: str) -> Release | None:
        if not release_id or not is_release_name(release_id) or "/" in release_id:
            return None
        try:
            release = Release(self.cfg.releases / release_id, release_id)
        except (OSError, ValueError, KeyError) as e:
            log.error("release %s cannot be served: %s", release_id, e)
            return None
        if release.problems:
            log.error("release %s is damaged, not served: %s", release_id, "; ".join(release.problems[:5]))
            return None
        return release

    def get(self) -> Release:
        now = time.monotonic()
        if now - self._checked >= self.INTERVAL:
            self._checked = now
            self.refresh(wait=False)
        return self.release

    def refresh(self, wait: bool = True) -> None:
        """Switch to the release `current` names if it changed; in a thread unless `wait`."""
        path = self.cfg.data / "current"
        try:
            st = path.stat()
        except OSError:
            return
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp == self._stamp or not self._switching.acquire(blocking=wait):
            return
        if wait:
            self._switch(stamp)
        else:
            threading.Thread(target=self._switch, args=(stamp,), name="puente-switch", daemon=True).start()

    def _switch(self, stamp: tuple[int, int]) -> None:
        try:
            self._stamp = stamp
            release_id = _pointer(self.cfg.data / "current")
            if release_id == self.release.id:
                return
            release = self._open(release_id)
            if release is None:
                log.error("!!! %s names %r, which is missing or damaged: still serving %s", self.cfg.data / "current", release_id,
                          self.release.id)
                return
            self.release = release
            self._index_older()
        finally:
            self._switching.release()

    def _index_at_start(self) -> None:
        try:
            self._index_older()
        finally:
            self._switching.release()

    def _index_older(self) -> None:
        """Index the hashed files of every other kept release (verified like the current one's), each once."""
        dirs = sorted((p for p in self.cfg.releases.glob("*") if p.is_dir() and is_release_name(p.name)),
                      key=_mtime) if self.cfg.releases.is_dir() else []
        kept: dict[str, Release] = {}
        for root in dirs:
            if root.name in self._kept:
                kept[root.name] = self._kept[root.name]
                continue
            try:
                kept[root.name] = Release(root, hashed_only=True)
            except (OSError, ValueError, KeyError):
                continue
        older: dict[str, tuple[Release, StaticFile | Redirect]] = {}
        for release_id, release in kept.items():  # oldest first: a newer copy of the same name wins (the same bytes)
            if release_id != self.release.id:
                older.update((url, (release, found)) for url, found in release.files.items())
        self._kept, self._older = kept, older

    def older(self, path: str) -> tuple[Release, StaticFile | Redirect] | None:
        return self._older.get(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned since it was listed: indexed last, then skipped
        return float("inf")


def _pointer(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


class Puente:
    """Serves the current release first; anything it does not hold goes to the Starlette routes.

    A plain GET or HEAD of a release file is answered from memory with its prepared headers
    (static.Release.answer); everything else goes through the middleware: the security headers
    and the body limit.
    """

    def __init__(self, source: FixedRelease | CurrentRelease, extra_routes: list[BaseRoute] | None = None):
        self.source = source
        self.routes = Starlette(
            routes=[
                Route("/api/release", self.release_info),
                Route("/healthz", self.healthz),
                Route("/api/hsds", self.hsds),
                Route("/api/hsds/{endpoint:path}", self.hsds),
                *([Route("/admin", self.to_admin)] if extra_routes else []),
                *(extra_routes or []),
            ],
            exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.server_error},
        )
        self.routes.router.redirect_slashes = False  # its redirect is built from Host; ours (trailing_slash) is relative
        self.general: ASGIApp = SecurityHeaders(BodyLimit(self.dispatch))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            release = self.source.get()
            answer = release.answer_for(scope["path"])
            if answer is not None and await release.answer(answer, scope, send):
                return
        if scope["type"] != "http":
            await self.general(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.general(scope, receive, tracked)
        except Exception:  # not caught below the middleware (a release file that cannot be read): still our 500, with our headers
            if started:
                raise
            log.exception("error serving %s", scope["path"])
            await _server_error(scope, send)

    def raw(self, path: str, method: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, bytes, bool] | None:
        """The server's fast path (web/server.py): a plain GET or HEAD of a release file, or None."""
        return self.source.get().raw(path, method, headers)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        release = self.source.get()
        if scope["type"] == "http" and release.base:
            path = scope["path"]
            if path == release.base:
                await RedirectResponse(release.base + "/", status_code=308)(scope, receive, send)
                return
            if path.startswith(release.base + "/"):
                scope = {**scope, "path": path[len(release.base) :], "root_path": scope.get("root_path", "") + release.base}
            elif path != "/healthz":  # outside the app's path: nothing of it lives there
                await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
                return
        if scope["type"] == "http":
            found = release.find(scope["path"])
            if found is not None and await release.serve(found, scope, receive, send):
                return
            older = self.source.older(scope["path"]) if found is None else None
            if older is not None and await older[0].serve(older[1], scope, receive, send):
                return
            scope.setdefault("state", {})["release"] = release
        await self.routes(scope, receive, send)

    async def to_admin(self, request: Request) -> Response:
        return RedirectResponse("/admin/", status_code=302)  # relative: a Location is never made from Host

    def _release_of(self, request: Request) -> Release:
        return getattr(request.state, "release", None) or self.source.get()

    async def release_info(self, request: Request) -> Response:
        return JSONResponse({"release": self._release_of(request).id}, headers={"Cache-Control": "no-store"})

    async def healthz(self, request: Request) -> Response:
        """Up, serving which release, and whether every file of it matched its checksums when it was loaded
        (`damaged`: how many did not, each refused rather than served). No visitor data."""
        release = self._release_of(request)
        damaged = len(release.problems)
        body = {"status": "ok", "release": release.id, "verified": release.verified and not damaged, "damaged": damaged, "built_at": release.built_at}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def hsds(self, request: Request) -> Response:
        """The directory for 211 and referral systems: public data, so any site may read it; phones never cache it."""
        rel = api_file(request.path_params.get("endpoint", ""), request.query_params.get("page", "1"))
        try:
            if rel is None:
                raise FileNotFoundError
            body = self._release_of(request).read(rel)
        except OSError:
            return JSONResponse({"error": "not found"}, status_code=404, headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"})
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


async def _server_error(scope: Scope, send: Send) -> None:
    body = b"Something went wrong on our side. Please try again."
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    headers += encoded_security_headers("text/plain", scope["path"], scope.get("scheme") == "https")
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(release_dir: Path, release_id: str | None = None) -> ASGIApp:
    """Given a built release directory, return the ASGI app that serves it (no admin)."""
    return Puente(FixedRelease(Release(release_dir, release_id)))


def create_server_app(cfg: Config) -> ASGIApp:
    """The full server: whatever release is current in the data directory, and the admin console."""
    return Puente(CurrentRelease(cfg), admin_routes(cfg))


def app_from_env() -> ASGIApp:
    """The full server for one of several worker processes: its Config from the environment `serve --workers` set."""
    return create_server_app(Config.load())
