"""Hostile input, by property: the markup renderer and the catalog validator take any text and
either accept it or raise ContentError, and what they accept renders only the allowed markup.
Hostile HTTP (odd paths, methods, headers, bodies) never gets a 500, a traceback or a file from
outside the release; a body over the limit gets 413 without being read whole.

Two levels, as elsewhere: the ASGI app called directly with the exact scope a server would pass
(so paths reach it undecoded by any client library), and the real `python serve.py` over raw sockets.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import shutil
import socket
import string
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polib
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from backend.content import markup
from backend.errors import ContentError
from backend.i18n import catalog_problems, discover, parse_catalog, raise_problems, read_catalog
from backend.policy import MAX_BODY, is_document
from backend.web.app import create_app
from backend.web.middleware import BodyLimit
from backend.web.server import HEADER_TIMEOUT
from backend.web.static import Release

from .conftest import Server

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- what the renderer may emit ------------------------------------------------------------------

INLINE_TAGS = {"strong": set(), "em": set(), "a": {"href"}, "span": {"class", "lang"}}
BLOCK_TAGS = {**INLINE_TAGS, "p": set(), "ul": set(), "li": set(), **{f"h{n}": set() for n in range(2, 7)}}
SPAN_CLASSES = {"missing-link", "missing-tag", "fallback-tag"}
SAFE_HREF = re.compile(r"^(?:https?://|mailto:|tel:\+?[0-9-]+$|/(?!/))", re.IGNORECASE)
TAG = re.compile(r'</?([a-z0-9]+)((?: [a-z]+="[^"<>]*")*)>')


class _Audit(HTMLParser):
    """Collects every tag, attribute and oddity (comments, declarations) of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.odd: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.odd.append(f"self-closing <{tag}/>")

    def handle_comment(self, data: str) -> None:
        self.odd.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.odd.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.odd.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.odd.append("declaration")


def assert_only_allowed_markup(out: str, allowed: dict[str, set[str]]) -> None:
    """Every tag of `out` is allowed, with allowed attributes and safe values; no stray < or > anywhere."""
    leftover = TAG.sub("", out)
    assert "<" not in leftover and ">" not in leftover, f"markup outside the allowed tags: {out!r}"
    audit = _Audit()
    audit.feed(out)
    audit.close()
    assert audit.odd == [], out
    for tag, attrs in audit.tags:
        assert tag in allowed, f"<{tag}> is not allowed: {out!r}"
        for name, value in attrs:
            assert name in allowed[tag], f"<{tag} {name}> is not allowed: {out!r}"
            value = value or ""
            if name == "href":
                assert SAFE_HREF.match(value), f"unsafe link {value!r}: {out!r}"
                assert not re.search(r"(?i)javascript:|data:|vbscript:", value), out
            if name == "class":
                assert value in SPAN_CLASSES, out
            if name == "lang":
                assert re.fullmatch(r"[A-Za-z0-9-]+", value), out


# -- strategies ------------------------------------------------------------------------------------

TOKENS = [
    "*", "**", "***", "[", "]", "(", ")", "](", "](#)", "](/services/)", "](https://example.org/a?b=1&c=2)",
    "](javascript:alert(1))", "](JaVaScRiPt:alert(1))", "](data:text/html,<script>x</script>)", "](//evil.example/)",
    "](/\\evil)", "](mailto:a@b.org)", "](tel:+18605550100)", "](http://x/\"onmouseover=\"alert(1))",
    "<", ">", "<b>", "</b>", "<script>", "<img src=x onerror=alert(1)>", "<!--", "-->", "<!doctype html>", "<?xml?>",
    "<https://example.org/>", "<mailto:a@b.org>", "<javascript:alert(1)>", "&", "&amp;", "&#60;", "&lt;", '"', "'", "`",
    "\\", "\\*", "\\[", "\\<", "_", "__", "#", "## ", "- ", "  - ", "    - ", "1. ", "> ", "|", "```", "~~~", "---", "![",
    "\n", "\n\n", "\t", " ", "\x00", "\u202e", "\ufeff", "\u2028", "é", "中", "ش", "word", "http://", "https://",
]
markdownish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=40).map("".join)
any_text = st.text(max_size=200) | markdownish
MARK = "\ue000"  # stands for the "link not available yet" label


