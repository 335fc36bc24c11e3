"""Serve a release directory from ASGI with whitenoise's file index and responders.

whitenoise is a WSGI middleware; wrapping the whole app in a WSGI bridge would
push every request through a thread. Instead this uses whitenoise's own pieces:
its scan of the directory at start-up, its cache headers, its choice between
`.br`, `.gz` and the plain file, ETag/304 and ranges, and sends the result as
ASGI. One predicate decides what is immutable: a content hash in the name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send
from whitenoise import WhiteNoise
from whitenoise.responders import Redirect, StaticFile

from ..build.metadata import language_tags, read_info
from ..policy import NOT_SERVED, NOT_SERVED_UNDER, PAGE_MAX_AGE, SERVICE_WORKER_HEADERS, cache_control, is_hashed

CHUNK = 64 * 1024
MEDIA_TYPES = {".webmanifest": "application/manifest+json", ".vcf": "text/vcard"}


def is_immutable(path: str, url: str) -> bool:
    return is_hashed(url)


def _headers(headers: Any, path: str, url: str) -> None:
    headers["Content-Type"] = headers["Content-Type"].replace('charset="utf-8"', "charset=utf-8")
    headers["Vary"] = "Accept-Encoding"
    headers["Cache-Control"] = cache_control(url)
    if url == "/sw.js":
        for name, value in SERVICE_WORKER_HEADERS:
            headers[name] = value


class Release:
    """One release directory, indexed once, served over ASGI."""

    def __init__(self, root: Path, release_id: str | None = None):
        self.root = Path(root)
        info = read_info(self.root)
        self.id: str = release_id or info["id"]
        self.languages: set[str] = set(language_tags(info))
        self.base: str = str(info.get("base_path", ""))  # "" or "/path": where the release was built to live
        self.built_at: str = str(info.get("built_at", ""))
        # What verification exists today: release.json was read back whole and names this release.
        self.verified: bool = info["id"] == self.id
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
        self.files: dict[str, StaticFile | Redirect] = {k: v for k, v in index.files.items() if k not in NOT_SERVED and not k.startswith(NOT_SERVED_UNDER)}

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
