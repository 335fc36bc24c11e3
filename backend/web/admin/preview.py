"""Preview: the pending content in any language, exactly as families will see it (built in a child process)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ...errors import ContentError
from ..static import Release
from . import work
from .auth import Session
from .base import Console


class Preview(Console):
    _preview: tuple[tuple[str, str], Release] | None = None

    async def preview(self, request: Request, session: Session) -> Response:
        rest = "/" + request.path_params.get("rest", "")
        try:
            release = await self._preview_release()
        except ContentError as e:
            return await self.dashboard(request, session, errors=["Preview not possible: " + str(p) for p in e.problems])
        found = release.find(rest) or release.find(rest.rstrip("/") + "/")
        if found is None or not hasattr(found, "alternatives"):
            return PlainTextResponse("Not in the preview.", status_code=404)
        path = Path(found.alternatives[-1][1])
        body = await anyio.Path(path).read_bytes()
        media = next((v for k, v in found.alternatives[-1][2] if k.lower() == "content-type"), "application/octet-stream")
        if path.suffix == ".html":  # keep the reader inside the preview
            body = re.sub(rb'(href|src)="/(?!admin/)', rb'\1="/admin/preview/', body)
        return Response(body, media_type=media.split(";")[0], headers={"Cache-Control": "no-store"})

    async def _preview_release(self) -> Release:
        """The working content built (in a child process) and indexed, once per version of its files."""
        key = await self.files_key()
        if self._preview is None or self._preview[0] != key or not self._preview[1].root.is_dir():
            dest = await self.in_child(work.build_preview, self.cfg)
            index = await self.offload(functools.partial(Release, dest, verify=False))  # our own fresh build, never served to families
            self._preview = (key, index)
        return self._preview[1]

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "no-cache"})
