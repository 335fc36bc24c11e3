"""Translations and accounts in the console (issue 13): translations follow the English, translators edit
and review unit by unit within their languages, accounts and languages are managed from the browser.

Everything goes through the console over HTTP, on a copy of the content with two catalogs (es, fr) only,
so nothing builds the other languages. One real-browser run follows a translator's path end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from starlette.testclient import TestClient

from backend import build as building
from backend import releases
from backend.checks import check_report
from backend.config import Config
from backend.content import editing
from backend.web.admin.auth import Accounts, Sessions
from backend.web.app import create_server_app

from .conftest import ROOT, Server, console_client, copy_workspace, pack_copy, start_puente
from .test_admin import login

PASSWORD = "correct horse battery staple"
LANGUAGES = ("es", "fr")
FIRST = ("EVERY student, as do ALL individuals, living in the United States has certain inalienable rights, regardless of immigration "
         "status, and it is our duty to protect them.")
SECOND = "These pages follow the guidance provided by our school district, the City of Hartford and the State of Connecticut."


def small_pack(root: Path) -> Config:
    """A copy of the content and of two catalogs (with the template and other names): builds stay small."""
    return pack_copy(root, tuple(LANGUAGES))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("console-tr")
    cfg = small_pack(root)
    releases.publish(cfg, "setup")  # what families are served (two languages: quick)
    accounts = Accounts(cfg)
    accounts.add("ana", PASSWORD)  # an admin
    accounts.add("tere", PASSWORD, "translator", ["es"])
    return root


@pytest.fixture
def cfg(prepared: Path, tmp_path: Path) -> Config:
    return copy_workspace(prepared, tmp_path)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with console_client(cfg) as c:
        yield c


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return the session's CSRF token (from the translations page)."""
    r = login(client, name, password)
    assert r.status_code == 303, r.text
    page = client.get("/admin/translations/")
    assert page.status_code == 200, page.text
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m
    return m.group(1)


def row_percent(page: str, english_name: str) -> float:
    m = re.search(rf"<td>{english_name} \(<span[^>]*>[^<]*</span>\)<br><a [^>]*>Edit and review.*?</a></td><td>([\d.]+)%", page)
    assert m, page
    return float(m.group(1))


def es_catalog(cfg: Config) -> polib.POFile:
    return polib.pofile(str(cfg.locales / "es" / "LC_MESSAGES" / "messages.po"))


def unit_id(entry: polib.POEntry) -> str:
    from backend.i18n.review import unit_id as uid

    return uid(entry)


