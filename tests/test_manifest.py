"""The manifest and the head of every page: screenshots (drawn by pwa/make_screenshots.py, within budget,
never precached), shortcuts, categories; `<link rel="alternate" hreflang>` for every language's home and x-default, on the homes
and the chooser only (on every page they grew with languages × pages);
and Chromium reads every language's manifest with no error and finds the app installable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, Server

SCREENSHOTS = ROOT / "pwa" / "static" / "screenshots"
BUDGET = 60_000


def release_languages(release_dir: Path) -> list[str]:
    return [lang["tag"] for lang in json.loads((release_dir / "release.json").read_text())["languages"]]


def manifest(release_dir: Path, tag: str) -> dict[str, object]:
    return json.loads((release_dir / tag / "manifest.webmanifest").read_text())


def test_every_language_has_narrow_and_wide_screenshots_within_budget_and_none_is_precached(release_dir: Path) -> None:
    sw = (release_dir / "sw.js").read_text()
    config = json.loads(sw.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    precached = {u for u, _ in config["shell"]}
    for tag in release_languages(release_dir):
        shots = manifest(release_dir, tag)["screenshots"]
        assert [s["form_factor"] for s in shots] == ["narrow", "wide"], tag  # type: ignore[index]
        for s in shots:  # type: ignore[attr-defined]
            path = release_dir / s["src"].lstrip("/")
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) <= BUDGET, (tag, s["src"], len(data))
            w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            assert s["sizes"] == f"{w}x{h}" and 320 <= min(w, h) and max(w, h) <= 2.3 * min(w, h), s
            assert (w < h) is (s["form_factor"] == "narrow")
            assert s["src"] not in precached and f"/{tag}/" not in s["src"]
        for bundle in config["languages"].values():
            pages = json.loads((release_dir / bundle.lstrip("/")).read_text())["pages"]
            assert not [u for u, _ in pages if "screenshots" in u]
    assert len(list(SCREENSHOTS.glob("*.png"))) == 2 * len(release_languages(release_dir)), "run python pwa/make_screenshots.py"


def test_shortcuts_lead_to_legal_help_and_the_directory_in_the_readers_language(release_dir: Path) -> None:
    es = manifest(release_dir, "es")
    assert es["categories"] == ["education", "government"]
    names = [s["name"] for s in es["shortcuts"]]  # type: ignore[attr-defined]
    urls = [s["url"] for s in es["shortcuts"]]  # type: ignore[attr-defined]
    assert names == ["Obtener ayuda legal", "Servicios"] and urls == ["/es/services/category/legal/", "/es/services/"]
    for url in urls:
        assert (release_dir / url.lstrip("/") / "index.html").is_file()
    assert [s["name"] for s in manifest(release_dir, "en")["shortcuts"]] == ["Get legal help", "Services"]  # type: ignore[attr-defined]


def test_every_home_names_every_languages_home_and_the_chooser_as_x_default_and_other_pages_none(release_dir: Path) -> None:
    tags = release_languages(release_dir)
    origin = json.loads((release_dir / "release.json").read_text())["public_url"]
    homes = [release_dir / tag / "index.html" for tag in tags] + [release_dir / "index.html"]
    for page in homes:
        alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page.read_text()))
        assert alternates == {**{tag: f"{origin}/{tag}/" for tag in tags}, "x-default": f"{origin}/"}, page
        for tag in tags:
            assert (release_dir / tag / "index.html").is_file(), alternates[tag]
    others = [p for tag in ("es", "ar") for p in (release_dir / tag).rglob("index.html") if p.parent.name != tag]
    assert len(others) > 40
    for page in others:
        assert 'rel="alternate"' not in page.read_text(), page


@pytest.mark.browser
def test_chromium_reads_every_languages_manifest_without_errors_and_can_install_it(live_server: Server, playwright, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/es/")
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        cdp = ctx.new_cdp_session(page)
        tags = [lang for lang in page.eval_on_selector_all("link[rel=alternate]", "els => els.map(e => e.hreflang)") if lang != "x-default"]
        assert len(tags) >= 13
        for tag in tags:
            page.goto(f"{live_server.url}/{tag}/")
            got = cdp.send("Page.getAppManifest")
            assert got["url"] == f"{live_server.url}/{tag}/manifest.webmanifest" and got["errors"] == [], (tag, got["errors"])
            data = json.loads(got["data"])
            assert data["lang"] == tag and len(data["shortcuts"]) == 2 and len(data["screenshots"]) == 2
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            assert errors == [], (tag, errors)
    finally:
        ctx.close()
