"""Faults: the server restarted under open browsers, and a data directory that is full or read-only
while a publish runs, with the server serving throughout.

- With the server down, pages keep coming from the service worker; when it is back (same release,
  or a new one), the open page carries on with no reload loop: a new release waits for the reader.
- A publish that runs out of disk halfway through the release fails with a clear message, leaves
  nothing half-written and changes nothing the running server serves; once space is freed, the same
  publish works and is served. On a real small tmpfs where this machine lets the test mount one (as
  root in CI), and with ENOSPC, EROFS and EACCES injected at the file-system calls everywhere.
  (tests/test_publish.py checks the command's own message on a tiny and a read-only file system.)
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, TODAY, Server, make_config, release_entries, seed, small_filesystem, start_puente

READY = "body[data-offline=ready]"


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def release_id(server: Server) -> str:
    with urllib.request.urlopen(server.url + "/api/release", timeout=10) as r:
        return str(json.load(r)["release"])


def fetch(server: Server, path: str) -> bytes:
    with urllib.request.urlopen(server.url + path, timeout=10) as r:
        return bytes(r.read())


# -- the server restarts under an open browser -----------------------------------------------------------


class Watched:
    """A browser page that counts its own navigations (a reload loop shows up as many)."""

    def __init__(self, browser: Any, origin: str):
        self.context = browser.new_context(service_workers="allow")
        self.page = self.context.new_page()
        self.navigations: list[str] = []
        self.errors: list[str] = []
        self.page.on("framenavigated", lambda frame: frame == self.page.main_frame and self.navigations.append(frame.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.origin = origin

    def settle(self, seconds: float = 3.0) -> list[str]:
        """Wait, and return the navigations that happened meanwhile."""
        before = len(self.navigations)
        self.page.wait_for_timeout(seconds * 1000)
        return self.navigations[before:]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Any]:
    made: list[Watched] = []

    def make(origin: str) -> Watched:
        w = Watched(browser, origin)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def browse_offline(w: Watched, lang: str) -> None:
    for path in (f"/{lang}/rights/", f"/{lang}/services/", f"/{lang}/rights/school/"):
        response = w.page.goto(w.origin + path)
        assert response is not None and response.status == 200 and response.from_service_worker, path
        assert w.page.locator("h1").inner_text().strip()
    w.page.locator(f"a[href='/{lang}/services/']").first.click()  # links work too
    w.page.wait_for_url(w.origin + f"/{lang}/services/")


def test_the_server_restarting_under_an_open_page(tmp_path: Path, copy_content: Path, release_dir: Path, watched: Any) -> None:
    """Down: pages come from the worker. Back with the same release: nothing happens. Back with a new
    release: it is offered once, waits for the reader, and one tap reloads once."""
    same_address = seed(tmp_path, release_dir)
    server = start_puente(tmp_path, "--content", str(copy_content), *same_address)
    try:
        w = watched(server.url)
        w.page.goto(server.url + "/es/")
        w.page.wait_for_selector(READY, timeout=30_000)
        same = release_id(server)
        server.stop()

        browse_offline(w, "es")
        assert w.settle(1) == [], "the page navigated by itself while the server was down"

        server = start_puente(tmp_path, "--content", str(copy_content), *same_address, port=port_of(server))
        assert release_id(server) == same
        assert w.page.evaluate("fetch('/api/release').then(r => r.json())")["release"] == same  # online again
        response = w.page.goto(server.url + "/es/rights/hartford/")
        assert response is not None and response.ok
        w.page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        assert w.settle(2) == [], "a reload loop after the server came back"
        assert w.page.locator("#update-ready").is_hidden(), "an update was offered for the release the phone already has"
        server.stop()

        browse_offline(w, "es")
        page = copy_content / "pages" / "rights" / "school.md"
        page.write_text(page.read_text() + "\nA paragraph added while the server was down.\n")
        server = start_puente(tmp_path, "--content", str(copy_content), *same_address, port=port_of(server))
        assert release_id(server) != same

        w.page.goto(server.url + "/es/rights/school/")  # a navigation: the browser checks the worker
        w.page.wait_for_selector("#update-ready", state="visible", timeout=60_000)
        assert w.settle(2) == [], "the new release was forced on the reader"
        assert "A paragraph added" not in w.page.locator("main").inner_text(), "the page mixed in the new release"
        visits = len([u for u in w.navigations if u.endswith("/es/rights/school/")])

        w.page.locator("#update-reload").click()
        w.page.wait_for_function("() => document.getElementById('update-ready').hidden", timeout=30_000)
        w.page.wait_for_load_state()
        assert "A paragraph added" in w.page.locator("main").inner_text()
        assert w.settle(3) == [], "a reload loop after the update"
        assert w.page.locator("#update-ready").is_hidden()
        assert len([u for u in w.navigations if u.endswith("/es/rights/school/")]) == visits + 1, w.navigations  # one reload
        assert w.errors == []
    finally:
        server.stop()


# -- a full or read-only data directory during a publish --------------------------------------------------


def publish_cli(content: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUENTE_TODAY": TODAY.isoformat()}
    cmd = [sys.executable, str(ROOT / "serve.py"), "publish", "--as", "fault-test", "--content", str(content), "--data", str(data)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def assert_nothing_changed(server: Server, data: Path, served: str, page: bytes) -> None:
    assert release_id(server) == served
    assert (data / "current").read_text().strip() == served
    assert fetch(server, "/es/rights/school/") == page
    leftovers = [name for name in release_entries(data / "releases") if name != served]
    assert leftovers == [], f"a failed publish left {leftovers} behind"


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(f"/tmp/puente-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True, check=False).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    finally:
        probe.rmdir()


CAN_MOUNT = _can_mount()
needs_mount = pytest.mark.skipif(not CAN_MOUNT, reason="mounting a small tmpfs needs root; the injected-fault tests below cover the same")


def fill(disk: Path, leave: int) -> Path:
    """Fill the file system up to `leave` free bytes with one file; return it."""
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * (1024 * 1024))
                f.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC
    st = os.statvfs(disk)
    os.truncate(filler, max(0, filler.stat().st_size - leave + st.f_bavail * st.f_frsize))
    return filler


@needs_mount
def test_a_publish_onto_a_full_disk_fails_clearly_and_changes_nothing(tmp_path: Path, copy_content: Path, release_dir: Path) -> None:
    with small_filesystem(tmp_path / "var", "96m") as data:
        server = start_puente(tmp_path, "--content", str(copy_content), *seed(tmp_path, release_dir))
        try:
            served, page = release_id(server), fetch(server, "/es/rights/school/")
            school = copy_content / "pages" / "rights" / "school.md"
            school.write_text(school.read_text() + "\nA change that needs disk space.\n")
            filler = fill(data, leave=512 * 1024)  # room for the lock and the start of a release, not for all of it

            result = publish_cli(copy_content, data)
            assert result.returncode == 1, result.stdout + result.stderr
            assert "disk is full" in result.stderr and "Nothing changed" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
            assert_nothing_changed(server, data, served, page)

            filler.unlink()  # the operator frees space: the same publish now works, and is served
            result = publish_cli(copy_content, data)
            assert result.returncode == 0, result.stderr
            deadline = time.monotonic() + 10
            while release_id(server) == served and time.monotonic() < deadline:
                time.sleep(0.2)
            assert release_id(server) != served
            assert b"A change that needs disk space." in fetch(server, "/en/rights/school/")
        finally:
            server.stop()


# -- the same faults, injected at the file-system calls (any machine) -----------------------------------


@pytest.fixture
def served(tmp_path: Path, copy_content: Path, release_dir: Path) -> Iterator[tuple[Any, Server]]:
    server = start_puente(tmp_path, "--content", str(copy_content), *seed(tmp_path, release_dir))
    cfg = make_config(tmp_path, content=copy_content)
    school = copy_content / "pages" / "rights" / "school.md"
    school.write_text(school.read_text() + "\nA change that will not be published.\n")
    yield cfg, server
    server.stop()


def test_write_failures_during_a_publish_change_nothing(served: tuple[Any, Server], monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up, turns read-only or refuses permission halfway through writing the release,
    and a data directory where not even the lock can be taken: each a clear PublishError, nothing served changes."""
    from backend import releases

    cfg, server = served
    before, page = release_id(server), fetch(server, "/es/rights/school/")
    real_write, real_link, real_open = Path.write_bytes, os.link, os.open
    for code, words in ((errno.ENOSPC, "disk is full"), (errno.EROFS, "cannot be written"), (errno.EACCES, "cannot be written")):
        written = 0

        def count(path: Any, code: int = code) -> None:
            nonlocal written
            if cfg.data in Path(path).parents:
                written += 1
                if written > 40:  # well into the release
                    raise OSError(code, os.strerror(code), str(path))

        def failing(self: Path, data: bytes) -> int:
            count(self)
            return real_write(self, data)

        def failing_link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:  # the files the render cache holds
            count(dst)
            real_link(src, dst, *args, **kwargs)

        with monkeypatch.context() as m:
            m.setattr(Path, "write_bytes", failing)
            m.setattr(os, "link", failing_link)
            with pytest.raises(releases.PublishError) as info:
                releases.publish(cfg, "fault-test")
        assert written > 40
        assert words in str(info.value) and "Nothing changed" in str(info.value), info.value
        assert_nothing_changed(server, cfg.data, before, page)

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(cfg.data)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(releases.PublishError) as info:
        releases.publish(cfg, "fault-test")
    assert "cannot be written" in str(info.value)
    assert_nothing_changed(server, cfg.data, before, page)