def test_an_english_edit_makes_the_spanish_unit_fuzzy_in_the_download_and_lowers_the_status(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    assert row_percent(client.get("/admin/translations/").text, "Spanish") == 100.0
    fields = editing.page_fields(cfg, "rights")
    changed = FIRST.replace("certain inalienable rights", "certain rights that no one can take away")
    added = "Ask the school office for a printed copy of these pages."
    assert FIRST in fields["body"] and SECOND in fields["body"]
    fields["body"] = fields["body"].replace(FIRST, changed).replace(SECOND, added)
    r = client.post("/admin/pages/rights/", data={**fields, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text

    pot = client.get("/admin/download/messages.pot")
    assert pot.status_code == 200 and f"msgid \"{changed}\"" in pot.text and f"msgid \"{FIRST}\"" not in pot.text
    download = client.get("/admin/download/es.po")
    assert download.status_code == 200
    po = polib.pofile(download.text)
    entry = next(e for e in po if e.msgid == changed)
    assert entry.fuzzy and entry.previous_msgid == FIRST and entry.msgstr.startswith("CADA estudiante")  # as `extract` merges
    new = next(e for e in po if e.msgid == added)
    assert not new.msgstr and not new.fuzzy  # new: untranslated
    gone = next(e for e in po if e.msgid == SECOND)
    assert gone.obsolete  # removed: obsolete, kept for the translator
    assert po.metadata["POT-Creation-Date"] == polib.pofile(pot.text).metadata["POT-Creation-Date"]
    for tag in LANGUAGES:  # every catalog, not only the one downloaded
        on_disk = polib.pofile(str(cfg.locales / tag / "LC_MESSAGES" / "messages.po"))
        assert next(e for e in on_disk if e.msgid == changed).fuzzy

    page = client.get("/admin/translations/").text
    assert row_percent(page, "Spanish") < 100.0 and row_percent(page, "French") < 100.0
    units = client.get("/admin/translations/es/units", params={"state": "fuzzy"}).text
    assert changed in units  # the English now, and the English it was translated from with the changed words marked:
    assert "has certain <del>inalienable rights, </del><ins>rights that no one can take away, </ins>regardless" in units
    assert "<del>" + FIRST not in units  # not everything struck through

    preview = client.get("/admin/preview/es/rights/")
    assert preview.status_code == 200
    assert re.search(r'<span lang="en">[^<]*certain rights that no one can take away', preview.text)  # English, marked as such
    assert "CADA estudiante" not in preview.text


def test_a_translator_edit_is_checked_like_an_upload_and_errors_sit_beside_the_unit(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "tere")
    before = (cfg.locales / "es" / "LC_MESSAGES" / "messages.po").read_bytes()
    entry = next(e for e in es_catalog(cfg) if e.msgid == SECOND)
    uid = unit_id(entry)
    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": uid, "text": "Vea [esto](https://evil.example/).",
                                                           "action": "save", "q": "Hartford"})
    assert r.status_code == 422
    section = r.text[r.text.index(f'id="u-{uid}"'):]
    section = section[: section.index("</form>")]
    assert "changes the links of its source" in section and "Nothing was saved" in section  # beside the unit, in words
    assert "evil.example" in section  # what was typed is kept for correcting
    assert (cfg.locales / "es" / "LC_MESSAGES" / "messages.po").read_bytes() == before
    assert "/tmp" not in r.text and str(cfg.locales) not in r.text

    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": uid, "text": "Nuevo texto de prueba.", "action": "review"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#u-{uid}")
    saved = next(e for e in es_catalog(cfg) if e.msgid == SECOND)
    assert saved.msgstr == "Nuevo texto de prueba." and "reviewed" in saved.flags
    assert re.fullmatch(r"reviewed-by: tere \d{4}-\d\d-\d\d", saved.tcomment)
    listing = client.get("/admin/translations/es/units", params={"state": "reviewed"}).text
    assert "Nuevo texto de prueba." in listing and "Reviewed by tere" in listing
    assert "1 unit." in listing
    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": "0123456789abcdef", "text": "x", "page": "x", "state": "??"})
    assert r.status_code == 422 and "no longer in the catalog" in r.text
    paged = client.get("/admin/translations/es/units", params={"page": "2"}).text
    assert "page 2 of" in paged
    searched = client.get("/admin/translations/es/units", params={"q": "inalienables"}).text
    assert re.search(r"\d+ units? matching “inalienables”", searched) and "CADA estudiante" in searched
    assert "Nuevo texto de prueba." not in searched  # only the units that match


def test_a_translator_cannot_publish_nor_touch_another_language(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "tere")
    page = client.get("/admin/translations/").text
    assert "Spanish" in page and "French" not in page and "Add a language" not in page
    assert client.get("/admin/", follow_redirects=False).headers["location"] == "/admin/translations/"
    fr = cfg.locales / "fr" / "LC_MESSAGES" / "messages.po"
    fr_before, content_before = fr.read_bytes(), (cfg.content / "pages" / "rights" / "index.md").read_bytes()
    entry = next(e for e in polib.pofile(str(fr)) if e.msgid == SECOND)

    served = releases.current_id(cfg)
    r = client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 403 and "Only an admin can do this" in r.text and "<html" in r.text
    assert releases.current_id(cfg) == served and len(releases.history(cfg)) == 1  # nothing was published
    for method, path, data in [
        ("POST", "/admin/rollback", {}),
        ("POST", "/admin/pages/rights/", {"title": "x"}),
        ("POST", "/admin/notices/", {"text": "Hello", "starts": "2026-11-01", "expires": "2026-12-01"}),
        ("GET", "/admin/accounts/", {}),
        ("POST", "/admin/accounts/", {"action": "add", "name": "mallory", "password": PASSWORD}),
        ("POST", "/admin/languages/", {"tag": "de"}),
        ("GET", "/admin/preview/es/", {}),
        ("GET", "/admin/translations/fr/units", {}),
        ("POST", "/admin/translations/fr/units", {"unit": unit_id(entry), "text": "Piraté.", "action": "review"}),
        ("GET", "/admin/download/fr.po", {}),
    ]:
        r = client.request(method, path, data={**data, "csrf": csrf} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.status_code)
    upload = client.post("/admin/translations/fr/", data={"csrf": csrf}, files={"file": ("fr.po", fr_before.replace(b"Hartford", b"Harford"))})
    assert upload.status_code == 403 and "You translate Spanish (Español), not French (Français)" in upload.text
    assert "signed in as a translator for Spanish (Español)" in upload.text  # languages by name, not by code
    assert fr.read_bytes() == fr_before and (cfg.content / "pages" / "rights" / "index.md").read_bytes() == content_before
    assert "mallory" not in Accounts(cfg).names() and not (cfg.locales / "de").exists()
    assert client.get("/admin/download/es.po").status_code == 200 and client.get("/admin/download/messages.pot").status_code == 200


def test_a_catalog_whose_language_header_is_another_is_refused(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    target = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    before = target.read_bytes()
    arabic = (ROOT / "locales" / "ar" / "LC_MESSAGES" / "messages.po").read_bytes()  # a valid catalog, of Arabic
    r = client.post("/admin/translations/es/", data={"csrf": csrf}, files={"file": ("ar.po", arabic)})
    assert r.status_code == 422
    assert "refused; nothing was saved" in r.text and "the header says Language: ar, but this is the catalog of es" in r.text
    assert 'name="token"' not in r.text  # nothing offered for saving
    assert target.read_bytes() == before


def test_accounts_are_added_and_removed_in_the_console_and_a_removed_account_is_signed_out(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "add", "name": "rosa", "password": "short", "role": "translator",
                                              "languages": "es"})
    assert r.status_code == 422 and "at least 12 characters" in r.text and "rosa" not in Accounts(cfg).names()
    r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "add", "name": "rosa", "password": PASSWORD, "role": "translator",
                                              "languages": ["es", "fr"]}, follow_redirects=False)
    assert r.status_code == 303
    rosa = Accounts(cfg).get("rosa")
    assert rosa is not None and rosa.role == "translator" and rosa.languages == ("es", "fr")
    stored = json.loads((cfg.data / "accounts.json").read_text())
    assert stored["ana"].startswith("scrypt$")  # an admin stays in the format before roles: an old file reads the same
    page = client.get("/admin/accounts/").text
    assert "Translator of Spanish (Español), French (Français)" in page  # names, not codes

    with TestClient(create_server_app(cfg), base_url="https://testserver") as other:
        sign_in(other, "rosa")
        assert "French" in other.get("/admin/translations/").text
        r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "role", "name": "rosa", "role": "translator", "languages": "es"},
                        follow_redirects=False)
        assert r.status_code == 303
        assert other.get("/admin/translations/fr/units").status_code == 403  # applies to the open session at once
        r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "remove", "name": "rosa"}, follow_redirects=False)
        assert r.status_code == 200 and "Yes, remove rosa" in r.text and "rosa" in Accounts(cfg).names()  # a confirm step first
        assert other.get("/admin/translations/").status_code == 200  # nothing changed: still signed in
        r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "remove", "name": "rosa", "confirm": "yes"})
        assert r.status_code == 200 and "rosa was removed" in r.text and "rosa" not in Accounts(cfg).names()
        assert not [s for s in Sessions(cfg).listing() if s.user == "rosa"]  # its sessions ended
        gone = other.get("/admin/translations/", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/admin/login"
    r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "remove", "name": "ana"})
    assert r.status_code == 422 and "only admin" in r.text and "ana" in Accounts(cfg).names()


