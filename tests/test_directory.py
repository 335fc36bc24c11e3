"""The directory: the model holds what the seed says (and nothing it does not), every language's
pages carry working actions (call, email, website, directions, save the contact), category filters
work without JavaScript, and each contact card is a vCard 4.0 that a real parser reads back whole."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import vobject
from starlette.testclient import TestClient

from backend.build import vcard
from backend.build.worker import read_config
from backend.content import Address, load
from backend.errors import ContentErrors
from backend.i18n import discover
from backend.web.app import create_app

from .conftest import ROOT, Server
from .seed_facts import SERVICES

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class Anchors(HTMLParser):
    """Collects every <a>: its attributes and its visible text; and the first <h1>'s text."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.h1 = ""
        self._open: list[dict[str, str]] = []
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append({**{k: v or "" for k, v in attrs}, "text": ""})
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            link = self._open.pop()
            link["text"] = " ".join(link["text"].split())
            self.links.append(link)
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        for link in self._open:
            link["text"] += data
        if self._in_h1:
            self.h1 += data

    def href(self, prefix: str) -> list[dict[str, str]]:
        return [a for a in self.links if a.get("href", "").startswith(prefix)]


def page(release: Path, url: str) -> Anchors:
    return Anchors((release / url.strip("/") / "index.html").read_text())


def filters(release: Path, url: str) -> list[dict[str, str]]:
    """The links of the page's category filter."""
    html = (release / url.strip("/") / "index.html").read_text()
    nav = re.search(r'<nav class="category-nav".*?</nav>', html, re.DOTALL)
    assert nav, url
    return Anchors(nav.group(0)).links


def local_format(digits: str) -> str:
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return f"1-{area}-{exchange}-{line}" if area in {"800", "833", "844", "855", "866", "877", "888"} else f"({area}) {exchange}-{line}"


def languages() -> list[str]:
    return [lang.tag for lang in discover(ROOT / "locales")]


# -- the model ---------------------------------------------------------------------


def test_the_model_holds_the_seed_and_invents_nothing() -> None:
    content = load(ROOT / "content")
    assert [(c.id, c.name) for c in content.categories] == [
        ("education", "Education, Basic Needs and More"),
        ("case-management", "Case Management, Basic Needs & Behavioral Health"),
        ("legal", "Legal Services"),
    ]
    assert {s.id for s in content.services} == set(SERVICES)
    for s in content.services:
        assert s.category == SERVICES[s.id]["category"]
        assert s.hours == "", "the seed gives no hours"
        assert s.verified_on == dt.date(2024, 12, 17)
        assert s.description and s.name
    by_id = {s.id: s for s in content.services}
    # no languages spoken: the seed says whom a service serves (the Institute: "Spanish-speaking residents",
    # and "people from all faiths and backgrounds are welcome"), never which languages a line or office speaks
    assert not [s.id for s in content.services if s.languages or any(p.languages for p in s.phones)]
    assert by_id["institute-for-the-hispanic-family"].organization == "Catholic Charities"
    assert by_id["the-american-place"].organization == "Hartford Public Library"
    assert by_id["ciri"].organization == ""
    assert content.site.help_category == "legal"


def test_a_service_may_not_take_the_category_pages_address(copy_content: Path) -> None:
    (copy_content / "services" / "category.toml").write_text((copy_content / "services" / "iris.toml").read_text())
    with pytest.raises(ContentErrors, match=r"category\.toml:1: service file name 'category'"):
        load(copy_content)


def test_help_category_must_be_a_category(copy_content: Path) -> None:
    site = copy_content / "site.toml"
    site.write_text(site.read_text().replace('help_category = "legal"', 'help_category = "lawyers"'))
    with pytest.raises(ContentErrors, match=r"site.toml:\d+: \[directory\] help_category 'lawyers' is not a category id"):
        load(copy_content)


# -- pages, every language -----------------------------------------------------------


