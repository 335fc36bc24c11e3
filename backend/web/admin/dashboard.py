"""The dashboard: what is served, what publishing would change, checks and status; publish and roll back.

The checks, the pending changes' render and a publish run in a child process (work.py), a rollback in
a worker thread: none of it holds up a family's request.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ... import releases
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
            languages=state["languages"] if not problems else [],
        )

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
