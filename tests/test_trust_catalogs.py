"""Translations are text, never markup: hostile catalogs by admin upload and by the CLI, checked in the
HTML that is served; control characters and overlong translations refused at file:line; an upload bound
to its language and its bytes."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend import releases
from backend.config import Config
from backend.web.admin.auth import Accounts
from backend.web.app import create_server_app

from .conftest import ROOT, TODAY, console_client, copy_workspace, pack_copy
from .test_admin import login

PASSWORD = "correct horse battery staple"
HOSTILE = 'Secciones" onmouseover="alert(1)" data-pwn="1'
SECTIONS = 'msgctxt "ui"\nmsgid "Sections"\nmsgstr "Secciones"\n'


def po_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def with_ui(po: str, msgstr: str) -> str:
    """The catalog with the nav's label ("Sections", an aria-label on every page) translated as `msgstr`."""
    assert SECTIONS in po
    return po.replace(SECTIONS, f'msgctxt "ui"\nmsgid "Sections"\nmsgstr "{msgstr}"\n')


class Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.nav_labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.update(name for name, _ in attrs)
        if tag == "nav" and ("class", "site-nav") in attrs:
            self.nav_labels.append(dict(attrs).get("aria-label") or "")


def assert_inert(html: str) -> bool:
    """No part of the hostile label became an attribute; where the page has the nav, the label is its whole
    aria-label, as text. Return whether the page has the nav."""
    parsed = Attributes()
    parsed.feed(html)
    assert not parsed.names & {"onmouseover", "data-pwn"}, parsed.names
    assert parsed.nav_labels in ([], [HOSTILE]), parsed.nav_labels
    if parsed.nav_labels:
        assert 'aria-label="Secciones&#34; onmouseover=&#34;alert(1)&#34; data-pwn=&#34;1"' in html
    return bool(parsed.nav_labels)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Content, two catalogs (es, ar) and a data directory with one published release and an account."""
    root = tmp_path_factory.mktemp("trust-catalogs")
    cfg = pack_copy(root, ("es", "ar"), files=("messages.pot",))
    releases.publish(cfg, "setup")
    Accounts(cfg).add("ana", PASSWORD)
    return root


@pytest.fixture
def cfg(prepared: Path, tmp_path: Path) -> Config:
    return copy_workspace(prepared, tmp_path)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with console_client(cfg) as c:
        assert login(c, "ana", PASSWORD).status_code == 303
        yield c


def csrf_of(client: TestClient) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/translations/").text)
    assert m
    return m.group(1)


def staged(page: str) -> tuple[str, str]:
    """The token and SHA-256 of a checked upload, from the confirmation form."""
    token = re.search(r'name="token" value="([^"]+)"', page)
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page)
    assert token, page
    return token.group(1), sha.group(1) if sha else ""


def upload(client: TestClient, tag: str, data: bytes) -> Any:
    return client.post(f"/admin/translations/{tag}/", data={"csrf": csrf_of(client)}, files={"file": ("messages.po", data, "text/plain")})


def catalog(cfg: Config, tag: str) -> Path:
    return cfg.locales / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def cli(cfg: Config, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "serve.py"), *args, "--content", str(cfg.content), "--locales", str(cfg.locales),
           "--data", str(cfg.data), "--today", TODAY.isoformat()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


# -- a translated UI string is text in every context, attributes included --------------------------------


def test_a_hostile_ui_translation_uploaded_in_the_console_is_served_inert(client: TestClient, cfg: Config) -> None:
    hostile = with_ui(catalog(cfg, "es").read_text(encoding="utf-8"), po_string(HOSTILE)).encode()
    checked = upload(client, "es", hostile)
    assert checked.status_code == 200, checked.text  # a quote is text: a valid translation
    token, sha = staged(checked.text)
    assert sha == hashlib.sha256(hostile).hexdigest()
    saved = client.post("/admin/translations/es/", data={"csrf": csrf_of(client), "token": token, "sha256": sha})
    assert "Saved the Spanish (Español) catalog" in saved.text
    published = client.post("/admin/publish", data={"csrf": csrf_of(client), "confirm": "yes"})
    assert "Published release" in published.text, published.text
    served = cfg.releases / str(releases.current_id(cfg))
    with_nav = [assert_inert(page.read_text(encoding="utf-8")) for page in sorted(served.glob("es/**/*.html"))]
    assert sum(with_nav) > 20
    source = create_server_app(cfg)  # what the server now sends, not only what is on disk
    with TestClient(source) as families:
        for path in ("/es/", "/es/services/", "/es/rights/hartford/"):
            response = families.get(path)
            assert response.status_code == 200
            assert assert_inert(response.text)


def test_a_hostile_ui_translation_published_from_the_cli_is_served_inert(cfg: Config) -> None:
    path = catalog(cfg, "es")
    path.write_text(with_ui(path.read_text(encoding="utf-8"), po_string(HOSTILE)), encoding="utf-8")
    check = cli(cfg, "check")
    assert check.returncode == 0, check.stderr
    published = cli(cfg, "publish", "--as", "ana")
    assert published.returncode == 0, published.stderr
    with TestClient(create_server_app(cfg)) as families:
        for page in ("/es/", "/es/about/", "/es/search/"):
            response = families.get(page)
            assert response.status_code == 200
            assert assert_inert(response.text)


# -- what check and the upload refuse, at file:line ------------------------------------------------------------


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_control_character_rule_is_unicodes_category_cc() -> None:
    """The catalogs' fast rule (a regular expression) names exactly the characters Unicode calls Cc."""
    import unicodedata

    from backend.i18n.catalogs import _control_character

    for code in range(0x110000):
        ch = chr(code)
        expected = f"U+{code:04X}" if unicodedata.category(ch) == "Cc" and ch != "\t" else None
        assert _control_character("ab" + ch) == expected, hex(code)