@pytest.mark.parametrize("tag", languages())
def test_every_seed_phone_is_a_working_tel_link_on_its_page(release_dir: Path, tag: str) -> None:
    for sid, want in SERVICES.items():
        links = page(release_dir, f"{tag}/services/{sid}/").href("tel:")
        for digits in want["phones"]:
            matching = [a for a in links if a["href"] == f"tel:+1{digits}"]
            assert matching, (tag, sid, digits)
            assert E164.match(matching[0]["href"][4:])
            assert local_format(digits) in matching[0]["text"], "shown in the local format (on its Call button)"
        assert len(links) == len(want["phones"]), (tag, sid)
        listed = page(release_dir, f"{tag}/services/category/{want['category']}/").href("tel:")
        assert {a["href"] for a in listed} >= {f"tel:+1{d}" for d in want["phones"]}, "the category page lists the phones too"


@pytest.mark.parametrize("tag", ["en", "es", "ar"])
def test_every_service_page_offers_every_action(release_dir: Path, tag: str) -> None:
    content = load(ROOT / "content")
    for s in content.services:
        html = (release_dir / tag / "services" / s.id / "index.html").read_text()
        links = Anchors(html)
        if s.email:
            assert links.href(f"mailto:{s.email}")
        if s.website:
            assert [a for a in links.links if a.get("href") == s.website]
        assert links.href(f"/{tag}/services/{s.id}.vcf"), "save the contact"
        assert (release_dir / tag / "services" / f"{s.id}.vcf").is_file()
        if s.address:
            one_line = s.address.one_line()
            (geo,) = links.href("geo:")
            assert geo["href"] == "geo:0,0?q=" + quote(one_line, safe="")
            assert geo["data-ios"] == "https://maps.apple.com/?q=" + quote(one_line, safe="")
            address = re.search(r"<address>(.*?)</address>", html, re.DOTALL)
            assert address and s.address.street in address.group(1) and s.address.city in address.group(1), "the address as plain text"
        else:
            assert not links.href("geo:")
        share = re.search(r'class="share-actions" data-url="([^"]+)"', html)
        assert share and share.group(1).endswith(f"/{tag}/services/{s.id}/"), "the shared link is in the reader's language"


@pytest.mark.parametrize("tag", ["en", "es"])
def test_category_filters_are_links_that_work_without_javascript(release_dir: Path, tag: str) -> None:
    content = load(ROOT / "content")
    category_urls = [f"/{tag}/services/category/{c.id}/" for c in content.categories]
    everything = page(release_dir, f"{tag}/services/")
    links = filters(release_dir, f"{tag}/services/")
    assert [a["href"] for a in links if a.get("aria-current") == "page"] == [f"/{tag}/services/"]
    assert [a["href"] for a in links] == [f"/{tag}/services/", *category_urls]
    all_services = {a["href"] for a in everything.href(f"/{tag}/services/") if re.fullmatch(rf"/{tag}/services/[a-z0-9-]+/", a["href"])}
    seen: list[str] = []
    for cat, url in zip(content.categories, category_urls, strict=False):
        one = page(release_dir, url)
        assert [a["href"] for a in filters(release_dir, url) if a.get("aria-current") == "page"] == [url]
        listed = {a["href"] for a in one.href(f"/{tag}/services/") if re.fullmatch(rf"/{tag}/services/[a-z0-9-]+/", a["href"])}
        assert listed == {f"/{tag}/services/{s.id}/" for s in content.services_in(cat.id)}
        seen += listed
        for s in content.services_in(cat.id):
            assert page(release_dir, f"{tag}/services/{s.id}/").href(url), "a service links back to its category"
    assert sorted(seen) == sorted(all_services), "every service is in exactly one category page"


def test_directory_pages_and_contacts_are_in_each_languages_bundle(release_dir: Path) -> None:
    sw = (release_dir / "sw.js").read_text()
    config = read_config(sw)
    content = load(ROOT / "content")
    for tag, url in config["languages"].items():
        urls = {u for u, _ in json.loads((release_dir / url.lstrip("/")).read_text())["pages"]}
        for s in content.services:
            assert {f"/{tag}/services/{s.id}/", f"/{tag}/services/{s.id}.vcf"} <= urls
        for c in content.categories:
            assert f"/{tag}/services/category/{c.id}/" in urls
        assert f"/{tag}/search/" in urls


