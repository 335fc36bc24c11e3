"""Signing in and out of the console, and changing one's password.

The sign-in form carries a CSRF token (a random cookie under /admin/ and its keyed hash in the form).
Passwords are hashed in a worker thread, a few at a time, never on the event loop that serves families;
limits.py decides who may try. A disk that is full or read-only gives a page saying so, not a 500.
"""

from __future__ import annotations

import math
import re
import sqlite3

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ... import releases
from .auth import COOKIE, SESSION_SECONDS, LoginTokens, Session
from .base import Console, storage_trouble

MAX_WAITING = 32  # sign-ins queued for a hash beyond this are told to come back: memory and CPU stay bounded
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SignIn(Console):
    def _login_page(self, request: Request, nonce: str | None, status: int = 200, error: str = "") -> Response:
        nonce = nonce if nonce and _NONCE.match(nonce) else self.login_tokens.new_nonce()
        response = self.page("login.html", request, None, status=status, error=error, login_token=self.login_tokens.token(nonce))
        response.set_cookie(LoginTokens.COOKIE, nonce, max_age=LoginTokens.SECONDS, path="/admin/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def login_form(self, request: Request) -> Response:
        try:
            return self._login_page(request, request.cookies.get(LoginTokens.COOKIE))
        except (OSError, sqlite3.Error) as e:
            return self._trouble_or_raise(request, e)

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        await form.close()  # the fields are read; close any file a client sent along
        name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))[:1024]
        nonce = request.cookies.get(LoginTokens.COOKIE)
        try:
            if not self.login_tokens.valid(nonce, str(form.get("csrf", ""))):
                return self._login_page(request, None, 403, "This sign-in form had expired or did not come from this console. Sign in again.")
            return await self._sign_in(request, nonce, name, password)
        except (OSError, sqlite3.Error) as e:
            return self._trouble_or_raise(request, e)

    async def _sign_in(self, request: Request, nonce: str | None, name: str, password: str) -> Response:
        client = self.client(request)
        known = name in self.accounts.names()  # only for the audit tally: real account names, every other name as one
        wait = self.limiter.wait(name, client)
        if wait > 0:
            self.limiter.count("refused", name if known else None)
            minutes = math.ceil(wait / 60)
            response = self._login_page(request, nonce, 429, f"Too many attempts. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.")
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        if self.hashing.statistics().tasks_waiting >= MAX_WAITING:
            return self._login_page(request, nonce, 503, "The server is busy. Try again in a minute.")
        self.limiter.attempt(name, client)  # counted before the hash, so parallel guesses cannot slip under the limit
        if not await self.hash_work(self.accounts.check, name, password):
            self.limiter.count("failed", name if known else None)
            return self._login_page(request, nonce, 401, "That name and password do not match.")
        self.limiter.succeeded(name, client)
        token = self.sessions.create(name)
        releases.audit(self.cfg, name, "login")
        response = RedirectResponse("/admin/", status_code=303)
        response.set_cookie(
            COOKIE, token, max_age=SESSION_SECONDS, path="/admin/", httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(LoginTokens.COOKIE, path="/admin/")
        return response

    def _trouble_or_raise(self, request: Request, error: OSError | sqlite3.Error) -> HTMLResponse:
        what = storage_trouble(error)
        if what is None:
            raise error
        return self.trouble(request, None, what)

    async def logout(self, request: Request, session: Session) -> Response:
        self.sessions.end(request.cookies.get(COOKIE))
        releases.audit(self.cfg, session.user, "logout")
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(COOKIE, path="/admin/")
        return response

    async def password(self, request: Request, session: Session) -> Response:
        """Change one's own password; every other session of the account ends."""
        if request.method != "POST":
            return self.page("password.html", request, session, error="", done="")
        form = request.state.form
        current, new, again = (str(form.get(k, ""))[:1024] for k in ("current", "new", "again"))
        client = self.client(request)

        def refused(status: int, error: str) -> Response:
            return self.page("password.html", request, session, status=status, error=error, done="")

        if self.limiter.wait(session.user, client) > 0:
            return refused(429, "Too many attempts. Wait a few minutes and try again.")
        if new != again:
            return refused(422, "The two new passwords differ. Nothing was changed.")
        self.limiter.attempt(session.user, client)
        if not await self.hash_work(self.accounts.check, session.user, current):
            self.limiter.count("failed", session.user)
            return refused(401, "The current password is not right. Nothing was changed.")
        self.limiter.succeeded(session.user, client)
        try:
            await self.hash_work(self.accounts.set_password, session.user, new)
        except ValueError as e:
            return refused(422, f"{str(e)[:1].upper()}{str(e)[1:]}. Nothing was changed.")
        ended = self.sessions.end_all(session.user, keep=request.cookies.get(COOKIE))
        releases.audit(self.cfg, session.user, "password-changed", account=session.user, sessions=ended)
        done = f"{ended} other session{'' if ended == 1 else 's'} ended." if ended else "No other session was open."
        return self.page("password.html", request, session, error="", done=done)
