"""The plain console, over HTTP on a copy of the content (English and Spanish only, to stay fast): what will
change in words, numbered releases, confirmations the server insists on, the first publish undone to the
default content (release 0), notices that always save, adding pages and services, and no server path.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend import releases
from backend.config import Config
from backend.web.admin.auth import Accounts
from backend.web.app import create_server_app

from .conftest import ROOT, TODAY, console_client, copy_workspace, pack_copy
from .test_admin import PASSWORD, sign_in

try:  # the CLI as a package (cli/serving.py), or as one module
    from backend.cli.serving import ensure_current  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backend.cli import ensure_current

PAGE = Path("pages") / "rights" / "hartford.md"
SENTENCE = "No Hartford resident will be detained"
LONG_NOTICE = ("Free immigration legal clinic at Hartford Public Library: this is a test notice, longer than two hundred "
               "characters, to show that a long announcement with a colon, commas and an ellipsis… is saved whole, with an id "
               "that is valid.")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """English and Spanish, the default content built and served as `serve` does before any publish, one account."""
    root = tmp_path_factory.mktemp("ops")
    cfg = pack_copy(root, ("es",))
    ensure_current(cfg)
    Accounts(cfg).add("ana", PASSWORD)
    return root


@pytest.fixture
def cfg(prepared: Path, tmp_path: Path) -> Config:
    return copy_workspace(prepared, tmp_path)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with console_client(cfg) as c:
        yield c


def edit_page(cfg: Config, old: str = SENTENCE, new: str = "No Hartford resident shall be detained") -> None:
    path = cfg.content / PAGE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def publish(client: TestClient, csrf: str) -> str:
    page = client.get("/admin/publish")
    assert page.status_code == 200 and "Yes, publish" in page.text, page.text
    version = re.search(r'name="version" value="([^"]+)"', page.text)
    assert version
    r = client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes", "version": version.group(1)})
    assert r.status_code == 200 and "Published release" in r.text, r.text
    return r.text


def test_a_long_notice_is_saved_with_a_valid_unique_id(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    assert len(LONG_NOTICE) > 200
    for _ in range(2):
        r = client.post("/admin/notices/", data={"csrf": csrf, "text": LONG_NOTICE, "starts": "2026-11-20", "expires": "2026-12-20"})
        assert r.status_code == 200, r.text
        assert html.escape(LONG_NOTICE, quote=False) in r.text
    saved = tomllib.loads((cfg.content / "notices.toml").read_text(encoding="utf-8"))["notices"]
    ids = [n["id"] for n in saved]
    assert [n["text"] for n in saved] == [LONG_NOTICE, LONG_NOTICE]
    assert ids[0] == "free-immigration-legal-clinic" and ids[1] == "free-immigration-legal-clinic-2", ids
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) and len(i) <= 32 for i in ids)


def test_a_refused_notice_says_why_next_to_its_text_and_dates(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    before = (cfg.content / "notices.toml").read_text(encoding="utf-8")
    r = client.post("/admin/notices/", data={"csrf": csrf, "text": "A workshop " * 30, "starts": "2026-11-20", "expires": "2026-12-20"})
    assert r.status_code == 422
    assert re.search(r'<textarea name="text"[^>]*aria-describedby="text-error"', r.text)
    assert re.search(r'<span class="error" id="text-error">Text: 329 characters; keep it to 280 at most</span>', r.text), r.text
    r = client.post("/admin/notices/", data={"csrf": csrf, "text": "Office closed", "starts": "December 1", "expires": "2026-12-20"})
    assert r.status_code == 422
    assert '<span class="error" id="starts-error">Start date: write it like 2026-12-01</span>' in r.text
    assert "YYYY-MM-DD, without quotes" not in r.text and "'starts'" not in r.text
    assert (cfg.content / "notices.toml").read_text(encoding="utf-8") == before


def test_unconfirmed_publish_rollback_and_delete_change_nothing(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    served = releases.current_id(cfg)
    edit_page(cfg)
    r = client.post("/admin/publish", data={"csrf": csrf})
    assert r.status_code == 409 and "Nothing was published" in r.text and "Yes, publish" in r.text
    assert releases.current_id(cfg) == served and releases.history(cfg) == []
    r = client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes", "version": "an-older-look"})
    assert r.status_code == 409 and "the content changed after you looked" in r.text
    assert releases.current_id(cfg) == served

    publish(client, csrf)
    published = releases.current_id(cfg)
    assert published != served
    r = client.post("/admin/rollback", data={"csrf": csrf, "release": served})
    assert r.status_code == 409 and "Nothing was changed" in r.text and "Yes, go back to Release 0" in r.text
    assert releases.current_id(cfg) == published

    client.post("/admin/notices/", data={"csrf": csrf, "text": "Office closed on Friday", "starts": "2026-11-20", "expires": "2026-12-20"})
    notices = (cfg.content / "notices.toml").read_text(encoding="utf-8")
    r = client.post("/admin/notices/", data={"csrf": csrf, "delete": "office-closed-on-friday"})
    assert r.status_code == 409 and "Nothing was deleted" in r.text and "Yes, delete this notice" in r.text
    assert (cfg.content / "notices.toml").read_text(encoding="utf-8") == notices
    shown = client.get("/admin/notices/?delete=office-closed-on-friday")
    assert "Delete this notice?" in shown.text and 'name="confirm" value="yes"' in shown.text
    r = client.post("/admin/notices/", data={"csrf": csrf, "delete": "office-closed-on-friday", "confirm": "yes"})
    assert r.status_code == 200 and "Notice deleted" in r.text
    assert "Office closed on Friday" not in (cfg.content / "notices.toml").read_text(encoding="utf-8")


def test_the_first_publish_rolls_back_to_the_default_content(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    default = releases.current_id(cfg)
    assert default and releases.history(cfg) == []
    edit_page(cfg)
    publish(client, csrf)
    first = releases.current_id(cfg)
    assert [(h["action"], h["number"]) for h in releases.history(cfg)] == [("default", 0), ("publish", 1)]
    page = client.get("/admin/rollback")
    assert page.status_code == 200 and "Go back to Release 0?" in page.text
    cmd = [sys.executable, str(ROOT / "serve.py"), "rollback", "--content", str(cfg.content), "--locales", str(cfg.locales),
           "--data", str(cfg.data), "--today", TODAY.isoformat()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert releases.current_id(cfg) == default
    with TestClient(create_server_app(cfg)) as family:
        assert SENTENCE in family.get("/en/rights/hartford/").text
    assert releases.current_id(cfg) != first


def test_a_rolled_back_edit_shows_as_pending_against_what_is_served(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    default = releases.current_id(cfg)
    edit_page(cfg, new="No Hartford resident shall ever be detained")
    publish(client, csrf)
    assert "Nothing to publish" in client.get("/admin/").text
    r = client.post("/admin/rollback", data={"csrf": csrf, "release": default, "confirm": "yes"})
    assert r.status_code == 200 and "Release 0 is served again" in r.text
    assert releases.current_id(cfg) == default
    dashboard = client.get("/admin/").text
    assert "compared with what families see now (Release 0)" in dashboard
    assert "Hartford&#39;s immigrant rights law" in dashboard  # the page's title, not its file or URL
    assert "No Hartford resident <del>will</del> be detained" in dashboard
    assert "No Hartford resident <ins>shall ever</ins> be detained" in dashboard
    section = dashboard.split("<h3>What will change</h3>")[1].split("<h2>Releases</h2>")[0]
    assert "hartford.md" not in section and "search." not in section and "/en/rights/" not in section


def test_releases_read_in_plain_words_with_the_hash_as_a_detail(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    edit_page(cfg, new="No Hartford resident at all will be detained")
    text = publish(client, csrf)
    rid = releases.current_id(cfg)
    assert "Published release 1: 1 page changed (and the printed wallet card), in 2 languages." in text, text
    dashboard = client.get("/admin/").text
    row = re.search(r"<strong>Release 1</strong> \(families see this one\)<br>(\d{1,2} [A-Z][a-z]+ 2\d{3}, \d\d:\d\d UTC) · by ana", dashboard)
    assert row, dashboard
    assert '<td data-label="What changed">1 page changed, in 2 languages</td>' in dashboard  # the search page not counted
    assert "<strong>Release 0</strong>" in dashboard and "the default content, before the first publish" in dashboard
    assert "serve" not in re.sub(r"<[^>]+>", " ", dashboard).replace("served", "")  # not "by serve", "(built by serve)"
    assert rid and dashboard.count(rid) == dashboard.count(f"Code {rid}") + dashboard.count(f"Release code {rid}")  # only as a detail
    assert f"<details><summary>Details</summary><p class=\"hint\">Release code {rid}</p></details>" in dashboard


def test_pages_and_services_are_added_from_the_console(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    fields = {"csrf": csrf, "parent": "rights", "slug": "", "title": "Test page about clinics", "summary": "A page added in a test.",
              "as_of": "1 December", "review_by": "2027-01-01", "sources": "hps-2024", "nav": "", "order": "",
              "body": "A paragraph of the test page & its words."}
    bad = client.post("/admin/add/page", data=fields)
    assert bad.status_code == 422 and '<span class="error" id="as_of-error">Accurate as of: write it like 2026-12-01</span>' in bad.text
    assert not (cfg.content / "pages" / "rights" / "test-page-about-clinics.md").exists()
    good = client.post("/admin/add/page", data={**fields, "as_of": "2026-11-01"}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/admin/pages/rights/test-page-about-clinics/?saved=1"
    assert "A paragraph of the test page" in (cfg.content / "pages" / "rights" / "test-page-about-clinics.md").read_text()
    again = client.post("/admin/add/page", data={**fields, "as_of": "2026-11-01"})
    assert again.status_code == 422 and "there is a page at /rights/test-page-about-clinics/ already" in again.text

    service = {"csrf": csrf, "slug": "", "name": "Test legal clinic", "category": "legal", "description": "A service added in a test.",
               "phones": "", "email": "clinic at example", "website": "", "street": "", "city": "", "state": "", "postal_code": "",
               "address_label": "", "hours": "", "fees": "", "eligibility": "", "languages": "es", "verified_on": "2026-11-01"}
    bad = client.post("/admin/add/service", data=service)
    assert bad.status_code == 422 and 'id="email-error">Email: “clinic at example” is not an email address' in bad.text
    good = client.post("/admin/add/service", data={**service, "email": "clinic@example.org"}, follow_redirects=False)
    assert good.status_code == 303 and (cfg.content / "services" / "test-legal-clinic.toml").is_file()
    dashboard = client.get("/admin/").text
    assert "Test page about clinics" in dashboard and "Test legal clinic" in dashboard and "a new page" in dashboard
    assert "test page &amp; its words" in dashboard


CONSOLE_PAGES = ["/admin/", "/admin/publish", "/admin/rollback", "/admin/notices/", "/admin/notices/?delete=office-closed",
                 "/admin/translations/", "/admin/pages/rights/hartford/", "/admin/services/ciri/", "/admin/add/page", "/admin/add/service",
                 "/admin/password", "/admin/preview/en/"]


def test_no_absolute_server_path_appears_on_any_console_page(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    client.post("/admin/notices/", data={"csrf": csrf, "text": "Office closed", "starts": "2026-11-20", "expires": "2026-12-20"})
    edit_page(cfg)
    publish(client, csrf)
    edit_page(cfg, "No Hartford resident shall be detained", "No Hartford resident will ever be detained")
    secret = [str(cfg.content), str(cfg.data), str(cfg.locales), str(cfg.content.parent)]
    seen = []
    for path in CONSOLE_PAGES:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        seen.append((path, r.text))
    seen.append(("bad page edit", client.post("/admin/pages/rights/hartford/", data={"csrf": csrf, "title": "", "as_of": "x"}).text))
    po = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "broken\n', encoding="utf-8")  # an error naming the catalog's file
    broken = client.get("/admin/").text
    assert "messages.po" in broken
    seen.append(("broken catalog", broken))
    for path, text in seen:
        for s in secret:
            assert s not in text, f"{path} shows {s}"


def test_notice_ids_are_always_valid_and_unique() -> None:
    from backend.content.editing import notice_id

    assert notice_id("Free immigration legal clinic at Hartford Public Library", set()) == "free-immigration-legal-clinic"
    assert notice_id("Free immigration legal clinic at Hartford", {"free-immigration-legal-clinic"}) == "free-immigration-legal-clinic-2"
    assert notice_id("عيادة قانونية مجانية", set()) == "notice" and notice_id("!!!", {"notice"}) == "notice-2"
    assert notice_id("x" * 50, set()) == "x" * 30
    for text in ("A - B -- C", "Überall: café ouvert", "a" * 29 + " b", "2026-12-01: closed"):
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", notice_id(text, set())), text


def test_release_numbers_follow_the_history_and_read_old_records() -> None:
    old = [{"id": "a", "action": "publish"}, {"id": "b", "action": "publish"}, {"id": "a", "action": "rollback"}]
    assert releases.numbers(old) == {"a": 1, "b": 2} and releases.next_number(old) == 3
    new = [{"id": "d", "action": "default", "number": 0}, {"id": "e", "action": "publish", "number": 1}, {"id": "d", "action": "rollback"}]
    assert releases.numbers(new) == {"d": 0, "e": 1} and releases.next_number(new) == 2


def what_will_change(dashboard: str) -> str:
    return dashboard.split("<h3>What will change</h3>")[1].split("<h2>Releases</h2>")[0]


def test_what_will_change_names_each_language_english_first_and_says_what_shows_in_english(client: TestClient, cfg: Config) -> None:
    sign_in(client)
    edit_page(cfg)
    section = what_will_change(client.get("/admin/").text)
    article = section.split('<article class="change">')[1]
    assert "Hartford&#39;s immigrant rights law" in article
    english, spanish = article.index("<details open><summary>English: "), article.index("<details><summary>Spanish (Español): ")
    assert english < spanish  # English first and open, the others folded
    assert "This text will show in English in the 1 other language until it is translated again." in article
    assert "— es:" not in section and "— en:" not in section
    assert "(en\u00a0inglés)</ins>" in article  # the "shown in English" marker is one token, inside the change
    assert "Also updated behind the scenes: each language&#39;s search (2 languages)." in section
    assert "whose words stay the same" not in section and "search index" not in section
    card = section.split('<article class="change">')[2]
    assert "Wallet cards to print" in card and card.count('<div class="diff">') == 3  # each card's change shown once (Spanish: its front, its English back)
    assert "(The same change 8 times on this page.)" in card


def test_the_dashboard_speaks_plainly_and_puts_the_edits_before_the_warnings(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    edit_page(cfg, "No Hartford resident will be detained", "No Hartford resident will ever be detained")
    dashboard = client.get("/admin/").text
    served = dashboard.split("<h2>What families see now</h2>")[1].split("</p>")[0]
    assert served.endswith(" · the default content, before the first publish") and "code" not in served and "serve " not in served
    assert "compared with what families see now (the content served before any publish):" in dashboard
    assert "in place of the content served before any publish (" in client.get("/admin/publish").text
    edit_at, warnings_at = dashboard.index('<h2 id="edit">Edit the English content</h2>'), dashboard.index("<h2>Content warnings</h2>")
    assert dashboard.index("<h3>What will change</h3>") < edit_at < dashboard.index("<h2>Releases</h2>") < warnings_at
    assert edit_at < dashboard.index("<h2>Translations</h2>") < warnings_at
    warnings = dashboard[warnings_at:]
    assert "<summary>1 translation is a draft not yet reviewed by a person</summary>" in warnings
    assert warnings.count("a draft not yet reviewed by a person</li>") == 1  # the file itself, folded in the details
    assert "[[sources]]" not in dashboard
    default = releases.current_id(cfg)
    publish(client, csrf)
    after = client.get("/admin/").text
    assert re.search(r'<p id="build-progress" role="status">Last publish took [\d.]+ s\.</p>', after), after
    assert re.search(r"<details><summary>Technical details</summary><p class=\"hint\">\d+ pages rendered, \d+ reused", after)
    asked = client.get(f"/admin/rollback?release={default}").text
    assert "edit them back, or they go out with the next publish" in asked and "Go back to Release 0?" in asked
    r = client.post("/admin/rollback", data={"csrf": csrf, "release": default, "confirm": "yes"})
    assert "Edit them back, or they go out with the next publish." in r.text and "unless they are undone" not in r.text
    assert "Last publish" not in r.text and "build-progress" not in r.text  # not shown as what is served after a rollback


def test_tables_stack_as_labelled_cards_on_a_phone(client: TestClient, cfg: Config) -> None:
    sign_in(client)
    dashboard = client.get("/admin/").text
    table = dashboard.split("<h2>Translations</h2>")[1].split("</table>")[0]
    assert '<table class="stack">' in table
    for label in ("Translated", "Fuzzy", "Untranslated", "Percent", "Review"):
        assert f'<td data-label="{label}">' in table
    css = client.get("/admin/admin.css").text
    block = css.split("polish-ops")[1]
    assert "@media (max-width: 40rem)" in block and "content: attr(data-label)" in block and "table.stack tr" in block


def test_the_edit_page_speaks_plainly_and_links_preview_and_dashboard(client: TestClient, cfg: Config) -> None:
    sign_in(client)
    page = client.get("/admin/pages/rights/hartford/?saved=1").text
    assert "Sources: which of the district&#39;s sources this page cites" in page and "ids, comma-separated" not in page
    assert "Position in its section (1 = first)" in page and "Order among its siblings" not in page
    assert "<details><summary>How to format text</summary>" in page
    assert "<summary>The district's sources and their short names</summary>" in page and "<li><strong>hps-2024</strong>: Hartford" in page
    saved = page.split('<p class="ok" role="status">')[1].split("</p>")[0]
    assert '<a href="/admin/preview/en/rights/hartford/">' in saved and '<a href="/admin/">the dashboard</a>' in saved
    assert client.get("/admin/preview/en/rights/hartford/").status_code == 200
    assert "label input, label textarea, label select { font-weight: 400; }" in client.get("/admin/admin.css").text


def test_notices_show_dates_in_words_and_delete_is_a_real_button(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    client.post("/admin/notices/", data={"csrf": csrf, "text": "Office closed on Friday", "starts": "2026-11-20", "expires": "2026-12-01"})
    page = client.get("/admin/notices/").text
    assert '<td data-label="From" class="date">20 November 2026</td><td data-label="Until" class="date">1 December 2026</td>' in page
    assert re.search(r'<form method="get" action="/admin/notices/"><input type="hidden" name="delete" value="office-closed-on-friday">'
                     r'<button type="submit" class="delete"[^>]*>Delete…</button></form>', page), page
    assert "button.delete { min-width: 48px; min-height: 48px; }" in client.get("/admin/admin.css").text
    confirm = client.get("/admin/notices/?delete=office-closed-on-friday").text
    assert "Shown from 20 November 2026 to 1 December 2026." in confirm


FITS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const main = document.querySelector("main");
  if (main.scrollWidth > main.clientWidth + 1) out.push(`main scrolls sideways: ${main.scrollWidth} px in ${main.clientWidth}`);
  for (const cell of document.querySelectorAll("table td, table th")) {
    const r = cell.getBoundingClientRect();
    if (r.width && r.right > width + 1) out.push(`${cell.dataset.label || cell.textContent.trim().slice(0, 20)} ends at ${Math.round(r.right)} px`);
  }
  for (const b of document.querySelectorAll("button.delete")) {
    const r = b.getBoundingClientRect();
    if (r.width < 48 || r.height < 48) out.push(`Delete button ${r.width}x${r.height}`);
  }
  return out;
}"""


def test_the_dashboard_and_notices_fit_a_phone_in_chromium(client: TestClient, cfg: Config, browser: Any) -> None:
    csrf = sign_in(client)
    client.post("/admin/notices/", data={"csrf": csrf, "text": "Office closed on Friday", "starts": "2026-11-20", "expires": "2026-12-01"})
    css = client.get("/admin/admin.css").text
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=True)
    try:
        page = ctx.new_page()
        for path in ("/admin/", "/admin/notices/"):
            body = client.get(path).text.replace('<link rel="stylesheet" href="/admin/admin.css">', f"<style>{css}</style>")
            page.set_content(body)
            assert page.evaluate(FITS) == [], path
            assert page.locator("table.stack tbody tr").count() >= 1
    finally:
        ctx.close()