# -- vCard ---------------------------------------------------------------------------


def cards(release: Path) -> Iterator[tuple[str, str, Path]]:
    for tag in languages():
        for sid in SERVICES:
            yield tag, sid, release / tag / "services" / f"{sid}.vcf"


def test_every_vcard_parses_and_round_trips(release_dir: Path) -> None:
    content = {s.id: s for s in load(ROOT / "content").services}
    for tag, sid, path in cards(release_dir):
        raw = path.read_bytes()
        card = vobject.readOne(raw.decode("utf-8"))
        s, want = content[sid], SERVICES[sid]
        assert card.version.value == "4.0"
        name = page(release_dir, f"{tag}/services/{sid}/").h1
        assert card.fn.value == name, (tag, sid)
        assert card.org.value == [s.organization or name]
        assert [t.value for t in card.contents["tel"]] == [f"tel:+1{d}" for d in want["phones"]]
        assert all(t.params.get("VALUE") == ["uri"] and E164.match(t.value.removeprefix("tel:")) for t in card.contents["tel"])
        assert [e.value for e in card.contents.get("email", [])] == ([want["email"]] if want["email"] else [])
        assert [u.value for u in card.contents.get("url", [])] == ([want["website"]] if want["website"] else [])
        if s.address:
            adr = card.adr.value
            assert (adr.street, adr.city, adr.region, adr.code) == (s.address.street, s.address.city, s.address.state, s.address.postal_code)
        else:
            assert "adr" not in card.contents
        assert card.note.value.split("\n")[0], "the description, in the card's language"


def test_vcards_follow_rfc_6350_line_rules(release_dir: Path) -> None:
    folded = 0
    for _, _, path in cards(release_dir):
        raw = path.read_bytes()
        assert raw.startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n") and raw.endswith(b"END:VCARD\r\n")
        assert b"\n" not in raw.replace(b"\r\n", b""), "every line ends in CRLF"
        for line in raw.split(b"\r\n"):
            assert len(line) <= 75, line
            line.decode("utf-8")  # folding never splits a character
            folded += line.startswith(b" ")
    assert folded, "long descriptions are folded"


@pytest.mark.parametrize(
    "name",
    ["Legal Aid, Inc.; Hartford\\East", "Two\nlines", "عيادة قانونية، هارتفورد " * 6, "法律援助" * 40, "é" * 100, "x" * 74 + "é"],
)
def test_hand_written_vcards_escape_and_fold_what_a_parser_reads_back(name: str) -> None:
    address = Address("75 Charter Oak Avenue, Suite 2-180", "Hartford", "CT", "06106", "")
    text = vcard.render(vcard.Card(name, "Org; Inc, Ltd", ("tel:+18606923085", "tel:+18007980671"), "a@b.org", "https://b.org/x?y=1,2", address, name, "ar"))
    for line in text.encode("utf-8").split(b"\r\n"):
        assert len(line) <= 75
    card = vobject.readOne(text)
    assert card.fn.value == name and card.note.value == name
    assert card.org.value == ["Org; Inc, Ltd"]
    assert card.adr.value.street == "75 Charter Oak Avenue, Suite 2-180"
    assert [t.value for t in card.contents["tel"]] == ["tel:+18606923085", "tel:+18007980671"]
    assert card.url.value == "https://b.org/x?y=1%2C2", "a comma in a URL would split it in two"


def test_vcf_is_served_as_text_vcard_utf8(release_dir: Path) -> None:
    with TestClient(create_app(release_dir)) as client:
        r = client.get("/es/services/ciri.vcf")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/vcard; charset=utf-8"
        assert r.content == (release_dir / "es" / "services" / "ciri.vcf").read_bytes()
        assert client.get("/es/services/ciri.vcf", headers={"Accept-Encoding": "br"}).headers["content-type"] == "text/vcard; charset=utf-8"


# -- a real browser ------------------------------------------------------------------

ANDROID = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"


@pytest.fixture
def context_factory(browser: object) -> Iterator[object]:
    contexts: list[object] = []

    def make(**options: object) -> object:
        c = browser.new_context(**options)  # type: ignore[attr-defined]
        contexts.append(c)
        return c

    yield make
    for c in contexts:
        c.close()  # type: ignore[attr-defined]