# -- the markup dialect ------------------------------------------------------------------------------


@FUZZ
@given(any_text, st.sampled_from(["", "/es"]))
@example("[x](javascript:alert(1))", "")
@example("<img src=x onerror=alert(1)>", "")
@example('[a](http://x/"onmouseover="alert(1))', "")
@example("[a](/\\evil)", "")
@example("[a](//evil.example/)", "")
@example("[**a**](https://x.org/) *b* <https://y.org/>", "/es")
def test_inline_renderer_accepts_or_refuses_and_emits_only_allowed_markup(text: str, prefix: str) -> None:
    try:
        out = markup.render_inline(text, link_prefix=prefix, missing_label='<b>"no link"</b>')
    except ContentError:
        with pytest.raises(ContentError):
            markup.validate_inline(text)  # one verdict: the validator agrees with the renderer
        return
    markup.validate_inline(text)
    assert_only_allowed_markup(out, INLINE_TAGS)
    # the other readers of the same text never fail on what the renderer accepted
    words = markup.plain_text(text)
    targets = [target for target, _ in markup.links(text)]
    assert sorted(targets) == list(markup.signature(text)[0])
    if MARK not in text:  # what a reader sees is the plain text, whatever the markup around it
        shown = html.unescape(TAG.sub("", markup.render_inline(text, missing_label=MARK))).replace(f" ({MARK})", "")
        assert shown == words


@FUZZ
@given(any_text, st.sampled_from([None, "en", "fa-AF"]), st.integers(0, 2))
@example("## a\n\n- b\n  - c\n    - d\n\npara", "en", 2)
def test_block_parser_accepts_or_refuses_and_renders_only_allowed_markup(text: str, fallback: str | None, offset: int) -> None:
    try:
        blocks = markup.parse_blocks(text, first_line=3)
    except ContentError as e:
        assert e.problem.line is None or e.problem.line >= 3
        return
    for b in blocks:
        assert b.kind in {"heading", "paragraph", "item"} and "\n" not in b.text
        assert 2 <= b.level <= 4 if b.kind == "heading" else 1 <= b.level <= 3
    rendered = [markup.Rendered(b, b.text, fallback) for b in blocks]
    out = markup.render_blocks(rendered, link_prefix="/fa-AF", fallback_label="<English>", heading_offset=offset)
    assert_only_allowed_markup(out, BLOCK_TAGS)
    audit = _Audit()
    audit.feed(out)
    opened = [t for t, _ in audit.tags if t in ("ul", "li")]
    assert out.count("<ul>") == out.count("</ul>") == opened.count("ul")
    assert out.count("<li>") == out.count("</li>") == opened.count("li")


# -- the catalog validator ---------------------------------------------------------------------------

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: xx\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n"X-Review-Status: draft\\n"\n\n'
)
PO_TOKENS = ['msgid ', 'msgstr ', 'msgctxt ', 'msgid_plural ', 'msgstr[0] ', 'msgstr[9] ', '#, fuzzy\n', '#~ ', '#. ',
             '"', '\\"', '\\', '\\n', '\n', '""', '"%(name)s"', '"%"', '"<b>"', '"[x](#)"', 'Plural-Forms: ', 'nplurals=',
             'plural=(n==1 ? 0 : 1);', 'plural=(__import__("os").system("x"));', "charset=latin-1", "\xff", "\x00", "\ufeff"]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _catalog_at(scratch: Path, data: bytes) -> Path:
    path = scratch / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@FUZZ
@given(st.binary(max_size=400) | st.lists(st.sampled_from(PO_TOKENS) | st.text(max_size=6), max_size=40).map(
    lambda parts: (HEADER + "".join(parts)).encode("utf-8", "surrogatepass")))
