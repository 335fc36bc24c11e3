"""Editing the English content: pages, directory entries and notices, validated as the build validates
(in a worker thread: loading and validating the pack never holds up a family's request)."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ... import releases
from ...content import editing, load
from .auth import Session
from .base import Console


class Editing(Console):
    async def edit_page(self, request: Request, session: Session) -> Response:
        page_id = request.path_params["page_id"].strip("/") or "home"
        content = await self.offload(load, self.cfg.content)
        if page_id not in {p.id for p in content.pages}:
            return PlainTextResponse("No such page.", status_code=404)
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in editing.PAGE_FIELDS}
            errors = await self.offload(editing.save_page, self.cfg, content, page_id, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "edit-page", page=page_id)
                return RedirectResponse(f"/admin/pages/{page_id}/?saved=1", status_code=303)
            return self.page("edit_page.html", request, session, status=422, page_id=page_id, fields=fields, errors=errors, saved=False)
        fields = await self.offload(editing.page_fields, self.cfg, page_id)
        return self.page("edit_page.html", request, session, page_id=page_id, fields=fields, errors={}, saved="saved" in request.query_params)

    async def edit_service(self, request: Request, session: Session) -> Response:
        sid = request.path_params["service_id"]
        content = await self.offload(load, self.cfg.content)
        if sid not in {s.id for s in content.services}:
            return PlainTextResponse("No such service.", status_code=404)
        categories = [(c.id, c.name) for c in content.categories]
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in (*editing.SERVICE_FIELDS, "address_label")}
            errors = await self.offload(editing.save_service, self.cfg, sid, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "edit-service", service=sid)
                return RedirectResponse(f"/admin/services/{sid}/?saved=1", status_code=303)
            return self.page("edit_service.html", request, session, status=422, sid=sid, fields=fields, errors=errors,
                             categories=categories, saved=False)
        return self.page("edit_service.html", request, session, sid=sid, fields=await self.offload(editing.service_fields, self.cfg, sid), errors={},
                         categories=categories, saved="saved" in request.query_params)

    async def notices(self, request: Request, session: Session) -> Response:
        errors: dict[str, list[str]] = {}
        form_values = {"text": "", "starts": "", "expires": ""}
        if request.method == "POST":
            form = request.state.form
            if form.get("delete"):
                errors = await self.offload(editing.delete_notice, self.cfg, str(form["delete"]))
                if not errors:
                    releases.audit(self.cfg, session.user, "delete-notice", notice=str(form["delete"]))
            else:
                form_values = {k: str(form.get(k, "")) for k in form_values}
                errors = await self.offload(functools.partial(editing.add_notice, self.cfg, **form_values))
                if not errors:
                    releases.audit(self.cfg, session.user, "add-notice", text=form_values["text"])
                    form_values = {"text": "", "starts": "", "expires": ""}
        notices = await self.offload(editing.current_notices, self.cfg)
        return self.page("notices.html", request, session, status=422 if errors else 200, notices=notices,
                         errors=errors, values=form_values)