@pytest.mark.browser
def test_calling_emailing_and_websites_in_a_real_browser(live_server: Server, context_factory) -> None:  # type: ignore[no-untyped-def]
    page_ = context_factory(user_agent=ANDROID).new_page()
    for tag in ("es", "ar"):
        for sid, want in SERVICES.items():
            page_.goto(f"{live_server.url}/{tag}/services/{sid}/")
            for digits in want["phones"]:
                link = page_.locator(f"main a[href='tel:+1{digits}']")
                assert link.is_visible() and link.locator("bdi").inner_text() == local_format(digits), (tag, sid)  # on its Call button
                box = link.bounding_box()
                assert box and box["height"] >= 48, "a tap target a thumb can hit"
            if want["email"]:
                assert page_.locator(f"main a[href='mailto:{want['email']}']").is_visible()
            if want["website"]:
                assert page_.locator(f"main a[href='{want['website']}']").is_visible()


@pytest.mark.browser
def test_directions_open_the_phones_own_maps_app(live_server: Server, context_factory) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_server.url}/es/services/iris/"
    q = quote("25 Main Street, Hartford, CT 06106", safe="")
    expected = {ANDROID: f"geo:0,0?q={q}", IPHONE: f"https://maps.apple.com/?q={q}"}
    for agent, href in expected.items():
        p = context_factory(user_agent=agent).new_page()
        p.goto(url)
        p.wait_for_function("document.readyState === 'complete'")
        assert p.locator("a.directions").get_attribute("href") == href, agent
    no_js = context_factory(java_script_enabled=False, user_agent=IPHONE).new_page()
    no_js.goto(url)
    assert no_js.locator("a.directions").get_attribute("href") == expected[ANDROID]
    address = no_js.locator("main address")
    assert address.inner_text().split() == ["25", "Main", "Street", "Hartford,", "CT", "06106"]
    assert address.evaluate("el => getComputedStyle(el).userSelect") != "none", "the address can be selected and copied"


@pytest.mark.browser
def test_saving_the_contact_downloads_a_vcard_online_and_offline(live_server: Server, context_factory) -> None:  # type: ignore[no-untyped-def]
    context = context_factory(service_workers="allow")
    p = context.new_page()
    p.goto(f"{live_server.url}/es/")
    p.wait_for_selector("body[data-offline=ready]", timeout=30_000)
    for offline in (False, True):
        context.set_offline(offline)
        response = p.goto(f"{live_server.url}/es/services/institute-for-the-hispanic-family/")
        assert response is not None and response.ok
        assert response.from_service_worker or not offline
        name = p.locator("h1").inner_text()
        with p.expect_download() as info:
            p.locator(".save-contact a").click()
        download = info.value
        assert download.suggested_filename == "institute-for-the-hispanic-family.vcf"
        card = vobject.readOne(Path(download.path()).read_text(encoding="utf-8"))
        assert card.fn.value == name and [t.value for t in card.contents["tel"]] == ["tel:+18605271124"], offline
        assert card.adr.value.street == "45 Wadsworth Street"


@pytest.mark.browser
def test_sharing_a_service_uses_web_share_or_copies_the_link(live_server: Server, context_factory) -> None:  # type: ignore[no-untyped-def]
    url = f"{live_server.url}/ar/services/ciri/"
    with_share = context_factory()
    with_share.add_init_script("navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };")
    p = with_share.new_page()
    p.goto(url)
    p.locator("[data-action=share]").click()
    shared = p.evaluate("window.__shared")
    assert shared["url"].endswith("/ar/services/ciri/"), "the link is in the family's language"
    without = context_factory()
    without.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    p = without.new_page()
    p.goto(url)
    assert p.evaluate("typeof navigator.share") == "undefined"
    assert p.locator("[data-action=share]").is_hidden()
    p.locator("[data-action=copy]").click()
    p.wait_for_function("document.querySelector('.share-status').textContent !== ''")
    assert p.evaluate("navigator.clipboard.readText()").endswith("/ar/services/ciri/")
