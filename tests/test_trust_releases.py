"""Verified releases: checksums written at build time, checked before a publish or rollback switches and
when a release is served; a damaged or missing `current` falls back to the newest intact published
release, never to unpublished work; `serve.py verify`; a killed publish's leftovers removed by the next;
and the hashed files of kept releases served after a switch."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend import releases
from backend.build import metadata
from backend.cli.serving import ensure_current
from backend.config import Config
from backend.web.app import create_app, create_server_app

from .conftest import ROOT, TODAY, make_config, release_entries, start_puente, warm_data

MARKER = "UNPUBLISHED-DRAFT-MARKER"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Content, one catalog (es), a copy of the app's templates and assets, and two published releases:
    A, then B (a Spanish page changed). Built once for the module."""
    root = tmp_path_factory.mktemp("trust-releases")
    shutil.copytree(ROOT / "content", root / "content")
    (root / "locales").mkdir()
    shutil.copy(ROOT / "locales" / "messages.pot", root / "locales")
    shutil.copytree(ROOT / "locales" / "es", root / "locales" / "es")
    (root / "project").mkdir()
    for name in ("pwa", "service_worker"):
        shutil.copytree(ROOT / name, root / "project" / name)
    cfg = config_of(root)
    releases.publish(cfg, "setup")
    change_spanish_page(cfg, "Versión B.")
    releases.publish(cfg, "setup")
    return root


def config_of(root: Path) -> Config:
    warm_data(root / "var", link=False)  # copies: these tests damage the release files (and so the texts they link to)
    return make_config(root, content=root / "content", locales=root / "locales", project=root / "project")


@pytest.fixture
def cfg(prepared: Path, tmp_path: Path) -> Config:
    for name in ("content", "locales", "var", "project"):
        shutil.copytree(prepared / name, tmp_path / name, symlinks=True)
    return config_of(tmp_path)


def change_spanish_page(cfg: Config, text: str) -> None:
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po = path.read_text(encoding="utf-8")
    new, n = re.subn(r'(msgid "No Hartford resident will be detained[^"]*"\nmsgstr ")[^"]*(")', rf"\g<1>{text}\g<2>", po)
    assert n == 1
    path.write_text(new, encoding="utf-8")


def published(cfg: Config) -> tuple[str, str]:
    """The ids of A and B, oldest first."""
    ids = [r["id"] for r in releases.history(cfg)]
    assert len(ids) == 2
    return ids[0], ids[1]


def draft_the_working_content(cfg: Config) -> None:
    page = cfg.content / "pages" / "rights" / "hartford.md"
    page.write_text(page.read_text(encoding="utf-8").replace("No Hartford resident", f"{MARKER} No Hartford resident"), encoding="utf-8")


def cli(cfg: Config, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "serve.py"), *args, "--content", str(cfg.content), "--locales", str(cfg.locales),
           "--data", str(cfg.data), "--today", TODAY.isoformat()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def served_id(app: Any) -> str:
    with TestClient(app) as c:
        return str(c.get("/api/release").json()["release"])


# -- checksums ----------------------------------------------------------------------------------------------


def test_every_release_carries_the_size_and_sha256_of_each_of_its_files(release_dir: Path) -> None:
    manifest = json.loads((release_dir / "checksums.json").read_text())
    files = {p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file()} - {"checksums.json"}
    assert set(manifest["files"]) == files
    assert {"release.json", "es/index.html", "es/index.html.br", "sw.js"} <= files
    for rel in ("es/index.html", "es/index.html.br", "release.json"):
        size, sha = manifest["files"][rel]
        data = (release_dir / rel).read_bytes()
        assert size == len(data) and sha == hashlib.sha256(data).hexdigest()
    assert metadata.verify(release_dir) == []
    with TestClient(create_app(release_dir)) as c:
        assert c.get("/checksums.json").status_code == 404  # not served as a file


