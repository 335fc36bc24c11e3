"""A release is a complete static site: every page in every language, hashed assets,
per-language bundles and manifests, the generated worker, and compressed variants."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import brotli
import pytest

from backend.build import build, ensure_release, load_inputs
from backend.build.worker import read_config
from backend.config import Config
from backend.content import load
from backend.i18n import discover

from .conftest import ROOT, make_config
from .seed_facts import SERVICES


def sw_config(release: Path) -> dict:
    return read_config((release / "sw.js").read_text())


def test_every_page_in_every_language(release_dir: Path, config: Config) -> None:
    pack = load(config.content)
    langs = [lang.tag for lang in discover(config.locales)]
    assert {"en", "es"} <= set(langs)
    for tag in langs:
        for page in pack.pages:
            assert (release_dir / tag / page.path / "index.html").is_file(), (tag, page.id)
        for service in pack.services:
            assert (release_dir / tag / "services" / service.id / "index.html").is_file()
        assert (release_dir / tag / "services" / "index.html").is_file()
        assert (release_dir / tag / "offline" / "index.html").is_file()
        assert (release_dir / tag / "404.html").is_file()
    assert (release_dir / "index.html").is_file() and (release_dir / "404.html").is_file()


def test_every_html_file_is_one_document(release_dir: Path) -> None:
    """One doctype, first, and one <html>: a template that imports macros must not repeat the doctype."""
    pages = sorted(release_dir.rglob("*.html"))
    assert len(pages) > 100
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>\n"), path
        assert text.lower().count("<!doctype") == 1 and text.count("<html") == 1, path


def test_a_static_export_holds_its_language_folders_not_links(release_dir: Path) -> None:
    assert (release_dir / "es").is_dir() and not any(p.is_symlink() for p in release_dir.rglob("*"))


def test_assets_carry_content_hashes(release_dir: Path) -> None:
    names = [p.name for p in (release_dir / "static").rglob("*") if p.is_file() and p.suffix not in {".br", ".gz"}]
    assert names
    for name in names:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|png|svg|json)$", name), name
    html = (release_dir / "en" / "index.html").read_text()
    for ref in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert (release_dir / ref.lstrip("/").split("#")[0]).is_file(), ref  # an icon names its symbol in the sprite: icons.<hash>.svg#call


def test_bundles_list_each_languages_pages_with_revisions(release_dir: Path) -> None:
    config = sw_config(release_dir)
    assert set(config["languages"]) >= {"en", "es"}
    for tag, url in config["languages"].items():
        bundle = json.loads((release_dir / url.lstrip("/")).read_text())
        assert bundle["lang"] == tag
        urls = [u for u, _ in bundle["pages"]]
        assert f"/{tag}/" in urls and f"/{tag}/offline/" in urls and f"/{tag}/services/ciri/" in urls
        for u, rev in bundle["pages"]:
            assert u.startswith(f"/{tag}/")
            assert re.fullmatch(r"[0-9a-f]{12}", rev)
    shell = [u for u, _ in config["shell"]]
    assert "/" in shell and any(u.endswith(".css") for u in shell) and any(u.endswith(".js") for u in shell)


def test_manifest_per_language(release_dir: Path) -> None:
    for tag, lang_dir in (("en", "ltr"), ("es", "ltr")):
        m = json.loads((release_dir / tag / "manifest.webmanifest").read_text())
        assert m["lang"] == tag and m["dir"] == lang_dir
        assert m["start_url"] == f"/{tag}/" and m["scope"] == "/" and m["display"] == "standalone"
        sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
        for icon in m["icons"]:
            assert (release_dir / icon["src"].lstrip("/")).is_file()
    es = json.loads((release_dir / "es" / "manifest.webmanifest").read_text())
    en = json.loads((release_dir / "en" / "manifest.webmanifest").read_text())
    assert es["description"] != en["description"], "the Spanish manifest is not translated"


def test_text_files_have_brotli_and_gzip_beside_them(release_dir: Path) -> None:
    page = release_dir / "es" / "index.html"
    assert brotli.decompress((release_dir / "es" / "index.html.br").read_bytes()) == page.read_bytes()
    assert gzip.decompress((release_dir / "es" / "index.html.gz").read_bytes()) == page.read_bytes()
    for p in release_dir.rglob("*.css"):
        assert Path(str(p) + ".br").is_file()


def test_same_source_builds_the_same_release(tmp_path: Path, release_dir: Path) -> None:
    """A build from nothing (rendered and compressed from scratch) makes the release the suite's shared render
    cache gave every other test: the same id, which hashes every file's name and content."""
    again = build(make_config(tmp_path, warm=False), tmp_path / "again")
    assert again["id"] == sw_config(release_dir)["release"]
    assert re.match(r"[1-9]\d* pages rendered, 0 reused", again["built"]), again["built"]


