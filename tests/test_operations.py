"""What a district's IT watches: /healthz for the load balancer, and logs as one JSON object a line
(`--log-format json`) with no visitor's address unless the access log is turned on."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

from starlette.testclient import TestClient

from backend.web.app import create_app

from .conftest import seed, start_puente


def test_healthz_names_the_release_and_whether_it_verified_and_nothing_about_the_visitor(release_dir: Path) -> None:
    client = TestClient(create_app(release_dir))
    r = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7", "User-Agent": "probe/1"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    assert body == {"status": "ok", "release": release_id, "verified": True, "damaged": 0, "built_at": body["built_at"]}
    assert "203.0.113.7" not in r.text and "probe" not in r.text and "testclient" not in r.text


def test_healthz_says_when_files_of_the_release_failed_their_checksums(release_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(release_dir, site)
    (site / "es" / "about" / "index.html").write_text("<p>changed on the disk</p>")
    body = TestClient(create_app(site)).get("/healthz").json()
    assert body["verified"] is False and body["damaged"] == 1 and body["status"] == "ok"


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_logs_parse_line_by_line_and_hold_no_visitor_address(tmp_path: Path, release_dir: Path) -> None:
    server = start_puente(tmp_path, *seed(tmp_path, release_dir), "--log-format", "json")
    try:
        for path in ("/es/", "/healthz", "/es/no-such-page/"):
            try:
                urllib.request.urlopen(server.url + path).read()
            except OSError:
                pass
    finally:
        server.stop()
    lines = _json_lines(server.output())  # every line must parse: json.loads raises on any other
    assert len(lines) >= 3
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any("serving" in str(line["message"]) for line in lines)
    assert "127.0.0.1:" not in server.output().replace(server.url, ""), "a visitor's address was logged"
    assert not [line for line in lines if line.get("message") == "request"], "no access log unless it is turned on"


def test_json_access_log_when_turned_on_names_the_request(tmp_path: Path, release_dir: Path) -> None:
    server = start_puente(tmp_path, *seed(tmp_path, release_dir), "--log-format", "json", "--access-log")
    try:
        urllib.request.urlopen(server.url + "/es/").read()
    finally:
        server.stop()
    requests = [line for line in _json_lines(server.output()) if line.get("message") == "request"]
    assert any(r["path"] == "/es/" and r["status"] == 200 and r["method"] == "GET" for r in requests), requests
