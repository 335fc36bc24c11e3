"""Publishing: check, build, switch atomically; list, roll back; refuse safely under faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polib
import pytest

from backend import release_diff, releases
from backend.config import Config

from .conftest import ROOT, TODAY, make_config, release_entries, small_filesystem, start_puente


@pytest.fixture
def workspace(tmp_path: Path) -> Config:
    """A writable copy of the content and catalogs, and an empty data directory."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    return make_config(tmp_path, content=tmp_path / "content", locales=tmp_path / "locales")


# `serve.py` with the moment between writing a release and switching to it made fatal, as a kill would be.
CRASH_BEFORE_SWITCH = (
    "import os, sys; sys.path.insert(0, sys.argv.pop(1)); from backend import releases; "
    "releases._before_switch = lambda: os._exit(17); from backend.cli import main; sys.exit(main(sys.argv[1:]))"
)


def cli(
    cfg: Config, *args: str, env: dict[str, str] | None = None, stdin: str | None = None, crash_before_switch: bool = False
) -> subprocess.CompletedProcess[str]:
    entry = ["-c", CRASH_BEFORE_SWITCH, str(ROOT)] if crash_before_switch else [str(ROOT / "serve.py")]
    cmd = [sys.executable, *entry, *args, "--content", str(cfg.content), "--locales", str(cfg.locales), "--data", str(cfg.data)]
    environment = {**os.environ, "PUENTE_TODAY": TODAY.isoformat(), **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=environment, input=stdin)


def change_spanish(cfg: Config, msgid_part: str, new_text: str) -> None:
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    entry = next(e for e in po if msgid_part in e.msgid and e.msgctxt.startswith("page:"))
    entry.msgstr = new_text
    po.save()


def test_publish_list_and_roll_back(workspace: Config) -> None:
    cfg = workspace
    first = cli(cfg, "publish", "--as", "ana")
    assert first.returncode == 0, first.stderr
    one = releases.current_id(cfg)
    assert one and (cfg.releases / one / "index.html").is_file()

    change_spanish(cfg, "No Hartford resident will be detained", "Ningún residente de Hartford será detenido por la HPD solo por su estatus migratorio. (corregido)")
    second = cli(cfg, "publish", "--as", "luis")
    assert second.returncode == 0, second.stderr
    two = releases.current_id(cfg)
    assert two != one
    diff = releases.history(cfg)[-1]["changes"]
    assert list(diff) == ["es"], diff  # only the language that changed
    assert "/es/rights/hartford/" in diff["es"]["changed"]
    # the wallet card prints the page's statement, so it changes with it
    assert all(not u.endswith("/") or u in ("/es/rights/hartford/", "/es/share/card/") or "/search/" in u for u in diff["es"]["changed"]), diff

    listing = cli(cfg, "releases").stdout.splitlines()
    assert listing[0].startswith(f"* {two}") and "luis" in listing[0] and "es: " in listing[0]
    assert any(line.startswith(f"  {one}") and "ana" in line for line in listing)

    back = cli(cfg, "rollback", "--as", "ana")
    assert back.returncode == 0, back.stderr
    assert releases.current_id(cfg) == one
    assert cli(cfg, "rollback", two).returncode == 0
    assert releases.current_id(cfg) == two

    actions = [(a["who"], a["action"]) for a in releases.read_audit(cfg)]
    assert actions == [("ana", "publish"), ("luis", "publish"), ("ana", "rollback"), (actions[3][0], "rollback")]


def test_published_releases_are_read_only(workspace: Config) -> None:
    assert cli(workspace, "publish").returncode == 0
    release = workspace.releases / releases.current_id(workspace)
    page = release / "es" / "index.html"
    assert not os.access(page, os.W_OK) or os.geteuid() == 0
    assert (page.stat().st_mode & 0o222) == 0 and (release.stat().st_mode & 0o222) == 0
    es = workspace.locales / "es" / "LC_MESSAGES" / "messages.po"  # and a release made mostly of links to the cache
    es.write_text(es.read_text(encoding="utf-8").replace('msgstr "Salida rápida"', 'msgstr "Salida rápida (otra)"'), encoding="utf-8")
    assert cli(workspace, "publish").returncode == 0
    for release in (workspace.releases / r["id"] for r in releases.listing(workspace)):
        # every folder and file, those of the shared language folders its links lead to included (a link's own mode means nothing)
        seen = [Path(folder) / name for folder, dirs, files in os.walk(release, followlinks=True) for name in ["", *dirs, *files]]
        assert len(seen) > 700 and any(p.is_symlink() for p in release.iterdir())
        writable = [str(p.relative_to(release)) for p in seen if p.stat().st_mode & 0o222]
        assert writable == [], f"{release.name}: writable {writable[:5]} of {len(writable)}"