@pytest.mark.parametrize("bad, shown", [("Secci\x00ones", "U+0000"), ("Secci\x1bones", "U+001B"), ("Secciones\x7f", "U+007F")])
def test_check_refuses_a_raw_control_character_at_its_line(cfg: Config, bad: str, shown: str) -> None:
    path = catalog(cfg, "es")
    text = with_ui(path.read_text(encoding="utf-8"), bad)
    path.write_text(text, encoding="utf-8")
    result = cli(cfg, "check")
    assert result.returncode == 1
    assert f"{path}:{line_of(text, bad)}: a control character ({shown}) is not allowed" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_an_escaped_control_character_in_a_translation(cfg: Config) -> None:
    path = catalog(cfg, "es")
    text = with_ui(path.read_text(encoding="utf-8"), "Secci\\bones")  # \b: polib turns it into U+0008
    path.write_text(text, encoding="utf-8")
    result = cli(cfg, "check")
    assert result.returncode == 1
    assert f"{path}:{line_of(text, 'Secci')}: a control character (U+0008)" in result.stderr, result.stderr


def test_check_refuses_a_translation_far_longer_than_its_source(cfg: Config) -> None:
    path = catalog(cfg, "es")
    text = with_ui(path.read_text(encoding="utf-8"), "Secciones " * 250)  # 2,500 characters for "Sections" (8)
    path.write_text(text, encoding="utf-8")
    result = cli(cfg, "check")
    assert result.returncode == 1
    assert f"{path}:{line_of(text, 'Secciones Secciones')}: the translation is 2,500 characters" in result.stderr, result.stderr


