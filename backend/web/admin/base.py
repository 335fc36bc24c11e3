"""The console's plumbing: its state, page rendering, sessions, the CSRF guard and form reading."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ...checks import Checked
from ...config import Config
from ...policy import UPLOAD_LIMIT
from .auth import COOKIE, Accounts, RateLimit, Session, Sessions

Handler = Callable[[Request, Session], Awaitable[Response]]


class Console:
    """What every part of the console shares."""

    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        raise NotImplementedError  # dashboard.Dashboard's: every part may answer with the dashboard and a message

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.accounts = Accounts(cfg)
        self.sessions = Sessions(cfg)
        self.per_account = RateLimit(limit=5, window=15 * 60)
        self.per_client = RateLimit(limit=20, window=15 * 60)
        self.env = Environment(loader=FileSystemLoader(cfg.pwa / "templates" / "admin"), autoescape=select_autoescape())
        self.css = (cfg.pwa / "admin.css").read_bytes()
        self.checked = Checked(cfg)  # the working content's checks, again only when a file changed
        self.pending_cache: dict[tuple[str, str | None], dict[str, Any]] = {}

    # -- plumbing ---------------------------------------------------------------

    def page(self, name: str, request: Request, session: Session | None, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(session=session, csrf=session.csrf if session else "", **ctx)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            session = self.session_of(request)
            if session is None:
                if request.method in ("GET", "HEAD"):
                    return RedirectResponse("/admin/login", status_code=303, headers={"Cache-Control": "no-store"})
                return PlainTextResponse("Sign in first.", status_code=403)
            if request.method == "POST":
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
            return await handler(request, session)

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
