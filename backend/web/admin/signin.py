"""Signing in and out of the console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ... import releases
from .auth import COOKIE, SESSION_SECONDS, Session
from .base import Console


class SignIn(Console):
    async def login_form(self, request: Request) -> Response:
        return self.page("login.html", request, None, error="")

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        await form.close()  # the fields are read; close any file a client sent along
        name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))[:1024]
        client = self.client(request)
        if self.per_account.blocked(name) or self.per_client.blocked(client):
            releases.audit(self.cfg, name or "?", "login-refused", reason="too many attempts")
            return self.page("login.html", request, None, status=429, error="Too many attempts. Wait 15 minutes and try again.")
        if not self.accounts.check(name, password):
            self.per_account.fail(name)
            self.per_client.fail(client)
            releases.audit(self.cfg, name or "?", "login-failed")
            return self.page("login.html", request, None, status=401, error="That name and password do not match.")
        self.per_account.clear(name)
        token = self.sessions.create(name)
        releases.audit(self.cfg, name, "login")
        response = RedirectResponse("/admin/", status_code=303)
        response.set_cookie(
            COOKIE, token, max_age=SESSION_SECONDS, path="/admin/", httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request, session: Session) -> Response:
        self.sessions.end(request.cookies.get(COOKIE))
        releases.audit(self.cfg, session.user, "logout")
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(COOKIE, path="/admin/")
        return response
