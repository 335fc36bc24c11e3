"""What every response promises, declared once: security headers, caching, the hashed-name rule, body limits.

`python serve.py` sends these (web/), the static export's `_headers` file carries them
(build/), and the README's nginx snippet is checked against them (tests/test_security_headers.py).
"""

from __future__ import annotations

import hashlib
import re

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
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
HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")  # only over HTTPS

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
NOT_SERVED = {"/release.json", "/api/hsds/organizations.json", "/_headers", "/" + MANIFEST_FILE}  # HSDS goes through its route

# -- request bodies -----------------------------------------------------------------

UPLOAD_LIMIT = 2 * 1024 * 1024  # a catalog is ~100 KB; 2 MB is generous
MAX_BODY = UPLOAD_LIMIT + 64 * 1024  # the largest body any route reads: one catalog upload and its form


def static_headers() -> str:
    """The `_headers` file that gives a static copy of the release the headers and caching `serve.py` sends."""
    lines = [
        "# Written by `python serve.py build` from backend/policy.py: the headers `python serve.py` sends.",
        "/*",
        *(f"  {name}: {value}" for name, value in (*HEADERS, HSTS_HEADER)),
        "/sw.js",
        *(f"  {name}: {value}" for name, value in SERVICE_WORKER_HEADERS),
        "/static/*",
        f"  Cache-Control: {IMMUTABLE}",
    ]
    return "\n".join(lines) + "\n"