def test_a_long_translation_of_a_long_source_is_fine(cfg: Config) -> None:
    """The rule is "far longer than its source": a 2,000-character msgstr of a long paragraph is a translation."""
    from backend.i18n.catalogs import LONG_TRANSLATION, LONGER_THAN_SOURCE, parse_catalog, problems_in

    path = catalog(cfg, "es")
    po = path.read_text(encoding="utf-8")
    assert LONGER_THAN_SOURCE == 20 and LONG_TRANSLATION == 2000
    path.write_text(with_ui(po, "S" * 170), encoding="utf-8")  # 21 times "Sections", but short
    assert problems_in(parse_catalog(path)) == []


def test_the_console_refuses_an_upload_with_a_nul_or_a_megabyte_msgstr(client: TestClient, cfg: Config) -> None:
    before = catalog(cfg, "es").read_bytes()
    po = before.decode()
    nul = with_ui(po, "Secci\x00ones")
    r = upload(client, "es", nul.encode())
    assert r.status_code == 422 and f"line {line_of(nul, 'Secci')}: a control character (U+0000)" in r.text, r.text
    huge = with_ui(po, "x" * 1_900_000)
    r = upload(client, "es", huge.encode())
    assert r.status_code == 422 and f"line {line_of(huge, 'xxxx')}: the translation is 1,900,000 characters" in r.text
    assert catalog(cfg, "es").read_bytes() == before
    assert not any((cfg.data / "uploads").glob("*.po")) if (cfg.data / "uploads").is_dir() else True


# -- an upload is bound to its language and its bytes ------------------------------------------------------


def test_an_upload_checked_for_one_language_cannot_be_saved_as_another(client: TestClient, cfg: Config) -> None:
    arabic = catalog(cfg, "ar").read_bytes()
    spanish = catalog(cfg, "es").read_text(encoding="utf-8").replace('msgstr "Secciones"', 'msgstr "Apartados"').encode()
    checked = upload(client, "es", spanish)
    assert checked.status_code == 200
    token, sha = staged(checked.text)
    crossed = client.post("/admin/translations/ar/", data={"csrf": csrf_of(client), "token": token, "sha256": sha})
    assert crossed.status_code == 400 and "checked as the es catalog, not the ar one" in crossed.text
    assert catalog(cfg, "ar").read_bytes() == arabic
    assert "Secciones" in catalog(cfg, "es").read_text(encoding="utf-8")  # and nothing went to es either


def test_a_confirmation_saves_only_the_bytes_that_were_checked(client: TestClient, cfg: Config) -> None:
    before = catalog(cfg, "es").read_bytes()
    checked = upload(client, "es", before.decode().replace('msgstr "Secciones"', 'msgstr "Apartados"').encode())
    token, sha = staged(checked.text)
    kept = cfg.data / "uploads" / f"{token}.po"
    kept.write_bytes(kept.read_bytes().replace(b"Apartados", b"<b>x</b>"))  # changed after the check
    r = client.post("/admin/translations/es/", data={"csrf": csrf_of(client), "token": token, "sha256": sha})
    assert r.status_code == 400 and "not the file that was checked" in r.text
    assert client.post("/admin/translations/es/", data={"csrf": csrf_of(client), "token": token}).status_code == 400  # no hash: no save
    assert catalog(cfg, "es").read_bytes() == before


def test_a_catalog_whose_language_header_names_another_language_is_refused(client: TestClient, cfg: Config) -> None:
    arabic = catalog(cfg, "ar").read_bytes()
    spanish = catalog(cfg, "es").read_text(encoding="utf-8")
    r = upload(client, "ar", spanish.encode())
    assert r.status_code == 422
    line = line_of(spanish, '"Language:')
    assert f"line {line}: the header says Language: es, but this is the catalog of ar" in r.text, r.text
    assert catalog(cfg, "ar").read_bytes() == arabic
    catalog(cfg, "ar").write_text(spanish, encoding="utf-8")  # the same mistake made by copying files
    result = cli(cfg, "check")
    assert result.returncode == 1 and f"{catalog(cfg, 'ar')}:{line}: the header says Language: es" in result.stderr, result.stderr
