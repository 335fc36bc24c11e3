"""Real Chromium against real servers: first visit caches the language; then, with the server
stopped and the browser offline, every page of that language and every link on it still works.

Run against `python serve.py` and against the static export under `python -m http.server`.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend.build.worker import read_config
from backend.policy import SECURITY_HEADER_NAMES

from .conftest import Server, start_puente, start_static

pytestmark = pytest.mark.browser


class Visit:
    """A browser context that records every request and console error."""

    def __init__(self, browser: object, origin: str):
        self.origin = origin
        self.context = browser.new_context(service_workers="allow")  # type: ignore[attr-defined]
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def first_visit(self, lang: str, base: str = "") -> None:
        response = self.page.goto(f"{self.origin}{base}/{lang}/")
        assert response is not None and response.ok
        self.page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
        assert self.page.locator("#offline-ready").is_visible()

    def close(self) -> None:
        self.context.close()


def bundle_pages(origin_root: Path | None, page: object, origin: str, lang: str, base: str = "") -> list[str]:
    sw = page.evaluate(f"fetch('{base}/sw.js').then(r => r.text())")  # type: ignore[attr-defined]
    config = read_config(sw)
    bundle = page.evaluate(f"fetch({json.dumps(config['languages'][lang])}).then(r => r.json())")  # type: ignore[attr-defined]
    return [origin + url for url, _ in bundle["pages"]]


def check_offline_language(visit: Visit, server: Server, lang: str, base: str = "") -> None:
    """`base` is the path the app lives under ("" at the root): every link must stay below it."""
    page = visit.page
    pages = bundle_pages(None, page, visit.origin, lang, base)
    assert len(pages) >= 17

    server.stop()
    visit.context.set_offline(True)

    seen: set[str] = set()
    foreign_languages: set[str] = set()
    queue = list(pages)
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if not urlsplit(url).path.endswith("/"):
            # a file the bundle carries (a contact card, the search index): fetched, as a download would be
            status = page.evaluate("url => fetch(url).then(r => r.status, () => 0)", url)
            assert status == 200, f"{url}: {status}"
            continue
        response = page.goto(url)
        assert response is not None, url
        assert response.from_service_worker, f"{url} did not come from the service worker"
        assert response.status == 200, f"{url}: {response.status}"
        h1 = page.locator("h1").first.inner_text().strip()
        assert h1, f"{url} has no heading"
        path = urlsplit(page.url).path
        assert path.startswith(base + "/"), f"{url} left the app's path {base}/"
        path = path[len(base) :]
        if path.startswith(f"/{lang}/") and not path.startswith(f"/{lang}/offline/"):
            assert page.locator("html").get_attribute("lang") == lang
            assert len(page.locator("main").inner_text()) > 80, f"{url} has no real content"
        elif path != "/":
            # a page of a language this phone does not hold: the offline page, in the reader's language
            assert page.locator("html").get_attribute("lang") == lang, url
            assert page.locator(f"a[href='{base}/{lang}/']").count() >= 1
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            if href.startswith(visit.origin):
                assert urlsplit(href).path.startswith(base + "/"), f"{url} links {href}, outside the app's path {base}/"
            if href.startswith(visit.origin) and "#" not in href.split("/")[-1] and href.split("#")[0] not in seen:
                target = href.split("#")[0]
                other = urlsplit(target).path[len(base) :].split("/")[1]
                if other and other != lang and not other.startswith(("static", "share")):
                    # every page links each language (the language menu): one page of each language
                    # this phone does not hold is enough to see its offline page
                    if other in foreign_languages:
                        continue
                    foreign_languages.add(other)
                queue.append(target)
    assert len(seen) > len(pages), "links were not followed"

    uncached = page.goto(f"{visit.origin}{base}/{lang}/this-page-was-never-cached/")
    assert uncached is not None and uncached.from_service_worker
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator(f"a[href='{base}/{lang}/services/']").count() >= 1, "the offline page offers the saved pages"

    foreign = [u for u in visit.requests if not u.startswith(visit.origin)]
    assert foreign == [], f"requests left the origin: {foreign}"
    assert visit.context.cookies() == []
    assert visit.errors == [], visit.errors


@pytest.fixture
def visit_factory(browser: object) -> Iterator[object]:
    visits: list[Visit] = []

    def make(origin: str) -> Visit:
        v = Visit(browser, origin)
        visits.append(v)
        return v

    yield make
    for v in visits:
        v.close()


def test_spanish_works_offline_with_the_server_stopped(tmp_path: Path, visit_factory) -> None:  # type: ignore[no-untyped-def]
    server = start_puente(tmp_path)
    try:
        visit = visit_factory(server.url)
        visit.first_visit("es")
        check_offline_language(visit, server, "es")
    finally:
        server.stop()


def test_static_export_works_offline_under_a_plain_file_server(tmp_path: Path, release_dir: Path, visit_factory) -> None:  # type: ignore[no-untyped-def]
    server = start_static(release_dir, tmp_path)
    try:
        visit = visit_factory(server.url)
        visit.first_visit("es")
        check_offline_language(visit, server, "es")
    finally:
        server.stop()


def test_english_is_not_downloaded_for_a_spanish_reader(live_server: Server, visit_factory) -> None:  # type: ignore[no-untyped-def]
    visit = visit_factory(live_server.url)
    visit.first_visit("es")
    fetched = {urlsplit(u).path for u in visit.requests}
    assert any(re.fullmatch(r"/es/pack\.[0-9a-f]{12}\.json", p) for p in fetched), sorted(fetched)
    assert not any(p.startswith("/en/") for p in fetched), sorted(p for p in fetched if p.startswith("/en/"))


def test_a_first_visit_downloads_the_language_in_one_pack_and_keeps_what_the_server_sends(live_server: Server, visit_factory) -> None:  # type: ignore[no-untyped-def]
    """One request for the language's pages, cards and search index; each kept byte for byte, with the
    Content-Type and security headers the server sends it (a page read offline keeps its CSP)."""
    visit = visit_factory(live_server.url)
    visit.first_visit("es")
    page = visit.page
    urls = bundle_pages(None, page, visit.origin, "es")
    fetched = [urlsplit(u).path for u in visit.requests]
    packs = [p for p in fetched if re.fullmatch(r"/es/pack\.[0-9a-f]{12}\.json", p)]
    assert len(packs) == 1, fetched
    singly = [p for p in fetched if visit.origin + p in urls]
    assert singly == ["/es/"], f"downloaded one by one besides the pack: {singly}"  # the page opened, by the browser itself
    held = page.evaluate("""async (urls) => {
        const out = {};
        for (const url of urls) {
            const r = await caches.match(url);
            out[url] = r ? [await r.text(), [...r.headers]] : null;
        }
        return out;
    }""", urls)
    for url in urls:
        assert held[url] is not None, f"{url} is not held offline"
        text, headers = held[url]
        with urllib.request.urlopen(url) as r:
            assert text == r.read().decode("utf-8"), url
            served = {k.lower(): v for k, v in r.headers.items() if k.lower() in SECURITY_HEADER_NAMES | {"content-type"}}
        assert {k: v for k, v in headers if k in served} == served and len(served) >= 3, (url, headers, served)


def test_switching_language_caches_that_language_too(tmp_path: Path, visit_factory) -> None:  # type: ignore[no-untyped-def]
    server = start_puente(tmp_path)
    try:
        visit = visit_factory(server.url)
        visit.first_visit("es")
        visit.page.goto(f"{server.url}/en/")
        visit.page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
        server.stop()
        visit.context.set_offline(True)
        for url in ("/en/rights/hartford/", "/es/rights/hartford/"):
            response = visit.page.goto(server.url + url)
            assert response is not None and response.ok and response.from_service_worker
            assert "2008" in visit.page.locator("main").inner_text()
    finally:
        server.stop()


def test_a_deployment_under_a_path_works_offline_and_every_link_stays_below_it(tmp_path: Path, visit_factory) -> None:  # type: ignore[no-untyped-def]
    """One district hosts the app at https://district.example.org/puente/: the proxy passes /puente/... on."""
    from .conftest import free_port

    port = free_port()
    server = start_puente(tmp_path, "--public-url", f"http://127.0.0.1:{port}/puente/", port=port, ready="/puente/api/release")
    try:
        visit = visit_factory(server.url)
        visit.first_visit("es", base="/puente")
        manifest = visit.page.evaluate("fetch('/puente/es/manifest.webmanifest').then(r => r.json())")
        assert (manifest["scope"], manifest["start_url"], manifest["id"]) == ("/puente/", "/puente/es/", "/puente/es/")
        assert all(s["url"].startswith("/puente/es/") for s in manifest["shortcuts"])
        scope = visit.page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
        assert scope == f"{server.url}/puente/"
        check_offline_language(visit, server, "es", base="/puente")
    finally:
        server.stop()
