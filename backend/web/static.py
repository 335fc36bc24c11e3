"""Serve a release directory from ASGI with whitenoise's file index and responders.

whitenoise is a WSGI middleware; wrapping the whole app in a WSGI bridge would
push every request through a thread. Instead this uses whitenoise's own pieces:
its scan of the directory at start-up, its cache headers, its choice between
`.br`, `.gz` and the plain file, ETag/304 and ranges, and sends the result as
ASGI. One predicate decides what is immutable: a content hash in the name.

Most requests are a GET of a small file, as a phone asks for it: for those, `Release.answer`
sends the bytes and a header list made once per file and encoding (the security headers of its
kind from backend/policy.py included), and no middleware runs. Ranges, If-Modified-Since, other
methods and large files go the general way, through whitenoise's responder and the middleware. Only files that the
release's checksums.json vouches for are served.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send
from whitenoise import WhiteNoise
from whitenoise.responders import Redirect, SlicedFile, StaticFile

from ..build.metadata import check_file, language_tags, read_info, read_manifest
from ..policy import HSTS_HEADER, NOT_SERVED, NOT_SERVED_UNDER, PAGE_MAX_AGE, SERVICE_WORKER_HEADERS, cache_control, is_document, is_hashed
from .middleware import encoded_security_headers

CHUNK = 64 * 1024
log = logging.getLogger("puente")
MEDIA_TYPES = {".webmanifest": "application/manifest+json", ".vcf": "text/vcard"}
SMALL = 256 * 1024  # files up to this size are answered from memory
MEMORY = 96 * 1024 * 1024  # at most this many bytes of one release's files are held in memory per process
# a request with one of these, or coming through a proxy, goes the general path
_SLOW_HEADERS = frozenset({b"range", b"if-modified-since", b"if-range", b"x-forwarded-proto", b"x-forwarded-for", b"forwarded"})
# Last-Modified is not sent: the ETag does its work (browsers revalidate with If-None-Match), in fewer bytes.
_DROPPED = frozenset({b"last-modified"})


def is_immutable(path: str, url: str) -> bool:
    return is_hashed(url)


def _headers(headers: Any, path: str, url: str) -> None:
    headers["Content-Type"] = headers["Content-Type"].replace('charset="utf-8"', "charset=utf-8")
    headers["Cache-Control"] = cache_control(url)
    if url == "/sw.js":
        for name, value in SERVICE_WORKER_HEADERS:
            headers[name] = value


Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Variant:
    """One encoding of one file: whether the request accepts it, its headers, and its bytes when small."""

    accepts: re.Pattern[str]
    path: str
    headers: Headers
    body: bytes | None
    block: bytes  # the headers as HTTP/1.1 lines, for the server's fast path


@dataclass(frozen=True)
class Answer:
    """Everything needed to answer a plain GET or HEAD of one file without touching the disk again."""

    etag: bytes
    variants: tuple[Variant, ...]  # the smallest first, as whitenoise orders them; the last accepts anything
    not_modified: Headers
    not_modified_block: bytes
    document: bool


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
        files = {k: v for k, v in index.files.items() if k not in NOT_SERVED and not k.startswith(NOT_SERVED_UNDER) and (not hashed_only or is_hashed(k))}
        self.problems: list[str] = []
        self.sizes: dict[str, int] = {}
        if verify:
            files = self._verified(files)
        self.files: dict[str, StaticFile | Redirect] = files
        self._answers: dict[str, Answer | None] = {}
        self._held = 0  # bytes of file content held by the answers

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

    def answer_for(self, path: str) -> Answer | None:
        """The prepared answer for a file of this release, made on its first request; None for a redirect or an unknown path."""
        try:
            return self._answers[path]
        except KeyError:
            pass
        found = self.files.get(path)
        answer = self._prepare(path, found) if isinstance(found, StaticFile) else None
        if found is not None:  # unknown paths are not remembered: a stranger's made-up paths cost no memory
            self._answers[path] = answer
        return answer

    def _prepare(self, url: str, found: StaticFile) -> Answer | None:
        variants = []
        content_type = ""
        for accepts, file_path, headers in found.alternatives:
            content_type = next((v for k, v in headers if k == "Content-Type"), content_type)
            size = int(next(v for k, v in headers if k == "Content-Length"))
            body = None
            if size <= SMALL and self._held + size <= MEMORY:
                try:
                    with open(file_path, "rb") as f:
                        body = f.read()
                except OSError:
                    return None  # gone or unreadable: the general path answers (and reports it)
                if len(body) != size:
                    return None
                self._held += size
            if body is None:
                return None  # large or over the memory budget: streamed by the general path
            encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            encoded = [h for h in encoded if h[0] not in _DROPPED]
            encoded += encoded_security_headers(content_type, url, False)
            variants.append(Variant(accepts, file_path, encoded, body, _block(encoded)))
        if not variants:
            return None
        not_modified = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in found.not_modified_response.headers]
        not_modified += encoded_security_headers(content_type, url, False)
        return Answer(
            etag=str(found.etag).encode("latin-1"),
            variants=tuple(variants),
            not_modified=not_modified,
            not_modified_block=_block(not_modified),
            document=is_document(content_type, url),
        )

    def choose(self, answer: Answer, method: str, accept_encoding: str, if_none_match: bytes) -> tuple[int, Variant | None, bytes]:
        """The status, the variant (None for 304) and the body of a plain GET or HEAD of a prepared file."""
        if if_none_match and _matches(if_none_match, answer.etag):
            return 304, None, b""
        variant = next((v for v in answer.variants if v.accepts.search(accept_encoding)), answer.variants[-1])
        return 200, variant, (variant.body or b"") if method == "GET" else b""

    def raw(self, path: str, method: str, request_headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, bytes, bool] | None:
        """For the server's own fast path (web/server.py): (status, header lines, body, is a document) of a
        plain GET or HEAD of a prepared file, or None when the request needs the general path."""
        answer = self.answer_for(path)
        if answer is None:
            return None
        accept_encoding, if_none_match = "", b""
        for name, value in request_headers:
            if name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value
            elif name in _SLOW_HEADERS:
                return None
        status, variant, body = self.choose(answer, method, accept_encoding, if_none_match)
        return status, answer.not_modified_block if variant is None else variant.block, body, answer.document

    async def answer(self, answer: Answer, scope: Scope, send: Send) -> bool:
        """Answer a GET or HEAD from memory, headers and all; False when the request needs the general path."""
        accept_encoding = ""
        if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value
            elif name in _SLOW_HEADERS:
                return False
        status, variant, body = self.choose(answer, scope["method"], accept_encoding, if_none_match)
        headers = answer.not_modified if variant is None else variant.headers
        if answer.document and scope.get("scheme") == "https":
            headers = [*headers, _HSTS]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

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
        headers = [h for h in headers if h[0] not in _DROPPED]
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


_HSTS = (HSTS_HEADER[0].lower().encode(), HSTS_HEADER[1].encode())


def _block(headers: Headers) -> bytes:
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers)


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    """If-None-Match against our ETag: `*`, or the tag in a list, weak or strong (RFC 9110 13.1.2 weak comparison)."""
    if if_none_match.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == etag.removeprefix(b"W/") for tag in if_none_match.split(b","))
