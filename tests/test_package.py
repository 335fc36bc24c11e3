"""A real package: the wheel is built, installed (not editable) into a fresh virtual environment,
and its console script `puente serve` serves the default content pack from outside the checkout.

The virtual environment sees the dependencies already installed here through a `.pth` line (no
download, and not the checkout's editable install, whose import hook would hide the wheel).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, Server, free_port, wait_until_up

SOURCES = ("backend", "pwa", "service_worker", "content", "locales", "pyproject.toml", "setup.py", "README.md", "serve.py")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout (so no build/ or egg-info is left in it)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "--disable-pip-version-check", "-w", str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    (found,) = out.glob("puente-*.whl")
    return found


def test_the_wheel_carries_the_templates_the_worker_the_default_pack_and_the_catalogs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "backend/pwa/templates/base.html",
        "backend/pwa/static/app.js",
        "backend/pwa/static/icons/icon-192.png",
        "backend/service_worker/sw.js",
        "backend/default_content/site.toml",
        "backend/default_content/services/greater-hartford-legal-aid.toml",
        "backend/locales/es/LC_MESSAGES/messages.po",
        "backend/web/app.py",
        "backend/web/admin/auth.py",
    ):
        assert expected in names, expected
    assert not [n for n in names if "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "puente = backend.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_serves_the_default_pack_with_puente_serve(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", "--disable-pip-version-check", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)

    home = tmp_path / "home"  # an installed copy writes below $XDG_DATA_HOME/puente, never into site-packages
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "XDG_DATA_HOME": str(home / "share"), "PUENTE_TODAY": "2026-11-28"}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import backend; print(backend.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(site)), f"imported {where.stdout} instead of the installed wheel"

    helped = subprocess.run([str(venv / "bin" / "puente"), "serve", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True)
    unwrapped = "".join(helped.stdout.split())  # argparse wraps long paths across lines
    for folder in ("content", "locales", "var"):
        assert f"(default:{home}/share/puente/{folder})" in unwrapped, folder

    port = free_port()
    log = tmp_path / "puente.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(venv / "bin" / "puente"), "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        try:
            wait_until_up(server.url + "/api/release", proc, timeout=120)
        except RuntimeError:
            raise AssertionError(server.output()) from None
        with urllib.request.urlopen(server.url + "/es/services/greater-hartford-legal-aid/") as r:
            page = r.read().decode()
        assert "Greater Hartford Legal Aid" in page and 'lang="es"' in page
        with urllib.request.urlopen(server.url + "/sw.js") as r:
            assert "puente-" in r.read().decode()
        with urllib.request.urlopen(server.url + "/healthz") as r:
            assert json.loads(r.read())["status"] == "ok"
    finally:
        server.stop()
    assert (home / "share" / "puente" / "content" / "site.toml").is_file(), "the default pack was not copied out of the package"
    assert (home / "share" / "puente" / "var" / "current").is_file()
    assert not list(site.glob("backend/**/var")), "the installed copy wrote into site-packages"
