"""The admin console: nothing without a session, CSRF on every form, rate-limited sign-in,
edits validated like the build, catalog uploads checked before saving, and an audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from starlette.testclient import TestClient

from backend import releases
from backend.config import Config
from backend.web.admin.auth import COOKIE, Accounts
from backend.web.admin.limits import Limiter

from .conftest import ROOT, console_client, copy_workspace, make_config, pack_copy

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Content, catalogs and a data directory with one published release and an account: built once."""
    root = tmp_path_factory.mktemp("admin")
    cfg = pack_copy(root)
    releases.publish(cfg, "setup")
    Accounts(cfg).add("ana", PASSWORD)
    return root


@pytest.fixture
def cfg(prepared: Path, tmp_path: Path) -> Config:
    return copy_workspace(prepared, tmp_path)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with console_client(cfg) as c:
        yield c


def login(client: TestClient, name: str = "ana", password: str = PASSWORD) -> Any:
    """POST the sign-in form as a browser does: with the CSRF token of the form it was shown."""
    form = client.get("/admin/login")
    m = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert m, form.text
    return client.post("/admin/login", data={"name": name, "password": password, "csrf": m.group(1)}, follow_redirects=False)


def sign_in(client: TestClient, name: str = "ana", password: str = PASSWORD) -> str:
    r = login(client, name, password)
    assert r.status_code == 303, r.text
    page = client.get("/admin/")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m
    return m.group(1)


ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/pages/rights/hartford/"),
    ("POST", "/admin/pages/rights/hartford/"),
    ("GET", "/admin/services/ciri/"),
    ("POST", "/admin/services/ciri/"),
    ("GET", "/admin/notices/"),
    ("POST", "/admin/notices/"),
    ("GET", "/admin/translations/"),
    ("POST", "/admin/translations/es/"),
    ("GET", "/admin/download/es.po"),
    ("GET", "/admin/download/messages.pot"),
    ("GET", "/admin/preview/es/"),
    ("POST", "/admin/publish"),
    ("POST", "/admin/rollback"),
    ("POST", "/admin/logout"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_nothing_answers_without_a_session(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, data={"csrf": "x"}, follow_redirects=False)
    if method == "GET":
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    else:
        assert r.status_code == 403
    assert "Hartford" not in r.text and "msgid" not in r.text


def test_sign_in_sets_a_strict_cookie_only_under_admin(client: TestClient) -> None:
    r = login(client)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert cookie.startswith(f"{COOKIE}=")
    for flag in ("HttpOnly", "Path=/admin/", "SameSite=strict", "Secure"):
        assert flag.lower() in cookie.lower(), cookie
    assert "Dashboard" in client.get("/admin/").text
    assert "set-cookie" not in client.get("/es/").headers


def test_password_is_stored_only_as_a_memory_hard_hash(cfg: Config) -> None:
    stored = (cfg.data / "accounts.json").read_text()
    assert PASSWORD not in stored and '"scrypt$16384$8$1$' in stored
    assert (cfg.data / "accounts.json").stat().st_mode & 0o077 == 0


def test_wrong_csrf_token_is_refused_and_changes_nothing(client: TestClient, cfg: Config) -> None:
    sign_in(client)
    before = (cfg.content / "notices.toml").read_text()
    r = client.post("/admin/notices/", data={"csrf": "forged", "text": "Hello", "starts": "2026-11-01", "expires": "2026-12-01"})
    assert r.status_code == 403
    assert (cfg.content / "notices.toml").read_text() == before
    r = client.post("/admin/publish", data={})
    assert r.status_code == 403


def test_sixth_rapid_wrong_password_is_refused_even_when_right(client: TestClient, cfg: Config) -> None:
    for _ in range(5):
        assert login(client, password="wrong password!").status_code == 401
    r = login(client)
    assert r.status_code == 429 and COOKIE not in r.headers.get("set-cookie", "")
    assert int(r.headers["retry-after"]) > 0
    Limiter(cfg).flush()
    tally = [a for a in releases.read_audit(cfg) if a["action"] == "login-failures"]
    assert len(tally) == 1 and tally[0]["failed"] == 5 and tally[0]["refused"] == 1
    assert tally[0]["accounts"] == {"ana": {"failed": 5, "refused": 1}}


def test_per_client_limit_spans_accounts(client: TestClient) -> None:
    for n in range(20):
        login(client, f"guess{n}", "nope nope nope")
    r = login(client)
    assert r.status_code == 429


def test_sign_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client)
    client.post("/admin/logout", data={"csrf": csrf})
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_edit_a_page_with_errors_beside_the_field(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    form = client.get("/admin/pages/rights/hartford/").text
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    import html

    fields = {k: html.unescape(re.search(rf'name="{k}" value="([^"]*)"', form).group(1)) for k in
              ("title", "nav", "summary", "as_of", "review_by", "sources", "order")}
    bad = client.post("/admin/pages/rights/hartford/", data={**fields, "csrf": csrf, "body": html.unescape(body) + "\n<script>x</script>\n"})
    assert bad.status_code == 422
    assert 'id="body-error"' in bad.text and "raw HTML" in bad.text
    bad_date = client.post("/admin/pages/rights/hartford/", data={**fields, "csrf": csrf, "review_by": "next year", "body": html.unescape(body)})
    assert bad_date.status_code == 422 and 'id="review_by-error"' in bad_date.text
    original = (cfg.content / "pages" / "rights" / "hartford.md").read_text()
    good = client.post(
        "/admin/pages/rights/hartford/",
        data={**fields, "csrf": csrf, "body": html.unescape(body).replace("No Hartford resident", "No Hartford resident at all")},
        follow_redirects=False,
    )
    assert good.status_code == 303
    saved = (cfg.content / "pages" / "rights" / "hartford.md").read_text()
    assert saved != original and "No Hartford resident at all" in saved
    dashboard = client.get("/admin/").text
    assert "Hartford&#39;s immigrant rights law" in dashboard and "<ins>at all</ins>" in dashboard  # pending changes name the page, show the words
    assert any(a["action"] == "edit-page" for a in releases.read_audit(cfg))


def test_edit_a_service_validates_phone_and_email(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    form = client.get("/admin/services/iris/").text
    assert "(203) 562-2095" in form or "203" in form
    import html

    def value(name: str) -> str:
        m = re.search(rf'name="{name}" value="([^"]*)"', form)
        return html.unescape(m.group(1)) if m else ""

    fields = {k: value(k) for k in ("name", "email", "website", "street", "city", "state", "postal_code", "hours", "languages", "verified_on", "address_label")}
    fields["category"] = "case-management"
    fields["description"] = html.unescape(re.search(r'<textarea name="description"[^>]*>(.*?)</textarea>', form, re.S).group(1))
    fields["phones"] = "562-2095 | Hartford office"
    fields["email"] = "info at iris"
    r = client.post("/admin/services/iris/", data={**fields, "csrf": csrf})
    assert r.status_code == 422
    assert 'id="phones-error"' in r.text and 'id="email-error"' in r.text
    assert "203" in (cfg.content / "services" / "iris.toml").read_text()


def test_notice_is_added_translated_and_shown_on_every_page(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    r = client.post("/admin/notices/", data={"csrf": csrf, "text": "Know your rights workshop on Saturday", "starts": "2026-11-20",
                                              "expires": "2026-12-05"})
    assert r.status_code == 200 and "Know your rights workshop on Saturday" in r.text
    bad = client.post("/admin/notices/", data={"csrf": csrf, "text": "Oops", "starts": "2026-12-05", "expires": "2026-11-01"})
    assert bad.status_code == 422 and "End date: must be on or after the start date" in bad.text
    from backend.i18n.extract import extract

    extract(cfg)
    po_path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(po_path), wrapwidth=0)
    entry = po.find("Know your rights workshop on Saturday", msgctxt="notice")
    assert entry is not None
    entry.msgstr = "Taller sobre sus derechos el sábado"
    po.save()
    client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes"})
    current = cfg.releases / releases.current_id(cfg)
    for page in ("es/index.html", "es/services/ciri/index.html", "es/rights/hartford/index.html"):
        assert "Taller sobre sus derechos el sábado" in (current / page).read_text()
    assert "Know your rights workshop on Saturday" in (current / "ar" / "index.html").read_text()  # English until translated


def test_hostile_po_upload_is_refused_with_its_line_and_nothing_saved(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    before = path.read_bytes()
    hostile = before.replace('msgstr "Salida rápida"'.encode(), b'msgstr "<img src=x onerror=alert(1)>"')
    line = hostile.split(b"<img")[0].count(b"\n") + 1
    r = client.post("/admin/translations/es/", data={"csrf": csrf}, files={"file": ("es.po", hostile, "text/x-gettext-translation")})
    assert r.status_code == 422
    assert f"line {line}: raw HTML" in r.text
    assert "<img src=x" not in r.text  # shown escaped, never as markup
    assert path.read_bytes() == before
    assert not list((cfg.data / "uploads").glob("*")) if (cfg.data / "uploads").exists() else True
    assert any(a["action"] == "upload-catalog-refused" for a in releases.read_audit(cfg))


def test_valid_po_upload_shows_a_summary_then_saves(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    path = cfg.locales / "es" / "LC_MESSAGES" / "messages.po"
    changed = path.read_bytes().replace('msgstr "Salida rápida"'.encode(), 'msgstr "Salir rápido"'.encode())
    r = client.post("/admin/translations/es/", data={"csrf": csrf}, files={"file": ("es.po", changed, "text/plain")})
    assert r.status_code == 200 and "1 translations changed" in r.text
    assert "Salida rápida" in path.read_text()  # not saved until confirmed
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', r.text).group(1)
    r = client.post("/admin/translations/es/", data={"csrf": csrf, "token": token, "sha256": sha})
    assert r.status_code == 200 and "Saved the Spanish (Español) catalog" in r.text
    assert "Salir rápido" in path.read_text()
    assert any(a["action"] == "upload-catalog" for a in releases.read_audit(cfg))


def test_oversized_upload_is_refused(client: TestClient) -> None:
    csrf = sign_in(client)
    r = client.post("/admin/translations/es/", data={"csrf": csrf}, files={"file": ("es.po", b"#" * (3 * 1024 * 1024), "text/plain")})
    assert r.status_code == 413


def test_download_catalogs_for_translators(client: TestClient) -> None:
    sign_in(client)
    r = client.get("/admin/download/es.po")
    assert r.status_code == 200 and 'msgid "Quick exit"' in r.text
    assert client.get("/admin/download/messages.pot").status_code == 200
    assert client.get("/admin/download/..%2f..%2fetc%2fpasswd").status_code == 404


def test_preview_shows_pending_content_as_families_will_see_it(client: TestClient, cfg: Config) -> None:
    sign_in(client)
    page = cfg.content / "pages" / "rights" / "hartford.md"
    page.write_text(page.read_text().replace("No Hartford resident will be detained", "PREVIEW MARKER No Hartford resident will be detained"))
    r = client.get("/admin/preview/en/rights/hartford/")
    assert r.status_code == 200 and "PREVIEW MARKER" in r.text
    assert 'href="/admin/preview/en/' in r.text  # links stay inside the preview
    assert "PREVIEW MARKER" not in client.get("/en/rights/hartford/").text  # families don't see it yet


def test_publish_and_roll_back_from_the_console(client: TestClient, cfg: Config) -> None:
    csrf = sign_in(client)
    first = releases.current_id(cfg)
    page = cfg.content / "pages" / "rights" / "hartford.md"
    page.write_text(page.read_text().replace("No Hartford resident will be detained", "No Hartford resident shall be detained"))
    r = client.post("/admin/publish", data={"csrf": csrf, "confirm": "yes"})
    assert "Published release" in r.text
    second = releases.current_id(cfg)
    assert second != first
    r = client.post("/admin/rollback", data={"csrf": csrf, "release": first, "confirm": "yes"})
    assert "is served again" in r.text and releases.current_id(cfg) == first
    actions = [(a["who"], a["action"]) for a in releases.read_audit(cfg)]
    assert ("ana", "login") in actions and ("ana", "publish") in actions and ("ana", "rollback") in actions


def test_admin_add_from_stdin(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(ROOT / "serve.py"), "admin", "add", "rosa", "--data", str(tmp_path)],
                          input="a long enough password\n", capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Accounts(make_config(tmp_path).with_(data=tmp_path)).check("rosa", "a long enough password")
    short = subprocess.run([sys.executable, str(ROOT / "serve.py"), "admin", "add", "rosa", "--data", str(tmp_path)],
                           input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and "12 characters" in short.stderr


def test_the_dashboard_renders_nothing_again_while_nothing_changed(cfg: Config, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's checks and "what would change" are kept per version of the files: a second GET starts
    no job (each job, in a child process, parses the catalogs and renders the release)."""
    from backend.web.admin import base

    jobs: list[str] = []
    real = base.run_in_child
    monkeypatch.setattr(base, "run_in_child", lambda fn, *args: jobs.append(fn.__name__) or real(fn, *args))
    sign_in(client)
    assert client.get("/admin/").status_code == 200
    assert jobs == ["working_state"], "the first visit works out what publishing would change"
    jobs.clear()
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/translations/").status_code == 200
    assert jobs == [], "nothing changed: nothing is parsed or rendered again"
    page = cfg.content / "pages" / "rights" / "hartford.md"
    page.write_text(page.read_text(encoding="utf-8").replace("No Hartford resident", "No Hartford City resident"), encoding="utf-8")
    text = client.get("/admin/").text
    assert jobs == ["working_state"] and "rights/hartford" in text, "an edit is seen at once"


def _where_am_i() -> dict[str, Any]:
    import os
    import sys
    import threading

    return {"pid": os.getpid(), "parent": os.getppid(), "nice": os.nice(0), "threads": threading.active_count(),
            "main": getattr(sys.modules["__main__"], "__file__", None)}


def test_console_jobs_run_in_a_low_priority_process_forked_from_a_clean_fork_server() -> None:
    """Each job is a process of its own, at a lower priority, with no thread but its own; both jobs are forked
    by the same fork server (started once, without the caller's threads or main script), not by the caller."""
    import os
    import threading

    from backend.web.admin.work import NICENESS, run_in_child

    threading.Thread(target=threading.Event().wait, args=(5,), daemon=True).start()  # the caller runs threads, as the server does
    first, second = run_in_child(_where_am_i), run_in_child(_where_am_i)
    assert os.getpid() not in (first["pid"], second["pid"]) and first["pid"] != second["pid"]
    assert first["parent"] == second["parent"] != os.getpid(), "forked by the fork server, not by the caller"
    assert first["threads"] == second["threads"] == 1
    assert first["nice"] == min(os.nice(0) + NICENESS, 19)
    assert first["main"] is None or "pytest" not in first["main"], "the caller's main script is not run again"
