"""Security headers: on every response the app gives (files, errors, redirects, the API, the admin),
strict enough (no unsafe-inline, no unsafe-eval), and the same in the static export's `_headers`
file and the README's nginx snippet, all derived from backend/app.py's one list."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from backend.build.worker import read_config
from backend.policy import DENIED_FEATURES, HEADERS, HEADERS_FILE, HSTS_HEADER, MAX_BODY
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


def urls_of(release_dir: Path) -> list[str]:
    """Every URL the release serves: each file, with index.html as its directory."""
    out = []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file() or path.suffix in (".br", ".gz") or path.name in ("release.json", HEADERS_FILE):
            continue
        rel = path.relative_to(release_dir).as_posix()
        out.append("/" + rel.removesuffix("index.html"))
    return out


def assert_secure(response: object, *, https: bool = False) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"  # type: ignore[attr-defined]
    for name, value in HEADERS:
        assert headers.get_list(name) == [value], f"{where}: {name}"
    assert ("strict-transport-security" in headers) == https, where
    if https:
        assert headers.get_list(HSTS_HEADER[0]) == [HSTS_HEADER[1]]
    assert "set-cookie" not in headers or response.request.url.path.startswith("/admin/"), where  # type: ignore[attr-defined]
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


def test_the_static_export_ships_the_same_headers(client: TestClient, release_dir: Path) -> None:
    rules = parse_headers_file((release_dir / HEADERS_FILE).read_text())
    assert rules["/*"] == dict((*HEADERS, HSTS_HEADER))
    sw = client.get("/sw.js").headers
    assert rules["/sw.js"] == {"Cache-Control": sw["cache-control"], "Service-Worker-Allowed": sw["service-worker-allowed"]}
    html = client.get("/es/").text
    asset = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', html)
    assert asset
    assert rules["/static/*"] == {"Cache-Control": client.get(asset.group(1)).headers["cache-control"]}
    # Netlify and Cloudflare join a header that two matching rules set: no rule may repeat one of /*
    for pattern, headers in rules.items():
        if pattern != "/*":
            assert not set(headers) & set(rules["/*"]), pattern


def test_the_headers_file_is_for_hosts_not_for_phones(client: TestClient, release_dir: Path) -> None:
    assert client.get("/" + HEADERS_FILE).status_code == 404
    sw = (release_dir / "sw.js").read_text()
    config = read_config(sw)
    listed = {url for url, _ in config["shell"]}
    for bundle in config["languages"].values():
        listed |= {url for url, _ in json.loads((release_dir / bundle.lstrip("/")).read_text())["pages"]}
    assert not any(HEADERS_FILE in url for url in listed)


def test_the_readme_nginx_snippet_sends_the_same_headers(release_dir: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", readme, re.DOTALL)
    assert blocks, "README has no ```nginx block"
    snippet = "\n".join(blocks)
    sent = dict(re.findall(r'^\s*add_header\s+(\S+)\s+"([^"]*)"\s+always;', snippet, re.MULTILINE))
    security = {name: value for name, value in sent.items() if name != "Cache-Control"}
    assert security == dict((*HEADERS, HSTS_HEADER)), "README's nginx snippet differs from backend/app.py: update one or the other"
    assert "/_headers" in snippet and "/release.json" in snippet  # neither is served
    types = re.search(r"types \{(.*?)\}", snippet, re.DOTALL)
    assert types
    named = {word for line in types.group(1).split(";") for word in line.split()[1:]}
    shipped = {p.suffix.lstrip(".") for p in release_dir.rglob("*.*") if p.is_file() and p.suffix not in (".br", ".gz")}
    assert shipped <= named, f"the snippet's types block lacks {sorted(shipped - named)}"


def test_each_worker_process_gets_the_headers_and_the_body_limit(tmp_path: Path, release_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --workers N` builds each process's app from the environment: the same wrapping as one process."""
    from backend.cli import config_environment
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
