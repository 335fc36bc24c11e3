"""The admin console at /admin/, for district staff who are not programmers.

Every route needs a session (a cookie set only under /admin/), and every form a CSRF token, the
sign-in form's included. Sign-ins are limited per account and client, and per client. Each action
goes to the audit log. Heavy work (builds, previews, checks, password hashes) runs in worker threads,
never on the event loop that serves families.

    base.py          plumbing: state, pages, sessions, the CSRF guard, work off the event loop
    auth.py          accounts (scrypt), sessions, the sign-in form's token
    limits.py        sign-in limits and the audit log's tally of failures, shared by every worker (SQLite)
    signin.py        sign in and out; change one's password
    dashboard.py     status, pending changes, publish, rollback
    editing.py       pages, services, notices
    translations.py  catalog uploads and downloads; each language's units edited and reviewed; a new language
    preview.py       the pending content as families will see it
    accounts.py      the Accounts page (admins): add, remove, role and languages, password reset
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route

from ...config import Config
from .accounts import AccountPages
from .dashboard import Dashboard
from .editing import Editing
from .preview import Preview
from .signin import SignIn
from .translations import Translations


class Admin(SignIn, Dashboard, Editing, Translations, Preview, AccountPages):
    """The whole console."""


def admin_routes(cfg: Config) -> list[BaseRoute]:
    a = Admin(cfg)
    g = a.guard
    return [
        Mount(
            "/admin",
            routes=[
                Route("/login", a.login_form, methods=["GET"]),
                Route("/login", a.login, methods=["POST"]),
                Route("/admin.css", a.stylesheet, methods=["GET"]),
                Route("/logout", g(a.logout), methods=["POST"]),
                Route("/password", g(a.password), methods=["GET", "POST"]),
                Route("/", g(a.dashboard), methods=["GET"]),
                Route("/publish", g(a.publish), methods=["GET", "POST"]),
                Route("/progress", g(a.progress), methods=["GET"]),
                Route("/rollback", g(a.rollback), methods=["GET", "POST"]),
                Route("/add/page", g(a.add_page), methods=["GET", "POST"]),
                Route("/add/service", g(a.add_service), methods=["GET", "POST"]),
                Route("/pages/{page_id:path}", g(a.edit_page), methods=["GET", "POST"]),
                Route("/services/{service_id}/", g(a.edit_service), methods=["GET", "POST"]),
                Route("/notices/", g(a.notices), methods=["GET", "POST"]),
                Route("/translations/", g(a.translations), methods=["GET"]),
                Route("/translations/{tag}/", g(a.upload), methods=["POST"]),
                Route("/download/{name}", g(a.download), methods=["GET"]),
                Route("/preview/{rest:path}", g(a.preview), methods=["GET"]),
                Route("/translations/{tag}/units", g(a.units), methods=["GET", "POST"]),
                Route("/languages/", g(a.languages), methods=["GET", "POST"]),
                Route("/accounts/", g(a.accounts_page), methods=["GET", "POST"]),
            ],
        )
    ]