def test_the_cli_adds_a_translator(cfg: Config) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "serve.py"), "admin", "add", "lee", "--translator", "es", "--data", str(cfg.data)],
                       input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    lee = Accounts(cfg).get("lee")
    assert lee is not None and lee.role == "translator" and lee.languages == ("es",)
    listed = subprocess.run([sys.executable, str(ROOT / "serve.py"), "admin", "list", "--data", str(cfg.data)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert "translator of es" in listed.stdout and re.search(r"ana\s+admin", listed.stdout)


def test_a_language_added_in_the_console_is_a_draft_at_zero(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    form = client.get("/admin/languages/").text
    assert '<option value="de">Deutsch — German (de)</option>' in form and 'value="es"' not in form  # native names; not twice
    assert re.search(r'<select name="tag" required[^>]*>\s*<option value="" selected>Choose a language</option>', form)  # no default pick
    options = re.findall(r'<option value="([^"]+)">[^<]* — ([^<]*) \(\1\)</option>', form)
    assert len(options) > 300 and [e.casefold() for _, e in options] == sorted(e.casefold() for _, e in options)  # by English name
    assert not [t for t, _ in options if "_" in t or t.count("-") > 1] and "apc-SY" not in form  # BCP 47, named by CLDR
    assert "Choose a language to add. It starts with nothing translated" in form and "CLDR" not in form
    found = client.get("/admin/languages/", params={"q": "kinyar"}).text  # a search box for 1000 languages
    assert re.findall(r'<option value="([^"]*)"', found) == ["", "rw", "rw-RW"] and "Ikinyarwanda — Kinyarwanda (rw)" in found
    r = client.post("/admin/languages/", data={"csrf": csrf, "tag": ""})
    assert r.status_code == 422 and "Choose a language from the list first." in r.text
    r = client.post("/admin/languages/", data={"csrf": csrf, "tag": "xx-Nowhere"})
    assert r.status_code == 422 and "not a language CLDR can name" in r.text and not (cfg.locales / "xx_Nowhere").exists()
    r = client.post("/admin/languages/", data={"csrf": csrf, "tag": "de"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Added German (Deutsch)" in page and row_percent(page, "German") == 0.0
    assert re.search(r"<td>German \(<span[^>]*>Deutsch</span>\).*?</td><td>0.0%</td><td>draft: 0 of \d+ texts reviewed</td>", page)
    po = polib.pofile(str(cfg.locales / "de" / "LC_MESSAGES" / "messages.po"))
    assert po.metadata["Language"] == "de" and po.metadata["X-Review-Status"] == "draft" and "nplurals=2" in po.metadata["Plural-Forms"]
    pot = polib.pofile(str(cfg.locales / "messages.pot"))
    assert len([e for e in po if not e.obsolete]) == len(pot) and not any(e.msgstr for e in po)
    inputs = building.load_inputs(cfg)  # the build accepts it: checks pass, German is one of its languages
    check_report(inputs)
    assert "de" in [lang.tag for lang in inputs.languages]
    assert client.post("/admin/languages/", data={"csrf": csrf, "tag": "de"}).status_code == 422


# -- one real browser: a translator's path ------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Server, Config]]:
    cfg = small_pack(tmp_path)
    Accounts(cfg).add("ana", PASSWORD)
    Accounts(cfg).add("tere", PASSWORD, "translator", ["es"])
    server = start_puente(tmp_path, "--content", str(cfg.content), "--locales", str(cfg.locales), "--workers", "1")
    yield server, cfg
    server.stop()


def browser_sign_in(page: Any, url: str, name: str) -> None:
    page.goto(url + "/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_translator_reviews_a_page_in_the_browser_and_families_see_it_without_the_draft_notice(live, browser) -> None:  # type: ignore[no-untyped-def]
    server, _cfg = live
    url = server.url
    family = browser.new_context(service_workers="block")
    family_page = family.new_page()
    family_page.goto(url + "/es/rights/")
    assert family_page.locator(".draft-notice").count() == 1  # a draft language: every page says so
    family.close()
    ctx = browser.new_context(service_workers="block")
    try:
        page = ctx.new_page()
        browser_sign_in(page, url, "tere")
        assert page.url.endswith("/admin/translations/")
        page.click("text=Edit and review")
        page.goto(url + "/admin/translations/es/units?ctx=page:rights")
        assert "5 units" in page.inner_text("main")
        unit = page.locator("div.unit", has_text=SECOND)
        unit.locator("textarea").fill("Estas páginas siguen la guía de nuestro distrito escolar, de la Ciudad y del Estado.")
        unit.get_by_role("button", name="Save and mark reviewed").click()
        page.wait_for_load_state()
        assert "Saved and marked reviewed." in page.locator("div.unit", has_text=SECOND).inner_text()
        while (left := page.locator("div.unit:not(.state-reviewed)")).count():
            left.first.get_by_role("button", name="Save and mark reviewed").click()
            page.wait_for_load_state()
        assert page.locator("div.state-reviewed").count() == 5
        page.goto(url + "/admin/translations/")
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        refused = page.request.post(url + "/admin/publish", form={"csrf": str(csrf), "confirm": "yes"})
        assert refused.status == 403  # a translator cannot publish

        admin = browser.new_context(service_workers="block")
        try:
            apage = admin.new_page()
            browser_sign_in(apage, url, "ana")
            csrf = apage.locator("input[name=csrf]").first.get_attribute("value")
            r = apage.request.post(url + "/admin/publish", form={"csrf": str(csrf), "confirm": "yes"}, timeout=300_000)
            assert r.status == 200 and "Published release" in r.text(), r.text()
            released = re.search(r"Published release (\w+)", r.text())
        finally:
            admin.close()
        deadline = time.monotonic() + 30  # the server switches to a new release within seconds
        while released and page.request.get(url + "/api/release").json().get("release") != released.group(1) and time.monotonic() < deadline:
            time.sleep(0.5)
        family = browser.new_context(service_workers="block")  # a family who never saw the page before (nothing cached)
        page = family.new_page()
        page.goto(url + "/es/rights/")
        main = page.inner_text("main")
        assert "Estas páginas siguen la guía de nuestro distrito escolar" in main
        assert page.locator(".draft-notice").count() == 0  # every unit of this page reviewed: no draft notice
        page.goto(url + "/es/rights/school/")
        assert page.locator(".draft-notice").count() == 1  # a page with units still unreviewed keeps it
        family.close()
    finally:
        ctx.close()


def test_a_language_whose_every_unit_is_reviewed_is_no_longer_a_draft(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "tere")
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    live = [e for e in po if not e.obsolete]
    for e in live[1:]:  # as a translator's tool would leave them (Poedit, Weblate keep the flag and the comment)
        e.flags.append("reviewed")
        e.tcomment = "reviewed-by: tere 2026-11-30"
    po.save()
    assert "<td>draft" in client.get("/admin/translations/").text
    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": unit_id(live[0]), "text": live[0].msgstr, "action": "review"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/admin/translations/").text
    assert re.search(r"<td>reviewed: (\d+) of \1 texts</td>", page), page
    sign_in(client, "ana")
    preview = client.get("/admin/preview/es/rights/school/").text
    assert "draft-notice" not in preview and "Conozca" in client.get("/admin/preview/es/rights/").text
    assert "draft-notice" in client.get("/admin/preview/fr/rights/school/").text  # French is still a draft


def test_publishing_an_edit_made_in_the_files_merges_it_into_every_catalog_first(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    page = cfg.content / "pages" / "rights" / "index.md"
    changed = SECOND.replace("guidance provided by", "guidance given by")
    page.write_text(page.read_text(encoding="utf-8").replace(SECOND, changed), encoding="utf-8")  # edited in the files, not the console
    r = client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 200 and "Published release" in r.text, r.text
    entry = next(e for e in es_catalog(cfg) if e.msgid == changed)
    assert entry.fuzzy and entry.previous_msgid == SECOND
    published = re.search(r"Published release (\w+)", r.text)
    deadline = time.monotonic() + 30  # the server switches to the new release within seconds
    while published and client.get("/api/release").json()["release"] != published.group(1) and time.monotonic() < deadline:
        time.sleep(0.5)
    served = client.get("/es/rights/").text
    assert re.search(r'<span lang="en">These pages follow the guidance given by', served)  # English, marked as such
    assert "Estas páginas siguen" not in served


def test_an_unreadable_catalog_is_said_in_words_without_a_server_path(client: TestClient, cfg: Config) -> None:
    sign_in(client, "tere")
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text(encoding="utf-8").replace('msgid "Puente"', 'msgid "Puente', 1), encoding="utf-8")
    r = client.get("/admin/translations/es/units")
    assert r.status_code == 422 and "Nothing can be edited until this is corrected" in r.text and "invalid catalog syntax" in r.text
    assert str(cfg.locales.parent) not in r.text and "locales/es/LC_MESSAGES/messages.po:" in r.text


# -- the polish a reviewer asked for (a non-programmer admin and a translator, on a phone) ---------------------------------


def test_a_save_from_a_filtered_list_says_what_was_saved_and_links_back_to_it(client: TestClient, cfg: Config) -> None:
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    entry = next(e for e in po if e.msgid == SECOND)
    entry.flags.append("fuzzy")
    entry.previous_msgid = "These pages follow the advice of our school district and the City of Hartford."
    po.save()
    csrf = sign_in(client, "tere")
    fuzzy = client.get("/admin/translations/es/units", params={"state": "fuzzy"}).text
    uid = unit_id(entry)
    section = fuzzy[fuzzy.index(f'id="u-{uid}"'):]
    section = section[: section.index("</form>")]
    assert "follow the <del>advice of </del><ins>guidance provided by </ins>our school " in section  # the changed words only
    rows = re.search(r'<textarea name="text" lang="es" rows="(\d+)"', section)
    assert rows and int(rows.group(1)) >= 3
    assert re.search(r'>Other texts of “[^”<]+”</a>', fuzzy) and "all of <code>" not in fuzzy
    assert "draft: 0 of" in fuzzy and "texts reviewed" in fuzzy

    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": uid, "text": entry.msgstr, "action": "save", "state": "fuzzy"})
    assert r.status_code == 200 and "0 units" in r.text  # it left the filter, but the page says what happened:
    assert "Saved: “These pages follow the guidance provided by our school…”" in r.text
    link = re.search(r'<a href="\?(q=[^"]+)">Show that text again</a>', r.text)
    assert link and uid in link.group(1)
    again = client.get("/admin/translations/es/units?" + link.group(1).replace("&amp;", "&")).text
    assert "1 unit" in again and f'id="u-{uid}"' in again
    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": uid, "text": entry.msgstr, "action": "review", "state": "fuzzy"})
    assert "Saved and marked reviewed: “These pages follow" in r.text

    r = client.post("/admin/translations/es/units", data={"csrf": csrf, "unit": uid, "text": "Vea **esto", "action": "save"})
    assert r.status_code == 422
    said = re.search(r"[Tt]ranslation of “([^”]*)”", r.text)
    assert said and said.group(1).endswith("…") and SECOND.startswith(said.group(1)[:-1])  # cut at a word, marked
    assert SECOND[len(said.group(1)) - 1] == " "


def test_a_refused_account_keeps_what_was_typed_and_says_every_problem_beside_its_field(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client, "ana")
    r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "add", "name": "ro sa", "password": "short", "role": "translator"})
    assert r.status_code == 422 and "ro sa" not in Accounts(cfg).names()
    form = r.text[r.text.index('id="add-account"'):]
    for field, words in [("name", "letters, digits"), ("password", "at least 12 characters; this one has 5"),
                         ("languages", "at least one language")]:
        m = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', form)
        assert m and words in m.group(1), field  # all three at once, each beside its field
    assert 'aria-describedby="name-error"' in form and 'aria-describedby="password-error"' in form
    assert 'value="ro sa"' in form and "short" not in form  # the name is kept; the password never
    assert re.search(r'value="translator" checked', form)
    r = client.post("/admin/accounts/", data={"csrf": csrf, "action": "add", "name": "rosa", "password": "short", "role": "translator",
                                              "languages": ["fr"]})
    form = r.text[r.text.index('id="add-account"'):]
    assert r.status_code == 422 and 'value="rosa"' in form and "name-error" not in form and "languages-error" not in form
    assert re.search(r'value="fr" checked> French \(fr\)', form) and re.search(r'value="es"> Spanish \(es\)', form)  # names, kept ticks
    assert form.index("French (fr)") < form.index("Spanish (es)")  # by English name
    assert re.search(r'<button type="submit" class="danger">Remove tere</button>', r.text)
    assert re.search(r'<button type="submit">Reset password</button>', r.text)  # distinct from Remove
    assert "<table" not in r.text and 'class="account-cards"' in r.text  # cards that fit a phone
    login = client.get("/admin/login").text
    assert "on the console's Accounts page" in login and "first admin account" in login


@pytest.mark.browser
def test_the_languages_and_accounts_pages_fit_a_phone(live, browser) -> None:  # type: ignore[no-untyped-def]
    server, _cfg = live
    ctx = browser.new_context(service_workers="block", viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        browser_sign_in(page, server.url, "ana")
        fits = "() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391).map(e => e.outerHTML.slice(0, 80))"
        wide = "() => document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
        page.goto(server.url + "/admin/languages/")
        button = page.get_by_role("button", name="Add this language")
        box = button.bounding_box()
        assert box and box["width"] < 300 and box["x"] + box["width"] <= 390  # its own width, its words visible
        assert page.evaluate(fits) == [] and page.evaluate(wide) <= 0
        page.goto(server.url + "/admin/accounts/")
        assert page.evaluate(fits) == [] and page.evaluate(wide) <= 0  # no table cut off: cards
        page.goto(server.url + "/admin/translations/es/units")
        style = page.evaluate("() => { const s = getComputedStyle(document.querySelector('textarea')); return [s.fontFamily, s.fontWeight]; }")
        assert "monospace" not in style[0] and style[1] == "400"
    finally:
        ctx.close()
