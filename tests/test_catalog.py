"""gettext catalogs: the template is current, Spanish is a complete draft and says so,
translations can't change links or add markup, and missing ones fall back per unit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polib
import pytest

from backend.build import build
from backend.config import Config
from backend.content import load
from backend.errors import ContentError
from backend.i18n import discover, parse_catalog, raise_problems
from backend.i18n.extract import extract, follow_source, make_pot, merge

from .conftest import ROOT, make_config

ES = ROOT / "locales" / "es" / "LC_MESSAGES" / "messages.po"


def test_messages_pot_is_up_to_date(tmp_path: Path) -> None:
    """Fails when content or templates changed without `python serve.py extract`: the entries, their comments and
    their places in the source are what a publish compares (follow_source), and every console or publish over the
    repository's own content would rewrite all the catalogs."""
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    cfg = make_config(tmp_path, locales=tmp_path / "locales")
    fresh = make_pot(load(cfg.content), cfg)
    committed = polib.pofile(str(ROOT / "locales" / "messages.pot"))
    as_set = lambda po: {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if not e.obsolete}  # noqa: E731
    assert as_set(fresh) == as_set(committed), "run `python serve.py extract`"
    assert follow_source(cfg) == {}, "the places or comments of some units moved: run `python serve.py extract`"


def test_pot_has_one_unit_per_block_with_context_and_comment() -> None:
    pot = polib.pofile(str(ROOT / "locales" / "messages.pot"))
    by_ctx: dict[str, list[polib.POEntry]] = {}
    for e in pot:
        assert e.msgctxt, e.msgid
        assert e.comment, e.msgid
        assert e.occurrences, e.msgid
        by_ctx.setdefault(e.msgctxt, []).append(e)
    hartford = [e.msgid for e in by_ctx["page:rights/hartford"]]
    assert "No Hartford resident will be detained by the HPD solely because of immigration status." in hartford
    assert any(e.msgid == "Classroom WISE" or "Classroom WISE" in e.msgid for e in by_ctx["page:staff"])
    assert {"service:ciri", "category", "site", "ui"} <= set(by_ctx)
    assert any(e.msgid_plural for e in by_ctx["ui"])


def test_spanish_is_complete_and_marked_as_an_unreviewed_draft() -> None:
    po = polib.pofile(str(ES))
    assert po.metadata["X-Review-Status"] == "draft"
    assert po.metadata["Language"] == "es"
    live = [e for e in po if not e.obsolete]
    assert [e.msgid for e in live if not e.translated()] == []
    assert [e.msgid for e in live if e.fuzzy] == []
    pot = polib.pofile(str(ROOT / "locales" / "messages.pot"))
    assert {(e.msgctxt, e.msgid) for e in pot} == {(e.msgctxt, e.msgid) for e in live}
    raise_problems([parse_catalog(next(lang for lang in discover(ROOT / "locales") if lang.tag == "es").catalog)])


def test_spanish_pages_say_they_are_a_draft_and_link_to_english(release_dir: Path) -> None:
    html = (release_dir / "es" / "rights" / "hartford" / "index.html").read_text()
    assert 'class="notice draft-notice"' in html
    assert 'href="/en/rights/hartford/"' in html
    english = (release_dir / "en" / "rights" / "hartford" / "index.html").read_text()
    assert "draft-notice" not in english


def test_spanish_pages_are_in_spanish(release_dir: Path) -> None:
    html = (release_dir / "es" / "index.html").read_text()
    assert '<html lang="es" dir="ltr">' in html
    assert "inmigración" in html
    assert "fallback-tag" not in html, "a complete catalog shows no English fallback"


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", dest)
    return dest


def _edit(po_path: Path, msgid_part: str, change) -> int:  # type: ignore[no-untyped-def]
    po = polib.pofile(str(po_path), wrapwidth=0)
    entry = next(e for e in po if msgid_part in e.msgid)
    change(entry)
    po.save()
    start = polib.pofile(str(po_path)).find(entry.msgid, msgctxt=entry.msgctxt).linenum
    lines = po_path.read_text().splitlines()
    return next(n + 1 for n in range(start - 1, len(lines)) if lines[n].startswith("msgstr"))  # where the translator looks


@pytest.mark.parametrize(
    "msgid_part, mutate, message",
    [
        ("passed a law [protecting", lambda e: setattr(e, "msgstr", e.msgstr.replace("](#)", "](https://evil.example/)")), "changes the links"),
        ("passed a law [protecting", lambda e: setattr(e, "msgstr", re.sub(r"\[(.*?)\]\(#\)", r"\1", e.msgstr)), "changes the links"),
        ("does not collect immigration status information", lambda e: setattr(e, "msgstr", e.msgstr.replace("**", "")), "bold"),
        ("Residents will NOT be reported", lambda e: setattr(e, "msgstr", e.msgstr + " <script>alert(1)</script>"), "raw HTML"),
        ("Quick exit", lambda e: setattr(e, "msgstr", "<b>Salida</b>"), "raw HTML"),
    ],
)
def test_a_translation_that_changes_links_or_adds_markup_stops_the_build(
    locales_copy: Path, tmp_path: Path, msgid_part: str, mutate, message: str  # type: ignore[no-untyped-def]
) -> None:
    po_path = locales_copy / "es" / "LC_MESSAGES" / "messages.po"
    line = _edit(po_path, msgid_part, mutate)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "serve.py"), "build", "--out", str(out), "--public-url", "http://127.0.0.1:8000", "--locales", str(locales_copy)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert f"messages.po:{line}: " in proc.stderr and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_broken_catalog_syntax_is_reported_with_its_line(locales_copy: Path) -> None:
    po_path = locales_copy / "es" / "LC_MESSAGES" / "messages.po"
    lines = po_path.read_text().splitlines()
    lines.insert(30, 'msgstr "dangling')
    po_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as info:
        discover(locales_copy)
    assert "messages.po" in str(info.value)


