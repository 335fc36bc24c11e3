"""Shared fixtures: the default release built once, real servers on loopback, and Debian's Chromium.

Two levels of realism, as in datasette: an in-process ASGI client for most HTTP
tests, and real subprocesses (`python serve.py`, `python -m http.server`) for
everything a browser touches. Each server binds 127.0.0.1 on a free port and is
stopped by the fixture that started it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.build import build  # noqa: E402
from backend.config import Config  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TODAY = dt.date(2026, 11, 28)  # fixed, so what is "past review" never depends on the day the suite runs


def make_config(tmp: Path, *, warm: bool = True, **changes: object) -> Config:
    """The default settings with the data directory in `tmp/var`; `warm` gives it the suite's compressed texts."""
    if "locales" not in changes and "PUENTE_LOCALES" in os.environ:
        changes["locales"] = Path(os.environ["PUENTE_LOCALES"])  # copy_content's copy of the catalogs
    cfg = Config.load({"data": str(tmp / "var")}, environ={})
    if warm:
        warm_data(tmp / "var")
    return cfg.with_(**{"today": TODAY, **changes})


# -- the render cache of the suite's first build, shared by every data directory ---------------------------------
#
# A cold build of the default content costs about 9 CPU s (brotli at the build's levels is most of it), and
# nearly every test's build renders and compresses the same pages. A fresh data directory gets the render
# cache of one build of the default content: its rendered files and their compressed variants (hard links, or
# copies with `link=False` for a test that damages files in place) and the record of what each page read, as
# a district's server has them from its earlier publishes. A build then renders only what its own inputs
# change (an edit, another address, another date) and takes the rest from the cache, which is how every
# publish after the first works in production; tests/test_incremental.py proves that such a build is the same,
# file for file, as one from nothing, and `warm=False` gives a test a cold cache. A test that wrote into a
# shared file would poison the rest: the session ends by checking every one against its name (check_warm_cache).

_WARM: list[Path] = []
SHARED_CACHE = ("compressed", "blobs")  # content-addressed and read-only: hard links
COPIED_CACHE = ("render",)  # what each output read, rewritten by each build: copies


