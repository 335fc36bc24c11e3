"""Lookups in one language's catalog, falling back to English unit by unit."""

from __future__ import annotations

from dataclasses import dataclass, field

import polib

from .catalogs import Catalog
from .languages import REVIEWED, SOURCE, Language, plural_index, source_language, unit_reviewed


def answer(e: polib.POEntry) -> str:
    """What a page showing this entry depends on: its translation, its plural forms, and whether a person
    reviewed it (a review drops a page's draft notice)."""
    return repr((e.msgstr, sorted(e.msgstr_plural.items()), REVIEWED in e.flags))


SHARED_CONTEXTS = ("ui", "site")  # the interface and the site's name: what pages of every language read


def shared_answers(catalog: Catalog | None) -> dict[tuple[str, str], str]:
    """{(msgctxt, msgid): answer} of the entries in SHARED_CONTEXTS (none fuzzy or obsolete): kept with a
    catalog's language, so the pages that read every language's (the chooser, the liaison page) are checked
    without reading every catalog's entries."""
    if catalog is not None and catalog.known_shared is not None:
        return catalog.known_shared
    return {key: answer(e) for key, e in Translator.of(catalog).entries.items() if key[0] in SHARED_CONTEXTS}


@dataclass(frozen=True)
class Translator:
    """Looks up translations for one language, falling back to English per unit."""

    language: Language
    entries: dict[tuple[str, str], polib.POEntry] = field(default_factory=dict)
    reviewed: frozenset[str] = frozenset()  # the contexts (msgctxt) whose every unit a person has reviewed

    @classmethod
    def of(cls, catalog: Catalog | None) -> Translator:
        """The translator of a catalog, or of the source language (English) for None."""
        if catalog is None:
            return cls(source_language())
        entries = {(e.msgctxt or "", e.msgid): e for e in catalog.po if not (e.obsolete or e.fuzzy)}
        contexts: dict[str, bool] = {}
        for e in catalog.po:
            if not e.obsolete:
                contexts[e.msgctxt or ""] = contexts.get(e.msgctxt or "", True) and unit_reviewed(e)
        return cls(catalog.language, entries, frozenset(c for c, ok in contexts.items() if ok))

    def context_reviewed(self, context: str) -> bool:
        """Whether every unit of `context` (a page's `page:ID`) is reviewed: that page carries no draft notice."""
        return self.language.is_source or self.language.reviewed or context in self.reviewed

    def unit(self, context: str, text: str) -> tuple[str, str | None]:
        """Return (text to show, None) or (English text, "en") when untranslated or fuzzy."""
        if not text or self.language.is_source:
            return text, None
        e = self.entries.get((context, text))
        if e is None or not e.msgstr.strip():
            return text, SOURCE
        return " ".join(e.msgstr.split()), None

    def text(self, context: str, text: str) -> str:
        return self.unit(context, text)[0]

    def gettext(self, message: str) -> str:
        return self.unit("ui", message)[0]

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if not self.language.is_source:
            e = self.entries.get(("ui", singular))
            if e is not None and e.msgstr_plural:
                form = plural_index(self.language.plural_forms, n)
                text = e.msgstr_plural.get(form, "")
                if text.strip():
                    return str(text)
        return singular if n == 1 else plural
