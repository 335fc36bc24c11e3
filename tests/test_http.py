"""HTTP behaviour of the app: caching, encodings, security headers, errors. In-process ASGI client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.web.app import create_app


@pytest.fixture(scope="module")
def client(release_dir: Path) -> Iterator[TestClient]:
    info = json.loads((release_dir / "release.json").read_text())
    app = create_app(release_dir, info["id"])
    with TestClient(app) as c:
        yield c


def hashed_asset(client: TestClient) -> str:
    html = client.get("/es/").text
    m = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', html)
    assert m
    return m.group(1)


def test_pages_are_served_with_a_short_max_age(client: TestClient) -> None:
    r = client.get("/es/rights/school/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=300"
    assert "Vary" in r.headers and "Accept-Encoding" in r.headers["vary"]


def test_hashed_assets_are_immutable(client: TestClient) -> None:
    r = client.get(hashed_asset(client))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=315360000, immutable"
    assert r.headers["vary"] == "Accept-Encoding"


def test_service_worker_is_never_cached(client: TestClient) -> None:
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["content-type"].startswith("text/javascript") or r.headers["content-type"].startswith("application/javascript")


def test_manifest_media_type(client: TestClient) -> None:
    r = client.get("/es/manifest.webmanifest")
    assert r.headers["content-type"].startswith("application/manifest+json")
    assert r.json()["start_url"] == "/es/"


@pytest.mark.parametrize("encoding, expected", [("br", "br"), ("gzip", "gzip"), ("br, gzip", "br"), ("identity", None)])
def test_encoding_negotiation(client: TestClient, encoding: str, expected: str | None) -> None:
    r = client.get("/es/", headers={"Accept-Encoding": encoding})
    assert r.headers.get("content-encoding") == expected
    assert "Hartford" in r.text  # the client decodes it: the body is real and whole


def test_compressed_page_is_smaller(client: TestClient) -> None:
    plain = client.get("/es/", headers={"Accept-Encoding": "identity"})
    br = client.get("/es/", headers={"Accept-Encoding": "br"})
    assert int(br.headers["content-length"]) < int(plain.headers["content-length"]) / 2


def test_etag_revalidation(client: TestClient) -> None:
    first = client.get("/es/")
    again = client.get("/es/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", ["/xx/", "/klingon/rights/", "/es/no-such-page/", "/nothing"])
def test_unknown_paths_get_a_404_page_not_a_500(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>" in r.text and "Traceback" not in r.text


def test_404_speaks_the_paths_language(client: TestClient) -> None:
    assert 'lang="es"' in client.get("/es/no-such-page/").text
    assert 'lang="en"' in client.get("/xx/").text


def test_release_json_is_not_served(client: TestClient) -> None:
    assert client.get("/release.json").status_code == 404


def test_post_to_a_page_is_not_allowed(client: TestClient) -> None:
    assert client.post("/es/", content=b"x").status_code == 405


def test_directory_without_slash_redirects(client: TestClient) -> None:
    r = client.get("/es/rights", follow_redirects=False)
    assert r.status_code in (301, 302) and r.headers["location"].endswith("rights/")


@pytest.mark.parametrize("path", ["/", "/es/", "/sw.js", "/xx/"])
def test_security_headers_and_no_cookies_on_every_document(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    csp = r.headers["content-security-policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in r.headers["permissions-policy"]
    assert "set-cookie" not in r.headers
    assert "strict-transport-security" not in r.headers  # plain http: HSTS only over HTTPS


@pytest.mark.parametrize("path", ["/es/manifest.webmanifest", "/api/release", "/es/services/ciri.vcf"])
def test_subresources_get_only_what_applies_to_them(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    assert "content-security-policy" not in r.headers and "permissions-policy" not in r.headers
    assert "set-cookie" not in r.headers


def test_hsts_over_https(release_dir: Path) -> None:
    info = json.loads((release_dir / "release.json").read_text())
    app = create_app(release_dir, info["id"])
    with TestClient(app, base_url="https://testserver") as c:
        assert c.get("/es/").headers["strict-transport-security"].startswith("max-age=")


def test_release_endpoint(client: TestClient, release_dir: Path) -> None:
    info = json.loads((release_dir / "release.json").read_text())
    r = client.get("/api/release")
    assert r.json() == {"release": info["id"]}
    assert r.headers["cache-control"] == "no-store"
