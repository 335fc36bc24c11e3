"""The dashboard: what is served, what publishing would change, checks and status; publish and roll back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ... import releases
from ...build import progress as build_progress_record
from ...config import Config
from ...errors import ContentError
from .auth import Session
from .base import Console


class Dashboard(Console):
    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        cfg = self.cfg
        checked = self.checked.get()
        problems: list[str] = [*(errors or []), *checked.errors]
        pending: dict[str, Any] | None = None
        if checked.inputs is not None:
            try:
                pending = self._pending()
            except ContentError as e:
                problems += [str(p) for p in e.problems]
        inputs = checked.inputs
        return self.page(
            "dashboard.html", request, session,
            current=releases.current_id(cfg), releases=releases.listing(cfg)[:10], pending=pending, problems=problems,
            warnings=checked.warnings, status_rows=checked.rows, content=inputs.content if inputs else None, message=message,
            languages=list(inputs.languages) if inputs and not problems else [], progress=build_progress(cfg),
        )

    async def progress(self, request: Request, session: Session) -> Response:
        """The running (or last) build's or publish's progress record, for a page that follows it."""
        return JSONResponse(build_progress(self.cfg) or {}, headers={"Cache-Control": "no-store"})

    def _pending(self) -> dict[str, Any] | None:
        """What publishing would change, computed again only when the content or the current release changed."""
        checked = self.checked.get()
        key = (checked.key[0] + checked.key[1], releases.current_id(self.cfg))
        if key not in self.pending_cache:
            self.pending_cache.clear()
            self.pending_cache[key] = releases.pending(self.cfg, checked.inputs)
        return self.pending_cache[key]

    async def publish(self, request: Request, session: Session) -> Response:
        try:  # in a thread: families keep being served, and the dashboard can follow the progress record
            record = await run_in_threadpool(releases.publish, self.cfg, session.user)
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


def build_progress(cfg: Config) -> dict[str, Any] | None:
    """The progress record, with "running" true while a build or publish is under way (one whose record
    has not moved for five minutes is taken as ended, e.g. killed)."""
    record = build_progress_record.read(cfg.data)
    if record is None:
        return None
    try:
        age = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(str(record.get("updated")))).total_seconds()
    except ValueError:
        age = float("inf")
    return {**record, "running": record.get("state") in ("rendering", "writing") and age < 300}
