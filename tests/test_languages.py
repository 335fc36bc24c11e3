"""Thirteen languages from their catalogs: CLDR names and direction, plural rules from the header,
the translator workflow (extract/status/check) and pages that render every script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from backend.build import build
from backend.i18n import Translator, catalog_problems, discover, parse_catalog, plural_index

from .conftest import ROOT, Server, make_config, start_puente

LAUNCH = {
    "en", "es", "pt", "ar", "fa-AF", "ps", "ht", "pl", "bs", "sw", "uk", "vi", "zh-Hans",
    "fr", "ne", "my", "so", "ti", "rw", "ur", "ru",
}
RTL = {"ar", "fa-AF", "ps", "ur"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "serve.py"), *args], capture_output=True, text=True, timeout=120)


def test_launch_languages_come_from_the_catalogs_present() -> None:
    langs = {lang.tag: lang for lang in discover(ROOT / "locales")}
    assert set(langs) == LAUNCH
    assert langs["fa-AF"].native_name == "دری" and langs["fa-AF"].english_name == "Dari"
    assert langs["zh-Hans"].english_name == "Chinese (Simplified)"
    assert langs["es"].native_name == "Español"
    for tag, lang in langs.items():
        assert lang.dir == ("rtl" if tag in RTL else "ltr"), tag
        if not lang.is_source:
            assert not lang.reviewed, f"{tag}: drafts must say they are not yet reviewed by a person"


def test_every_launch_catalog_is_a_complete_valid_draft() -> None:
    pot = {(e.msgctxt, e.msgid) for e in polib.pofile(str(ROOT / "locales" / "messages.pot"))}
    for lang in discover(ROOT / "locales"):
        if lang.catalog is None:
            continue
        po = polib.pofile(str(lang.catalog))
        live = [e for e in po if not e.obsolete]
        assert {(e.msgctxt, e.msgid) for e in live} == pot, f"{lang.tag}: run `python serve.py extract`"
        assert po.metadata["X-Review-Status"] == "draft"
        assert catalog_problems(lang.catalog) == []
        missing = [e.msgid for e in live if not e.translated()]
        assert missing == [], f"{lang.tag} has {len(missing)} untranslated: {missing[:3]}"


CATALOG_FILES = sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po"))


def test_catalogs_pass_msgfmt_check_with_no_warning() -> None:
    """What Poedit, Weblate and msgfmt expect: valid syntax, complete headers, python-format placeholders, plurals."""
    if not shutil.which("msgfmt"):
        pytest.fail("msgfmt is missing: tests/run.sh installs Debian's gettext")
    assert len(CATALOG_FILES) == len(LAUNCH) - 1
    for po in CATALOG_FILES:
        proc = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stderr, proc.stderr
        assert re.search(r"^\d+ translated messages", proc.stderr, re.M), proc.stderr
        header = polib.pofile(str(po)).metadata
        for field in ("POT-Creation-Date", "PO-Revision-Date", "Last-Translator", "Language-Team", "Language"):
            assert header.get(field), f"{po}: no {field}"


def test_pofilter_finds_no_changed_url_email_placeholder_or_tag(tmp_path: Path) -> None:
    """translate-toolkit's checks on every catalog: URLs, e-mail addresses, %(name)s variables and XML tags kept."""
    for po in CATALOG_FILES:
        out = tmp_path / f"{po.parent.parent.name}.po"
        proc = subprocess.run(
            [sys.executable, "-m", "translate.filters.pofilter", "--progress=none", "-t", "urls", "-t", "emails", "-t", "variables",
             "-t", "xmltags", str(po), str(out)],
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        failures = [e for e in polib.pofile(str(out)) if any("(pofilter)" in line for line in e.tcomment.splitlines())] if out.exists() else []
        assert failures == [], f"{po}: " + "; ".join(f"{e.tcomment} in {e.msgid[:60]!r}" for e in failures)


def test_plural_forms_are_cldrs_where_cldr_has_them() -> None:
    """For every count the app may show, the catalog's Plural-Forms groups numbers exactly as CLDR's categories do;
    where CLDR has no plural rules the header says why it has the forms it has."""
    from babel import Locale
    from babel.messages.plurals import get_plural

    from backend.i18n.dates import cldr_gaps
    from backend.i18n.languages import LOCALE_DATA_HEADER

    for lang in discover(ROOT / "locales"):
        if lang.catalog is None:
            continue
        if "plural_rules" in cldr_gaps(lang.tag):
            note = polib.pofile(str(lang.catalog)).metadata.get(LOCALE_DATA_HEADER, "")
            assert "plural" in note, f"{lang.tag}: CLDR has no plural rules; the header must say what the catalog does"
            continue
        rule = Locale.parse(lang.tag.replace("-", "_")).plural_form
        cldr: dict[str, set[int]] = {}
        ours: dict[int, set[int]] = {}
        for n in range(1001):
            cldr.setdefault(rule(n), set()).add(n)
            ours.setdefault(plural_index(lang.plural_forms, n), set()).add(n)
        if sorted(map(sorted, cldr.values())) != sorted(map(sorted, ours.values())):
            # or what Babel's gettext table gives (Vietnamese: CLDR 49 has a "one" category, but nouns do not change)
            table = get_plural(lang.tag.replace("-", "_"))
            gettext_groups: dict[int, set[int]] = {}
            for n in range(1001):
                gettext_groups.setdefault(plural_index(table.plural_forms, n), set()).add(n)
            assert sorted(map(sorted, gettext_groups.values())) == sorted(map(sorted, ours.values())), f"{lang.tag}: {lang.plural_forms}"


def test_native_names_are_cldrs() -> None:
    from babel import Locale

    for lang in discover(ROOT / "locales"):
        loc = Locale.parse(lang.tag.replace("-", "_"))
        cldr = loc.get_display_name(loc) or ""
        if lang.tag == "fa-AF":  # CLDR calls it "Persian (Afghanistan)"; its speakers call it Dari (the catalog header says so)
            assert lang.native_name == "دری"
            continue
        assert lang.native_name == cldr[:1].upper() + cldr[1:], lang.tag
        assert lang.english_name == (loc.get_display_name("en") or ""), lang.tag


def test_plural_forms_follow_the_catalog_header() -> None:
    langs = {lang.tag: lang for lang in discover(ROOT / "locales")}
    pl = Translator.of(parse_catalog(langs["pl"].catalog))
    forms = [pl.ngettext("%(num)d organization", "%(num)d organizations", n) for n in (1, 2, 5, 22, 25)]
    assert forms[1] == forms[3] and forms[2] == forms[4] and len({forms[0], forms[1], forms[2]}) == 3
    ar = Translator.of(parse_catalog(langs["ar"].catalog))
    entry = polib.pofile(str(langs["ar"].catalog)).find("%(num)d organization", msgctxt="ui")
    for n, form in ((0, 0), (1, 1), (2, 2), (3, 3), (11, 4), (100, 5)):  # CLDR's six Arabic categories
        assert ar.ngettext("%(num)d organization", "%(num)d organizations", n) == entry.msgstr_plural[form]


def test_a_new_catalog_enables_a_language(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    (locales / "de" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ROOT / "locales" / "messages.pot", locales / "messages.pot")
    shutil.copy(locales / "messages.pot", locales / "de" / "LC_MESSAGES" / "messages.po")
    po = polib.pofile(str(locales / "de" / "LC_MESSAGES" / "messages.po"))
    po.metadata.update({"Language": "de", "Plural-Forms": "nplurals=2; plural=(n != 1);"})
    po.find("Quick exit", msgctxt="ui").msgstr = "Schnell verlassen"
    po.save()
    build(make_config(tmp_path, locales=locales), tmp_path / "out")
    html = (tmp_path / "out" / "de" / "rights" / "index.html").read_text()
    assert '<html lang="de" dir="ltr">' in html and "Schnell verlassen" in html
    assert 'class="fallback-tag"' in html  # everything else falls back to English, marked
    chooser = (tmp_path / "out" / "index.html").read_text()
    assert 'href="/de/"' in chooser and "Deutsch" in chooser


@pytest.mark.parametrize("tag", sorted(LAUNCH))
def test_pages_set_language_and_direction(release_dir: Path, tag: str) -> None:
    html = (release_dir / tag / "services" / "iris" / "index.html").read_text()
    assert f'<html lang="{tag}" dir="{"rtl" if tag in RTL else "ltr"}">' in html
    # numbers, emails and URLs stay left-to-right inside right-to-left text
    assert re.search(r'href="tel:\+12035622095">.*?<bdi dir="ltr">\(203\) 562-2095</bdi>', html)
    assert '<bdi dir="ltr">info@irisct.org</bdi>' in html
    # the language menu: the release's list of languages (app.js turns it into links to this page), and without
    # the script a link to the chooser; the list itself: test_language_menu_lists_every_language_from_one_file
    menu = html[html.index('language-menu"') : html.index("</details>", html.index('language-menu"'))]
    assert re.search(r'data-languages="/static/languages\.[0-9a-f]{12}\.json" data-path="services/iris/"', menu), menu
    assert 'href="/#choose"' in menu and menu.count("<li>") == 1
    if tag != "en":
        assert 'class="notice draft-notice"' in html and 'href="/en/services/iris/"' in html


def test_status_table_and_json() -> None:
    proc = run("status")
    assert proc.returncode == 0
    assert re.search(r"^es\s+\d+\s+0\s+0\s+100\.0%\s+draft$", proc.stdout, re.M), proc.stdout
    rows = json.loads(run("status", "--json").stdout)
    assert {r["language"] for r in rows} == LAUNCH - {"en"}
    fa = next(r for r in rows if r["language"] == "fa-AF")
    assert fa["name"] == "دری" and fa["review"] == "draft" and fa["percent"] == 100.0


def _break_catalog(locales: Path, tag: str, edit) -> Path:  # type: ignore[no-untyped-def]
    path = locales / tag / "LC_MESSAGES" / "messages.po"
    path.write_bytes(edit(path.read_bytes()))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda b: b.replace(b'msgid "Quick exit"', b'msgid "Quick exit'), "invalid catalog syntax"),
        (lambda b: b.replace("Salida rápida".encode(), b"Salida r\xe1pida"), "not valid UTF-8"),
        (lambda b: b.replace(b"nplurals=2; plural=(n != 1);", b"nplurals=3; plural=(n != 1);"), "plural forms"),
        (lambda b: b.replace(b"%(as_of)s", b"%(asof)s", 1), "placeholders differ"),
        (lambda b: re.sub(rb'(msgstr ".*?)\]\(https://www\.ice\.gov/[^)]*\)', rb"\1](https://example.org/)", b), "changes the links"),
        (lambda b: b.replace(b'msgstr "Salida r', b'msgstr "<i>x</i> Salida r'), "raw HTML"),
    ],
)
def test_check_reports_each_catalog_problem_at_its_line(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    path = _break_catalog(locales, "es", edit)
    proc = run("check", "--locales", str(locales))
    assert proc.returncode == 1, proc.stdout
    assert re.search(rf"{re.escape(str(path))}:\d+: .*{message}", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_passes_on_the_project() -> None:
    proc = run("check")
    assert proc.returncode == 0, proc.stderr
    assert "content and catalogs are valid" in proc.stdout


# -- in the browser --------------------------------------------------------------

TOFU_JS = """
() => {
  const text = document.querySelector('main').innerText + document.querySelector('nav').innerText;
  const chars = [...new Set([...text].filter(c => c.trim() && c.codePointAt(0) > 0x7f))];
  const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const font = getComputedStyle(document.querySelector('main p') || document.body).font;
  const draw = (c) => { ctx.clearRect(0, 0, 64, 64); ctx.font = font; ctx.fillText(c, 8, 40);
                        return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(','); };
  const tofu = [draw('\\u{10FFFD}'), draw('\\uFFFF')];
  return {checked: chars.length, boxes: chars.filter(c => tofu.includes(draw(c)))};
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("tag", ["ar", "fa-AF", "ps", "zh-Hans", "uk", "vi", "ht", "pl", "bs", "pt", "fr", "ne", "my", "so", "ti", "rw", "ur", "ru"])
def test_each_script_renders_glyphs_not_boxes(live_server: Server, browser, tag: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/{tag}/rights/school/")
        result = page.evaluate(TOFU_JS)
        assert result["checked"] >= 3
        assert result["boxes"] == [], f"{tag}: no glyph for {result['boxes']}"
    finally:
        page.close()


@pytest.mark.browser
def test_rtl_layout_is_mirrored_and_numbers_stay_left_to_right(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        page.goto(f"{live_server.url}/ar/services/iris/")
        exit_box = page.locator("#quick-exit").bounding_box()
        brand_box = page.locator(".brand").bounding_box()
        assert exit_box and brand_box and exit_box["x"] < brand_box["x"], "quick exit should sit on the left in RTL"
        phone = page.locator("a[href^='tel:'] bdi").first
        assert phone.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert phone.inner_text() == "(203) 562-2095"
        page.goto(f"{live_server.url}/en/services/iris/")
        exit_box = page.locator("#quick-exit").bounding_box()
        brand_box = page.locator(".brand").bounding_box()
        assert exit_box and brand_box and exit_box["x"] > brand_box["x"]
    finally:
        page.close()


@pytest.mark.browser
def test_chooser_picks_the_browsers_best_language(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    for locale, expected in (("pt-BR", "pt"), ("zh-CN", "zh-Hans"), ("fa-AF", "fa-AF"), ("de-DE", None)):
        ctx = browser.new_context(locale=locale)
        try:
            page = ctx.new_page()
            page.goto(live_server.url + "/")
            if expected:
                page.wait_for_url(f"{live_server.url}/{expected}/")
            else:  # no match: the list stays, for the family to choose
                page.wait_for_load_state("load")
                page.wait_for_timeout(200)
                assert page.url == live_server.url + "/"
                assert page.locator("#languages a").count() == len(LAUNCH)
        finally:
            ctx.close()


@pytest.mark.browser
def test_language_menu_switches_to_the_same_page(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/es/rights/hartford/")
        page.locator(".language-menu summary").click()
        page.locator(".language-menu a[lang='vi']").click()
        page.wait_for_url(f"{live_server.url}/vi/rights/hartford/")
        assert page.locator("html").get_attribute("lang") == "vi"
    finally:
        page.close()


@pytest.mark.browser
def test_language_menu_lists_every_language_from_one_file_online_offline_and_without_script(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """Every language by its own name (English beside), direction and tag, linking to the same page, the
    current one marked; from static/languages.<hash>.json, which the worker keeps with the shell, so the
    menu is whole offline; without the script the menu's one link opens the chooser's list."""
    server = start_puente(tmp_path)
    release = tmp_path / "var" / "releases" / (tmp_path / "var" / "current").read_text().strip()
    expected = json.loads(next((release / "static").glob("languages.*.json")).read_text())
    assert [lang["tag"] for lang in expected] == [lang["tag"] for lang in json.loads((release / "release.json").read_text())["languages"]]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}/ar/services/iris/")
        page.wait_for_selector("body[data-offline=ready]", timeout=30_000)

        def menu() -> list[dict[str, str]]:
            page.locator(".language-menu summary").click()
            page.wait_for_selector(".language-menu a[lang='vi']")
            return page.eval_on_selector_all(".language-menu .menu-list a", """els => els.map(a => ({
                href: a.getAttribute('href'), lang: a.lang, hreflang: a.hreflang, dir: a.dir, current: a.getAttribute('aria-current'),
                english: a.querySelector('.english') ? a.querySelector('.english').textContent : null, text: a.firstChild.textContent.trim()}))""")

        for items in (menu(), None):
            if items is None:  # the same from the worker, with the server stopped
                server.stop()
                context.set_offline(True)
                response = page.goto(f"{server.url}/ar/services/iris/")
                assert response is not None and response.from_service_worker
                items = menu()
            assert [i["lang"] for i in items] == [lang["tag"] for lang in expected]
            for item, lang in zip(items, expected, strict=True):
                assert item["href"] == f"/{lang['tag']}/services/iris/" and item["hreflang"] == lang["tag"] and item["dir"] == lang["dir"]
                assert item["text"] == lang["name"] and item["english"] == lang.get("english")
                assert item["current"] == ("true" if lang["tag"] == "ar" else None)
            assert {"tag": "es", "dir": "ltr", "name": "Español", "english": "Spanish"} in expected
            assert {"tag": "ar", "dir": "rtl", "name": "العربية", "english": "Arabic"} in expected
    finally:
        context.close()
        server.stop()
    no_script = browser.new_context(java_script_enabled=False)
    try:
        server = start_puente(tmp_path / "again")
        page = no_script.new_page()
        page.goto(f"{server.url}/es/rights/")
        page.locator(".language-menu summary").click()
        page.locator(".language-menu a").click()
        page.wait_for_url(f"{server.url}/#choose")
        assert "Español" in page.locator("#languages").inner_text()
    finally:
        no_script.close()
        server.stop()