def test_a_publish_never_switches_to_a_release_damaged_while_it_was_written(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend import build as building

    real = building.write_release

    def damaging(site: Any, dest: Path, **kw: Any) -> None:
        real(site, dest, **kw)
        with open(dest / "es" / "index.html", "r+b") as f:
            f.truncate(100)

    monkeypatch.setattr(building, "write_release", damaging)
    _, b = published(cfg)
    change_spanish_page(cfg, "Versión C.")
    with pytest.raises(releases.PublishError, match=r"will not publish release \w+: it is damaged: es/index.html: 100 bytes"):
        releases.publish(cfg, "ana")
    assert releases.current_id(cfg) == b


def test_a_damaged_rollback_target_is_refused_and_nothing_changes(cfg: Config) -> None:
    a, b = published(cfg)
    info = cfg.releases / a / "release.json"
    good = info.read_bytes()
    info.write_text("{not json")
    r = cli(cfg, "rollback", a)
    assert r.returncode == 1 and f"will not roll back to release {a}: it is damaged" in r.stderr and "Traceback" not in r.stderr
    assert releases.current_id(cfg) == b
    info.write_bytes(good)
    with open(cfg.releases / a / "es" / "services" / "index.html", "r+b") as f:
        f.truncate(10)
    r = cli(cfg, "rollback")
    assert r.returncode == 1 and "es/services/index.html: 10 bytes" in r.stderr, r.stderr
    assert releases.current_id(cfg) == b and [h["action"] for h in releases.history(cfg)] == ["publish", "publish"]


def test_serve_verify_checks_every_kept_release(cfg: Config) -> None:
    a, b = published(cfg)
    ok = cli(cfg, "verify")
    assert ok.returncode == 0 and "all 2 kept releases are intact" in ok.stdout
    (cfg.releases / a / "es" / "index.html.br").write_bytes(b"garbage")
    (cfg.releases / a / "planted.txt").write_text("x")
    bad = cli(cfg, "verify")
    assert bad.returncode == 1
    assert f"  {a}  damaged" in bad.stdout and f"* {b}  intact" in bad.stdout
    assert "es/index.html.br: 7 bytes" in bad.stdout and "planted.txt: not in checksums.json" in bad.stdout


# -- language folders shared between releases ------------------------------------------------------------------


def test_a_language_that_did_not_change_is_one_folder_both_releases_link_to(cfg: Config) -> None:
    a, b = published(cfg)
    links = {rid: {tag: os.readlink(cfg.releases / rid / tag) for tag in ("en", "es")} for rid in (a, b)}
    assert links[a]["en"] == links[b]["en"] and links[a]["es"] != links[b]["es"], links  # Spanish changed, English did not
    assert all(target.startswith(f"../shared/{tag}.") for r in links.values() for tag, target in r.items())
    for rid in (a, b):
        assert metadata.verify(cfg.releases / rid) == []
    page = "es/rights/hartford/index.html"  # each release still reads as a complete directory of its own
    assert "Versión B." in (cfg.releases / b / page).read_text() and "Versión B." not in (cfg.releases / a / page).read_text()
    assert cli(cfg, "rollback", a).returncode == 0
    with TestClient(create_server_app(cfg)) as c:
        assert c.get("/api/release").json()["release"] == a
        assert c.get("/es/rights/hartford/").status_code == 200 and "Versión B." not in c.get("/es/rights/hartford/").text
        assert c.get("/en/rights/hartford/").status_code == 200


def test_a_language_link_that_leads_out_of_the_shared_folders_is_damage(cfg: Config, tmp_path: Path) -> None:
    a, b = published(cfg)
    release = cfg.releases / b
    shutil.copytree(release / "en", tmp_path / "en")  # the very same files, elsewhere
    (release / "en").unlink()
    os.symlink(tmp_path / "en", release / "en")
    assert any(p.startswith("en: a link to") and "not a file of the release" in p for p in metadata.verify(release))
    r = cli(cfg, "verify")
    assert r.returncode == 1 and f"{b}  damaged" in r.stdout and f"{a}  intact" in r.stdout and "en/index.html: missing" not in r.stdout, r.stdout


def test_a_shared_folder_damaged_is_damage_in_every_release_that_links_it(cfg: Config) -> None:
    a, b = published(cfg)
    with open(cfg.releases / b / "en" / "index.html", "r+b") as f:
        f.truncate(10)
    for rid in (a, b):
        assert any(p.startswith("en/index.html: 10 bytes") for p in metadata.verify(cfg.releases / rid)), rid
    r = cli(cfg, "rollback", a)
    assert r.returncode == 1 and "en/index.html: 10 bytes" in r.stderr and releases.current_id(cfg) == b


def test_a_publish_checks_the_link_of_each_language_it_did_not_write_again(cfg: Config) -> None:
    _, b = published(cfg)
    release = cfg.releases / b
    assert metadata.verify(release, fresh=set(), trusted={"en"}) == []
    target = os.readlink(release / "en")
    (release / "en").unlink()
    os.symlink(target + "-gone", release / "en")  # a broken link
    problems = metadata.verify(release, fresh=set(), trusted={"en"})
    assert problems and all(p.startswith("en") for p in problems) and not any(p.startswith("en/index.html") for p in problems), problems
    assert any("not a file of the release" in p for p in problems), problems


# -- a damaged or missing `current` on restart -----------------------------------------------------------------


def damage(cfg: Config, how: str) -> str:
    """Break `current` one way; return the release the server must then serve."""
    a, b = published(cfg)
    pointer = cfg.data / "current"
    if how == "garbage":
        pointer.write_bytes(b"\x00\xff garbage ../../etc\n")
    elif how == "empty":
        pointer.write_text("")
    elif how == "missing":
        pointer.unlink()
    elif how == "damaged-release":
        with open(cfg.releases / b / "es" / "index.html", "r+b") as f:
            f.truncate(50)
        return a
    return b


@pytest.mark.parametrize("how", ["garbage", "empty", "missing", "damaged-release"])
def test_a_broken_current_falls_back_to_the_newest_intact_published_release(cfg: Config, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    draft_the_working_content(cfg)
    expected = damage(cfg, how)
    said = ensure_current(cfg)
    assert said.startswith(f"serving published release {expected}")
    assert "WARNING" in capsys.readouterr().err
    assert releases.current_id(cfg) == expected
    app = create_server_app(cfg)
    assert served_id(app) == expected
    with TestClient(app) as c:
        assert MARKER not in c.get("/en/rights/hartford/").text  # the unpublished edit never goes live
    assert not any(MARKER in p.read_text(errors="replace") for d in cfg.releases.iterdir() for p in d.glob("en/rights/hartford/index.html"))


def test_with_no_intact_published_release_serve_refuses_to_start(cfg: Config) -> None:
    draft_the_working_content(cfg)
    a, b = published(cfg)
    for rid in (a, b):
        (cfg.releases / rid / "sw.js").write_text("damaged")
    (cfg.data / "current").write_text("nonsense\n")
    r = subprocess.run([sys.executable, str(ROOT / "serve.py"), "--content", str(cfg.content), "--locales", str(cfg.locales),
                        "--data", str(cfg.data), "--port", "1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "no published release is intact" in r.stderr and "Traceback" not in r.stderr
    assert release_entries(cfg.releases) == sorted((a, b))  # nothing was built from the working content


def test_the_real_server_restarted_on_a_garbage_current_says_so_and_serves_the_published_release(cfg: Config, tmp_path: Path) -> None:
    draft_the_working_content(cfg)
    expected = damage(cfg, "garbage")
    server = start_puente(tmp_path, "--content", str(cfg.content), "--locales", str(cfg.locales))
    try:
        import urllib.request

        with urllib.request.urlopen(server.url + "/api/release", timeout=10) as r:
            assert json.load(r)["release"] == expected
        with urllib.request.urlopen(server.url + "/en/rights/hartford/", timeout=10) as r:
            assert MARKER not in r.read().decode()
    finally:
        server.stop()
    assert f"WARNING: {cfg.data / 'current'}" in server.output() and f"now serving {expected}" in server.output()


def test_a_publish_records_what_it_built_so_a_cache_file_damaged_since_is_found_not_blessed(cfg: Config) -> None:
    """checksums.json holds the SHA-256 the build computed for each file, not one read back from the cache: a
    cache file damaged after an earlier publish (same size) and linked again is named by `serve.py verify`,
    and the server leaves it out when it reads the release (404), rather than having its damaged bytes recorded as right."""
    first = releases.publish(cfg, "test")["id"]
    cache = cfg.data / "cache" / "blobs"
    rel = "es/about/index.html"
    blob = next(p for p in cache.rglob("*") if p.is_file() and p.name == metadata.read_manifest(cfg.releases / first)[rel][1])
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[-20:] = b"X" * 20  # same size, other bytes
    blob.write_bytes(bytes(data))
    change_spanish_page(cfg, "Un cambio en otra página.")
    second = releases.publish(cfg, "test")["id"]
    assert second != first
    problems = metadata.verify(cfg.releases / second)
    assert problems == [f"{rel}: its content is not what was written (SHA-256 differs)"], problems
    r = cli(cfg, "verify")
    assert r.returncode == 1 and f"{rel}: its content is not what was written" in r.stdout + r.stderr, r.stdout + r.stderr
    with TestClient(create_app(cfg.releases / second)) as c:
        assert c.get("/" + rel.removesuffix("index.html"), headers={"Accept-Encoding": "identity"}).status_code == 404
        assert c.get("/es/rights/hartford/", headers={"Accept-Encoding": "identity"}).status_code == 200


# -- files damaged while served --------------------------------------------------------------------------------


@pytest.fixture
def site(release_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(release_dir, copy)
    return copy


def test_a_file_truncated_after_indexing_is_refused_not_cut_short(site: Path) -> None:
    plain = {"Accept-Encoding": "identity"}
    held = (site / "es" / "services" / "index.html").read_bytes()
    with TestClient(create_app(site)) as c:
        assert c.get("/es/services/", headers=plain).status_code == 200  # now answered from memory
        for rel in ("es/index.html", "es/services/index.html"):
            with open(site / rel, "r+b") as f:
                f.truncate(1000)
        r = c.get("/es/", headers=plain)  # indexed whole, never read since: refused, not sent cut short
        assert r.status_code == 503 and int(r.headers["content-length"]) == len(r.content)
        r = c.get("/es/services/", headers=plain)  # read whole before the damage: still whole
        assert r.status_code == 200 and r.content == held and int(r.headers["content-length"]) == len(held)
        assert c.get("/es/about/", headers=plain).status_code == 200


def test_a_garbage_br_is_never_served(site: Path) -> None:
    page = (site / "es" / "index.html").read_bytes()
    (site / "es" / "index.html.br").write_bytes(os.urandom(200))  # smaller than the real one: whitenoise's first pick
    (site / "es" / "services" / "index.html").write_bytes(b"<p>swapped</p>")
    with TestClient(create_app(site)) as c:
        r = c.get("/es/", headers={"Accept-Encoding": "br, gzip"})
        assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip" and r.content == page
        assert "swapped" not in c.get("/es/services/").text  # a changed plain file is not served at all
        assert c.get("/en/", headers={"Accept-Encoding": "br"}).headers.get("content-encoding") == "br"  # intact ones are


# -- a killed publish --------------------------------------------------------------------------------------------


def test_the_leftovers_of_a_killed_publish_are_removed_by_the_next(cfg: Config) -> None:
    change_spanish_page(cfg, "Versión C.")
    cmd = [sys.executable, str(ROOT / "serve.py"), "publish", "--content", str(cfg.content), "--locales", str(cfg.locales),
           "--data", str(cfg.data), "--today", TODAY.isoformat()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while not any(next(d.rglob("*.br"), None) for d in cfg.releases.glob(".*")):  # killed while compressing
            assert proc.poll() is None and time.monotonic() < deadline, "the publish ended before it could be killed"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = [d for d in cfg.releases.glob(".*") if d.is_dir()]
    assert left
    stale = cfg.data / "cache" / "compressed" / "tmpkilled"  # what a compression killed midway leaves
    stale.mkdir(parents=True)
    (stale / "f").write_text("half")
    r = cli(cfg, "publish")
    assert r.returncode == 0, r.stderr
    assert not [d for d in cfg.releases.glob(".*")]
    assert not [d for d in (cfg.data / "cache" / "compressed").iterdir() if d.is_dir()]


# -- hashed names keep their meaning -----------------------------------------------------------------------------


def test_the_previous_releases_css_is_still_served_after_a_publish_that_changed_it(cfg: Config) -> None:
    app = create_server_app(cfg)
    with TestClient(app) as c:
        old_css = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', c.get("/es/").text).group(1)  # type: ignore[union-attr]
        old_body = c.get(old_css).content
        css = cfg.pwa / "static" / "app.css"
        css.write_text(css.read_text() + "\n.trust-test { color: inherit; }\n")
        releases.publish(cfg, "ana")
        deadline = time.monotonic() + 20
        while c.get("/api/release").json()["release"] != releases.current_id(cfg):
            assert time.monotonic() < deadline, "the server did not switch"
            time.sleep(0.1)
        new_css = re.search(r'href="(/static/app\.[0-9a-f]{12}\.css)"', c.get("/es/").text).group(1)  # type: ignore[union-attr]
        assert new_css != old_css
        for url in (old_css, new_css):
            r = c.get(url)
            assert r.status_code == 200 and "immutable" in r.headers["cache-control"], url
        assert c.get(old_css).content == old_body
        assert c.get("/static/app.000000000000.css").status_code == 404
