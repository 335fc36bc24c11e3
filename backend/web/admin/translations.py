"""Translations: the status table, catalog uploads (checked, then confirmed) and downloads, each language's
units edited and reviewed one by one, and a new language.

An upload is checked like `serve.py check` (in a worker thread), then kept in <data>/uploads/ bound to
its language and its SHA-256 until the admin confirms it: a confirmation under another language, or
of other bytes, saves nothing. A unit edited in the console goes through the same validator (i18n/review.py).
A translator may do all of this for their own languages only; adding a language is for admins.
Every page here first brings the catalogs in line with the English (Console.state runs i18n.extract's
follow_source): what a translator sees and downloads is never behind the source.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
import secrets
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import polib
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from ... import releases
from ..._files import atomic_json, atomic_write
from ...config import Config
from ...errors import ContentError, Problem
from ...i18n import catalog_problems, read_catalog, review
from ...i18n.extract import follow_source
from ...policy import UPLOAD_LIMIT
from .auth import Session
from .base import Console
from .words import first_words, language_name, languages_named, named, rows_for, word_diff

STAGED_SECONDS = 24 * 3600
PER_PAGE = 25  # units on one page of a language's translations
MAX_FORMS = 6  # plural forms a unit can have (CLDR's most)


class Translations(Console):
    def _catalog_path(self, tag: str) -> Path | None:
        """The catalog of language `tag` (as in URLs: es, fa-AF, zh-Hans), if there is one; nothing is parsed."""
        if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}", tag):
            return None
        path = self.cfg.locales / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"
        return path if path.is_file() else None

    def _said(self, problem: Problem) -> str:
        """A problem in words, its file named relative to the content pack's folder (never an absolute server path)."""
        where = Path(problem.file)
        try:
            where = where.relative_to(self.cfg.content.parent) if where.is_absolute() else where
        except ValueError:
            where = Path(where.name)
        return f"{where.as_posix()}{f':{problem.line}' if problem.line else ''}: {problem.message}"

    def __init__(self, cfg: Config):
        super().__init__(cfg)
        self.env.filters["language"] = self.language_label  # a tag as a person names it, on every console page

    def language_label(self, tag: str) -> str:
        """A language by its names, as its catalog gives them ("Dari (دری)") once the status is known, else as CLDR does."""
        for row in self._state[1].get("rows", []) if self._state else []:
            if row["language"] == tag:
                return named(str(row["english_name"]), str(row["name"]))
        return language_name(tag)

    def _own_catalog(self, request: Request, session: Session, tag: str) -> Path | Response:
        """The catalog of `tag` if this account may work on it; else the answer that says why not (404 or 403)."""
        path = self._catalog_path(tag)
        if path is None:
            return PlainTextResponse("No such language.", status_code=404)
        if not session.may_translate(tag):
            return self._not_yours(request, session, tag)
        return path

    def _not_yours(self, request: Request, session: Session, tag: str) -> Response:
        said = languages_named(session.languages, self.language_label)
        return self.refused(request, session, f"You translate {said}, not {self.language_label(tag)}. Nothing was changed.")

    async def _rows(self, session: Session) -> list[dict[str, Any]]:
        """The status table's rows this account may see (all of them for an admin)."""
        rows = [r for r in (await self.state(pending=False))["rows"] if session.may_translate(r["language"])]
        return sorted(rows, key=lambda r: (str(r["english_name"]).casefold(), r["language"]))

    async def translations(self, request: Request, session: Session) -> Response:
        added = request.query_params.get("added", "")
        return self.page("translations.html", request, session, rows=await self._rows(session), result=None,
                         added=added if self._catalog_path(added) else "")

    async def upload(self, request: Request, session: Session) -> Response:
        tag = request.path_params["tag"]
        target = self._own_catalog(request, session, tag)
        if isinstance(target, Response):
            return target
        form = request.state.form
        upload = form.get("file")
        token = str(form.get("token", ""))
        if token:  # second step: the admin confirmed the summary
            return await self._confirm(request, session, tag, target, token, str(form.get("sha256", "")))
        if not isinstance(upload, UploadFile):
            return PlainTextResponse("Choose a .po file to upload.", status_code=400)
        data = await upload.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            return PlainTextResponse("That upload is too large.", status_code=413)
        problems, summary = await self.offload(_check_upload, tag, target, data)  # two catalogs: a thread is enough
        releases.audit(self.cfg, session.user, "upload-catalog-refused" if problems else "upload-catalog-checked", language=tag,
                       problems=len(problems))
        result: dict[str, Any] = {"ok": not problems, "tag": tag, "problems": problems, "summary": summary, "saved": False}
        if not problems:
            result["token"], result["sha256"] = self._stage(tag, data, session.user)
        return self.page("translations.html", request, session, status=200 if not problems else 422, rows=await self._rows(session),
                         result=result, added="")

    def _stage(self, tag: str, data: bytes, who: str) -> tuple[str, str]:
        """Keep a checked upload until it is confirmed, bound to its language and its bytes' SHA-256."""
        pending_dir = self.cfg.data / "uploads"
        if pending_dir.is_dir():
            for old in pending_dir.iterdir():  # an upload nobody confirmed within a day is dropped
                if old.is_file() and old.stat().st_mtime < time.time() - STAGED_SECONDS:
                    old.unlink(missing_ok=True)
        token, sha = secrets.token_urlsafe(24), hashlib.sha256(data).hexdigest()
        atomic_write(pending_dir / f"{token}.po", data, 0o600)
        atomic_json(pending_dir / f"{token}.json", {"language": tag, "sha256": sha, "who": who, "time": releases.now()}, 0o600)
        return token, sha

    async def _confirm(self, request: Request, session: Session, tag: str, target: Path, token: str, sha: str) -> Response:
        pending_dir = self.cfg.data / "uploads"
        staged, meta_path = pending_dir / f"{token}.po", pending_dir / f"{token}.json"
        if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token) or not staged.is_file() or not meta_path.is_file():
            return PlainTextResponse("That upload is no longer pending. Upload the file again.", status_code=400)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        data = staged.read_bytes()
        if meta.get("language") != tag:
            return PlainTextResponse(f"That upload was checked as the {meta.get('language', '?')} catalog, not the {tag} one: nothing was "
                                     f"saved. Upload the file again on the {tag} row.", status_code=400)
        if not sha or hashlib.sha256(data).hexdigest() != meta.get("sha256") or sha != meta.get("sha256"):
            return PlainTextResponse("That upload is not the file that was checked: nothing was saved. Upload the file again.", status_code=400)
        atomic_write(target, data)
        staged.unlink()
        meta_path.unlink(missing_ok=True)
        releases.audit(self.cfg, session.user, "upload-catalog", language=tag, sha256=meta["sha256"])
        return self.page("translations.html", request, session, rows=await self._rows(session),
                         result={"ok": True, "tag": tag, "saved": True, "summary": [], "problems": []}, added="")

    async def download(self, request: Request, session: Session) -> Response:
        name = request.path_params["name"]
        if name == "messages.pot":
            path: Path | None = self.cfg.locales / "messages.pot"
        else:
            path = self._catalog_path(name.removesuffix(".po")) if name.endswith(".po") else None
        if path is None or not path.is_file():
            return PlainTextResponse("No such catalog.", status_code=404)
        if name != "messages.pot" and not session.may_translate(name.removesuffix(".po")):
            return self._not_yours(request, session, name.removesuffix(".po"))
        await self.state(pending=False)  # the catalogs follow the English first: a download is never behind it
        return FileResponse(path, media_type="text/x-gettext-translation; charset=utf-8", filename=name,
                            headers={"Cache-Control": "no-store"})


    async def units(self, request: Request, session: Session) -> Response:
        """A language's units by state, with search, filters and pages; each edited (and reviewed) beside its English."""
        tag = request.path_params["tag"]
        path = self._own_catalog(request, session, tag)
        if isinstance(path, Response):
            return path
        try:
            await self.offload(follow_source, self.cfg)  # light (no build): the units are those of today's English
            every, row = await self.offload(review.units, path), await self.offload(review.summary, path)
        except ContentError as e:  # content that does not load, or this catalog unreadable: say so, change nothing
            return self.refused(request, session, "Nothing can be edited until this is corrected: " + "; ".join(self._said(p) for p in e.problems), 422)
        view = _view(request.query_params if request.method != "POST" else request.state.form)
        errors: dict[str, list[str]] = {}
        typed: dict[str, list[str]] = {}
        if request.method == "POST":
            form = request.state.form
            uid = str(form.get("unit", ""))
            texts = [str(form.get(f"text_{n}", "")) for n in range(MAX_FORMS) if f"text_{n}" in form] or [str(form.get("text", ""))]
            reviewing = form.get("action") == "review"
            problems = await self.offload(review.save_unit, path, uid, texts, reviewing, session.user)
            if not problems:
                releases.audit(self.cfg, session.user, "review-unit" if reviewing else "edit-unit", language=tag, unit=uid)
                query = _query(view, saved=uid)
                return RedirectResponse(f"/admin/translations/{tag}/units?{query}#u-{uid}", status_code=303)
            errors[uid], typed[uid] = problems, texts
        counts = {s: sum(1 for u in every if u.state == s) for s in review.STATES}
        shown = [u for u in every if (not view["state"] or u.state == view["state"]) and (not view["ctx"] or u.context == view["ctx"])
                 and _matches(u, view["q"])]
        pages = max(1, -(-len(shown) // PER_PAGE))
        number = min(view["page"], pages)
        listed = shown[(number - 1) * PER_PAGE : number * PER_PAGE]
        for uid in [k for k in errors if k not in {u.id for u in listed}]:
            errors["_form"] = errors.pop(uid)  # a unit not on this page (or no longer there): said at the top
        saved = next((u for u in every if u.id == request.query_params.get("saved", "")), None) if request.method != "POST" else None
        titles = {u.context: u.msgid for u in every if u.comment.startswith("Title of")}
        return self.page(
            "units.html", request, session, status=422 if errors else 200, tag=tag, row=row, view=view, counts=counts,
            units=listed, found=len(shown), number=number, pages=pages, errors=errors, typed=typed, saved=saved, titles=titles,
            states=review.STATES, query=functools.partial(_query, view), first_words=first_words, rows_for=rows_for, word_diff=word_diff,
        )

    async def languages(self, request: Request, session: Session) -> Response:
        """Add a language (admins): a tag from CLDR's list; its catalog made from messages.pot, a draft at 0 %."""
        error = ""
        if request.method == "POST":
            await self.state(pending=False)  # the template follows the English first
            tag = str(request.state.form.get("tag", ""))[:40]
            refusal = await self.offload(review.new_catalog, self.cfg.locales, tag)
            if refusal is None:
                releases.audit(self.cfg, session.user, "add-language", language=tag)
                return RedirectResponse(f"/admin/translations/?added={tag}", status_code=303)
            error = refusal
        have = {r["language"].lower() for r in await self._rows(session)}
        q = " ".join(str(request.query_params.get("q", "")).split())[:60]
        choices = [c for c in await self.offload(review.cldr_languages) if c[0].lower() not in have and not c[0].lower().startswith("en")
                   and (not q or any(q.casefold() in part.casefold() for part in c))]
        return self.page("languages.html", request, session, status=422 if error else 200, choices=choices, error=error, q=q,
                         chosen=str(request.state.form.get("tag", "")) if request.method == "POST" else "")


def _view(params: Any) -> dict[str, Any]:
    """The units page's filter: a state, a search, one page's or service's units (ctx: its msgctxt) and a page
    number, from the query (or the form that posted)."""
    state = str(params.get("state", ""))
    page = str(params.get("page", "1"))
    return {"state": state if state in review.STATES else "", "q": str(params.get("q", ""))[:200].strip(), "ctx": str(params.get("ctx", ""))[:200],
            "page": int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1}


def _query(view: dict[str, Any], **changes: Any) -> str:
    values = {**view, **changes}
    return urllib.parse.urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})


def _matches(unit: review.Unit, q: str) -> bool:
    if not q:
        return True
    if q == unit.id:
        return True
    q = q.casefold()
    return any(q in text.casefold() for text in (unit.msgid, unit.msgid_plural, unit.context, unit.comment, *unit.texts))


def _check_upload(tag: str, target: Path, data: bytes) -> tuple[list[str], list[str]]:
    """The problems of an uploaded catalog for `tag` (each at its line), and if none, what saving it would change."""
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"
        trial.parent.mkdir(parents=True)
        trial.write_bytes(data)
        problems = [f"line {p.line}: {p.message}" if p.line else p.message for p in catalog_problems(trial)]
        return problems, [] if problems else _catalog_changes(read_catalog(target), read_catalog(trial))


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
