"""Editing the English content: pages, directory entries and notices, validated as the build validates
(in a worker thread: loading and validating the pack never holds up a family's request)."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ... import releases
from ...content import Content, editing, load
from .auth import Session
from .base import Console


def sources_of(content: Content) -> list[tuple[str, str]]:
    """The district's sources (site.toml's), by short name and title, for the page form's list."""
    return [(s.id, s.title) for s in content.sources]


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
            return self.page("edit_page.html", request, session, status=422, page_id=page_id, fields=fields, errors=errors, saved=False,
                             sources=sources_of(content))
        fields = await self.offload(editing.page_fields, self.cfg, page_id)
        return self.page("edit_page.html", request, session, page_id=page_id, fields=fields, errors={}, saved="saved" in request.query_params,
                         sources=sources_of(content))

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
        """The notices; adding one; deleting one only once confirmed (confirm=yes), after a step that shows it."""
        errors: dict[str, list[str]] = {}
        form_values = {"text": "", "starts": "", "expires": ""}
        notices = await self.offload(editing.current_notices, self.cfg)
        asked = str((request.state.form if request.method == "POST" else request.query_params).get("delete", ""))
        deleting = next((n for n in notices if n["id"] == asked), None) if asked else None
        status = 200
        if asked and deleting is None:
            errors = {"_form": ["That notice is not there any more (it may have been deleted already). Nothing was changed."]}
        elif request.method == "POST" and deleting is not None:
            if request.state.form.get("confirm") != "yes":
                status = 409  # an unconfirmed delete: nothing changes, the confirmation is shown
                errors = {"_form": ["Nothing was deleted: press “Yes, delete” to confirm."]}
            else:
                errors = await self.offload(editing.delete_notice, self.cfg, asked)
                if not errors:
                    releases.audit(self.cfg, session.user, "delete-notice", notice=asked)
                    deleting = None
        elif request.method == "POST":
            form = request.state.form
            form_values = {k: str(form.get(k, "")) for k in form_values}
            errors = await self.offload(functools.partial(editing.add_notice, self.cfg, **form_values))
            if not errors:
                releases.audit(self.cfg, session.user, "add-notice", text=form_values["text"])
                form_values = {"text": "", "starts": "", "expires": ""}
        if request.method == "POST" and not errors and not asked:
            message = "Notice added. Publish from the dashboard to send it to families."
        elif request.method == "POST" and not errors:
            message = "Notice deleted. Publish from the dashboard to take it off the site."
        else:
            message = ""
        notices = await self.offload(editing.current_notices, self.cfg)
        return self.page("notices.html", request, session, status=422 if errors and status == 200 and request.method == "POST" else status,
                         notices=notices, errors=errors, values=form_values, deleting=deleting, message=message)

    async def add_page(self, request: Request, session: Session) -> Response:
        content = await self.offload(load, self.cfg.content)
        sections = editing.sections(content)
        fields = {k: "" for k in editing.NEW_PAGE_FIELDS} | {"parent": "home", "as_of": self.cfg.today.isoformat()}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in editing.NEW_PAGE_FIELDS}
            page_id, errors = await self.offload(editing.add_page, self.cfg, content, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "add-page", page=page_id)
                return RedirectResponse(f"/admin/pages/{page_id}/?saved=1", status_code=303)
        return self.page("edit_page.html", request, session, status=422 if errors else 200, page_id="", fields=fields, errors=errors,
                         saved=False, adding=True, sections=sections, sources=sources_of(content))

    async def add_service(self, request: Request, session: Session) -> Response:
        content = await self.offload(load, self.cfg.content)
        categories = [(c.id, c.name) for c in content.categories]
        fields = {k: "" for k in editing.NEW_SERVICE_FIELDS} | {"verified_on": self.cfg.today.isoformat()}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            fields = {k: str(request.state.form.get(k, "")) for k in editing.NEW_SERVICE_FIELDS}
            sid, errors = await self.offload(editing.add_service, self.cfg, content, fields)
            if not errors:
                releases.audit(self.cfg, session.user, "add-service", service=sid)
                return RedirectResponse(f"/admin/services/{sid}/?saved=1", status_code=303)
        return self.page("edit_service.html", request, session, status=422 if errors else 200, sid="", fields=fields, errors=errors,
                         categories=categories, saved=False, adding=True)
