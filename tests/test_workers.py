"""`serve --workers N`: several processes share the port, each building the same app from the environment."""

from __future__ import annotations

import http.client
import json
import shutil
import time
from pathlib import Path

import pytest

from backend.cli.serving import config_environment
from backend.config import Config

from .conftest import TODAY, make_config, start_puente


def test_the_environment_gives_each_worker_the_same_config(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, public_url="https://puente.example.org", access_log=True, keep=3)
    assert Config.load(environ=config_environment(cfg)) == cfg
    assert Config.load(environ=config_environment(cfg)).today == TODAY


@pytest.mark.timing  # 30 requests in 0.6 s: alone, after the rest (tests/run.sh)
def test_two_workers_serve_without_a_delay_per_request(tmp_path: Path, release_dir: Path) -> None:
    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    shutil.copytree(release_dir, tmp_path / "var" / "releases" / release_id)  # serve reuses it: no second build
    server = start_puente(tmp_path, "--workers", "2")
    try:
        host, port = server.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        started = time.perf_counter()
        for _ in range(30):  # one keep-alive connection, as a phone's
            conn.request("GET", "/es/", headers={"Accept-Encoding": "br"})
            response = conn.getresponse()
            assert response.status == 200 and response.read()
        took = time.perf_counter() - started
        conn.close()
        # With Nagle's algorithm left on, each body waited ~40 ms for the ACK of its headers: 1.2 s here.
        assert took < 0.6, f"30 requests took {took:.2f}s"
        assert "Started parent process" in server.output(), "uvicorn's supervisor of several workers"
    finally:
        server.stop()
