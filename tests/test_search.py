"""Offline search: one small index per language, precached with its pages; matching in the page
that ignores case and accents, works in Arabic and in Chinese, quotes the matching sentence with the
match highlighted, ranks a service's name above a passing mention, and, finding nothing, offers the
directory and the legal services' phone numbers. The browser tests run with the server stopped."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest

from backend.build.search import split_sentences
from backend.build.worker import read_config
from backend.content import load
from backend.i18n import discover

from .conftest import ROOT, Server, start_puente
from .seed_facts import SERVICES

LEGAL_PHONES = {f"tel:+1{d}" for s in SERVICES.values() if s["category"] == "legal" for d in s["phones"]}
INDEX_BUDGET = 12_000  # bytes, brotli: a language's whole offline set must stay under 150 KB


def index_of(release: Path, tag: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    html = (release / tag / "search" / "index.html").read_text()
    m = re.search(r'data-index="(/[^"]+)"', html)
    assert m, "the search page names its index"
    return m.group(1), json.loads((release / m.group(1).lstrip("/")).read_text())


def test_sentences_split_in_every_script() -> None:
    assert split_sentences("They help across the U.S. their home. They share resources! Why? Because.") == [
        "They help across the U.S. their home.",
        "They share resources!",
        "Why?",
        "Because.",
    ]
    assert split_sentences("他们提供法律服务。他们还提供热线！") == ["他们提供法律服务。", "他们还提供热线！"]
    assert split_sentences("تقدم المنظمة خدمات. هل تحتاج مساعدة؟ اتصل بنا.") == ["تقدم المنظمة خدمات.", "هل تحتاج مساعدة؟", "اتصل بنا."]


@pytest.mark.parametrize("tag", [lang.tag for lang in discover(ROOT / "locales")])
def test_each_language_has_a_small_index_of_every_page_and_service(release_dir: Path, tag: str) -> None:
    content = load(ROOT / "content")
    url, index = index_of(release_dir, tag)
    assert re.fullmatch(rf"/{tag}/search\.[0-9a-f]{{12}}\.json", url), "hashed: cached for good, replaced when it changes"
    rows = {row[0]: row for row in index["docs"]}
    for s in content.services:
        _, kind, title, extra, sentences, phones = rows[f"services/{s.id}/"]
        assert kind == "s" and title and extra and sentences
        assert phones == [[p.number, p.tel.removeprefix("tel:")] for p in s.phones]
        page_title = re.search(r"<h1>(.*?)</h1>", (release_dir / tag / "services" / s.id / "index.html").read_text()).group(1)  # type: ignore[union-attr]
        assert title == html.unescape(page_title), "the index holds the names as the reader sees them"
    for p in content.pages:
        assert rows[p.path][1] == "p"
    for c in content.categories:
        assert f"services/category/{c.id}/" in rows
    size = len(brotli.compress((release_dir / url.lstrip("/")).read_bytes()))
    assert size < INDEX_BUDGET, f"{tag}: {size} bytes compressed"
    bundle_urls = set()
    sw = (release_dir / "sw.js").read_text()
    config = read_config(sw)
    bundle_urls = {u for u, _ in json.loads((release_dir / config["languages"][tag].lstrip("/")).read_text())["pages"]}
    assert {url, f"/{tag}/search/"} <= bundle_urls, "the index and the page are precached with the language"
    assert any(u.startswith("/static/search.") for u, _ in config["shell"])


@pytest.mark.parametrize("tag", [lang.tag for lang in discover(ROOT / "locales")])
def test_a_whole_language_offline_stays_under_150_kb(release_dir: Path, tag: str) -> None:
    """DESIGN.md's budget, with the directory's pages, contact cards and search index in it."""
    sw = (release_dir / "sw.js").read_text()
    config = read_config(sw)
    bundle = config["languages"][tag]
    urls = [bundle] + [u for u, _ in config["shell"]] + [u for u, _ in json.loads((release_dir / bundle.lstrip("/")).read_text())["pages"]]
    total = 0
    for url in urls:
        path = release_dir / url.lstrip("/")
        if url.endswith("/"):
            path = path / "index.html"
        br = Path(str(path) + ".br")
        total += (br if br.is_file() else path).stat().st_size
    assert total < 150_000, f"{tag}: {total} bytes over the wire"


def test_without_javascript_the_search_page_offers_the_directory_and_legal_phones(release_dir: Path) -> None:
    html = (release_dir / "es" / "search" / "index.html").read_text()
    help_section = re.search(r'<section id="search-help".*?</section>', html, re.DOTALL)
    assert help_section and " hidden" not in help_section.group(0).split(">")[0]
    assert set(re.findall(r'href="(tel:[^"]+)"', help_section.group(0))) == LEGAL_PHONES
    assert 'href="/es/services/"' in help_section.group(0)
    assert "<noscript>" in html


# -- a real browser --------------------------------------------------------------------


def search(page, origin: str, tag: str, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Type a query into /{tag}/search/ as a person would; return the result links in order."""
    page.goto(f"{origin}/{tag}/search/")
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_function(f"document.getElementById('search-status').textContent.includes({json.dumps(query)})")
    return page.eval_on_selector_all("#search-results > li > a.result-title", "els => els.map(a => a.getAttribute('href'))")


