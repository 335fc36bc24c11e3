"""No cookies, no visitor addresses in logs unless an operator turns it on."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from .conftest import Server, start_puente


def fetch(server: Server, path: str) -> urllib.request.addinfourl:
    return urllib.request.urlopen(server.url + path, timeout=10)


def test_access_log_is_off_by_default(tmp_path: Path) -> None:
    server = start_puente(tmp_path)
    try:
        for path in ("/es/?visitor-probe", "/es/services/?visitor-probe"):
            with fetch(server, path) as r:
                assert r.status == 200
                assert r.headers.get("Set-Cookie") is None
    finally:
        server.stop()
    log = server.output()
    assert "visitor-probe" not in log and '"GET ' not in log
    assert "serving http://127.0.0.1" in log  # the log is captured: it just holds no requests


def test_access_log_can_be_turned_on_by_an_operator(tmp_path: Path) -> None:
    server = start_puente(tmp_path, "--access-log")
    try:
        with fetch(server, "/es/?visitor-probe") as r:
            assert r.status == 200
    finally:
        server.stop()
    assert "visitor-probe" in server.output()


def test_no_page_sets_a_cookie(live_server: Server, release_dir: Path) -> None:
    paths = ["/" + p.relative_to(release_dir).as_posix().removesuffix("index.html") for p in release_dir.rglob("index.html")]
    assert len(paths) > 30
    for path in paths:
        with fetch(live_server, path) as r:
            assert r.headers.get("Set-Cookie") is None, path
