"""Preview: the pending content in any language, exactly as families will see it (built in a worker thread)."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ... import build as building
from ... import releases
from ...build import metadata
from ...errors import ContentError
from ..static import Release
from .auth import Session
from .base import Console


class Preview(Console):
    preview_index: Release | None = None

    async def preview(self, request: Request, session: Session) -> Response:
        rest = "/" + request.path_params.get("rest", "")
        try:
            release = await self.offload(self._preview_release)
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

    def _preview_release(self) -> Release:
        inputs = self.checked.get().inputs
        if inputs is None:
            inputs = building.load_inputs(self.cfg)  # raises ContentErrors: what is wrong, for the dashboard
        dest = self.cfg.data / "preview" / inputs.source
        if self.preview_index is not None and self.preview_index.root == dest and (dest / metadata.INFO_FILE).is_file():
            return self.preview_index  # indexed once per source, not per request
        if not (dest / metadata.INFO_FILE).is_file():
            for old in (self.cfg.data / "preview").glob("*") if (self.cfg.data / "preview").is_dir() else []:
                if old.name != inputs.source and old.is_dir():
                    releases.remove_release(old)
            site, _ = building.render(inputs)
            building.write_release(site, dest)
        self.preview_index = Release(dest, verify=False)  # our own fresh build, never served to families
        return self.preview_index

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "no-cache"})
