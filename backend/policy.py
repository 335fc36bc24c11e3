"""What every response promises, declared once: security headers, caching, the hashed-name rule, body limits.

`python serve.py` sends these (web/), the static export's `_headers` file carries them
(build/), and the README's nginx snippet is checked against them (tests/test_security_headers.py).
"""

from __future__ import annotations

import hashlib
import re

# Only this origin, nothing inline, no eval, no plugins, no framing, no <base>, forms only here.
# img-src, connect-src, manifest-src and worker-src are left to default-src: the same 'self', in fewer bytes.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# Browser features the app never uses, denied to every page (and to anything a page could embed).
# Left out on purpose: clipboard-write, web-share and fullscreen, which the share page uses.
DENIED_FEATURES = (
    "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture", "encrypted-media", "gamepad",
    "geolocation", "gyroscope", "hid", "idle-detection", "local-fonts", "magnetometer", "microphone", "midi",
    "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
    "xr-spatial-tracking",
)

# -- which headers go on which response ---------------------------------------------
#
# Over HTTP/1.1 every header is paid for on every response, and a language offline is some 40
# responses. So each header goes where a browser acts on it, decided here once:
#
# Every response (COMMON_HEADERS):
#   X-Content-Type-Options: nosniff  the browser never guesses a type: a JSON or vCard is never run
#                                    as script or style, and cross-origin reads of it are blocked (ORB)
#   Cross-Origin-Resource-Policy     another site cannot embed our images, styles or JSON (no-cors
#                                    loads), which is what protects a subresource from Spectre-style reads
# Documents and the worker only (DOCUMENT_ONLY_HEADERS): a browser applies these to what it renders
# or runs in a browsing context, and ignores them on an image, a stylesheet, JSON, a manifest or a
# vCard fetched by a page:
#   Content-Security-Policy          governs a document and a worker (the worker's own CSP governs what
#                                    it fetches); a stylesheet's or an image's CSP is never applied
#   Referrer-Policy                  the referrer of what a document or worker requests; a stylesheet's
#                                    own requests go only to this origin (CSP) and would carry the
#                                    stylesheet's hashed address, never the page the reader is on
#   Permissions-Policy               features of a browsing context; nothing else has any
#   Cross-Origin-Opener-Policy       the top-level document's browsing context group only
#   X-Frame-Options                  whether a document may be framed (frame-ancestors, for old browsers)
#   Strict-Transport-Security        (HTTPS only) the browser's first request to the host is always a
#                                    navigation (or the worker's script), so it learns HSTS there
# A document is every response that is not a known subresource type: pages, the 404 pages,
# redirects, our own plain-text errors, the worker (/sw.js), and any type not listed (an SVG,
# which is a document when opened on its own). Page scripts (/static/*.js) are subresources:
# a classic script's response headers are never applied to it.
COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
DOCUMENT_ONLY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
HEADERS: tuple[tuple[str, str], ...] = COMMON_HEADERS + DOCUMENT_ONLY_HEADERS  # what a document gets
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")  # documents, over HTTPS
SUBRESOURCE_TYPES = (
    "text/css", "text/javascript", "application/javascript", "application/json", "application/manifest+json",
    "text/vcard", "image/png", "image/x-icon", "image/vnd.microsoft.icon", "image/webp", "font/woff2",
)
WORKER = "/sw.js"  # JavaScript, but a worker: it gets a document's headers
SECURITY_HEADER_NAMES = frozenset(name.lower() for name, _ in (*HEADERS, HSTS_HEADER))


def is_document(content_type: str, url: str) -> bool:
    """Whether a response of this Content-Type at this URL gets the document headers (see above)."""
    if url == WORKER:
        return True
    return content_type.partition(";")[0].strip().lower() not in SUBRESOURCE_TYPES


