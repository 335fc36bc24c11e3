"""Dated corrections: a page says, at its top and in every language, what changed after its
information date, apart from the generic "may be out of date" notice; the about page lists every
correction; `check` asks for their sources and holds pages about federal policy to 6 months."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest

from backend.build import load_inputs
from backend.build.renderer import Renderer
from backend.checks import add_months, check_report
from backend.content import editing, load
from backend.errors import ContentErrors
from backend.i18n import discover

from .conftest import ROOT, make_config

PAGE = "rights/sensitive-locations"
TEXT = (
    "Federal guidance on immigration enforcement at schools changed in January 2025. "
    "For current advice, ask one of the [legal services in this app](/services/category/legal/)."
)
LANGUAGES = discover(ROOT / "locales")


def notice_of(html: str) -> str:
    m = re.search(r'<div class="notice correction-notice"[^>]*>.*?</div>', html, re.S)
    assert m, "no correction notice"
    return m.group(0)


def words(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", fragment).split())


def test_the_default_pack_corrects_the_sensitive_locations_page_and_invents_nothing() -> None:
    page = load(ROOT / "content").page(PAGE)
    (correction,) = page.corrections
    assert correction.text == TEXT
    assert correction.date == dt.date(2026, 12, 1) and correction.date > page.as_of
    assert correction.sources == (), "the pack has no source for the change yet: none is invented"
    assert "http" not in correction.text
    assert page.federal_policy


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.tag)
def test_the_correction_is_at_the_top_of_the_page_in_every_language_apart_from_the_review_notice(release_dir: Path, lang) -> None:  # type: ignore[no-untyped-def]
    html = (release_dir / lang.tag / PAGE / "index.html").read_text()
    notice = notice_of(html)
    assert html.index(notice) < html.index('id="stale-notice"') < html.index('<div class="prose">'), "first thing under the title"
    assert " hidden" not in notice.split(">", 1)[0], "shown whether or not the page is past its review date"
    assert f'href="/{lang.tag}/services/category/legal/"' in notice
    if lang.is_source:
        assert "Correction added on December 1, 2026:" in notice
        return
    po = polib.pofile(str(lang.catalog))
    translated = po.find(TEXT, msgctxt=f"page:{PAGE}")
    assert translated is not None and translated.msgstr and not translated.fuzzy, f"{lang.tag}: the correction is translated"
    assert words(re.sub(r"\]\([^)]*\)", "", translated.msgstr).replace("[", "")) in words(notice)
    assert 'lang="en"' not in notice, f"{lang.tag}: no English in the correction"
    about = (release_dir / lang.tag / "about" / "index.html").read_text()
    listed = about[about.index('<h2 id="corrections">') :]
    assert f'<a href="/{lang.tag}/{PAGE}/">' in listed and words(notice_of(html).split(">", 1)[1]) in words(listed)


def test_english_pages_word_it_as_the_pack_does(release_dir: Path) -> None:
    notice = words(notice_of((release_dir / "en" / PAGE / "index.html").read_text()))
    assert notice == "Correction added on December 1, 2026: " + TEXT.replace("[", "").replace("](/services/category/legal/)", "")
    assert "correction-notice" not in (release_dir / "en" / "rights" / "school" / "index.html").read_text(), "only where a page has one"


def test_a_correction_cites_its_sources_when_it_has_them(copy_content: Path, tmp_path: Path) -> None:
    path = copy_content / "pages" / "rights" / "sensitive-locations.md"
    path.write_text(path.read_text().replace('date = 2026-12-01\n', 'date = 2026-12-01\nsources = ["ice-2011"]\n'))
    cfg = make_config(tmp_path, content=copy_content)
    inputs = load_inputs(cfg)
    assert check_report(inputs)["corrections_without_source"] == []
    from backend.build.pages import content_page

    lr = Renderer(inputs, _Assets()).english
    html = content_page(lr, inputs.content.page(PAGE))
    assert 'Source: <a href="https://www.ice.gov/doclib/ero-outreach/pdf/10029.2-policy.pdf" lang="en" dir="ltr">' in notice_of(html)


class _Assets(dict):  # type: ignore[type-arg]
    """Asset names for a page rendered outside a build: any name is itself."""

    def __missing__(self, key: str) -> str:
        return "/static/" + key


@pytest.mark.parametrize(
    "edit, message",
    [
        (("date = 2026-12-01", 'date = "2026-12-01"'), r"sensitive-locations.md:9: each \[\[corrections\]\] needs a 'date'"),
        (("date = 2026-12-01", "date = 2024-01-01"), r"sensitive-locations.md:10: correction dated 2024-01-01 is before the page's as_of"),
        (("date = 2026-12-01", 'date = 2026-12-01\nsources = ["nope"]'), r"sensitive-locations.md:11: unknown source 'nope'"),
        (("date = 2026-12-01", "date = 2026-12-01\nurl = \"https://example.org/\""), r"sensitive-locations.md:9: unknown field 'url' in \[\[corrections\]\]"),
        (("federal_policy = true", 'federal_policy = "yes"'), r"sensitive-locations.md:8: 'federal_policy' must be true or false"),
        (("text = \"Federal", "text = \"[a](https://evil.example/) <b>x</b> Federal"), r"sensitive-locations.md:11: 'text'"),
    ],
)
def test_a_malformed_correction_is_refused_at_its_line(copy_content: Path, edit: tuple[str, str], message: str) -> None:
    path = copy_content / "pages" / "rights" / "sensitive-locations.md"
    path.write_text(path.read_text().replace(*edit, 1))
    with pytest.raises(ContentErrors, match=message):
        load(copy_content)


def test_check_warns_when_a_page_about_federal_policy_is_reviewed_less_than_every_six_months(copy_content: Path, tmp_path: Path) -> None:
    assert check_report(load_inputs(make_config(tmp_path)))["federal_policy_review"] == [], "the default pack reviews it after 6 months"
    for name, flag in (("sensitive-locations.md", True), ("hartford.md", False)):
        path = copy_content / "pages" / "rights" / name
        text = path.read_text().replace("review_by = 2025-06-17", "review_by = 2025-06-18")
        path.write_text(text)
        assert ("federal_policy = true" in text) == flag
    warnings = check_report(load_inputs(make_config(tmp_path, content=copy_content)))
    assert warnings["federal_policy_review"] == [
        "content/pages/rights/sensitive-locations.md: about federal policy, which can change overnight, "
        "but review_by 2025-06-18 is more than 6 months after as_of 2024-12-17"
    ]
    assert any("sensitive-locations.md:11: the correction of 2026-12-01 cites no source" in w for w in warnings["corrections_without_source"])
    assert add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28) and add_months(dt.date(2024, 12, 17), 6) == dt.date(2025, 6, 17)


def test_editing_a_page_in_the_console_keeps_its_corrections(copy_content: Path, tmp_path: Path) -> None:
    cfg = make_config(tmp_path, content=copy_content)
    fields = editing.page_fields(cfg, PAGE)
    fields["summary"] = fields["summary"] + " Edited."
    assert editing.save_page(cfg, load(copy_content), PAGE, fields) == {}
    page = load(copy_content).page(PAGE)
    assert page.summary.endswith("Edited.") and page.federal_policy
    assert [c.text for c in page.corrections] == [TEXT]