def test_a_publish_after_the_server_built_the_default_release_is_read_only_too(workspace: Config) -> None:
    """`serve` builds the working content at start (a release not made read-only); a publish after it links the
    language folders that did not change: those are read-only whoever made them."""
    from backend import build as building

    first, _, built = building.ensure_release(workspace)
    assert built and (first / "en").is_symlink()
    es = workspace.locales / "es" / "LC_MESSAGES" / "messages.po"
    es.write_text(es.read_text(encoding="utf-8").replace('msgstr "Salida rápida"', 'msgstr "Salida rápida (otra)"'), encoding="utf-8")
    assert cli(workspace, "publish").returncode == 0
    release = workspace.releases / releases.current_id(workspace)
    assert os.readlink(release / "en") == os.readlink(first / "en"), "English did not change: the same folder"
    files = [Path(folder) / name for folder, dirs, names in os.walk(release / "en", followlinks=True) for name in ["", *dirs, *names]]
    writable = [str(p) for p in files if p.stat().st_mode & 0o222]
    assert len(files) > 30 and writable == [], writable[:5]


def test_publish_refuses_content_that_fails_a_check(workspace: Config) -> None:
    assert cli(workspace, "publish").returncode == 0
    before = releases.current_id(workspace)
    path = workspace.locales / "es" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text().replace('msgstr "Salida rápida"', 'msgstr "<b>Salida</b>"'))
    proc = cli(workspace, "publish")
    assert proc.returncode == 1
    assert "messages.po:" in proc.stderr and "raw HTML" in proc.stderr and "Traceback" not in proc.stderr
    assert releases.current_id(workspace) == before
    assert release_entries(workspace.releases) == [before]


