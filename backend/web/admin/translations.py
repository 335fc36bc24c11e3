"""Translations: the status table, catalog uploads (checked, then confirmed) and downloads."""

from __future__ import annotations

import difflib
import json
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

import polib
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from ... import releases
from ..._files import atomic_write
from ...i18n import catalog_problems, discover, read_catalog
from ...policy import UPLOAD_LIMIT
from .auth import Session
from .base import Console


class Translations(Console):
    def _catalog_path(self, tag: str) -> Path | None:
        for lang in discover(self.cfg.locales):
            if lang.tag == tag and lang.catalog is not None:
                return lang.catalog
        return None

    async def translations(self, request: Request, session: Session) -> Response:
        return self.page("translations.html", request, session, rows=self.checked.get().rows, result=None)

    async def upload(self, request: Request, session: Session) -> Response:
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
            return self.page("translations.html", request, session, rows=self.checked.get().rows,
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
        return self.page("translations.html", request, session, status=200 if not problems else 422, rows=self.checked.get().rows, result=result)

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
