"""The admin console at /admin/, for district staff who are not programmers.

Every route needs a session (a cookie set only under /admin/), and every form a
CSRF token. Sign-ins are rate-limited per account and per client. Each action
goes to the audit log.
"""

from __future__ import annotations

import difflib
import json
import re
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import polib
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from . import build as building
from . import editing, releases
from .auth import COOKIE, SESSION_SECONDS, Accounts, RateLimit, Session, Sessions
from .catalog import atomic_write
from .config import Config
from .content import load
from .errors import ContentError
from .i18n import catalog_problems, discover, read_catalog
from .static import Release

UPLOAD_LIMIT = 2 * 1024 * 1024  # a catalog is ~100 KB; 2 MB is generous
Handler = Callable[[Request, Session], Awaitable[Response]]


class Admin:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.accounts = Accounts(cfg)
        self.sessions = Sessions(cfg)
        self.per_account = RateLimit(limit=5, window=15 * 60)
        self.per_client = RateLimit(limit=20, window=15 * 60)
        self.env = Environment(loader=FileSystemLoader(cfg.pwa / "templates" / "admin"), autoescape=select_autoescape())
        self.css = (cfg.pwa / "admin.css").read_bytes()

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

    # -- sign-in ----------------------------------------------------------------

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

    # -- dashboard --------------------------------------------------------------

    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        from .cli import check_report, status_rows

        cfg = self.cfg
        problems: list[str] = list(errors or [])
        warnings: dict[str, list[str]] = {}
        pending: dict[str, Any] | None = None
        try:
            warnings = check_report(cfg)
            pending = releases.pending(cfg)
        except ContentError as e:
            problems += [str(p) for p in e.problems]
        content = None
        try:
            content = load(cfg.content)
        except ContentError:
            pass
        return self.page(
            "dashboard.html", request, session,
            current=releases.current_id(cfg), releases=releases.listing(cfg)[:10], pending=pending, problems=problems,
            warnings=warnings, status_rows=status_rows(cfg), content=content, message=message,
            languages=[lang for lang in discover(cfg.locales)] if not problems else [],
        )

    async def publish(self, request: Request, session: Session) -> Response:
        try:
            record = releases.publish(self.cfg, session.user)
        except ContentError as e:
            return await self.dashboard(request, session, errors=["Not published: " + str(p) for p in e.problems])
        except releases.PublishError as e:
            return await self.dashboard(request, session, errors=[str(e)])
        return await self.dashboard(request, session, message=f"Published release {record['id']}: {record['summary']}.")

    async def rollback(self, request: Request, session: Session) -> Response:
        target = str(request.state.form.get("release", "")) or None
        try:
            record = releases.rollback(self.cfg, session.user, target)
        except releases.PublishError as e:
            return await self.dashboard(request, session, errors=[str(e)])
        return await self.dashboard(request, session, message=f"Rolled back to release {record['id']}.")

    # -- editing ----------------------------------------------------------------

    async def edit_page(self, request: Request, session: Session) -> Response:
        page_id = request.path_params["page_id"].strip("/") or "home"
        content = load(self.cfg.content)
        if page_id not in {p.id for p in content.pages}:
            return PlainTextResponse("No such page.", status_code=404)
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in editing.PAGE_FIELDS}
            errors = editing.save_page(self.cfg, content, page_id, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "edit-page", page=page_id)
                return RedirectResponse(f"/admin/pages/{page_id}/?saved=1", status_code=303)
            return self.page("edit_page.html", request, session, status=422, page_id=page_id, fields=fields, errors=errors, saved=False)
        fields = editing.page_fields(self.cfg, page_id)
        return self.page("edit_page.html", request, session, page_id=page_id, fields=fields, errors={}, saved="saved" in request.query_params)

    async def edit_service(self, request: Request, session: Session) -> Response:
        sid = request.path_params["service_id"]
        content = load(self.cfg.content)
        if sid not in {s.id for s in content.services}:
            return PlainTextResponse("No such service.", status_code=404)
        categories = [(c.id, c.name) for c in content.categories]
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in (*editing.SERVICE_FIELDS, "address_label")}
            errors = editing.save_service(self.cfg, sid, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "edit-service", service=sid)
                return RedirectResponse(f"/admin/services/{sid}/?saved=1", status_code=303)
            return self.page("edit_service.html", request, session, status=422, sid=sid, fields=fields, errors=errors,
                             categories=categories, saved=False)
        return self.page("edit_service.html", request, session, sid=sid, fields=editing.service_fields(self.cfg, sid), errors={},
                         categories=categories, saved="saved" in request.query_params)

    async def notices(self, request: Request, session: Session) -> Response:
        errors: dict[str, list[str]] = {}
        form_values = {"text": "", "starts": "", "expires": ""}
        if request.method == "POST":
            form = request.state.form
            if form.get("delete"):
                errors = editing.delete_notice(self.cfg, str(form["delete"]))
                if not errors:
                    releases.audit(self.cfg, session.user, "delete-notice", notice=str(form["delete"]))
            else:
                form_values = {k: str(form.get(k, "")) for k in form_values}
                errors = editing.add_notice(self.cfg, **form_values)
                if not errors:
                    releases.audit(self.cfg, session.user, "add-notice", text=form_values["text"])
                    form_values = {"text": "", "starts": "", "expires": ""}
        return self.page("notices.html", request, session, status=422 if errors else 200, notices=editing.current_notices(self.cfg),
                         errors=errors, values=form_values)

    # -- translations -----------------------------------------------------------

    def _catalog_path(self, tag: str) -> Path | None:
        for lang in discover(self.cfg.locales):
            if lang.tag == tag and lang.catalog is not None:
                return lang.catalog
        return None

    async def translations(self, request: Request, session: Session) -> Response:
        from .cli import status_rows

        return self.page("translations.html", request, session, rows=status_rows(self.cfg), result=None)

    async def upload(self, request: Request, session: Session) -> Response:
        from .cli import status_rows

        tag = request.path_params["tag"]
        target = self._catalog_path(tag)
        if target is None:
            return PlainTextResponse("No such language.", status_code=404)
        form = request.state.form
        upload = form.get("file")
        token = str(form.get("token", ""))
        pending_dir = self.cfg.data / "uploads"
        if token:  # second step: the admin confirmed the summary
            if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token) or not (pending_dir / f"{token}.po").is_file():
                return PlainTextResponse("That upload is no longer pending. Upload the file again.", status_code=400)
            staged = pending_dir / f"{token}.po"
            atomic_write(target, staged.read_text(encoding="utf-8"))
            staged.unlink()
            releases.audit(self.cfg, session.user, "upload-catalog", language=tag)
            return self.page("translations.html", request, session, rows=status_rows(self.cfg),
                             result={"ok": True, "tag": tag, "saved": True, "summary": [], "problems": []})
        if not isinstance(upload, UploadFile):
            return PlainTextResponse("Choose a .po file to upload.", status_code=400)
        data = await upload.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            return PlainTextResponse("That upload is too large.", status_code=413)
        with tempfile.TemporaryDirectory() as tmp:
            trial = Path(tmp) / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"
            trial.parent.mkdir(parents=True)
            trial.write_bytes(data)
            problems = [f"line {p.line}: {p.message}" if p.line else p.message for p in catalog_problems(trial)]
            summary = [] if problems else _catalog_changes(read_catalog(target), read_catalog(trial))
        releases.audit(self.cfg, session.user, "upload-catalog-refused" if problems else "upload-catalog-checked", language=tag,
                       problems=len(problems))
        result: dict[str, Any] = {"ok": not problems, "tag": tag, "problems": problems, "summary": summary, "saved": False}
        if not problems:
            pending_dir.mkdir(parents=True, exist_ok=True)
            token = secrets.token_urlsafe(24)
            (pending_dir / f"{token}.po").write_bytes(data)
            result["token"] = token
        return self.page("translations.html", request, session, status=200 if not problems else 422, rows=status_rows(self.cfg), result=result)

    async def download(self, request: Request, session: Session) -> Response:
        name = request.path_params["name"]
        if name == "messages.pot":
            path: Path | None = self.cfg.locales / "messages.pot"
        else:
            path = self._catalog_path(name.removesuffix(".po")) if name.endswith(".po") else None
        if path is None or not path.is_file():
            return PlainTextResponse("No such catalog.", status_code=404)
        return FileResponse(path, media_type="text/x-gettext-translation; charset=utf-8", filename=name,
                            headers={"Cache-Control": "no-store"})

    # -- preview ----------------------------------------------------------------

    async def preview(self, request: Request, session: Session) -> Response:
        rest = "/" + request.path_params.get("rest", "")
        try:
            release = self._preview_release()
        except ContentError as e:
            return await self.dashboard(request, session, errors=["Preview not possible: " + str(p) for p in e.problems])
        found = release.find(rest) or release.find(rest.rstrip("/") + "/")
        if found is None or not hasattr(found, "alternatives"):
            return PlainTextResponse("Not in the preview.", status_code=404)
        path = Path(found.alternatives[-1][1])
        body = path.read_bytes()
        media = next((v for k, v in found.alternatives[-1][2] if k.lower() == "content-type"), "application/octet-stream")
        if path.suffix == ".html":  # keep the reader inside the preview
            body = re.sub(rb'(href|src)="/(?!admin/)', rb'\1="/admin/preview/', body)
        return Response(body, media_type=media.split(";")[0], headers={"Cache-Control": "no-store"})

    def _preview_release(self) -> Release:
        source = building.source_hash(self.cfg)
        dest = self.cfg.data / "preview" / source
        if not (dest / "release.json").is_file():
            for old in (self.cfg.data / "preview").glob("*") if (self.cfg.data / "preview").is_dir() else []:
                if old.name != source and old.is_dir():
                    releases._remove(old)
            site, _ = building.render(self.cfg)
            building.write_release(site, dest)
        return Release(dest)

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "no-cache"})


