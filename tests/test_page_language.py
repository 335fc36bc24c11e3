"""Every page speaks its language: no interface string its catalog translates is left in English.

A page's text in its own language is every text node and every human-readable attribute
(aria-label, title, alt, placeholder, a meta description) outside an element marked with
another `lang` (the English shown beside a translation on the flyer and card, a fallback).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

from backend.i18n import discover

from .conftest import ROOT

READABLE_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Texts(HTMLParser):
    """Collects (text, lang) for every text node and readable attribute of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.found: list[tuple[str, str]] = []

    @property
    def lang(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang") or self.lang
        for name in READABLE_ATTRIBUTES:
            if values.get(name):
                self.found.append((str(values[name]), lang))
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.found.append((str(values["content"]), lang))
        if tag not in VOID:
            self.stack.append((tag, str(lang)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and (not self.stack or self.stack[-1][0] not in {"script", "style"}):
            self.found.append((data, self.lang))


def texts_in(html: str, page_lang: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return {" ".join(text.split()) for text, lang in parser.found if lang == page_lang}


def translated_ui(catalog: Path) -> set[str]:
    """English UI strings the catalog translates to something else (and that carry no placeholder)."""
    po = polib.pofile(str(catalog))
    return {
        e.msgid
        for e in po
        if e.msgctxt == "ui" and not (e.obsolete or e.fuzzy) and e.msgstr.strip() and e.msgstr.strip() != e.msgid and "%(" not in e.msgid
    }


LANGUAGES = [lang for lang in discover(ROOT / "locales") if not lang.is_source]


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.tag)
def test_no_translated_interface_string_is_left_in_english(release_dir: Path, lang) -> None:  # type: ignore[no-untyped-def]
    assert lang.catalog is not None
    english = translated_ui(lang.catalog)
    assert {"Quick exit", "Skip to main content"} <= english, f"{lang.tag}: the catalog should translate the page chrome"
    pages = sorted((release_dir / lang.tag).rglob("*.html"))
    names = {p.relative_to(release_dir / lang.tag).as_posix() for p in pages}
    for must in ("share/index.html", "offline/index.html", "404.html", "share/print/index.html", "share/card/index.html", "index.html"):
        assert must in names, f"{lang.tag}: {must} was not built"
    leaks = []
    for page in pages:
        shown = texts_in(page.read_text(encoding="utf-8"), lang.tag)
        for text in sorted(shown & english):
            leaks.append(f"/{lang.tag}/{page.relative_to(release_dir / lang.tag).as_posix()}: {text!r}")
    assert not leaks, "\n".join(leaks)


def test_the_walk_finds_english_where_it_leaked() -> None:
    html = '<html lang="es"><body><a href="#main">Skip to main content</a><nav aria-label="Sections"></nav><span lang="en">Quick exit</span></body></html>'
    found = texts_in(html, "es")
    assert "Skip to main content" in found and "Sections" in found and "Quick exit" not in found
