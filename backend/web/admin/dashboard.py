"""The dashboard: what is served, what publishing would change, checks and status; publish and roll back.

All of it runs in a worker thread (Console.offload): a publish or the pending changes' render never
holds up a family's request.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ... import releases
from ...errors import ContentError
from .auth import Session
from .base import Console


class Dashboard(Console):
    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        return self.page("dashboard.html", request, session, message=message, **await self.offload(self._state, errors or []))

    def _state(self, errors: list[str]) -> dict[str, Any]:
        """Everything the dashboard shows (checks, what publishing would change): work for a worker thread."""
        cfg = self.cfg
        checked = self.checked.get()
        problems: list[str] = [*errors, *checked.errors]
        pending: dict[str, Any] | None = None
        if checked.inputs is not None:
            try:
                pending = self._pending()
            except ContentError as e:
                problems += [str(p) for p in e.problems]
        inputs = checked.inputs
        return {
            "current": releases.current_id(cfg), "releases": releases.listing(cfg)[:10], "pending": pending, "problems": problems,
            "warnings": checked.warnings, "status_rows": checked.rows, "content": inputs.content if inputs else None,
            "languages": list(inputs.languages) if inputs and not problems else [],
        }

    def _pending(self) -> dict[str, Any] | None:
        """What publishing would change, computed again only when the content or the current release changed."""
        checked = self.checked.get()
        key = (checked.key[0] + checked.key[1], releases.current_id(self.cfg))
        if key not in self.pending_cache:
            self.pending_cache.clear()
            self.pending_cache[key] = releases.pending(self.cfg, checked.inputs)
        return self.pending_cache[key]

    async def publish(self, request: Request, session: Session) -> Response:
        try:
            record = await self.offload(releases.publish, self.cfg, session.user, self.cfg.keep)
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