def marks(page, n: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(f"#search-results > li:nth-child({n + 1}) mark", "els => els.map(m => m.textContent)")


@pytest.fixture
def visit(browser: object) -> Iterator[object]:
    context = browser.new_context(service_workers="allow")  # type: ignore[attr-defined]
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    yield context, page
    context.close()
    assert errors == []


@pytest.mark.browser
def test_offline_with_the_server_stopped_search_finds_services_in_spanish_arabic_and_chinese(tmp_path: Path, visit) -> None:  # type: ignore[no-untyped-def]
    context, page = visit
    server = start_puente(tmp_path)
    try:
        for tag in ("es", "ar", "zh-Hans"):  # a family that reads these three has opened each once
            page.goto(f"{server.url}/{tag}/")
            page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
    finally:
        server.stop()
    context.set_offline(True)
    origin = server.url

    # Spanish typed without accents, and with a letter missing, finds "Servicios Legales de Inmigración"
    for query in ("inmigracion", "imigracion", "INMIGRACION"):
        found = search(page, origin, "es", query)
        assert found[0] == "/es/services/center-for-latino-progress/", (query, found)
        assert marks(page)[0] == "Inmigración", "the match is highlighted as written"
    assert page.evaluate("location.search") == "?q=INMIGRACION", "a search can be bookmarked and reloaded"

    # Arabic: the name says الأسرة (with hamza); a phone keyboard often types الاسرة
    found = search(page, origin, "ar", "الاسرة")
    assert found[0] == "/ar/services/institute-for-the-hispanic-family/", found
    assert "الأسرة" in marks(page)
    assert page.locator("#search-results > li").first.locator("a[href='tel:+18605271124']").is_visible(), "call straight from the result"

    # Chinese has no spaces between words: the query is found inside the text
    found = search(page, origin, "zh-Hans", "法律援助")
    assert found[0] == "/zh-Hans/services/greater-hartford-legal-aid/", found
    assert "法律援助" in marks(page) and len(found) > 1, "passing mentions come after the service's name"

    # Nothing found: the directory and the legal services' phone numbers
    assert search(page, origin, "es", "zzqxv") == []
    help_box = page.locator("#search-help")
    assert help_box.is_visible()
    phones = set(help_box.locator("a[href^='tel:']").evaluate_all("els => els.map(a => a.getAttribute('href'))"))
    assert phones == LEGAL_PHONES
    assert help_box.locator("a[href='/es/services/']").is_visible()
    response = page.goto(f"{origin}/es/search/?q={quote('asilo político')}")
    assert response is not None and response.from_service_worker


@pytest.mark.browser
def test_a_service_name_match_ranks_above_passing_mentions(live_server: Server, visit) -> None:  # type: ignore[no-untyped-def]
    _, page = visit
    found = search(page, live_server.url, "en", "Connecticut")
    named = ["/en/services/ciri/", "/en/services/connecticut-legal-services/"]
    assert sorted(found[:2]) == named, found
    titles = page.eval_on_selector_all("#search-results > li > a.result-title", "els => els.map(a => a.textContent)")
    in_title = [("Connecticut" in t) for t in titles]
    assert in_title == sorted(in_title, reverse=True), "every title match comes before every mention in the text"
    assert len(found) > 4, "pages that mention Connecticut are found too"
    # the quoted sentence of a passing mention holds the highlighted word
    last = page.locator("#search-results > li").last
    assert last.locator("mark").first.inner_text() == "Connecticut"
    assert last.locator("a.result-title mark").count() == 0

    found = search(page, live_server.url, "en", "legal aid")
    assert found[0] == "/en/services/greater-hartford-legal-aid/", "both words in the name beat one in the name and one in the text"
    assert "/en/services/connecticut-legal-services/" in found


@pytest.mark.browser
def test_search_results_are_text_not_markup(live_server: Server, visit) -> None:  # type: ignore[no-untyped-def]
    _, page = visit
    assert search(page, live_server.url, "en", "<img src=x onerror=alert(1)>") == []
    assert page.locator("#search-status").inner_text().count("<img") == 1, "the query is shown as typed, never parsed"
    assert page.locator("img[src=x]").count() == 0
