"""Security headers: on every response the app gives (files, errors, redirects, the API, the admin),
strict enough (no unsafe-inline, no unsafe-eval), each only where a browser applies it (documents and
the worker get the document headers; images, styles, scripts, JSON, manifests and vCards only nosniff
and CORP), and the same in the static export's `_headers` file and the README's nginx snippet, all
derived from backend/policy.py."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.build.worker import read_config
from backend.policy import (
    COMMON_HEADERS,
    DENIED_FEATURES,
    DOCUMENT_ONLY_HEADERS,
    HEADERS,
    HEADERS_FILE,
    HSTS_HEADER,
    MANIFEST_FILE,
    MAX_BODY,
    is_document,
    nginx_add_headers,
    nginx_maps,
)
from backend.web.app import create_app

from .conftest import ROOT

REQUIRED_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


@pytest.fixture(scope="module")
def client(release_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(release_dir), follow_redirects=False) as c:
        yield c


def served(release_dir: Path) -> list[tuple[str, str]]:
    """Every URL the release serves, with the path a static host would serve its file at: index.html as its
    directory, and the HSDS files at their API routes (a static host serves those at the file's own path)."""
    out = []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file() or path.suffix in (".br", ".gz") or path.name in ("release.json", HEADERS_FILE, MANIFEST_FILE):
            continue
        rel = path.relative_to(release_dir).as_posix()
        url = "/" + rel.removesuffix("index.html")
        if rel.startswith("api/hsds/"):
            endpoint = rel.removeprefix("api/hsds/").removesuffix(".json")
            kind, _, ident = endpoint.partition("/")
            if endpoint == "index":
                url = "/api/hsds/"
            elif endpoint == "organizations":
                url = "/api/hsds/organizations.json"
            elif ident.startswith("page-"):
                url = f"/api/hsds/{kind}?page={ident.removeprefix('page-')}"
            else:
                url = f"/api/hsds/{endpoint}"
            out.append((url, "/" + rel))
        else:
            out.append((url, url))
    return out


def urls_of(release_dir: Path) -> list[str]:
    return [url for url, _ in served(release_dir)]


def assert_secure(response: object, *, https: bool = False) -> None:
    """The response carries the headers of its kind, each once, and none of another kind's."""
    headers = response.headers  # type: ignore[attr-defined]
    path = response.request.url.path  # type: ignore[attr-defined]
    where = f"{response.request.method} {path} ({response.status_code})"  # type: ignore[attr-defined]
    document = is_document(headers.get("content-type", ""), path)
    for name, value in COMMON_HEADERS:
        assert headers.get_list(name) == [value], f"{where}: {name}"
    for name, value in DOCUMENT_ONLY_HEADERS:
        assert headers.get_list(name) == ([value] if document else []), f"{where}: {name}"
    assert ("strict-transport-security" in headers) == (https and document), where
    if https and document:
        assert headers.get_list(HSTS_HEADER[0]) == [HSTS_HEADER[1]]
    assert "set-cookie" not in headers or path.startswith("/admin/"), where
    assert "server" not in headers, f"{where}: the server names itself"


def parse_csp(csp: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} twice"
            directives[words[0]] = words[1:]
    return directives


def test_the_csp_is_strict() -> None:
    csp = parse_csp(dict(HEADERS)["Content-Security-Policy"])
    for name, sources in REQUIRED_CSP.items():
        assert csp[name] == sources, name
    for name, sources in csp.items():
        for source in sources:
            assert source in ("'self'", "'none'"), f"{name} allows {source}: only this origin, nothing inline, no eval"
    assert "script-src" in csp and "style-src" in csp  # stated, not left to default-src


def test_permissions_policy_denies_what_the_app_never_uses() -> None:
    policy = dict(HEADERS)["Permissions-Policy"]
    denied = {item.strip().removesuffix("=()") for item in policy.split(",")}
    assert denied == set(DENIED_FEATURES)
    assert {"camera", "microphone", "geolocation", "payment", "usb", "display-capture"} <= denied
    # what the share page uses stays allowed
    assert not {"clipboard-write", "web-share", "fullscreen"} & denied


def test_every_file_of_the_release_is_served_with_the_headers(client: TestClient, release_dir: Path) -> None:
    urls = urls_of(release_dir)
    assert len(urls) > 300
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure(response)


def test_documents_and_the_worker_get_the_document_headers_and_nothing_else_does(client: TestClient, release_dir: Path) -> None:
    """Named by hand, not by policy.is_document: what a browser renders or runs, and what it only fetches."""
    html = client.get("/es/").text
    found = {a.split("#")[0] for a in re.findall(r'(?:href|src)="(/static/[^"]+)"', html)}
    # An SVG opened on its own is a document that can run script: it carries the CSP like a page.
    sprites = sorted(a for a in found if a.endswith(".svg"))
    assets = sorted(found - set(sprites))
    assert sprites and any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets) and any(a.endswith(".png") for a in assets)
    bundle = next(p for p in (release_dir / "es").glob("bundle.*.json") if p.suffix == ".json")
    documents = ["/", "/es/", "/es/rights/school/", "/sw.js", "/es/no-such-page/", "/es", *sprites]
    subresources = [*assets, "/es/manifest.webmanifest", "/es/services/ciri.vcf", f"/es/{bundle.name}", "/api/release", "/favicon.ico"]
    for url in documents:
        headers = client.get(url).headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), url
        assert headers["permissions-policy"] and headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "no-referrer" and headers["cross-origin-opener-policy"] == "same-origin", url
        assert headers["x-content-type-options"] == "nosniff", url
    for url in subresources:
        response = client.get(url)
        assert response.status_code == 200, url
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff" and headers["cross-origin-resource-policy"] == "same-origin", url
        for name in ("content-security-policy", "permissions-policy", "x-frame-options", "referrer-policy", "cross-origin-opener-policy"):
            assert name not in headers, f"{url}: {name} on a subresource"
        assert "last-modified" not in headers, url  # the ETag revalidates