def security_headers(content_type: str, url: str, https: bool = False) -> tuple[tuple[str, str], ...]:
    """The security headers of one response: every header above that applies to it, in order."""
    if not is_document(content_type, url):
        return COMMON_HEADERS
    return (*HEADERS, HSTS_HEADER) if https else HEADERS

# -- a language in one download (build/produce.py writes it, the worker unpacks it) --------------

PACK_NAME = "pack"  # <lang>/pack.<hash>.json: every entry of the language's bundle, for a phone that holds none yet
PACKED_TYPES = {".html": "text/html; charset=utf-8", ".vcf": "text/vcard; charset=utf-8", ".json": "application/json"}  # as served


def packed_type(rel: str) -> str:
    """The Content-Type the server sends for a file the pack carries (a test compares them)."""
    return PACKED_TYPES[rel[rel.rindex(".") :]]


# -- caching ---------------------------------------------------------------------

HASH_LEN = 12
PAGE_MAX_AGE = 300  # pages and manifests: five minutes; the service worker holds them for offline anyway
FOREVER = 10 * 365 * 24 * 60 * 60  # whitenoise's WhiteNoise.FOREVER
IMMUTABLE = f"public, max-age={FOREVER}, immutable"
SERVICE_WORKER_HEADERS = (("Cache-Control", "no-cache"), ("Service-Worker-Allowed", "/"))
# The one hashed-name rule: a name that carries a content hash never changes meaning. The worker
# gets the same pattern (build/worker.py writes HASHED_PATTERN into its config).
HASHED_PATTERN = rf"\.[0-9a-f]{{{HASH_LEN}}}\.[A-Za-z0-9]+$"
_HASHED = re.compile(HASHED_PATTERN)


def digest(data: bytes) -> str:
    """The content hash that names hashed files and releases."""
    return hashlib.sha256(data).hexdigest()[:HASH_LEN]


def hashed_name(rel: str, data: bytes) -> str:
    """Given a file's name and content, return its name with the content hash before the suffix."""
    stem, dot, suffix = rel.rpartition(".")
    return f"{stem}.{digest(data)}.{suffix}" if dot else f"{rel}.{digest(data)}"


def is_hashed(url: str) -> bool:
    return bool(_HASHED.search(url))


def cache_control(url: str) -> str:
    if url == "/sw.js":
        return dict(SERVICE_WORKER_HEADERS)["Cache-Control"]
    return IMMUTABLE if is_hashed(url) else f"public, max-age={PAGE_MAX_AGE}"


# -- what a release holds that is not served as a file ----------------------------

HEADERS_FILE = "_headers"  # for static hosts (Netlify, Cloudflare Pages)
MANIFEST_FILE = "checksums.json"  # every other file's size and SHA-256 (build/metadata.py)
NOT_SERVED = {"/release.json", "/_headers", "/" + MANIFEST_FILE}
NOT_SERVED_UNDER = "/api/"  # the HSDS files go through their routes (query strings, CORS)

# -- request bodies -----------------------------------------------------------------

UPLOAD_LIMIT = 2 * 1024 * 1024  # a catalog is ~100 KB; 2 MB is generous
MAX_BODY = UPLOAD_LIMIT + 64 * 1024  # the largest body any route reads: one catalog upload and its form


DOCUMENT_DEPTH = 8  # `_headers` names pages by their depth (/:a/:b/): deeper than any page a pack makes


