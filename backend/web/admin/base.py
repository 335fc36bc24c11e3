"""The console's plumbing: its state, page rendering, sessions, the CSRF guard, form reading, and
running admin work off the event loop (light work in a worker thread, heavy work in a child process)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import functools
import logging
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ... import releases
from ...build import files_hash
from ...config import Config
from ...policy import UPLOAD_LIMIT
from .auth import COOKIE, Accounts, LoginTokens, Session, Sessions, translator_may
from .limits import Limiter
from .work import run_in_child, working_state

Handler = Callable[[Request, Session], Awaitable[Response]]
T = TypeVar("T")
log = logging.getLogger("puente")
HASHES_AT_ONCE = 2  # scrypt takes 16 MiB and ~50 ms of a core: two at once leave the other core to families
_UNWRITABLE = {errno.ENOSPC: "its disk is full", errno.EDQUOT: "its disk quota is used up", errno.EROFS: "its data directory is read-only",
               errno.EACCES: "its data directory cannot be written (permission denied)", errno.EPERM: "its data directory cannot be written"}


def storage_trouble(error: BaseException) -> str | None:
    """What stops the server saving, in words, when `error` is a full, read-only or unwritable data directory."""
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        if "full" in text:
            return "its disk is full"
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return "its data directory is read-only"
        return None
    if isinstance(error, OSError) and error.errno in _UNWRITABLE:
        return _UNWRITABLE[error.errno]
    return None


def day(value: Any) -> str:
    """A date in plain words, "1 December 2026" (a date, or text written YYYY-MM-DD); anything else as it is."""
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


class Console:
    """What every part of the console shares."""

    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        raise NotImplementedError  # dashboard.Dashboard's: every part may answer with the dashboard and a message

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.accounts = Accounts(cfg)
        self.sessions = Sessions(cfg)
        self.limiter = Limiter(cfg)
        self.login_tokens = LoginTokens(cfg)
        self.hashing = CapacityLimiter(HASHES_AT_ONCE)
        self.admin_work = CapacityLimiter(1)  # builds, previews, checks and edits: one at a time, off the event loop
        self.env = Environment(loader=FileSystemLoader(cfg.pwa / "templates" / "admin"), autoescape=select_autoescape())
        self.env.filters["day"] = day
        self.css = (cfg.pwa / "admin.css").read_bytes()
        self._state: tuple[tuple[str, str, str | None], dict[str, Any]] | None = None

    # -- plumbing ---------------------------------------------------------------

    def page(self, name: str, request: Request, session: Session | None, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(session=session, csrf=session.csrf if session else "", **ctx)
        return HTMLResponse(self.without_paths(html), status_code=status, headers={"Cache-Control": "no-store"})

    def without_paths(self, text: str) -> str:
        """Never an absolute server path in the console: files named relative to the content pack."""
        places = [(self.cfg.content, self.cfg.content.name), (self.cfg.locales, self.cfg.locales.name), (self.cfg.data, "the data directory"),
                  (self.cfg.content.parent, ""), (self.cfg.data.parent, "")]
        for path, name in sorted(places, key=lambda p: -len(str(p[0]))):
            if len(str(path)) > 1:
                text = re.sub(rf"(?<![\w.-]){re.escape(str(path))}(/|(?![\w-]|\.\w))", (name + r"\1") if name else "", text)
        return text

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Run admin work (a build, a preview, checks, an edit) in a worker thread, one at a time: the
        event loop goes on answering families while it runs."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=self.admin_work)

    async def in_child(self, fn: Callable[..., T], *args: Any) -> T:
        """Run heavy admin work (a build, checks, a preview) in a child process (work.py), one job at a time."""
        return await anyio.to_thread.run_sync(functools.partial(run_in_child, fn, *args), limiter=self.admin_work)

    async def files_key(self) -> tuple[str, str]:
        """What the working content is: the hash of its files, and the date builds treat as today."""
        return await anyio.to_thread.run_sync(files_hash, self.cfg), self.cfg.today.isoformat()

    async def state(self, pending: bool = True) -> dict[str, Any]:
        """The working content's errors, warnings, status rows and (`pending`) what publishing would change
        (work.working_state), computed again, in a child process, only when a file or the current release changed."""
        key = (*await self.files_key(), releases.current_id(self.cfg))
        if self._state is None or self._state[0] != key or (pending and not self._state[1]["with_pending"]):
            result = await self.in_child(working_state, self.cfg, pending)  # may bring the catalogs in line with the English
            self._state = ((*await self.files_key(), key[2]), result)
        return self._state[1]

    async def hash_work(self, fn: Callable[..., T], *args: Any) -> T:
        """Run password hashing in a worker thread, at most HASHES_AT_ONCE at a time."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=self.hashing)

    def trouble(self, request: Request, session: Session | None, what: str) -> HTMLResponse:
        log.error("the admin console cannot save: %s (%s)", what, self.cfg.data)
        return self.page("trouble.html", request, session, status=503, what=f"The server cannot save: {what}")

    def admins_only(self, request: Request, session: Session) -> HTMLResponse | RedirectResponse:
        """What a translator gets for an admin's page or action: their translations (for the dashboard), else a refusal."""
        if request.url.path == "/admin/" and request.method in ("GET", "HEAD"):
            return RedirectResponse("/admin/translations/", status_code=303, headers={"Cache-Control": "no-store"})
        return self.refused(request, session, "Only an admin can do this. Nothing was changed.")

    def refused(self, request: Request, session: Session, what: str, status: int = 403) -> HTMLResponse:
        """A plain page saying what this account may not do (403), or what stops it now."""
        return self.page("refused.html", request, session, status=status, what=what)

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            session = self.session_of(request)
            account = self.accounts.get(session.user) if session else None
            if session is None or account is None:  # a removed account signs nobody in
                if request.method in ("GET", "HEAD"):
                    return RedirectResponse("/admin/login", status_code=303, headers={"Cache-Control": "no-store"})
                return PlainTextResponse("Sign in first.", status_code=403)
            session = dataclasses.replace(session, role=account.role, languages=account.languages)  # the role as it is now
            if not session.is_admin and not translator_may(request.url.path):
                return self.admins_only(request, session)
            try:
                if request.method != "POST":
                    return await handler(request, session)
                form = await self._form(request)
                if isinstance(form, Response):
                    return form
                if not secrets.compare_digest(str(form.get("csrf", "")).encode(), session.csrf.encode()):  # bytes: any text compares
                    await form.close()
                    return PlainTextResponse("This form has expired or did not come from this console. Nothing was changed.", status_code=403)
                request.state.form = form
                try:
                    return await handler(request, session)
                finally:
                    await form.close()
            except (OSError, sqlite3.Error) as e:
                what = storage_trouble(e)
                if what is None:
                    raise
                return self.trouble(request, session, what)

        return wrapped

    async def _form(self, request: Request) -> FormData | Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > UPLOAD_LIMIT + 64 * 1024):
            return PlainTextResponse(f"That upload is too large (the limit is {UPLOAD_LIMIT // 1024 // 1024} MB).", status_code=413)
        try:
            return await request.form(max_files=1, max_fields=100, max_part_size=UPLOAD_LIMIT)
        except Exception:  # malformed multipart: the client's fault, not a server error
            return PlainTextResponse("The form could not be read.", status_code=400)

    def client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"