def test_missing_translation_falls_back_to_english_for_that_unit_only(locales_copy: Path, tmp_path: Path) -> None:
    po_path = locales_copy / "es" / "LC_MESSAGES" / "messages.po"
    _edit(po_path, "No Hartford resident will be detained", lambda e: setattr(e, "msgstr", ""))
    _edit(po_path, "Hartford residents have access to city services", lambda e: e.flags.append("fuzzy"))
    cfg = make_config(tmp_path, locales=locales_copy)
    build(cfg, tmp_path / "out")
    html = (tmp_path / "out" / "es" / "rights" / "hartford" / "index.html").read_text()
    assert '<span lang="en">No Hartford resident will be detained by the HPD solely because of immigration status.</span>' in html
    assert '<span lang="en">Hartford residents have access to city services regardless of immigration status.</span>' in html
    assert html.count('class="fallback-tag">en inglés</span>') == 2
    assert "residentes de Hartford" in html  # the rest of the page is still Spanish


def test_extract_merges_new_changed_and_removed_strings(tmp_path: Path, copy_content: Path, locales_copy: Path) -> None:
    page = copy_content / "pages" / "rights" / "hartford.md"
    text = page.read_text()
    text = text.replace("No Hartford resident will be detained by the HPD solely", "No Hartford resident will ever be detained by the HPD solely")
    text = text.replace("- Hartford residents have access to city services regardless of immigration status.\n", "")
    text += "\nA brand new paragraph.\n"
    page.write_text(text)
    cfg = make_config(tmp_path, content=copy_content, locales=locales_copy)
    report = extract(cfg)
    assert report["es"]["new"] == 1 and report["es"]["fuzzy"] == 1 and report["es"]["obsolete"] == 1
    po = polib.pofile(str(locales_copy / "es" / "LC_MESSAGES" / "messages.po"))
    changed = po.find("No Hartford resident will ever be detained by the HPD solely because of immigration status.", msgctxt="page:rights/hartford")
    assert changed is not None and changed.fuzzy and changed.msgstr
    assert changed.previous_msgid.startswith("No Hartford resident will be detained")
    new = po.find("A brand new paragraph.", msgctxt="page:rights/hartford")
    assert new is not None and new.msgstr == ""
    assert any(e.obsolete and e.msgid.startswith("Hartford residents have access") for e in po)
    assert po.metadata["X-Review-Status"] == "draft"
    # and the build still works, showing English for what is not translated yet
    build(cfg, tmp_path / "out")


def test_merge_keeps_translations_of_unchanged_strings() -> None:
    pot = polib.POFile()
    pot.append(polib.POEntry(msgctxt="ui", msgid="Hello", occurrences=[("a", "1")]))
    po = polib.POFile()
    po.append(polib.POEntry(msgctxt="ui", msgid="Hello", msgstr="Hola", occurrences=[("a", "1")]))
    counts = merge(po, pot)
    assert counts == {"new": 0, "fuzzy": 0, "obsolete": 0, "kept": 1}
    assert po[0].msgstr == "Hola"


def _plural_entry(msgid: str) -> polib.POEntry:
    return polib.POEntry(msgctxt="ui", msgid=msgid, msgid_plural=msgid + "s", msgstr_plural={0: "", 1: ""}, occurrences=[("a", "1")])


@pytest.mark.parametrize("tag, forms", [("ar", 6), ("pl", 3), ("ht", 1), ("es", 2)])
def test_merge_writes_as_many_plural_slots_as_the_language_has_forms(locales_copy: Path, tag: str, forms: int) -> None:
    """A new plural entry gets nplurals msgstr[n] (not the template's 2), and an old one is padded or trimmed to it."""
    path = locales_copy / tag / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    old = next(e for e in po if e.msgid_plural)
    old.msgstr_plural = {0: old.msgstr_plural[0], 1: old.msgstr_plural.get(1, old.msgstr_plural[0])}  # as the old merge left it
    pot = polib.POFile(wrapwidth=0)
    pot.metadata = {"POT-Creation-Date": "2026-12-01 12:00+0000"}
    pot.append(_plural_entry("%(num)d new thing"))
    pot.append(polib.POEntry(msgctxt="ui", msgid=old.msgid, msgid_plural=old.msgid_plural, msgstr_plural={0: "", 1: ""}, occurrences=[("b", "2")]))
    merge(po, pot)
    po.save(str(path))
    again = polib.pofile(str(path))
    for msgid in ("%(num)d new thing", old.msgid):
        entry = again.find(msgid, msgctxt="ui")
        assert sorted(entry.msgstr_plural) == list(range(forms)), (tag, msgid, entry.msgstr_plural)
    text = path.read_text()
    assert text.count("msgstr[") == 2 * forms
    assert again.metadata["POT-Creation-Date"] == "2026-12-01 12:00+0000"
    proc = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