def test_two_publishes_at_once_one_wins(workspace: Config) -> None:
    with releases.publish_lock(workspace):  # a publish in progress holds the lock
        proc = cli(workspace, "publish")
    assert proc.returncode == 1 and "another publish or rollback is in progress" in proc.stderr
    assert releases.current_id(workspace) is None
    procs = [subprocess.Popen(
        [sys.executable, str(ROOT / "serve.py"), "publish", "--content", str(workspace.content), "--locales", str(workspace.locales),
         "--data", str(workspace.data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PUENTE_TODAY": TODAY.isoformat()}) for _ in range(2)]
    results = [(*p.communicate(timeout=180), p.returncode) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes in ([0, 0], [0, 1]), results  # both in turn, or one refused with a clear error
    for _out, err, code in results:
        if code:
            assert "another publish or rollback is in progress" in err
    current = releases.current_id(workspace)
    assert current and json.loads((workspace.releases / current / "release.json").read_text())["id"] == current


def test_killed_between_build_and_switch_leaves_the_previous_release(workspace: Config) -> None:
    assert cli(workspace, "publish").returncode == 0
    before = releases.current_id(workspace)
    change_spanish(workspace, "No Hartford resident will be detained", "Texto nuevo de prueba.")
    proc = cli(workspace, "publish", crash_before_switch=True)
    assert proc.returncode == 17
    assert releases.current_id(workspace) == before
    assert len(releases.history(workspace)) == 1
    again = cli(workspace, "publish")  # the next run is clean
    assert again.returncode == 0, again.stderr
    assert releases.current_id(workspace) != before


def test_disk_full_during_publish_changes_nothing(workspace: Config, tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small", "400k") as small:
        cfg = workspace.with_(data=small / "var")
        proc = cli(cfg, "publish")
        assert proc.returncode == 1
        assert "the disk is full" in proc.stderr and "Nothing changed" in proc.stderr and "Traceback" not in proc.stderr
        assert releases.current_id(cfg) is None
        assert not [p for p in (cfg.releases).glob("*") if not p.name.startswith(".")]


def test_read_only_data_directory_during_publish_changes_nothing(workspace: Config, tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "ro", "50m") as ro:
        cfg = workspace.with_(data=ro / "var")
        assert cli(cfg, "publish").returncode == 0
        before = releases.current_id(cfg)
        change_spanish(cfg, "No Hartford resident will be detained", "Otro texto.")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        proc = cli(cfg, "publish")
        assert proc.returncode == 1
        assert "cannot be written" in proc.stderr and "Traceback" not in proc.stderr
        assert releases.current_id(cfg) == before


def test_running_server_switches_on_publish_and_rollback(workspace: Config, tmp_path: Path) -> None:
    assert cli(workspace, "publish").returncode == 0
    one = releases.current_id(workspace)
    server = start_puente(tmp_path, "--content", str(workspace.content), "--locales", str(workspace.locales))
    try:
        def served() -> str:
            with urllib.request.urlopen(server.url + "/api/release") as r:
                return json.load(r)["release"]
        assert served() == one
        change_spanish(workspace, "No Hartford resident will be detained", "Texto corregido.")
        assert cli(workspace, "publish").returncode == 0
        two = releases.current_id(workspace)
        _eventually(lambda: served() == two)
        with urllib.request.urlopen(server.url + "/es/rights/hartford/") as r:
            assert "Texto corregido." in r.read().decode()
        assert cli(workspace, "rollback").returncode == 0
        _eventually(lambda: served() == one)
    finally:
        server.stop()


def _eventually(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the server did not switch releases"
        time.sleep(0.1)


def test_old_releases_are_pruned_beyond_keep(workspace: Config) -> None:
    for n in range(3):
        change_spanish(workspace, "No Hartford resident will be detained", f"Versión {n}.")
        assert cli(workspace, "publish", "--keep", "2").returncode == 0
    kept = [name for name in release_entries(workspace.releases) if not name.rpartition("/")[2].startswith(".")]  # not yet deleted: aside
    assert len(kept) == 2 and releases.current_id(workspace) in kept
    deadline = time.monotonic() + 30  # the pruned ones are moved aside at once and deleted by a process of their own
    while any(workspace.releases.glob(releases.PRUNED + "*")) or any(workspace.releases.glob(f"shared/{releases.PRUNED}*")):
        assert time.monotonic() < deadline, "a pruned release was never deleted"
        time.sleep(0.1)
    assert release_entries(workspace.releases) == sorted(kept)  # and no language folder only a pruned one linked to
    shared = sorted(p.name.partition(".")[0] for p in (workspace.releases / "shared").iterdir())
    assert shared.count("es") == 2 and shared.count("en") == 1  # Spanish changed each time; the others shared


def test_a_pruned_release_left_half_deleted_is_removed_by_the_next_publish(workspace: Config) -> None:
    change_spanish(workspace, "No Hartford resident will be detained", "Versión A.")
    assert cli(workspace, "publish").returncode == 0
    left = workspace.releases / f"{releases.PRUNED}0123456789ab" / "es"
    left.mkdir(parents=True)
    (left / "index.html").write_text("half deleted")
    os.chmod(left, 0o555)
    change_spanish(workspace, "No Hartford resident will be detained", "Versión B.")
    assert cli(workspace, "publish").returncode == 0
    assert not (workspace.releases / f"{releases.PRUNED}0123456789ab").exists()


def test_the_summary_stays_one_short_line_at_a_states_scale() -> None:
    few = {"es": {"changed": ["/es/"], "added": [], "removed": []}, "ar": {"changed": [], "added": ["/ar/x/"], "removed": ["/ar/y/"]}}
    assert release_diff.summarize(few) == "es: 1 changed; ar: 1 added, 1 removed"
    many = {f"l{i}": {"changed": [], "added": [f"/l{i}/{n}/" for n in range(374)], "removed": []} for i in range(100)}
    assert release_diff.summarize(many) == "100 languages: 37,400 added"
    many["l0"]["changed"] = ["/l0/"]
    assert release_diff.summarize(many) == "100 languages: 1 changed, 37,400 added"
