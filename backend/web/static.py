"""Serve a release directory from ASGI with whitenoise's file index and responders.

whitenoise is a WSGI middleware; wrapping the whole app in a WSGI bridge would
push every request through a thread. Instead this uses whitenoise's own pieces:
its scan of the directory at start-up, its cache headers, its choice between
`.br`, `.gz` and the plain file, ETag/304 and ranges, and sends the result as
ASGI. One predicate decides what is immutable: a content hash in the name. Only files that the
release's checksums.json vouches for are served.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send
from whitenoise import WhiteNoise
from whitenoise.responders import Redirect, SlicedFile, StaticFile

from ..build.metadata import check_file, language_tags, read_info, read_manifest
from ..policy import NOT_SERVED, PAGE_MAX_AGE, SERVICE_WORKER_HEADERS, cache_control, is_hashed

CHUNK = 64 * 1024
log = logging.getLogger("puente")
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
    """One release directory, indexed once, served over ASGI.

    With `verify`, every file is checked against the release's checksums.json when it is indexed:
    a file that is missing from it, truncated or changed is never served (`problems` says which), and
    at serving time a file whose size no longer matches is refused, never sent cut short. With
    `hashed_only`, only the files whose names carry a content hash are indexed (an older release's
    assets, kept served after a switch).
    """

    def __init__(self, root: Path, release_id: str | None = None, *, verify: bool = True, hashed_only: bool = False):
        self.root = Path(root)
        info = read_info(self.root)
        self.id: str = release_id or info["id"]
        self.languages: set[str] = set(language_tags(info))
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
        files = {k: v for k, v in index.files.items() if k not in NOT_SERVED and (not hashed_only or is_hashed(k))}
        self.problems: list[str] = []
        self.sizes: dict[str, int] = {}
        if verify:
            files = self._verified(files)
        self.files: dict[str, StaticFile | Redirect] = files

    def _verified(self, files: dict[str, StaticFile | Redirect]) -> dict[str, StaticFile | Redirect]:
        """The entries whose files checksums.json vouches for, each with only its intact encodings."""
        try:
            expected = read_manifest(self.root)
        except ValueError as e:
            self.problems.append(str(e))
            return {}
        checked: dict[str, str | None] = {}
        kept: dict[str, StaticFile | Redirect] = {}
        for url, found in files.items():
            if not isinstance(found, StaticFile):
                kept[url] = found
                continue
            good = []
            for alternative in found.alternatives:
                path = alternative[1]
                rel = Path(path).relative_to(self.root).as_posix()
                if path not in checked:
                    checked[path] = check_file(self.root, rel, expected.get(rel))
                    if checked[path]:
                        self.problems.append(str(checked[path]))
                    else:
                        self.sizes[path] = expected[rel][0]
                if not checked[path]:
                    good.append(alternative)
            if any(alternative[0].pattern == "" for alternative in good):  # never without its plain (unencoded) file
                found.alternatives = good
                kept[url] = found
        return kept

    def find(self, path: str) -> StaticFile | Redirect | None:
        return self.files.get(path)

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    async def serve(self, found: StaticFile | Redirect, scope: Scope, receive: Receive, send: Send) -> bool:
        """Send the file (or a 503 if it is no longer what was indexed); return False, having sent nothing, if it is gone."""
        request_headers = {}
        for key, value in scope["headers"]:
            name = key.decode("latin-1").upper().replace("-", "_")
            if name in {"ACCEPT_ENCODING", "IF_NONE_MATCH", "IF_MODIFIED_SINCE", "RANGE"}:
                request_headers["HTTP_" + name] = value.decode("latin-1")
        try:
            response = found.get_response(scope["method"], request_headers)
        except OSError:  # removed since it was indexed (an older release pruned)
            return False
        if response.file is not None and not self._intact(response.file):  # never a body cut short
            response.file.close()
            log.error("%s: a file of release %s changed on disk since it was indexed; not served (`serve.py verify`)", self.root, self.id)
            body = b"This file is damaged on the server. Please try again later."
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": body})
            return True
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        if response.file is None:
            await send({"type": "http.response.body", "body": b""})
            return True
        with response.file as f:
            while True:
                chunk = f.read(CHUNK)
                more = len(chunk) == CHUNK
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    break
        return True

    def _intact(self, file: Any) -> bool:
        """Whether an opened file still has the size checksums.json gives it (one fstat)."""
        raw = file.fileobj if isinstance(file, SlicedFile) else file
        expected = self.sizes.get(getattr(raw, "name", ""))
        return expected is None or os.fstat(raw.fileno()).st_size == expected