def _catalog_changes(old: polib.POFile, new: polib.POFile) -> list[str]:
    """What saving `new` over `old` would change, in words an admin can check."""
    before = {(e.msgctxt, e.msgid): e.msgstr or json.dumps(e.msgstr_plural, ensure_ascii=False) for e in old if not e.obsolete and not e.fuzzy}
    after = {(e.msgctxt, e.msgid): e.msgstr or json.dumps(e.msgstr_plural, ensure_ascii=False) for e in new if not e.obsolete and not e.fuzzy}
    changed = [k for k in before.keys() & after.keys() if before[k] != after[k]]
    added = [k for k in after.keys() - before.keys() if after[k]]
    dropped = [k for k in before.keys() - after.keys() if before[k]]
    lines = [f"{len(changed)} translations changed, {len(added)} added, {len(dropped)} no longer translated"]
    for key in sorted(changed)[:20]:
        ratio = difflib.SequenceMatcher(None, before[key], after[key]).ratio()
        lines.append(f"changed ({key[0]}): “{key[1][:60]}” — {round(100 * (1 - ratio))}% different")
    return lines


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
                Route("/", g(a.dashboard), methods=["GET"]),
                Route("/publish", g(a.publish), methods=["POST"]),
                Route("/rollback", g(a.rollback), methods=["POST"]),
                Route("/pages/{page_id:path}", g(a.edit_page), methods=["GET", "POST"]),
                Route("/services/{service_id}/", g(a.edit_service), methods=["GET", "POST"]),
                Route("/notices/", g(a.notices), methods=["GET", "POST"]),
                Route("/translations/", g(a.translations), methods=["GET"]),
                Route("/translations/{tag}/", g(a.upload), methods=["POST"]),
                Route("/download/{name}", g(a.download), methods=["GET"]),
                Route("/preview/{rest:path}", g(a.preview), methods=["GET"]),
            ],
        )
    ]
