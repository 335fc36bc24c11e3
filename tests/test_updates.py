"""Updates reach installed phones: only what changed, only for the languages held, never a mix,
and a download cut halfway leaves the old release working until the next visit completes it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polib
import pytest

from backend import releases
from backend.build.worker import read_config
from backend.config import Config

from .conftest import ROOT, TODAY, Server, make_config, start_puente

pytestmark = pytest.mark.browser

ES_OLD = "No Hartford resident will be detained"
ES_NEW = "Ningún residente de Hartford será detenido — RELEASE TWO."
AR_NEW = "لن يتم احتجاز أي مقيم — RELEASE TWO."


@pytest.fixture
def workspace(tmp_path: Path) -> Config:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    cfg = make_config(tmp_path, content=tmp_path / "content", locales=tmp_path / "locales")
    releases.publish(cfg, "test")
    return cfg


def serve(cfg: Config, tmp: Path, port: int | None = None) -> Server:
    return start_puente(tmp, "--content", str(cfg.content), "--locales", str(cfg.locales), "--access-log", port=port)


def publish_release_two(cfg: Config) -> str:
    for tag, text in (("es", ES_NEW), ("ar", AR_NEW)):
        path = cfg.locales / tag / "LC_MESSAGES" / "messages.po"
        po = polib.pofile(str(path), wrapwidth=0)
        next(e for e in po if e.msgid.startswith(ES_OLD)).msgstr = text
        po.save()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "serve.py"), "publish", "--content", str(cfg.content), "--locales", str(cfg.locales),
         "--data", str(cfg.data)], capture_output=True, text=True, timeout=180, env={**os.environ, "PUENTE_TODAY": TODAY.isoformat()},
    )
    assert proc.returncode == 0, proc.stderr
    return str(releases.current_id(cfg))


def requested_since(server: Server, offset: int) -> list[str]:
    """Paths the server answered (its access log) after `offset` bytes of log."""
    text = server.output()[offset:]
    return re.findall(r'"GET ([^ ]+) HTTP/1\.1" \d+', text)


def wait_for_release(page, server: Server, release: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while json.loads(page.evaluate("fetch('/api/release').then(r => r.text())"))["release"] != release:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def install(context, server: Server):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(server.url + "/es/")
    page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
    return page


def test_update_downloads_only_what_changed_and_waits_for_reload(workspace: Config, tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    one = releases.current_id(workspace)
    server = serve(workspace, tmp_path)
    context = browser.new_context()
    try:
        page = install(context, server)
        mark = len(server.output())
        two = publish_release_two(workspace)
        wait_for_release(page, server, two)
        diff = releases.history(workspace)[-1]["changes"]
        assert set(diff) == {"es", "ar"}

        page.goto(server.url + "/es/rights/")  # the app opens again, online: it checks for a release
        page.wait_for_selector("#update-ready", state="visible", timeout=30_000)
        assert "Información actualizada" in page.locator("#update-ready").inner_text()
        assert ES_OLD[:10] not in page.content()  # still release 1 until the reader reloads

        fetched = [p for p in requested_since(server, mark) if p != "/api/release"]
        changed_es = set(diff["es"]["changed"]) | set(diff["es"]["added"])
        assert "/es/rights/hartford/" in fetched
        allowed = changed_es | {"/sw.js", "/es/rights/"}
        unexpected = [p for p in fetched if p not in allowed and not re.fullmatch(r"/es/bundle\.[0-9a-f]+\.json", p)]
        assert unexpected == [], f"downloaded more than the changes: {unexpected}"
        assert not [p for p in fetched if p.startswith("/ar/")], "a phone without Arabic downloaded Arabic"

        with page.expect_navigation():  # the new worker takes over, then the page reloads itself
            page.locator("#update-reload").click()
        page.wait_for_function("navigator.serviceWorker.controller && caches.keys().then(k => k.join()).then(k => k)", timeout=10_000)
        caches = page.evaluate("caches.keys()")
        assert caches == [f"puente-{two}"], caches
        # every Spanish page the worker holds is release 2's, byte for byte
        bundle = read_config((workspace.releases / two / "sw.js").read_text())
        pages = json.loads((workspace.releases / two / bundle["languages"]["es"].lstrip("/")).read_text())["pages"]
        for url, _ in pages:
            held = page.evaluate(f"caches.match({json.dumps(url)}).then(r => r.text())")
            on_disk = (workspace.releases / two / url.lstrip("/") / ("index.html" if url.endswith("/") else "")).read_bytes().decode()  # vCards end lines in CRLF
            assert held == on_disk, url
        assert one != two

        server.stop()
        context.set_offline(True)
        r = page.goto(server.url + "/es/rights/hartford/")
        assert r is not None and r.from_service_worker and ES_NEW in page.content()
    finally:
        context.close()
        server.stop()


def test_update_cut_midway_keeps_release_one_and_completes_next_time(workspace: Config, tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    one = releases.current_id(workspace)
    server = serve(workspace, tmp_path)
    port = int(server.url.rsplit(":", 1)[1])
    context = browser.new_context()
    try:
        page = install(context, server)
        two = publish_release_two(workspace)
        wait_for_release(page, server, two)
        context.route("**/es/rights/hartford/", lambda route: route.abort("internetdisconnected"))
        mark = len(server.output())
        page.goto(server.url + "/es/")
        # the new worker tries, fails on the cut download, and is discarded: no update is offered
        deadline = time.monotonic() + 20
        while True:
            state = page.evaluate("navigator.serviceWorker.getRegistration().then(r => [!!r.installing, !!r.waiting])")
            if state == [False, False] and "/sw.js" in requested_since(server, mark):
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert page.locator("#update-ready").is_hidden()
        assert page.evaluate("caches.keys()").count(f"puente-{one}") == 1
        first_try = {p for p in requested_since(server, mark) if p not in ("/api/release", "/sw.js")}

        server.stop()  # and now the phone is offline altogether: release 1 works
        context.set_offline(True)
        for url in ("/es/", "/es/rights/hartford/", "/es/services/"):
            r = page.goto(server.url + url)
            assert r is not None and r.ok and r.from_service_worker, url
        assert ES_NEW not in page.content() and "Hartford" in page.content()

        context.set_offline(False)
        context.unroute("**/es/rights/hartford/")
        server = serve(workspace, tmp_path, port=port)
        mark = len(server.output())
        page.goto(server.url + "/es/services/")  # the next online visit
        page.wait_for_selector("#update-ready", state="visible", timeout=30_000)
        fetched = {p for p in requested_since(server, mark) if p not in ("/api/release", "/sw.js")}
        assert "/es/rights/hartford/" in fetched
        assert not (fetched & first_try), f"downloaded again after the cut: {fetched & first_try}"
        changed = releases.history(workspace)[-1]["changes"]["es"]
        assert fetched <= set(changed["changed"]) | set(changed["added"]), fetched
        with page.expect_navigation():  # the new worker takes over, then the page reloads itself
            page.locator("#update-reload").click()
        page.goto(server.url + "/es/rights/hartford/")
        assert ES_NEW in page.content()
    finally:
        context.close()
        server.stop()