def _warm_source() -> Path:
    """The suite's first build's cache folder (<data>/cache): made once per run, in the folder pytest_configure
    made, by the first of pytest-xdist's workers that asks (the others wait for it, then share it)."""
    if not _WARM:
        import fcntl

        root = Path(os.environ[WARM_DIR])
        with (root / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the first
            if not (root / "built").exists():
                build(make_config(root, warm=False), root / "site")
                (root / "built").touch()
        _WARM.append(root / "var" / "cache")
    return _WARM[0]


WARM_DIR = "PUENTE_TEST_WARM_DIR"


def pytest_configure(config: pytest.Config) -> None:
    """The controller (or the only process) makes the shared folder; its workers inherit the variable."""
    if not hasattr(config, "workerinput") and WARM_DIR not in os.environ:
        import tempfile

        os.environ[WARM_DIR] = tempfile.mkdtemp(prefix="puente-warm-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(WARM_DIR), ignore_errors=True))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system (a test's tmpfs)
        shutil.copy2(src, dst)


def warm_data(data: Path, *, link: bool = True) -> None:
    """Give a fresh data directory the render cache of the suite's first build (nothing if it has its own)."""
    target = data / "cache"
    if any((target / part).exists() for part in (*SHARED_CACHE, *COPIED_CACHE)):
        return
    source = _warm_source()
    existing = next(p for p in (data, *data.parents) if p.exists())
    if os.stat(existing).st_dev != os.stat(source).st_dev:
        return  # a test's own small disk: it is about filling that disk
    target.mkdir(parents=True, exist_ok=True)
    for part in SHARED_CACHE:
        shutil.copytree(source / part, target / part, copy_function=_link_or_copy if link else shutil.copy2)
    for part in COPIED_CACHE:
        shutil.copytree(source / part, target / part)


def _damaged(cache: Path) -> list[str]:
    """The shared files whose content no longer matches the hash in their name."""
    import gzip
    import hashlib

    import brotli

    damaged = []
    for path in [*(cache / "compressed").iterdir(), *(cache / "blobs").glob("??/*")]:
        if path.parent.name == "compressed" and path.suffix not in (".br", ".gz"):
            continue
        data = path.read_bytes()
        if path.suffix == ".br":
            data = brotli.decompress(data)
        elif path.suffix == ".gz":
            data = gzip.decompress(data)
        if hashlib.sha256(data).hexdigest() != path.name.split(".")[0]:
            damaged.append(path.relative_to(cache).as_posix())
    return damaged


@pytest.fixture(scope="session", autouse=True)
def check_warm_cache() -> Iterator[None]:
    """Fails the session if a test changed a shared rendered or compressed file in place."""
    yield
    if _WARM:
        damaged = _damaged(_WARM[0])
        assert not damaged, f"a test changed the suite's shared render cache in place: {damaged[:5]}"


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make_config(tmp_path_factory.mktemp("cfg"))


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    out = tmp_path_factory.mktemp("release") / "site"
    build(config, out)
    return out


def release_entries(releases_dir: Path) -> list[str]:
    """What releases/ holds besides its shared language folders that kept releases link to: the releases, and
    any shared folder no release links to (a leftover), as "shared/<name>"."""
    from backend.build import metadata

    names = sorted(p.name for p in releases_dir.iterdir() if p.name != metadata.SHARED)
    linked = set().union(*(metadata.shared_folders(releases_dir / n) for n in names if (releases_dir / n).is_dir()))
    shared = releases_dir / metadata.SHARED
    return names + sorted(f"{metadata.SHARED}/{p.name}" for p in (shared.iterdir() if shared.is_dir() else ()) if p.name not in linked)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:  # a first build on a busy 2-core machine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_puente(
    tmp: Path, *extra: str, env: dict[str, str] | None = None, port: int | None = None, ready: str = "/api/release", warm: bool = True
) -> Server:
    port = port or free_port()
    if warm and "--data" not in extra:
        warm_data(tmp / "var")
    log = tmp / f"serve-{port}.log"
    cmd = [sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--data", str(tmp / "var"), *extra]
    environment = {**os.environ, "PUENTE_TODAY": TODAY.isoformat(), **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environment)
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_until_up(server.url + ready, proc, timeout=120)  # a first start builds every language
    except RuntimeError:
        server.stop()
        raise RuntimeError(server.output()) from None
    return server


def seed(tmp: Path, release_dir: Path) -> tuple[str, ...]:
    """Put the suite's release where `serve` finds it; return the arguments under which `serve` reuses it
    instead of building (its share links carry the address it was built for), and so does a publish."""
    from backend.build.links import base_url

    release_id = json.loads((release_dir / "release.json").read_text())["id"]
    shutil.copytree(release_dir, tmp / "var" / "releases" / release_id)
    return ("--public-url", base_url(make_config(tmp)))


def pack_copy(root: Path, languages: tuple[str, ...] | None = None, files: tuple[str, ...] = ("messages.pot", "other-names.toml")) -> Config:
    """A writable copy of the content pack in root/content and of the catalogs in root/locales: all of them, or
    only those of `languages` with the template `files` beside them (builds of two languages stay quick)."""
    shutil.copytree(ROOT / "content", root / "content")
    if languages is None:
        shutil.copytree(ROOT / "locales", root / "locales")
    else:
        (root / "locales").mkdir()
        for name in files:
            shutil.copy(ROOT / "locales" / name, root / "locales" / name)
        for tag in languages:
            shutil.copytree(ROOT / "locales" / tag, root / "locales" / tag)
    return make_config(root, content=root / "content", locales=root / "locales")


def copy_workspace(prepared: Path, tmp: Path) -> Config:
    """A test's own copy of a module's prepared content/, locales/ and var/ (made once by its `prepared` fixture)."""
    for name in ("content", "locales", "var"):
        shutil.copytree(prepared / name, tmp / name, symlinks=True)
    return make_config(tmp, content=tmp / "content", locales=tmp / "locales")


@contextlib.contextmanager
def console_client(cfg: Config) -> Iterator[Any]:
    """The whole server app in process, over https:// (the console's cookie is Secure)."""
    from starlette.testclient import TestClient

    from backend.web.app import create_server_app

    with TestClient(create_server_app(cfg), base_url="https://testserver") as c:
        yield c


def start_static(root: Path, tmp: Path) -> Server:
    port = free_port()
    log = tmp / f"http-server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    wait_until_up(server.url + "/", proc)
    return server


@contextlib.contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "400k", "96m") mounted at `path` for the block: a real disk that fills up."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `python serve.py` for tests that only read."""
    server = start_puente(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A real `python serve.py` that the test may stop."""
    server = start_puente(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/run.sh`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[object]:  # type: ignore[no-untyped-def]
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def copy_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the default content pack, for tests that break it, with a copy of the catalogs
    beside it: a publish merges an English edit into the catalogs (make_config and every `serve.py` the
    test starts use the copy, through PUENTE_LOCALES)."""
    dest = tmp_path / "content"
    shutil.copytree(ROOT / "content", dest)
    shutil.copytree(ROOT / "locales", tmp_path / "catalogs")
    monkeypatch.setenv("PUENTE_LOCALES", str(tmp_path / "catalogs"))
    return dest


def _catalogs_of_the_repository() -> dict[str, bytes]:
    return {str(p.relative_to(ROOT)): p.read_bytes() for p in sorted((ROOT / "locales").rglob("*")) if p.is_file()}


def _signature() -> dict[str, tuple[int, int]]:
    stats = {p: p.stat() for p in (ROOT / "locales").rglob("*") if p.is_file()}
    return {str(p.relative_to(ROOT)): (st.st_size, st.st_mtime_ns) for p, st in stats.items()}


_CATALOGS: dict[str, bytes] = {}


def _put_back() -> list[str]:
    """Restore the repository's catalogs as the session found them; return the names that had changed."""
    after = _catalogs_of_the_repository()
    changed = sorted(k for k in _CATALOGS.keys() | after.keys() if _CATALOGS.get(k) != after.get(k))
    for name in changed:
        if name in _CATALOGS:
            (ROOT / name).write_bytes(_CATALOGS[name])
        else:
            (ROOT / name).unlink()
    return changed


@pytest.fixture(scope="session", autouse=True)
def repository_catalogs_stay_as_they_are() -> Iterator[None]:
    """Fails the session, and puts them back, if a test wrote into the repository's own catalogs
    (a publish of a copied content pack merges into the catalogs it is given)."""
    _CATALOGS.update(_catalogs_of_the_repository())
    yield
    changed = _put_back()
    assert not changed, f"a test changed the repository's catalogs (now put back): {changed[:5]}"


@pytest.fixture(autouse=True)
def no_test_writes_the_repository_catalogs(repository_catalogs_stay_as_they_are: None) -> Iterator[None]:
    """The same, test by test (sizes and times only, so it costs nothing): names the test that wrote them."""
    before = _signature()
    yield
    if _signature() != before:
        changed = _put_back()
        assert not changed, f"this test changed the repository's catalogs (now put back): {changed[:5]}"
