"""Draft honesty beyond the pages: the printed flyer, the wallet card and the root language chooser
say, in the language, that its translation is a draft; a catalog a person reviewed
(X-Review-Status: reviewed) carries no marker."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest

from backend.build import build
from backend.i18n import discover

from .conftest import ROOT, Server, make_config, start_static

PAGE_NOTICE = "This translation is a draft that a person has not yet reviewed. The English text is authoritative."
CARD = "Draft translation: the English on the back is authoritative."
TAG = "Draft translation"
DRAFTS = [lang for lang in discover(ROOT / "locales") if not lang.reviewed]


def text_of(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def ui(lang, msgid: str) -> str:  # type: ignore[no-untyped-def]
    entry = polib.pofile(str(lang.catalog)).find(msgid, msgctxt="ui")
    assert entry is not None and entry.msgstr and not entry.fuzzy, f"{lang.tag}: {msgid!r} is not translated"
    return str(entry.msgstr)


def markers(site: Path, tag: str) -> dict[str, str]:
    """The draft marker of the flyer, the card's front and the chooser's entry for `tag` ("" where there is none)."""
    flyer = (site / tag / "share" / "print" / "index.html").read_text()
    card = (site / tag / "share" / "card" / "index.html").read_text()
    chooser = (site / "index.html").read_text()
    entry = re.search(rf'<li><a href="/{tag}/".*?</li>', chooser, re.S)
    assert entry, tag
    found = {
        "flyer": re.search(r'<p class="flyer-draft">(.*?)</p>', flyer, re.S),
        "card": re.search(r'<p class="card-draft">(.*?)</p>', card.split('<div class="card-face', 2)[1], re.S),
        "chooser": re.search(r'<span class="draft-tag"[^>]*>(.*?)</span>', entry.group(0), re.S),
    }
    return {k: text_of(m.group(1)) if m else "" for k, m in found.items()}


@pytest.mark.parametrize("lang", DRAFTS, ids=lambda lang: lang.tag)
def test_flyer_card_and_chooser_say_in_the_language_that_it_is_a_draft(release_dir: Path, lang) -> None:  # type: ignore[no-untyped-def]
    found = markers(release_dir, lang.tag)
    assert found["flyer"] == f"{ui(lang, PAGE_NOTICE)} {PAGE_NOTICE}", "in the language, with the English alongside as on the whole flyer"
    assert found["card"] == ui(lang, CARD), "on the front of the card, in the language"
    assert found["chooser"] == ui(lang, TAG)
    chooser = (release_dir / "index.html").read_text()
    assert re.search(rf'<li><a href="/{lang.tag}/" lang="{lang.tag}"[^>]*>.*?<span class="draft-tag">', chooser), "tagged in its own language"


def test_english_carries_no_draft_marker(release_dir: Path) -> None:
    assert markers(release_dir, "en") == {"flyer": "", "card": "", "chooser": ""}
    chooser = (release_dir / "index.html").read_text()
    assert chooser.count('class="draft-tag"') == len(DRAFTS)


def test_a_reviewed_catalog_removes_the_markers(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    for tag in ("es", "ar"):
        (locales / tag / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(ROOT / "locales" / tag / "LC_MESSAGES" / "messages.po", locales / tag / "LC_MESSAGES")
    shutil.copy(ROOT / "locales" / "messages.pot", locales)
    path = locales / "es" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text().replace('"X-Review-Status: draft\\n"', '"X-Review-Status: reviewed\\n"'))
    site = tmp_path / "site"
    build(make_config(tmp_path, locales=locales), site)
    assert markers(site, "es") == {"flyer": "", "card": "", "chooser": ""}
    assert all(markers(site, "ar").values()), "the draft next to it keeps them"
    assert "draft-notice" not in (site / "es" / "index.html").read_text()


@pytest.fixture(scope="module")
def site(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The suite's release served as the static site it is (the flyer and card are static pages)."""
    server = start_static(release_dir, tmp_path_factory.mktemp("drafts-http"))
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.parametrize("tag", ["es", "ar", "ht", "my"])
def test_the_draft_marker_is_on_the_printed_flyer_and_card(browser, site: Server, tmp_path: Path, tag: str) -> None:  # type: ignore[no-untyped-def]
    lang = next(lang for lang in DRAFTS if lang.tag == tag)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site.url}/{tag}/share/print/")
        page.wait_for_selector(".sheet[data-fitted]", state="attached")
        page.emulate_media(media="print")
        assert page.locator(".flyer-draft").is_visible()
        assert page.locator(".flyer-draft .l1").inner_text() == ui(lang, PAGE_NOTICE)
        pdf = tmp_path / "flyer.pdf"
        page.pdf(path=str(pdf), format="Letter")
        printed = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
        assert PAGE_NOTICE in printed
        if tag in ("es", "ht"):  # scripts pdftotext reads back word for word
            assert ui(lang, PAGE_NOTICE) in printed
        page.goto(f"{site.url}/{tag}/share/card/")
        page.wait_for_selector(".card-face[data-fitted]", state="attached")
        page.emulate_media(media="print")
        front = page.locator(".wallet-card").first.locator(".card-draft")
        assert front.count() == 1 and front.is_visible() and front.inner_text() == ui(lang, CARD)
        page.pdf(path=str(pdf), format="Letter")
        printed = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
        if tag in ("es", "ht"):
            assert ui(lang, CARD) in printed
    finally:
        context.close()