@example(HEADER.encode() + b'msgctxt "ui"\nmsgid "Home"\nmsgstr "<script>alert(1)</script>"\n')
@example(HEADER.replace("plural=(n != 1)", 'plural=(__import__("os").getpid())').encode())
@example(b'msgid "unterminated\n')
@example(HEADER.replace("plural=(n != 1)", "plural=(n/0)").encode())
@example(HEADER.replace("plural=(n != 1)", "plural=(n%0)").encode())
@example(HEADER.replace("plural=(n != 1)", "plural=" + "(" * 200 + "n" + ")" * 200).encode())
@example(b"\xff\xfe\x00")
def test_catalog_validator_reports_problems_and_never_crashes(scratch: Path, data: bytes) -> None:
    path = _catalog_at(scratch, data)
    problems = catalog_problems(path)  # never raises: it is how the admin and `check` list problems
    for p in problems:
        assert p.file == str(path) and p.message and (p.line is None or p.line >= 1)
    try:
        read_catalog(path)
    except ContentError as e:
        assert problems, "read_catalog refused a catalog that catalog_problems passed"
        assert e.problem.file == str(path)
    try:
        languages = discover(scratch / "locales")
    except ContentError:
        assert problems
        return
    lang = next(lang for lang in languages if lang.tag == "es")
    try:
        raise_problems([parse_catalog(lang.catalog)])
    except ContentError:
        assert problems
    else:
        assert not problems


SOURCES = [
    ("page:rights", "Every child has the right to go to school."),
    ("page:rights", "Read **the law** and [the district's page](https://www.hartfordschools.org/) or [this](#)."),
    ("page:services", "Call [CIRI](tel:+18605550100) or see [the directory](/services/)."),
    ("ui", "Home"),
    ("ui", "Contact details last confirmed on %(date)s."),
]


@FUZZ
@given(st.sampled_from(SOURCES), any_text)
@example(SOURCES[1], "Lea **la ley** y [la página](https://www.hartfordschools.org/) o [esto](javascript:alert(1)).")
@example(SOURCES[1], 'Lea **la ley** y [la página](https://www.hartfordschools.org/) o [esto](#)<img src=x onerror=alert(1)>.')
@example(SOURCES[4], "Confirmado el %(date)s <script>x</script>")
def test_a_translation_the_validator_accepts_renders_safely_with_its_sources_links(
    scratch: Path, source: tuple[str, str], translation: str
) -> None:
    context, msgid = source
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "es",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
        "X-Review-Status": "draft",
    }
    po.append(polib.POEntry(msgctxt=context, msgid=msgid, msgstr=translation))
    path = _catalog_at(scratch, str(po).encode("utf-8", "surrogatepass"))
    problems = catalog_problems(path)
    if problems:
        return
    shown = " ".join(translation.split())  # as Translator.unit shows it
    if context == "ui":  # shown through Jinja's autoescape; and the validator refuses markup outright
        assert "<" not in translation
        return
    if not shown:
        return
    out = markup.render_inline(shown, link_prefix="/es")  # accepted: so it renders, and safely
    assert_only_allowed_markup(out, INLINE_TAGS)
    assert sorted(t for t, _ in markup.links(shown)) == sorted(t for t, _ in markup.links(msgid))


# -- HTTP, in process: the exact scope a server passes -----------------------------------------------

_LOOP_THREAD = ThreadPoolExecutor(max_workers=1)


def run_async(coroutine: Any) -> Any:
    """asyncio.run in a thread of its own: the suite's sync Playwright keeps an event loop running in this one."""
    return _LOOP_THREAD.submit(asyncio.run, coroutine).result()


ALLOWED_STATUS = {200, 206, 301, 302, 304, 400, 404, 405, 413, 416}


