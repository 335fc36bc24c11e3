"""What a family meets first, in real Chromium at phone widths (320, 360 and 390 px), left to right
and right to left: menus that stay on screen, a home page that names the district and offers a call
within the first screen, a service page whose Call button is there too, quick exit that ignores
typing, the install banner, read aloud with the phone's own voices, and the liaison's language finder."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
import zxingcpp
from PIL import Image

from backend.build import build
from backend.content import load
from backend.errors import ContentError

from .conftest import ROOT, Server, make_config

pytestmark = pytest.mark.browser

EXIT = "https://www.weather.gov/"
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SCREEN = 740  # the first screen of a phone held upright (the 360 x 740)
PHONES = [(w, lang) for w in (320, 360, 390) for lang in ("es", "ar")]
CONTENT = load(ROOT / "content")


def catalog(tag: str) -> dict[tuple[str, str], str]:
    po = polib.pofile(str(ROOT / "locales" / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"))
    return {(e.msgctxt or "", e.msgid): e.msgstr for e in po if e.translated()}


def ui(tag: str, text: str) -> str:
    return catalog(tag).get(("ui", text), text)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A factory of phone-sized browser contexts (service worker blocked: these pages are read as first seen)."""
    made: list[Any] = []

    def make(width: int, **options: Any) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": SCREEN}, service_workers="block", **options)
        ctx.route(EXIT + "**", lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Weather</title><h1>Weather</h1>"))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


# -- menus, the first screen of the home page and of a service -----------------------------------------

OUTSIDE = """
(selector) => Array.from(document.querySelectorAll(selector)).map((a) => {
  const r = a.getBoundingClientRect();
  return {text: a.textContent.trim(), left: r.left, right: r.right, top: r.top, height: r.height, width: r.width};
})
"""


@pytest.mark.parametrize(("width", "lang"), PHONES)
def test_menus_fit_the_phone_and_the_first_screen_names_the_district_and_offers_a_call(
    live_server: Server, phone: Any, width: int, lang: str
) -> None:
    page = phone(width).new_page()
    page.goto(f"{live_server.url}/{lang}/rights/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways"
    page.wait_for_selector(".language-menu .menu-list a[lang]", state="attached")  # app.js fills the list after the page loads
    for menu, count in ((".language-menu", 21), (".nav-menu", 6)):
        page.locator(f"{menu} summary").click()
        items = page.evaluate(OUTSIDE, f"{menu} ul a")
        assert len(items) >= count if menu == ".language-menu" else len(items) == count
        off = [i["text"] for i in items if i["left"] < 0 or i["right"] > width or i["height"] < 48]
        assert off == [], f"{menu} items off screen or too small at {width} px: {off}"
        tops = [round(i["top"]) for i in items]
        assert len(set(tops)) == len(tops), "one item a row"
        widest = max(i["width"] for i in items)
        assert all(i["width"] > widest - 1 for i in items), "every row as wide as the list"
        page.keyboard.press("Escape")
        assert page.locator(menu).get_attribute("open") is None, "Escape closes the menu"
        assert page.evaluate(f"document.activeElement === document.querySelector('{menu} summary')"), "and focus returns to it"
    english = page.locator(".language-menu .menu-list a[lang='es'] .english").text_content()
    assert english == "Spanish", "native names with the English name beside"

    page.goto(f"{live_server.url}/{lang}/")
    district = catalog(lang)[("site", CONTENT.site.district)]
    brand = page.locator(".brand-district")
    assert brand.inner_text() == district
    assert brand.bounding_box()["y"] + brand.bounding_box()["height"] <= SCREEN
    calls = page.locator("main a[href^='tel:']")
    first = calls.first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= SCREEN, f"the first call button ends at {first} px"
    assert first["height"] >= 48
    legal = {p.e164 for s in CONTENT.services_in(CONTENT.site.help_category) for p in s.phones}
    assert {h.removeprefix("tel:") for h in page.locator(".get-help a").evaluate_all("els => els.map(a => a.getAttribute('href'))")} == legal
    assert page.locator(".get-help h2").inner_text() == ui(lang, "Get help now")
    assert page.locator(".cards a").count() >= 3, "the main sections as cards"

    page.goto(f"{live_server.url}/{lang}/services/greater-hartford-legal-aid/")
    call = page.locator(".actions .action-call a").first
    box = call.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SCREEN, f"the Call button ends at {box} px"
    assert call.get_attribute("href") == "tel:+18605415030"
    for button in page.locator(".actions a").all():
        b = button.bounding_box()
        assert b and b["height"] >= 48 and b["width"] >= 48
        assert button.locator("svg.i").count() == 1, "each action has its icon"
    description = page.locator(".prose").bounding_box()
    assert box["y"] < description["y"], "the actions come before the description"


# -- quick exit -------------------------------------------------------------------------------------------


def type_like_a_person(page: Any, text: str) -> None:
    """Each capital is Shift held down while the letter is pressed, as on a real keyboard."""
    for ch in text:
        if ch.isupper():
            page.keyboard.down("Shift")
            page.keyboard.press(ch)
            page.keyboard.up("Shift")
        else:
            page.keyboard.type(ch)
        page.wait_for_timeout(40)


def test_typing_capitals_never_exits_and_three_shifts_alone_still_do(live_server: Server, phone: Any) -> None:
    page = phone(360).new_page()
    page.goto(f"{live_server.url}/es/search/")
    page.locator("#q").click()
    type_like_a_person(page, "Greater Hartford Legal Aid")
    page.wait_for_timeout(300)
    assert page.url.startswith(f"{live_server.url}/es/search/"), "typing in the search box left the app"
    assert page.locator("#q").input_value() == "Greater Hartford Legal Aid"
    for _ in range(3):  # Shift alone, three times, while the search box has focus: still typing
        page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url.startswith(f"{live_server.url}/es/search/"), "Shift in a text field left the app"

    page.locator("h1").click()  # focus out of the box: capitals typed on the page are still not Shift alone
    type_like_a_person(page, "GHLA")
    page.wait_for_timeout(300)
    assert page.url.startswith(live_server.url)
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(EXIT)


def test_another_key_between_shifts_starts_the_count_again(live_server: Server, phone: Any) -> None:
    page = phone(360).new_page()
    page.goto(f"{live_server.url}/es/")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url == f"{live_server.url}/es/"


# -- install ------------------------------------------------------------------------------------------------

PROMPT = """() => {
  const e = new Event('beforeinstallprompt', {cancelable: true});
  e.prompt = () => { window.__prompted = true; };
  e.userChoice = Promise.resolve({outcome: 'dismissed'});
  window.dispatchEvent(e);
}"""


@pytest.mark.parametrize(("width", "lang"), [(320, "ar"), (390, "es")])
def test_install_banner_comes_with_the_browsers_prompt_near_the_top_and_stays_closed(
    live_server: Server, phone: Any, width: int, lang: str
) -> None:
    ctx = phone(width)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/{lang}/rights/")
    banner = page.locator("#install-banner")
    assert banner.is_hidden(), "no banner before the browser offers to install"
    before = page.locator("h1").bounding_box()
    page.evaluate(PROMPT)
    assert banner.is_visible()
    box = banner.bounding_box()
    h1 = page.locator("h1").bounding_box()
    assert box is not None and h1 is not None and box["y"] < 250 and box["y"] < h1["y"], f"the banner is at {box}, not near the top"
    assert h1 == before, "the banner came after the page painted: it must not move the page (a layout shift)"
    exit_button = page.locator("#quick-exit").bounding_box()
    menus = page.locator(".site-nav").bounding_box()
    assert exit_button and menus and box["y"] >= exit_button["y"] + exit_button["height"] and box["y"] >= menus["y"] + menus["height"] - 1, \
        "quick exit and the menus stay uncovered"
    assert abs(box["x"] + box["width"] / 2 - width / 2) < 2 and box["width"] <= width, "across the phone's screen"
    assert banner.locator(".install-title").inner_text() == ui(lang, "Save this app to your phone: it works without internet.")
    assert page.locator("#ios-install").is_hidden()
    page.locator("#install-button").click()
    assert page.evaluate("window.__prompted === true")
    page.locator("#install-close").click()
    assert banner.is_hidden()
    assert page.evaluate("localStorage.getItem('puente-install-closed')") == "1"
    page.reload()
    page.evaluate(PROMPT)
    assert banner.is_hidden(), "once closed, it stays closed"
    again = page.locator("#install-open")
    assert again.is_visible(), "the footer still offers to install"
    again.click()
    assert banner.is_visible()
    assert ctx.cookies() == [], "the choice is kept on the device, never in a cookie"


@pytest.mark.parametrize(("width", "lang"), [(320, "ar"), (390, "es")])
def test_iphone_sees_the_add_to_home_screen_steps_with_pictures(live_server: Server, phone: Any, width: int, lang: str) -> None:
    ctx = phone(width, user_agent=IPHONE_UA, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/{lang}/")
    banner = page.locator("#install-banner")
    assert banner.is_visible()
    assert banner.bounding_box()["y"] < 250
    steps = page.locator("#ios-install li")
    assert steps.count() == 4
    assert ui(lang, "Tap the Share button (a square with an arrow pointing up).") in steps.nth(1).inner_text()
    assert page.locator("#install").is_hidden(), "no install button where the browser has no prompt"
    for picture, symbol in ((steps.nth(1), "#ios-share"), (steps.nth(2), "#ios-add")):
        use = picture.locator("svg.pic use")
        href = use.get_attribute("href")
        assert href and href.startswith("/static/icons.") and href.endswith(symbol), "a same-origin picture"
        assert picture.locator("svg.pic").bounding_box()["width"] >= 40, "the picture is drawn"
    page.locator("#install-close").click()
    page.reload()
    assert page.locator("#install-banner").is_hidden()


# -- read aloud ---------------------------------------------------------------------------------------------

SPEECH = """
(voices) => {
  window.__spoken = [];
  const synth = {
    speaking: false, paused: false, pending: false,
    getVoices: () => voices.map((v) => ({default: false, ...v})),
    speak(u) {
      window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name, local: u.voice && u.voice.localService});
      setTimeout(() => u.onend && u.onend(new Event('end')), 150);
    },
    cancel() {}, pause() {}, resume() {},
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ''; this.voice = null; } };
}
"""
VOICES = [
    {"name": "Cloud Español", "lang": "es-US", "localService": False},
    {"name": "Device English", "lang": "en-US", "localService": True},
    {"name": "Device Español", "lang": "es_ES", "localService": True},
]


def until(page: Any, expression: str, timeout: float = 15) -> None:
    """Wait until `expression` is true in the page (wait_for_function evaluates a string, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still not true after {timeout} s: {expression}"
        page.wait_for_timeout(50)


# Counts the sentence segmenters the page builds (one is a long task on a slow phone: only when Listen is pressed).
SEGMENTERS = """
(() => {
  const Real = Intl.Segmenter;
  window.__segmenters = 0;
  Intl.Segmenter = class extends Real { constructor(...args) { super(...args); window.__segmenters += 1; } };
})()
"""


def speech_context(browser: Any, voices: list[dict[str, Any]], requests: list[str]) -> Any:
    ctx = browser.new_context(viewport={"width": 360, "height": SCREEN})
    ctx.add_init_script(f"({SPEECH})({json.dumps(voices)})")
    ctx.add_init_script(SEGMENTERS)
    ctx.on("request", lambda r: requests.append(r.url))
    return ctx


def test_read_aloud_uses_only_a_local_voice_in_the_pages_language_and_highlights_the_sentence(live_server: Server, browser: Any) -> None:
    requests: list[str] = []
    ctx = speech_context(browser, VOICES, requests)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/es/rights/hartford/")
        play = page.locator("#listen [data-listen=play]")
        assert play.is_visible() and play.inner_text().strip() == ui("es", "Listen")
        assert page.evaluate("window.__segmenters") == 0, "the sentence rules are not built as the page opens"
        play.click()
        until(page, "window.__spoken.length >= 3")
        assert page.evaluate("CSS.highlights.has('listen')"), "the sentence being read is highlighted"
        page.locator("#listen [data-listen=pause]").click()
        spoken = page.evaluate("window.__spoken")
        page.wait_for_timeout(200)
        assert page.evaluate("window.__spoken.length") == len(spoken), "paused: nothing more is read"
        page.locator("#listen [data-listen=resume]").click()
        until(page, f"window.__spoken.length > {len(spoken)}")
        page.locator("#listen [data-listen=stop]").click()
        assert not page.evaluate("CSS.highlights.has('listen')")
        assert play.is_visible()
        spoken = page.evaluate("window.__spoken")
        assert {(s["lang"], s["voice"], s["local"]) for s in spoken} == {("es", "Device Español", True)}
        h1 = page.locator("h1").inner_text()
        assert spoken[0]["text"] == h1, "it starts with the page's title"
        main = " ".join(page.locator("main .prose").inner_text().split())
        assert all(" ".join(s["text"].split()) in main or s["text"] == h1 for s in spoken[1:4]), "then the page's own text, sentence by sentence"
        assert all(len(s["text"]) < 400 for s in spoken), "a sentence at a time"
        assert page.evaluate("window.__segmenters") == 1, "built once, when Listen was first pressed"
    finally:
        ctx.close()
    assert [u for u in requests if not u.startswith(live_server.url)] == [], "a request left the origin"


@pytest.mark.parametrize(
    ("lang", "voices"),
    [("ti", VOICES), ("es", [{"name": "Cloud Español", "lang": "es-ES", "localService": False}])],
    ids=["no voice for Tigrinya", "only a cloud voice for Spanish"],
)
def test_without_a_local_voice_read_aloud_says_so_in_the_readers_language(
    live_server: Server, browser: Any, lang: str, voices: list[dict[str, Any]]
) -> None:
    requests: list[str] = []
    ctx = speech_context(browser, voices, requests)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/{lang}/rights/")
        said = page.locator("#listen .listen-none")
        said.wait_for(timeout=5000)
        assert said.inner_text() == ui(lang, "This phone has no voice for this language.")
        assert page.locator("#listen button:visible").count() == 0, "no button that cannot work"
        assert page.evaluate("window.__spoken") == []
    finally:
        ctx.close()
    assert [u for u in requests if not u.startswith(live_server.url)] == []


# -- the share panel's code, full screen ---------------------------------------------------------------------


def test_a_services_code_opens_full_screen_and_closes_with_escape(live_server: Server, phone: Any) -> None:
    page = phone(360).new_page()
    page.goto(f"{live_server.url}/ar/services/ciri/")
    figure = page.locator("#share-code")
    small = figure.locator(".qr-code").bounding_box()
    page.locator(".qr-open").click()
    page.wait_for_url("**#share-code")
    box = figure.bounding_box()
    assert box is not None and box["width"] >= 359 and box["height"] >= SCREEN - 1, "the code fills the screen"
    code = figure.locator(".qr-code")
    assert code.bounding_box()["width"] > small["width"] * 1.2
    image = Image.open(io.BytesIO(code.screenshot()))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [page.locator("#share .share-actions").get_attribute("data-url")]
    assert page.evaluate("document.activeElement.id") == "share-code"
    page.keyboard.press("Escape")
    page.wait_for_url("**#share")
    assert figure.bounding_box()["width"] < 359


# -- the liaison's language finder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "tag"),
    [("espanol", "es"), ("Español", "es"), ("farsi", "fa-AF"), ("Persian", "fa-AF"), ("chinese", "zh-Hans"), ("中文", "zh-Hans"), ("mandarin", "zh-Hans"), ("kreyol", "ht")],
)
def test_the_language_finder_ignores_accents_and_knows_other_names(live_server: Server, phone: Any, typed: str, tag: str) -> None:
    page = phone(1024).new_page()
    page.goto(f"{live_server.url}/share/")
    page.locator("#language-filter").fill(typed)
    shown = page.locator("#liaison-languages li:visible")
    assert shown.count() == 1, shown.all_inner_texts()
    assert shown.get_attribute("id") == f"lang-{tag}"


def test_other_names_are_data_and_a_broken_entry_names_its_line(tmp_path: Path) -> None:
    from backend.i18n import other_names

    names = other_names(ROOT / "locales")
    assert {"Farsi", "Persian"} <= set(names["fa-AF"]) and "Mandarin" in names["zh-Hans"]
    (tmp_path / "other-names.toml").write_text('es = ["Castellano"]\nfa-AF = "Farsi"\n', encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        other_names(tmp_path)
    assert [str(p) for p in caught.value.problems] == [f"{tmp_path.name}/other-names.toml:2: fa-AF: give a list of names, for example fa-AF = [\"Another name\"]"]


# -- the content pack's logo and tab title; the small accessibility hints -------------------------------------


def english_only_build(tmp_path: Path, content: Path) -> Path:
    """A build of the content with no catalogs (English alone): seconds, not a minute."""
    (tmp_path / "no-locales").mkdir()
    out = tmp_path / "site"
    build(make_config(tmp_path, content=content, locales=tmp_path / "no-locales"), out)
    return out


def test_logo_and_neutral_tab_title_come_from_site_toml(tmp_path: Path, copy_content: Path) -> None:
    (copy_content / "district-logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>')
    site = copy_content / "site.toml"
    site.write_text(site.read_text().replace('district = "Hartford Public Schools"\n', 'district = "Hartford Public Schools"\nlogo = "district-logo.svg"\ntab_title = "Notes"\n'))
    out = english_only_build(tmp_path, copy_content)
    for page in ("index.html", "rights/hartford/index.html", "services/ciri/index.html", "share/print/index.html"):
        html = (out / "en" / page).read_text()
        assert "<title>Notes</title>" in html, page
        logo = re.search(r'<img class="brand-logo" src="(/static/logo\.[0-9a-f]{12}\.svg)" alt="" width="40" height="40">', html)
        assert logo and (out / logo.group(1).lstrip("/")).is_file(), page
    assert "<title>Notes</title>" in (out / "index.html").read_text()
    sw = (out / "sw.js").read_text()
    assert logo.group(1) in sw, "the logo is kept offline with the shell"

    site.write_text(site.read_text().replace('logo = "district-logo.svg"', 'logo = "../pyproject.toml"'))
    (copy_content / "district-logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    with pytest.raises(ContentError, match=r"content/site\.toml:\d+: logo '\.\./pyproject\.toml' is not a file inside the content folder"):
        load(copy_content)
    site.write_text(site.read_text().replace('logo = "../pyproject.toml"', 'logo = "district-logo.svg"'))
    with pytest.raises(ContentError, match=r"content/site\.toml:\d+: logo 'district-logo\.svg' must be a plain SVG drawing"):
        load(copy_content)


def test_by_default_every_tab_shows_the_site_name_only(release_dir: Path) -> None:
    liaison = release_dir / "share" / "index.html"  # the liaison's own page, on the liaison's computer
    pages = [p for p in release_dir.rglob("*.html") if p != liaison]
    assert len(pages) > 300
    titles = {m.group(1) for p in pages for m in [re.search(r"<title>(.*?)</title>", p.read_text())] if m}
    assert titles == {CONTENT.site.name}


def test_the_small_accessibility_hints(release_dir: Path) -> None:
    search = (release_dir / "es" / "search" / "index.html").read_text()
    assert "search-results" not in search and "search-status" in search, "no empty results list before a search"
    for page in ("es/rights/hartford", "es/services/ciri", "es/about"):
        html = (release_dir / page / "index.html").read_text()
        aside = re.search(r'<aside class="page-meta" aria-labelledby="([^"]+)">\s*<h2 class="meta-heading" id="([^"]+)">([^<]+)</h2>', html)
        assert aside and aside.group(1) == aside.group(2) and aside.group(3) == ui("es", "About this page"), page
    about = (release_dir / "es" / "about" / "index.html").read_text()
    assert re.search(r'<table class="status-table">\s*<caption><h2>[^<]+</h2></caption>', about)
    for tag in ("es", "ar"):
        flyer = (release_dir / tag / "share" / "print" / "index.html").read_text()
        for section in re.findall(r"<section\b.*?</section>", flyer, re.DOTALL):
            assert re.search(r"<h[1-6]", section), f"a section without a heading: {section[:80]}"