def test_worker_config_names_the_release(release_dir: Path) -> None:
    info = json.loads((release_dir / "release.json").read_text())
    assert sw_config(release_dir)["release"] == info["id"]


def test_pages_do_not_depend_on_the_release_id(release_dir: Path) -> None:
    """Otherwise every release would change every page, and phones would download everything."""
    release_id = sw_config(release_dir)["release"]
    for page in release_dir.rglob("index.html"):
        assert release_id not in page.read_text()


def test_page_past_review_by_shows_the_notice_and_one_before_does_not(tmp_path: Path) -> None:
    before = build(make_config(tmp_path / "a", today=dt.date(2025, 1, 10)), tmp_path / "before")
    after = build(make_config(tmp_path / "b", today=dt.date(2025, 6, 18)), tmp_path / "after")
    assert before["id"] != after["id"]
    for tag in ("en", "es"):
        early = (tmp_path / "before" / tag / "rights" / "school" / "index.html").read_text()
        late = (tmp_path / "after" / tag / "rights" / "school" / "index.html").read_text()
        assert re.search(r'id="stale-notice" data-review-by="2025-06-17" hidden', early)
        assert re.search(r'id="stale-notice" data-review-by="2025-06-17">', late)


def test_serve_reuses_a_release_when_nothing_changed(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    first_dir, first, built = ensure_release(cfg)
    assert built
    again_dir, again, built_again = ensure_release(cfg)
    assert not built_again and again_dir == first_dir and again["id"] == first["id"]
    assert first["source"] == load_inputs(cfg).source


LANGUAGE_TAGS = [lang.tag for lang in discover(ROOT / "locales")]


@pytest.mark.parametrize("tag", LANGUAGE_TAGS)
def test_seed_contacts_appear_on_service_pages(release_dir: Path, tag: str) -> None:
    """Every phone, email, website and address the seed gives, exactly as the seed gives it, in every language."""
    for sid, want in SERVICES.items():
        html = (release_dir / tag / "services" / sid / "index.html").read_text()
        for digits in want["phones"]:
            assert f'href="tel:+1{digits}"' in html, (tag, sid)
        if want["email"]:
            assert f'href="mailto:{want["email"]}"' in html and f'<bdi dir="ltr">{want["email"]}</bdi>' in html, (tag, sid)
        if want["website"]:
            assert f'href="{want["website"]}"' in html, (tag, sid)
        for part in want["address"] or []:
            assert part in html, (tag, sid, part)


_LINK = re.compile(r'href="((?:https?:|mailto:|tel:)[^"]*)"')


@pytest.mark.parametrize("tag", [t for t in LANGUAGE_TAGS if t != "en"])
def test_every_page_links_to_exactly_what_its_english_page_links_to(release_dir: Path, config: Config, tag: str) -> None:
    """The seed's URLs, emails and phone numbers, in the text as in the directory, are the English page's in every language."""
    from backend.build.links import base_url

    own = base_url(config)  # the app's own addresses (share links, alternates) carry the language

    def outside(html: str) -> list[str]:
        return sorted(u for u in _LINK.findall(html) if not u.startswith(own))

    english_pages = sorted((release_dir / "en").rglob("index.html"))
    assert len(english_pages) > 20
    for en in english_pages:
        rel = en.relative_to(release_dir / "en")
        if rel.parts[:1] == ("share",):
            continue  # the share pages link to their own language's address
        theirs = (release_dir / tag / rel).read_text()
        assert outside(theirs) == outside(en.read_text()), f"/{tag}/{rel.as_posix()}"


def test_static_export_has_no_third_party_references(release_dir: Path) -> None:
    for path in release_dir.rglob("*"):
        if path.suffix in {".html", ".css", ".js", ".webmanifest"}:
            text = path.read_text()
            for m in re.finditer(r'(?:src|href)="(https?:)?//', text):
                # outbound links a family taps are fine; nothing may be *loaded* from elsewhere
                tag_start = text.rfind("<", 0, m.start())
                tag = text[tag_start : m.start()]
                # and the same page's address in other languages (hreflang), which nothing loads
                assert tag.startswith(("<a ", '<link rel="alternate" hreflang=')), f"{path}: {tag}"
            assert "@import" not in text and "url(http" not in text