@pytest.fixture(scope="module")
def fenced_release(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the release with secrets planted beside and above it: none may ever be served."""
    root = tmp_path_factory.mktemp("fenced")
    site = root / "data" / "releases" / "site"
    shutil.copytree(release_dir, site)
    for planted in (root / "secret.txt", root / "data" / "secret.txt", root / "data" / "releases" / "secret.txt",
                    root / "data" / "admin.json"):
        planted.write_text("PLANTED-SECRET-7f3a\n")
    return site


@pytest.fixture(scope="module")
def asgi(fenced_release: Path) -> Any:
    return create_app(fenced_release)


def call(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None, body: bytes = b"",
         raw_path: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send one request through the ASGI app as uvicorn would, and return (status, headers, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": raw_path if raw_path is not None else path.encode("utf-8", "replace"),
        "query_string": b"", "root_path": "", "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_async(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    head = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


def assert_harmless(status: int, headers: dict[str, str], body: bytes, *, path: str, release: Release) -> None:
    assert status in ALLOWED_STATUS, f"{path!r}: {status}"
    assert b"Traceback" not in body and b"PLANTED-SECRET" not in body, path
    assert headers.get("x-content-type-options") == "nosniff", path
    if is_document(headers.get("content-type", ""), path):
        assert "content-security-policy" in headers, path
    if status in (200, 206, 304):  # only files of the release, or the app's own routes
        assert path in release.files or path.startswith("/api/"), f"{path!r} served with {status}"


TRAVERSAL = st.lists(
    st.sampled_from(["..", ".", "%2e%2e", "%2E%2E", "..%2f", "%2e%2e%2f", "..\\", "%c0%ae%c0%ae", "\u2025", "\uff0e\uff0e",
                     "\x00", "%00", "secret.txt", "admin.json", "releases", "data", "site", "etc", "passwd", "release.json",
                     "_headers", "es", "static", "index.html", "sw.js", "", "~", "%", "%%", "%ff", "\ufffd", "a" * 300]),
    max_size=12,
).map("/".join)
PATHS = (TRAVERSAL | st.text(max_size=60)).map(lambda p: p if p.startswith("/") else "/" + p)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"]) | st.text(
    alphabet=string.ascii_uppercase + "-_!", min_size=1, max_size=12)
HEADER_NAMES = st.sampled_from([b"range", b"if-none-match", b"if-modified-since", b"accept-encoding", b"cookie", b"content-type",
                                b"x-forwarded-proto", b"transfer-encoding", b"origin", b"accept-language"]) | st.binary(min_size=1, max_size=20)
HEADERS_ = st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=200)), max_size=6)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(method=METHODS, path=PATHS, headers=HEADERS_, body=st.binary(max_size=64))
@example(method="GET", path="/../secret.txt", headers=[], body=b"")
@example(method="GET", path="/es/../../secret.txt", headers=[], body=b"")
@example(method="GET", path="/../../admin.json", headers=[], body=b"")
@example(method="GET", path="/\x00", headers=[], body=b"")
@example(method="GET", path="/" + "a" * 100_000, headers=[], body=b"")
@example(method="GET", path="/es/", headers=[(b"range", b"bytes=99999999-")], body=b"")
@example(method="GET", path="/es/", headers=[(b"range", b"bytes=5-1,,--9")], body=b"")
@example(method="GET", path="/es/", headers=[(b"accept-encoding", b"br;q=garbage, *;q=-1")], body=b"")
@example(method="POST", path="/api/release", headers=[(b"content-length", b"-1")], body=b"")
@example(method="POST", path="/api/release", headers=[(b"content-length", b"99999999999999999999")], body=b"")
def test_any_request_gets_a_harmless_answer(asgi: Any, fenced_release: Path, method: str, path: str,
                                            headers: list[tuple[bytes, bytes]], body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="puente")
    caplog.clear()
    status, head, content = call(asgi, method, path, [(k.lower(), v) for k, v in headers], body)
    assert_harmless(status, head, content, path=path, release=_release(fenced_release))
    assert not caplog.records, [r.getMessage() for r in caplog.records]


_releases: dict[Path, Release] = {}


def _release(root: Path) -> Release:
    if root not in _releases:
        _releases[root] = Release(root)
    return _releases[root]


def test_a_served_file_is_exactly_the_release_file(asgi: Any, fenced_release: Path) -> None:
    release = _release(fenced_release)
    for path in ("/es/", "/sw.js", "/es/manifest.webmanifest"):
        status, _, body = call(asgi, "GET", path, [(b"accept-encoding", b"identity")])
        assert status == 200
        name = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
        assert body == (fenced_release / name).read_bytes() and path in release.files


# -- request bodies ----------------------------------------------------------------------------------


def _run(app: Any, headers: list[tuple[bytes, bytes]], chunks: Iterator[bytes]) -> tuple[list[dict[str, Any]], int]:
    sent: list[dict[str, Any]] = []
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/admin/upload", "headers": headers, "query_string": b""}
    run_async(app(scope, receive, send))
    return sent, reads


class _Reader:
    """An app that reads its whole body, then answers with its length (as an upload handler would)."""

    def __init__(self) -> None:
        self.called = False
        self.saw_disconnect = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.saw_disconnect = True
                raise RuntimeError("client went away")  # as Starlette's ClientDisconnect would
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = str(size).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    inner = _Reader()
    endless = iter(lambda: b"x" * 65536, None)
    sent, reads = _run(BodyLimit(inner, limit=1000), [(b"content-length", b"1001")], endless)
    assert sent[0]["status"] == 413 and reads == 0 and not inner.called
    assert (b"connection", b"close") in sent[0]["headers"]


def test_an_endless_chunked_body_is_cut_off_at_the_limit() -> None:
    inner = _Reader()
    endless = iter(lambda: b"x" * 1000, None)
    sent, reads = _run(BodyLimit(inner, limit=10_000), [(b"transfer-encoding", b"chunked")], endless)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    assert reads == 11, "read past the limit"
    assert inner.saw_disconnect  # the app was told the client went away, and its failure was not a 500
    assert b"too large" in b"".join(m.get("body", b"") for m in sent)


@pytest.mark.parametrize("size", [0, 1, 9_999, 10_000])
def test_a_body_within_the_limit_reaches_the_app_whole(size: int) -> None:
    inner = _Reader()
    chunks = iter([b"y" * size] if size else [])
    sent, _ = _run(BodyLimit(inner, limit=10_000), [(b"content-length", str(size).encode())], chunks)
    assert sent[0]["status"] == 200 and sent[1]["body"] == str(size).encode()


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1e3", b" 5"])
def test_a_malformed_content_length_is_a_400(value: bytes) -> None:
    sent, reads = _run(BodyLimit(_Reader(), limit=10), [(b"content-length", value)], iter([]))
    assert sent[0]["status"] == 400 and reads == 0


def test_the_admin_upload_fits_under_the_server_wide_limit() -> None:
    from backend.policy import UPLOAD_LIMIT

    assert UPLOAD_LIMIT < MAX_BODY, "an upload the admin accepts would be cut off by BodyLimit"


# -- HTTP, against the real server over raw sockets --------------------------------------------------


def raw_request(server: Server, data: bytes, timeout: float = HEADER_TIMEOUT + 20) -> bytes:
    """Send `data`, read until the server closes. A request that never completes its head is closed by the
    server after HEADER_TIMEOUT: the client waits longer than that, with room for a busy machine's timers."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    return out


def status_of(response: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    assert m, response[:200]
    return int(m.group(1))


NASTY_TARGETS = [
    b"/..%2f..%2f..%2fetc%2fpasswd", b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd", b"/../../../etc/passwd", b"/es/..%2f..%2frelease.json",
    b"/%2e%2e%2fsecret.txt", b"/..%5c..%5cetc%5cpasswd", b"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", b"/%c0%af", b"/%e0%80%ae%e0%80%ae/",
    b"/%00", b"/es/%00/", b"/es/index.html%00.txt", b"/%ff%fe/", b"/" + b"a" * 8000, b"/es/" + b"%2e%2e/" * 2000, b"//etc/passwd",
    b"/release.json", b"/_headers", b"/static/", b"/static/..%2frelease.json", b"*", b"http://evil.example/secret.txt",
]


@pytest.mark.parametrize("target", NASTY_TARGETS, ids=lambda t: t[:40].decode("latin-1"))
def test_real_server_answers_hostile_paths_harmlessly(live_server: Server, target: bytes) -> None:
    response = raw_request(live_server, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status_of(response) in {400, 404, 414, 431}, response[:300]
    assert b"Traceback" not in response and b"root:" not in response and b'"source"' not in response


RAW_CASES = [
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /\xc0\xae\xc0\xae/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 100_000 + b"\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(2000)) + b"Host: x\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\n\r\n",
    b"GET /es/ HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /api/release HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/release HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"FOO /es/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DELETE /es/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
    b"GET /es/?%00=%ff&q=%c0%ae HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nRange: bytes=-0,1-,\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: \xff\r\n\r\n",
    b"GET /es/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + b"br;q=0.5," * 3000 + b"\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET\r\n\r\n",
]


@pytest.mark.parametrize("request_bytes", RAW_CASES, ids=lambda r: r[:30].decode("latin-1"))
def test_real_server_survives_malformed_requests(live_server: Server, request_bytes: bytes) -> None:
    response = raw_request(live_server, request_bytes.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
                           if b"Host" in request_bytes else request_bytes)
    if response:  # the server may simply close a connection that is not HTTP
        assert status_of(response) < 500, response[:300]
        assert b"Traceback" not in response


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.binary(min_size=1, max_size=10), target=st.binary(max_size=200), headers=st.lists(
    st.tuples(st.binary(min_size=1, max_size=20), st.binary(max_size=100)), max_size=5))
def test_real_server_survives_random_request_lines(live_server: Server, method: bytes, target: bytes,
                                                   headers: list[tuple[bytes, bytes]]) -> None:
    assume(b"\r" not in method + target and b"\n" not in method + target)
    head = b"".join(k.replace(b"\r", b"").replace(b"\n", b"") + b": " + v.replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"
                    for k, v in headers)
    response = raw_request(live_server, method + b" /" + target + b" HTTP/1.1\r\nHost: x\r\n" + head + b"Connection: close\r\n\r\n")
    if response:
        assert status_of(response) < 500, response[:300]
        assert b"Traceback" not in response


def test_real_server_logged_no_error(live_server: Server) -> None:
    """Runs after the hostile requests above (same session server): none of them became a server error."""
    raw_request(live_server, b"GET /es/%00/../.. HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    log = live_server.output()
    assert "Traceback" not in log and "Exception in ASGI application" not in log and "error serving" not in log


def _read_response(s: socket.socket, response: bytes) -> bytes:
    """Read the rest of one response (headers, then Content-Length bytes of body)."""
    while b"\r\n\r\n" not in response:
        got = s.recv(65536)
        if not got:
            return response
        response += got
    head, _, body = response.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length: *(\d+)", head)
    while m and len(body) < int(m.group(1)):
        got = s.recv(65536)
        if not got:
            break
        body += got
    return head + b"\r\n\r\n" + body


def _post_endless(server: Server, path: bytes, head: bytes, preamble: bytes = b"",
                  cap: int = 256 * 1024 * 1024) -> tuple[bytes, int, float, bool]:
    """Stream a body to `path` until the server answers; return (response, bytes sent, seconds, closed right after)."""
    port = int(server.url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    started = time.monotonic()
    sent = 0
    response = b""
    closed = False
    try:
        s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n")
        piece = b"z" * 65536
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n" if b"chunked" in head else piece
        if preamble:
            s.sendall(b"%x\r\n" % len(preamble) + preamble + b"\r\n" if b"chunked" in head else preamble)
        s.settimeout(0.05)
        while sent < cap and b"\r\n\r\n" not in response:
            try:
                got = s.recv(65536)
                if not got:
                    break
                response += got
                continue
            except TimeoutError:
                pass
            except ConnectionResetError:
                break
            try:
                sent += s.send(chunk)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        s.settimeout(5)
        try:
            response = _read_response(s, response)
            took = time.monotonic() - started
            s.settimeout(1)
            closed = s.recv(65536) == b""
        except ConnectionResetError:
            took, closed = time.monotonic() - started, True
        except TimeoutError:
            took = time.monotonic() - started
    finally:
        s.close()
    return response, sent, took, closed


@pytest.mark.parametrize("path", [b"/es/", b"/api/release", b"/admin/login"])
def test_real_server_refuses_a_huge_declared_upload_without_reading_it(live_server: Server, path: bytes) -> None:
    response, sent, took, closed = _post_endless(
        live_server, path, b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n")
    assert status_of(response) == 413, response[:300]
    assert b"too large" in response and closed
    assert sent < 64 * 1024 * 1024 and took < 10, f"sent {sent} bytes in {took:.1f}s before the server answered"


def test_real_server_cuts_off_an_endless_chunked_upload(live_server: Server) -> None:
    file_part = b'--XyZ\r\nContent-Disposition: form-data; name="catalog"; filename="messages.po"\r\nContent-Type: text/plain\r\n\r\n'
    response, sent, took, closed = _post_endless(
        live_server, b"/admin/login", b"Content-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n", file_part)
    assert status_of(response) == 413, response[:300]
    assert b"too large" in response and closed, "the server kept the connection open to read the rest"
    assert MAX_BODY <= sent < MAX_BODY + 64 * 1024 * 1024 and took < 20, f"sent {sent} bytes in {took:.1f}s before the answer"


def test_real_server_refuses_a_post_to_a_page_at_once(live_server: Server) -> None:
    response, _, took, _ = _post_endless(live_server, b"/es/", b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n")
    assert status_of(response) == 405 and took < 5, response[:300]


# -- every route of the full server, the admin's included, signed in -----------------------------------

ADMIN_FIELDS = ["csrf", "name", "password", "title", "nav", "summary", "as_of", "review_by", "sources", "order", "body", "category",
                "description", "phones", "email", "website", "street", "city", "state", "postal_code", "hours", "languages",
                "verified_on", "address_label", "text", "starts", "expires", "delete", "token", "release", "unit", "action", "q", "page", "ctx",
                "state", "text_0", "text_1", "tag", "role"]
SEGMENT = st.sampled_from(["rights/hartford", "rights/school/", "home", "ciri", "es", "ar", "zh-Hans", "es.po", "messages.pot",
                           "..", "../..", "%2e%2e", "../../../etc/passwd", "x" * 300, "", "\x00", "en", "fa-AF.po"]).map(
    lambda s: quote(s, safe="/%.")) | st.text(max_size=20).map(lambda s: quote(s, safe=""))
ROUTE = st.one_of(
    st.tuples(st.sampled_from(["GET", "POST"]), SEGMENT.map(lambda s: f"/admin/pages/{s}/")),
    st.tuples(st.sampled_from(["GET", "POST"]), SEGMENT.map(lambda s: f"/admin/services/{s}/")),
    st.tuples(st.sampled_from(["GET", "POST"]), st.just("/admin/notices/")),
    st.tuples(st.just("POST"), SEGMENT.map(lambda s: f"/admin/translations/{s}/")),
    st.tuples(st.just("GET"), SEGMENT.map(lambda s: f"/admin/download/{s}")),
    st.tuples(st.sampled_from(["GET", "POST"]), SEGMENT.map(lambda s: f"/admin/translations/{s}/units")),
    st.tuples(st.sampled_from(["GET", "POST"]), st.just("/admin/languages/")),
    st.tuples(st.just("GET"), st.just("/admin/accounts/")),  # its POSTs could reset the fuzzing account's own password
    st.tuples(st.sampled_from(["POST", "GET", "PUT", "DELETE"]), st.sampled_from(["/admin/login", "/admin/translations/", "/admin/admin.css",
                                                                                  "/api/release", "/api/hsds/organizations.json"])),
)
FORM = st.dictionaries(st.sampled_from(ADMIN_FIELDS) | st.text(max_size=10), any_text, max_size=8)
PO_FILE = st.one_of(st.binary(max_size=300), st.sampled_from(PO_TOKENS).map(lambda t: (HEADER + t).encode("utf-8", "surrogatepass")),
                    any_text.map(lambda t: (HEADER + f'msgctxt "ui"\nmsgid "Home"\nmsgstr "{t}"\n').encode("utf-8", "surrogatepass")))


@pytest.fixture(scope="module")
def signed_in(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, Any]]:
    """The full server (release, admin console) on copies of the content and catalogs, with a signed-in client."""
    from starlette.testclient import TestClient

    from backend.web.admin.auth import Accounts
    from backend.web.app import create_server_app

    from .conftest import ROOT, make_config, seed

    root = tmp_path_factory.mktemp("admin-fuzz")
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copytree(ROOT / "locales", root / "locales")
    seed(root, release_dir)
    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    cfg = make_config(root, content=root / "content", locales=root / "locales")
    (cfg.data / "current").write_text(release_id + "\n")
    Accounts(cfg).add("ana", "correct horse battery staple")
    with TestClient(create_server_app(cfg), follow_redirects=False) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text)
        assert token
        signed = client.post("/admin/login", data={"name": "ana", "password": "correct horse battery staple", "csrf": token.group(1)})
        assert signed.status_code == 303
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/notices/").text)
        assert csrf
        yield client, csrf.group(1), cfg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(route=ROUTE, form=FORM, with_csrf=st.booleans(), upload=st.none() | PO_FILE, multipart=st.booleans())
@example(route=("POST", "/admin/pages/rights/hartford/"), form={"title": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(1)>"},
         with_csrf=True, upload=None, multipart=False)
@example(route=("POST", "/admin/pages/rights/hartford/"), form={"as_of": "2024-13-45", "sources": "nope", "order": "x", "body": "[x](javascript:y)"},
         with_csrf=True, upload=None, multipart=True)
@example(route=("POST", "/admin/services/ciri/"), form={"phones": "not a phone | | xx", "email": "@", "website": "javascript:alert(1)"},
         with_csrf=True, upload=None, multipart=False)
@example(route=("POST", "/admin/translations/es/"), form={}, with_csrf=True,
         upload=(HEADER + 'msgctxt "ui"\nmsgid "Home"\nmsgstr "<b>x</b>"\n').encode(), multipart=True)
@example(route=("POST", "/admin/translations/es/"), form={"token": "../../accounts"}, with_csrf=True, upload=None, multipart=True)
@example(route=("GET", "/admin/download/../../accounts.json"), form={}, with_csrf=False, upload=None, multipart=False)
@example(route=("POST", "/admin/notices/"), form={"text": "**x", "starts": "never", "expires": "2020-01-01"}, with_csrf=True, upload=None,
         multipart=False)
def test_any_request_to_any_route_leaves_the_server_and_the_content_sound(
    signed_in: tuple[Any, str, Any], route: tuple[str, str], form: dict[str, str], with_csrf: bool, upload: bytes | None, multipart: bool
) -> None:
    client, csrf, _ = signed_in
    method, path = route
    data = {**form, "csrf": csrf} if with_csrf else form
    files = {"file": ("messages.po", upload, "text/x-gettext-translation")} if upload is not None else None
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PUT"):
        kwargs = {"data": data, "files": files} if (multipart or files) else {"data": data}
    try:
        response = client.request(method, path, **kwargs)
    except UnicodeEncodeError:
        assume(False)  # a value the HTTP client itself cannot send
    assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text and "PLANTED" not in response.text
    assert response.headers.get("x-content-type-options") == "nosniff"
    if is_document(response.headers.get("content-type", ""), path):
        assert response.headers.get("content-security-policy")


def test_after_the_fuzzing_the_content_and_catalogs_still_build(signed_in: tuple[Any, str, Any]) -> None:
    """Whatever the random requests saved passed the same checks as a build: the pack still loads and validates."""
    from backend.build import load_inputs
    from backend.checks import check_report
    from backend.content import load

    _, _, cfg = signed_in
    load(cfg.content)
    check_report(load_inputs(cfg))  # raises ContentErrors on any problem
