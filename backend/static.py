"""Serve a release directory from ASGI with whitenoise's file index and responders.

whitenoise is a WSGI middleware; wrapping the whole app in a WSGI bridge would
push every request through a thread. Instead this uses whitenoise's own pieces:
its scan of the directory at start-up, its cache headers, its choice between
`.br`, `.gz` and the plain file, ETag/304 and ranges, and sends the result as
ASGI. One predicate decides what is immutable: a content hash in the name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send
from whitenoise import WhiteNoise
from whitenoise.responders import Redirect, StaticFile

PAGE_MAX_AGE = 300  # pages and manifests: five minutes; the service worker holds them for offline anyway
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
CHUNK = 64 * 1024
MEDIA_TYPES = {".webmanifest": "application/manifest+json", ".vcf": "text/vcard"}
NOT_SERVED = {"/release.json", "/api/hsds/organizations.json", "/_headers"}  # the second goes through its route in app.py; the third is for static hosts
SERVICE_WORKER_HEADERS = (("Cache-Control", "no-cache"), ("Service-Worker-Allowed", "/"))
IMMUTABLE = f"public, max-age={WhiteNoise.FOREVER}, immutable"


def is_immutable(path: str, url: str) -> bool:
    return bool(HASHED.search(url))


def _headers(headers: Any, path: str, url: str) -> None:
    headers["Content-Type"] = headers["Content-Type"].replace('charset="utf-8"', "charset=utf-8")
    headers["Vary"] = "Accept-Encoding"
    if url == "/sw.js":
        for name, value in SERVICE_WORKER_HEADERS:
            headers[name] = value
    elif not is_immutable(path, url):
        headers["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
    else:
        headers["Cache-Control"] = IMMUTABLE


class Release:
    """One release directory, indexed once, served over ASGI."""

    def __init__(self, root: Path, release_id: str | None = None):
        self.root = Path(root)
        info = json.loads((self.root / "release.json").read_text(encoding="utf-8"))
        self.id: str = release_id or info["id"]
        self.languages: set[str] = {lang["tag"] for lang in info["languages"]}
        index = WhiteNoise(
            None,
            root=str(self.root),
            index_file=True,
            max_age=PAGE_MAX_AGE,
            allow_all_origins=False,
            mimetypes=MEDIA_TYPES,
            immutable_file_test=is_immutable,
            add_headers_function=_headers,
        )
        self.files: dict[str, StaticFile | Redirect] = {k: v for k, v in index.files.items() if k not in NOT_SERVED}

    def find(self, path: str) -> StaticFile | Redirect | None:
        return self.files.get(path)

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    async def serve(self, found: StaticFile | Redirect, scope: Scope, receive: Receive, send: Send) -> None:
        request_headers = {}
        for key, value in scope["headers"]:
            name = key.decode("latin-1").upper().replace("-", "_")
            if name in {"ACCEPT_ENCODING", "IF_NONE_MATCH", "IF_MODIFIED_SINCE", "RANGE"}:
                request_headers["HTTP_" + name] = value.decode("latin-1")
        response = found.get_response(scope["method"], request_headers)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        if response.file is None:
            await send({"type": "http.response.body", "body": b""})
            return
        with response.file as f:
            while True:
                chunk = f.read(CHUNK)
                more = len(chunk) == CHUNK
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    break