def test_merge_completes_the_header_tools_expect_and_keeps_a_translators() -> None:
    po = polib.POFile()
    po.metadata = {"Language": "de", "Plural-Forms": "nplurals=2; plural=(n != 1);", "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE"}
    pot = polib.POFile()
    pot.metadata = {"POT-Creation-Date": "2026-12-01 12:00+0000"}
    merge(po, pot)
    meta = po.metadata
    assert meta["POT-Creation-Date"] == meta["PO-Revision-Date"] == "2026-12-01 12:00+0000"
    assert meta["Last-Translator"] and "FULL NAME" not in meta["Last-Translator"]
    assert {"Project-Id-Version", "Language-Team", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"} <= set(meta)
    kept = polib.POFile()
    kept.metadata = {"PO-Revision-Date": "2026-11-30 10:00+0000", "Last-Translator": "A. Person <a@example.org>"}
    merge(kept, pot)
    assert kept.metadata["PO-Revision-Date"] == "2026-11-30 10:00+0000" and kept.metadata["Last-Translator"] == "A. Person <a@example.org>"


def test_merge_keeps_a_fuzzy_entrys_previous_text_and_old_obsolete_entries() -> None:
    po = polib.POFile()
    fuzzy = polib.POEntry(msgctxt="ui", msgid="Hello there", msgstr="Hola", flags=["fuzzy"], previous_msgctxt="ui", previous_msgid="Hello")
    gone = polib.POEntry(msgctxt="ui", msgid="Old", msgstr="Viejo", obsolete=True)
    po.extend([fuzzy, gone])
    pot = polib.POFile()
    pot.append(polib.POEntry(msgctxt="ui", msgid="Hello there", occurrences=[("a", "1")]))
    merge(po, pot)
    entry = po.find("Hello there", msgctxt="ui")
    assert entry.fuzzy and entry.previous_msgid == "Hello", "a translator still sees what changed (#|)"
    assert any(e.obsolete and e.msgid == "Old" for e in po)


def test_follow_source_reads_nothing_when_nothing_changed_and_follows_every_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every publish and console page asks; at a state's scale loading the content takes a second. Unchanged
    files (by size, time and inode) are not read again; an English edit, or a messages.pot put back by hand,
    is followed at once."""
    from backend.i18n import extract as extracting

    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    cfg = make_config(tmp_path, content=tmp_path / "content", locales=tmp_path / "locales")
    assert follow_source(cfg) == {}
    real = extracting.extract

    def refuse(*args: object, **kwargs: object) -> dict[str, dict[str, int]]:
        raise AssertionError("the source was read again although nothing changed")

    monkeypatch.setattr(extracting, "extract", refuse)
    assert follow_source(cfg) == {}
    monkeypatch.setattr(extracting, "extract", real)

    school = cfg.content / "pages" / "rights" / "school.md"
    text = school.read_text(encoding="utf-8")
    school.write_text(text.replace("\n\n", "\n\nA sentence the test added.\n\n", 1), encoding="utf-8")
    report = follow_source(cfg)
    assert report["es"]["new"] == 1, report
    assert "A sentence the test added." in (cfg.locales / "es" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert follow_source(cfg) == {}

    pot = cfg.locales / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8").replace('msgid "A sentence the test added."', 'msgid "Gone."'), encoding="utf-8")
    follow_source(cfg)
    assert 'msgid "A sentence the test added."' in pot.read_text(encoding="utf-8")

    # an edit saved while extract reads (its time set back, as a copy that keeps times would): not trusted after
    old = time.time() - 3600
    for path in [*cfg.content.rglob("*"), pot]:
        os.utime(path, (old, old))
    assert follow_source(cfg) == {} and (cfg.data / "cache" / "followed-source").is_file()
    (cfg.data / "cache" / "followed-source").unlink()

    def edited_meanwhile(cfg: Config, only_if_changed: bool = False) -> dict[str, dict[str, int]]:
        report = real(cfg, only_if_changed)
        school.write_text(text.replace("\n\n", "\n\nA third sentence the test added.\n\n", 1), encoding="utf-8")
        os.utime(school, (old, old))
        return report

    monkeypatch.setattr(extracting, "extract", edited_meanwhile)
    assert follow_source(cfg) == {}  # it read the source before the edit
    monkeypatch.setattr(extracting, "extract", real)
    assert not (cfg.data / "cache" / "followed-source").exists(), "trusted a source that changed while it was read"
    follow_source(cfg)
    assert "A third sentence the test added." in (cfg.locales / "es" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