def test_every_kind_of_response_carries_the_headers(client: TestClient) -> None:
    page = client.get("/es/")
    cases = {
        "page": page,
        "head": client.head("/es/"),
        "not modified": client.get("/es/", headers={"If-None-Match": page.headers["etag"]}),
        "range": client.get("/es/", headers={"Range": "bytes=0-9", "Accept-Encoding": "identity"}),
        "range not satisfiable": client.get("/es/", headers={"Range": "bytes=99999999-", "Accept-Encoding": "identity"}),
        "redirect": client.get("/es"),
        "not found": client.get("/es/no-such-page/"),
        "root not found": client.get("/no-such-page"),
        "method not allowed": client.post("/es/", content=b"x"),
        "api": client.get("/api/release"),
        "api not allowed": client.post("/api/release"),
        "too large": client.post("/es/", headers={"Content-Length": str(MAX_BODY + 1)}, content=b"x"),
        "bad length": client.post("/api/release", headers={"Content-Length": "x"}),
        "service worker": client.get("/sw.js"),
        "hsds": client.get("/api/hsds/organizations.json"),
    }
    expected = {"page": 200, "head": 200, "not modified": 304, "range": 206, "range not satisfiable": 416, "redirect": 302,
                "not found": 404, "root not found": 404, "method not allowed": 405, "api": 200, "api not allowed": 405,
                "too large": 413, "bad length": 400, "service worker": 200, "hsds": 200}
    for name, response in cases.items():
        assert response.status_code == expected[name], name
        assert_secure(response)


def test_hsts_only_over_https(release_dir: Path) -> None:
    with TestClient(create_app(release_dir), base_url="https://testserver", follow_redirects=False) as c:
        for response in (c.get("/es/"), c.get("/es/nothing/"), c.get("/api/release"), c.get("/es")):
            assert_secure(response, https=True)


