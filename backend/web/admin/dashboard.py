"""The dashboard: what is served, what publishing would change, checks and status; publish and roll back.

The checks, the pending changes' render and a publish run in a child process (work.py), a rollback in
a worker thread: none of it holds up a family's request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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
        state = await self.state()
        problems: list[str] = [*(errors or []), *state["errors"]]
        kept = await self.offload(releases.listing, self.cfg)
        return self.page(
            "dashboard.html", request, session, message=message,
            current=releases.current_id(self.cfg), releases=kept[:10], pending=state["pending"], problems=problems,
            warnings=state["warnings"], status_rows=state["rows"], content=state["content"],
            languages=state["languages"] if not problems else [], progress=build_progress(self.cfg),
        )

    async def progress(self, request: Request, session: Session) -> Response:
        """The running (or last) build's or publish's progress record, for a page that follows it."""
        return JSONResponse(build_progress(self.cfg) or {}, headers={"Cache-Control": "no-store"})

    async def publish(self, request: Request, session: Session) -> Response:
        try:
            record = await self.in_child(releases.publish, self.cfg, session.user, self.cfg.keep)
        except ContentError as e:
            return await self.dashboard(request, session, errors=["Not published: " + str(p) for p in e.problems])
        except releases.PublishError as e:
            return await self.dashboard(request, session, errors=[str(e)])
        return await self.dashboard(request, session, message=f"Published release {record['id']}: {record['summary']}.")

    async def rollback(self, request: Request, session: Session) -> Response:
        target = str(request.state.form.get("release", "")) or None
        try:
            record = await self.offload(releases.rollback, self.cfg, session.user, target)
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