def static_headers(documents: list[str] | tuple[str, ...] = ()) -> str:
    """The `_headers` file that gives a static copy of the release the headers and caching `serve.py` sends;
    `documents` names the other files a browser renders as documents (SVGs, which can hold script).

    Netlify and Cloudflare Pages join the headers of every rule a path matches and cannot match on
    a file's type, so documents are named by their shape: every page is a directory's index.html,
    served at an address ending in `/` (a placeholder matches one segment). A host's 404 page for a
    missing address gets the headers of that address's rule.
    """
    document = [f"  {name}: {value}" for name, value in (*DOCUMENT_ONLY_HEADERS, HSTS_HEADER)]
    lines = [
        "# Written by `python serve.py build` from backend/policy.py: the headers `python serve.py` sends.",
        "/*",
        *(f"  {name}: {value}" for name, value in COMMON_HEADERS),
    ]
    for depth in range(DOCUMENT_DEPTH + 1):
        lines += ["/" + "".join(f":p{n}/" for n in range(1, depth + 1)), *document]
    lines += ["/404.html", *document, "/:p1/404.html", *document]
    lines += [WORKER, *document, *(f"  {name}: {value}" for name, value in SERVICE_WORKER_HEADERS)]
    for url in documents:
        lines += [url, *document]
    lines += ["/static/*", f"  Cache-Control: {IMMUTABLE}"]
    return "\n".join(lines) + "\n"


# -- the same policy for nginx ----------------------------------------------------------

def _nginx_var(name: str) -> str:
    return "$puente_" + name.lower().replace("-", "_")


PYTHON_PATHS = r"^/(admin|api)/"  # in production nginx passes these to `python serve.py`, which sends its own headers


def nginx_maps() -> str:
    """The `map` blocks of nginx's `http` block that give each response its kind, and each header its value.

    nginx decides like is_document(): by the Content-Type it sends, and the worker by its address.
    A header whose value is empty is not sent (add_header's rule), which is how a subresource goes
    without the document headers, and how /admin/ and /api/, answered by `python serve.py` behind
    nginx, keep the headers and caching serve.py gave them, once.
    """
    lines = [
        "# backend/policy.py's kinds of response: a document, or a subresource (by the type sent; the worker by its address)",
        "map $uri $puente_script_kind {",
        f"    {WORKER}  document;",
        "    default  subresource;",
        "}",
        "map $sent_http_content_type $puente_kind_by_type {",
        "    default  document;",
        *(f'    "~^{re.escape(media)}(;|$)"  {"$puente_script_kind" if "javascript" in media else "subresource"};' for media in SUBRESOURCE_TYPES),
        "}",
        "map $uri $puente_kind {",
        f'    "~{PYTHON_PATHS}"  python;  # serve.py behind nginx: its own headers',
        "    default  $puente_kind_by_type;",
        "}",
    ]
    for name, value in COMMON_HEADERS:
        lines += [f"map $puente_kind {_nginx_var(name)} {{", '    python    "";', f'    default   "{value}";', "}"]
    for name, value in (*DOCUMENT_ONLY_HEADERS, HSTS_HEADER):
        lines += [f"map $puente_kind {_nginx_var(name)} {{", f'    document  "{value}";', '    default   "";', "}"]
    lines += ["map $uri $puente_cache {  # cache_control(): a hashed name is immutable, the worker always revalidated"]
    lines += [f'    "~{PYTHON_PATHS}"  "";', f'    "~{HASHED_PATTERN}"  "{IMMUTABLE}";', f'    {WORKER}  "{cache_control(WORKER)}";']
    lines += [f'    default  "public, max-age={PAGE_MAX_AGE}";', "}"]
    lines += ["map $uri $puente_service_worker_allowed {", f'    {WORKER}   "{dict(SERVICE_WORKER_HEADERS)["Service-Worker-Allowed"]}";', '    default  "";', "}"]
    return "\n".join(lines) + "\n"


def nginx_add_headers() -> str:
    """The `add_header` lines of nginx's `server` block (with nginx_maps() in its `http` block)."""
    lines = ["add_header Cache-Control $puente_cache always;"]
    lines += [f"add_header {name} {_nginx_var(name)} always;" for name, _ in (*COMMON_HEADERS, *DOCUMENT_ONLY_HEADERS, HSTS_HEADER)]
    lines += ["add_header Service-Worker-Allowed $puente_service_worker_allowed always;"]
    return "\n".join(lines) + "\n"