def test_a_header_set_by_a_route_cannot_weaken_ours(release_dir: Path) -> None:
    from backend.web.middleware import SecurityHeaders

    async def weak(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-security-policy", b"default-src *; script-src 'unsafe-inline'"), (b"set-cookie", b"track=1")]})
        await send({"type": "http.response.body", "body": b"x"})

    response = TestClient(SecurityHeaders(weak)).get("/es/")
    assert response.headers.get_list("content-security-policy") == [dict(HEADERS)["Content-Security-Policy"]]
    assert "set-cookie" not in response.headers


def test_the_admin_console_carries_the_headers(tmp_path: Path, release_dir: Path) -> None:
    from backend.releases import set_current
    from backend.web.app import create_server_app

    from .conftest import make_config

    cfg = make_config(tmp_path)
    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    shutil.copytree(release_dir, cfg.releases / release_id)
    set_current(cfg, release_id)
    with TestClient(create_server_app(cfg), follow_redirects=False) as c:
        for response in (c.get("/admin/"), c.get("/admin/login"), c.post("/admin/login", data={"name": "x", "password": "y"})):
            assert response.status_code < 500
            assert_secure(response)


# -- the static export -----------------------------------------------------------------------------


def parse_headers_file(text: str) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = rules.setdefault(line.strip(), {})
            continue
        assert current is not None, line
        name, _, value = line.strip().partition(":")
        assert name not in current, f"{name} twice"
        current[name] = value.strip()
    return rules


def _rule_matches(pattern: str, path: str) -> bool:
    """Netlify's and Cloudflare Pages' matching: a trailing * matches the rest, :name one segment."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    parts, segments = pattern.split("/"), path.split("/")
    return len(parts) == len(segments) and all(p == s or (p.startswith(":") and s) for p, s in zip(parts, segments, strict=True))


def _host_headers(rules: dict[str, dict[str, str]], path: str) -> dict[str, str]:
    """The headers a static host gives `path`: those of every matching rule, joined."""
    joined: dict[str, str] = {}
    for pattern, headers in rules.items():
        if _rule_matches(pattern, path):
            for name, value in headers.items():
                assert name not in joined, f"{path}: {name} from two rules ({pattern})"
                joined[name] = value
    return joined


OURS = {name.lower() for name, _ in (*HEADERS, HSTS_HEADER)}


def test_the_static_export_ships_the_same_headers(client: TestClient, release_dir: Path) -> None:
    """Every file of the release gets from `_headers` the security headers serve.py sends it (with HSTS,
    which a static host serves over HTTPS), and the worker's and hashed assets' caching."""
    rules = parse_headers_file((release_dir / HEADERS_FILE).read_text())
    with TestClient(create_app(release_dir), base_url="https://testserver", follow_redirects=False) as https:
        for url, at in [*served(release_dir), ("/es/no-such-page/", "/es/no-such-page/")]:
            sent = https.get(url).headers
            host = _host_headers(rules, at)
            assert {k.lower(): v for k, v in host.items() if k.lower() in OURS} == {k: v for k, v in sent.items() if k in OURS}, url
            for name in ("Cache-Control", "Service-Worker-Allowed"):
                if name in host:
                    assert host[name] == sent[name], f"{url}: {name}"
    assert _host_headers(rules, "/sw.js")["Cache-Control"] == "no-cache"
    html = client.get("/es/").text
    asset = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', html)
    assert asset and _host_headers(rules, asset.group(1))["Cache-Control"] == client.get(asset.group(1)).headers["cache-control"]


def test_the_headers_file_is_for_hosts_not_for_phones(client: TestClient, release_dir: Path) -> None:
    assert client.get("/" + HEADERS_FILE).status_code == 404
    sw = (release_dir / "sw.js").read_text()
    config = read_config(sw)
    listed = {url for url, _ in config["shell"]}
    for bundle in config["languages"].values():
        listed |= {url for url, _ in json.loads((release_dir / bundle.lstrip("/")).read_text())["pages"]}
    assert not any(HEADERS_FILE in url for url in listed)


def _nginx_maps(text: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """`map $source $target { key value; ... }` blocks: {target: (source, [(key, value), ...])}."""
    maps = {}
    for source, target, body in re.findall(r"^\s*map\s+(\S+)\s+(\S+)\s*\{(.*?)^\s*\}", text, re.MULTILINE | re.DOTALL):
        entries = []
        for line in body.splitlines():
            line = line.split("#", 1)[0].strip() if not line.strip().startswith('"') else line.strip()
            m = re.match(r'^("(?:[^"\\]|\\.)*"|\S+)\s+("(?:[^"\\]|\\.)*"|\S+);', line)
            if m:
                entries.append((m.group(1).strip('"'), m.group(2).strip('"')))
        maps[target] = (source, entries)
    return maps


def _nginx_eval(maps: dict[str, tuple[str, list[tuple[str, str]]]], value: str, given: dict[str, str]) -> str:
    """A variable's value as nginx's map module computes it: exact keys first, then regexes in order, then default."""
    if not value.startswith("$"):
        return value
    if value in given:
        return given[value]
    source, entries = maps[value]
    key = _nginx_eval(maps, source, given)
    exact = {k: v for k, v in entries if not k.startswith("~")}
    if key in exact and key != "default":
        return _nginx_eval(maps, exact[key], given)
    for k, v in entries:
        if k.startswith("~") and re.search(k[2:] if k.startswith("~*") else k[1:], key, re.IGNORECASE if k.startswith("~*") else 0):
            return _nginx_eval(maps, v, given)
    return _nginx_eval(maps, exact.get("default", ""), given)


def _stripped(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_readme_nginx_snippet_sends_the_same_headers(client: TestClient, release_dir: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", readme, re.DOTALL)
    assert blocks, "README has no ```nginx block"
    snippet = "\n".join(blocks)
    lines = _stripped(snippet)
    for part in (nginx_maps(), nginx_add_headers()):
        wanted = _stripped(part)
        assert any(lines[i:i + len(wanted)] == wanted for i in range(len(lines))), "README's nginx snippet differs from backend/policy.py"
    # and what those maps and add_header lines mean: for every file, the headers serve.py sends it (with HSTS: the server is HTTPS)
    maps = _nginx_maps(snippet)
    added = re.findall(r'^\s*add_header\s+(\S+)\s+("[^"]*"|\S+)\s+always;', snippet, re.MULTILINE)
    assert "$puente_cache" in dict(added).values()
    with TestClient(create_app(release_dir), base_url="https://testserver", follow_redirects=False) as https:
        for url in [*urls_of(release_dir), "/es/no-such-page/"]:
            response = https.get(url)
            given = {"$uri": url, "$sent_http_content_type": response.headers.get("content-type", "")}
            nginx = {name.lower(): _nginx_eval(maps, value.strip('"'), given) for name, value in added}
            nginx = {k: v for k, v in nginx.items() if v}  # an empty value: nginx sends no such header
            if url.startswith(("/api/", "/admin/")):  # passed to serve.py: nginx adds nothing to what serve.py sends
                assert nginx == {}, url
                continue
            assert {k: v for k, v in nginx.items() if k in OURS} == {k: v for k, v in response.headers.items() if k in OURS}, url
            if response.status_code == 200:
                assert nginx["cache-control"] == response.headers["cache-control"], url
                assert nginx.get("service-worker-allowed") == response.headers.get("service-worker-allowed"), url
    assert "/_headers" in snippet and "/release.json" in snippet  # neither is served
    types = re.search(r"types \{(.*?)\}", snippet, re.DOTALL)
    assert types
    named = {word for line in types.group(1).split(";") for word in line.split()[1:]}
    shipped = {p.suffix.lstrip(".") for p in release_dir.rglob("*.*") if p.is_file() and p.suffix not in (".br", ".gz")}
    assert shipped <= named, f"the snippet's types block lacks {sorted(shipped - named)}"


def test_each_worker_process_gets_the_headers_and_the_body_limit(tmp_path: Path, release_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --workers N` builds each process's app from the environment: the same wrapping as one process."""
    from backend.cli.serving import config_environment
    from backend.releases import set_current
    from backend.web import app as app_module

    from .conftest import make_config

    cfg = make_config(tmp_path)
    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    shutil.copytree(release_dir, cfg.releases / release_id)
    set_current(cfg, release_id)
    for name, value in config_environment(cfg).items():
        monkeypatch.setenv(name, value)
    with TestClient(app_module.app_from_env(), follow_redirects=False) as c:
        assert_secure(c.get("/es/"))
        refused = c.post("/admin/login", headers={"Content-Length": str(MAX_BODY + 1)}, content=b"x")
        assert refused.status_code == 413
        assert_secure(refused)
