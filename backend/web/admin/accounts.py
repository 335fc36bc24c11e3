"""The Accounts page (admins only): add and remove accounts, set a role and a translator's languages,
reset a password. What `serve.py admin` does, from the browser.

`serve.py admin` (admin_command) does the same from a terminal. A removed account's sessions end at once (and the guard refuses any session whose account is gone);
a reset password ends that account's sessions too. A role is looked up on every request, so a change
applies to open sessions at once. The last admin cannot be removed or made a translator.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ... import releases
from ...config import Config
from .auth import ADMIN, NAME, TRANSLATOR, Accounts, Session, Sessions, checked_languages
from .base import Console


class AccountPages(Console):
    async def accounts_page(self, request: Request, session: Session) -> Response:
        errors: dict[str, str] = {}
        typed: dict[str, Any] = {"name": "", "role": ADMIN, "languages": []}
        confirming = ""
        if request.method == "POST":
            form = request.state.form
            action, name = str(form.get("action", "")), str(form.get("name", "")).strip()[:64]
            role = TRANSLATOR if form.get("role") == TRANSLATOR else ADMIN
            languages = [str(v)[:40] for v in form.getlist("languages")][:50]
            password = str(form.get("password", ""))[:1024]
            if action == "add":
                typed = {"name": name, "role": role, "languages": languages}  # kept when refused; never the password
                errors = self._add_problems(name, password, role, languages)
            admins = [a.name for a in self.accounts.listing() if a.is_admin]
            if action == "remove" and form.get("confirm") != "yes" and name in self.accounts.names() and admins != [name]:
                confirming = name  # the server removes nobody without the confirmation step
            elif not errors:
                try:
                    done = await self._account_action(session, action, name, role, languages, password)
                except ValueError as e:
                    errors[f"{action}:{name}" if action != "add" else "name"] = f"{str(e)[:1].upper()}{str(e)[1:]}. Nothing was changed."
                else:
                    return RedirectResponse(f"/admin/accounts/?{urllib.parse.urlencode({'done': done, 'account': name})}", status_code=303)
        rows = sorted((await self.state(pending=False))["rows"], key=lambda r: (str(r["english_name"]).casefold(), r["language"]))
        tags = [(r["language"], f"{r['english_name']} ({r['language']})") for r in rows]
        return self.page("accounts.html", request, session, status=422 if errors else 200, accounts=self.accounts.listing(), tags=tags,
                         errors=errors, typed=typed, confirming=confirming, done=request.query_params.get("done", "")[:40],
                         account=request.query_params.get("account", "")[:64])

    def _add_problems(self, name: str, password: str, role: str, languages: list[str]) -> dict[str, str]:
        """Every reason a new account would be refused, each under the field it concerns (nothing is saved then)."""
        problems: dict[str, str] = {}
        if not NAME.match(name):
            problems["name"] = "Write a name of 1 to 64 letters, digits, dots, dashes or underscores, such as maria or m.lopez."
        elif name in self.accounts.names():
            problems["name"] = f"There is already an account {name}. Choose another name."
        if not password:
            problems["password"] = "Write a password of at least 12 characters."
        elif len(password) < 12:
            problems["password"] = f"A password needs at least 12 characters; this one has {len(password)}."
        if role == TRANSLATOR:
            try:
                checked_languages(languages)
            except ValueError as e:
                problems["languages"] = f"{str(e)[:1].upper()}{str(e)[1:]}: tick the languages this translator works on."
        return problems

    async def _account_action(self, session: Session, action: str, name: str, role: str, languages: list[str], password: str) -> str:
        """Do one action of the Accounts page; return a word for the page that follows; raise ValueError saying what is wrong."""
        existing = {a.name: a for a in self.accounts.listing()}
        admins = [a.name for a in existing.values() if a.is_admin]
        if action == "add":
            if name in existing:
                raise ValueError(f"there is already an account {name!r}")
            await self.hash_work(self.accounts.add, name, password, role, languages)
            releases.audit(self.cfg, session.user, "account-added", account=name, role=role, languages=languages)
            return "added"
        if name not in existing:
            raise ValueError(f"there is no account {name!r}")
        if action == "remove":
            if admins == [name]:
                raise ValueError("this is the only admin: add another admin first")
            self.accounts.remove(name)
            ended = self.sessions.end_all(name)  # the account signs nobody in any more
            releases.audit(self.cfg, session.user, "account-removed", account=name, sessions=ended)
            return "removed"
        if action == "role":
            if admins == [name] and role != ADMIN:
                raise ValueError("this is the only admin: add another admin first")
            self.accounts.set_role(name, role, languages)
            releases.audit(self.cfg, session.user, "account-role", account=name, role=role, languages=languages)
            return "role"
        if action == "password":
            await self.hash_work(self.accounts.set_password, name, password)
            ended = self.sessions.end_all(name)
            releases.audit(self.cfg, session.user, "password-reset", account=name, sessions=ended)
            return "password"
        raise ValueError("that is not something this page does")


# -- serve.py admin ----------------------------------------------------------------


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def admin_command(cfg: Config, who: str, action: str, name: str | None, revoke: str | None = None, translator: str | None = None) -> int:  # long: one branch per action
    """`serve.py admin ACTION [NAME]`: what the Accounts page does, from a terminal; return the exit status."""
    accounts, sessions = Accounts(cfg), Sessions(cfg)
    role, languages = ("translator", translator.split(",")) if translator is not None else ("admin", [])
    if action == "list":
        listed = [f"{a.name:<20} {'admin' if a.is_admin else 'translator of ' + ', '.join(a.languages)}" for a in accounts.listing()]
        print("\n".join(listed) or "no accounts")
        return 0
    if action == "sessions":
        if revoke is not None:
            name = revoke or name
            ended = sessions.end_all(name)
            releases.audit(cfg, who, "sessions-revoked", account=name or "(all)", sessions=ended)
            print(f"ended {_n(ended, 'session')}{f' of {name}' if name else ''}")
            return 0
        rows = [s for s in sessions.listing() if name is None or s.user == name]
        for s in rows:
            print(f"{s.user:<20} until {dt.datetime.fromtimestamp(s.expires, dt.UTC).isoformat(timespec='minutes')}")
        print(f"{_n(len(rows), 'signed-in session')}", file=sys.stderr)
        return 0
    if not name:
        print(f"serve.py admin {action}: give the account's NAME", file=sys.stderr)
        return 2
    if action in ("passwd", "remove", "role") and name not in accounts.names():
        print(f"serve.py admin {action}: there is no account {name!r} (`serve.py admin list`)", file=sys.stderr)
        return 1
    if action == "role":
        try:
            accounts.set_role(name, role, languages)
        except ValueError as e:
            print(f"serve.py admin role: {e}", file=sys.stderr)
            return 1
        releases.audit(cfg, who, "account-role", account=name, role=role, languages=languages)
        print(f"account {name} is now {'an admin' if role == 'admin' else 'a translator of ' + ', '.join(languages)}")
        return 0
    if action == "remove":
        accounts.remove(name)
    elif (password := _new_password(action, name)) is None:
        return 1
    else:
        try:
            accounts.add(name, password, role, languages) if action == "add" else accounts.set_password(name, password)
        except ValueError as e:
            print(f"serve.py admin {action}: {e}", file=sys.stderr)
            return 1
    if action == "add":
        releases.audit(cfg, who, "account-added", account=name)
        print(f"account {name} can now sign in at /admin/")
        return 0
    ended = sessions.end_all(name)  # a removed account, or a changed password, signs nobody in any more
    releases.audit(cfg, who, "account-removed" if action == "remove" else "password-changed", account=name, sessions=ended)
    print(f"account {name} {'is removed' if action == 'remove' else 'has a new password'}; {_n(ended, 'session')} ended")
    return 0


def _new_password(action: str, name: str) -> str | None:
    """A new password from a prompt (asked twice), or from the first line of standard input when piped."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != password:
        print(f"serve.py admin {action}: the passwords differ; nothing was saved", file=sys.stderr)
        return None
    return password
