"""Languages and translation: which languages exist, what CLDR says of them, and lookups.

A language is enabled by the presence of `locales/<tag>/LC_MESSAGES/messages.po`
(the tag written with `_`, as gettext does: `fa_AF`, `zh_Hans`); English is the
source language and always present. Nothing else names the list.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError

from . import markup
from .errors import Collector, ContentError, ContentErrors

SOURCE = "en"
REVIEW_HEADER = "X-Review-Status"  # "reviewed" once a person has checked the catalog; anything else is a draft
NAME_HEADER = "X-Language-Name"  # overrides CLDR's native name where speakers call it otherwise


@dataclass(frozen=True)
class Language:
    tag: str  # BCP 47, as in URLs: "es", "fa-AF", "zh-Hans"
    native_name: str
    english_name: str
    dir: str  # "ltr" or "rtl"
    reviewed: bool
    catalog: Path | None  # None for the source language
    plural_forms: str = "nplurals=2; plural=(n != 1);"

    @property
    def is_source(self) -> bool:
        return self.catalog is None


def _locale(tag: str) -> Locale:
    return Locale.parse(tag.replace("-", "_"))


def source_language() -> Language:
    loc = _locale(SOURCE)
    return Language(SOURCE, loc.get_display_name(SOURCE) or SOURCE, "English", "ltr", True, None)


def read_catalog(path: Path) -> polib.POFile:
    """Given a .po file, return it parsed; raise ContentError naming the file and line."""
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ContentError(f"not valid UTF-8 ({e.reason})", path, line) from None
    try:
        return polib.pofile(raw.decode("utf-8"), wrapwidth=0)
    except (OSError, ValueError, UnicodeError) as e:
        msg = str(e)
        m = re.search(r"line (\d+)", msg)
        raise ContentError(f"invalid catalog syntax: {msg}", path, int(m.group(1)) if m else 1) from None


def language_of(path: Path, po: polib.POFile) -> Language:
    tag = path.parent.parent.name.replace("_", "-")
    try:
        loc = _locale(tag)
    except (UnknownLocaleError, ValueError):
        raise ContentError(f"unknown language {tag!r} (the folder name must be a language tag such as es or pt_BR)", path) from None
    native = po.metadata.get(NAME_HEADER) or loc.get_display_name(loc) or tag
    english = loc.get_display_name("en") or tag
    rtl = loc.character_order == "right-to-left"
    reviewed = po.metadata.get(REVIEW_HEADER, "").strip().lower() == "reviewed"
    plural = po.metadata.get("Plural-Forms") or ""
    return Language(tag, native[:1].upper() + native[1:], english, "rtl" if rtl else "ltr", reviewed, path, plural)


def discover(locales: Path) -> list[Language]:
    """Given the locales directory, return the source language then every catalog's, sorted by tag."""
    found = [source_language()]
    problems = Collector()
    for path in sorted(Path(locales).glob("*/LC_MESSAGES/messages.po")):
        try:
            found.append(language_of(path, read_catalog(path)))
        except ContentError as e:
            problems.catch(e)
    problems.raise_if_any()
    return found


def plural_index(plural_forms: str, n: int) -> int:
    """Given a Plural-Forms header, return which plural form `n` takes."""
    m = re.search(r"plural\s*=\s*(.+?);?\s*$", plural_forms)
    if not m:
        return 0 if n == 1 else 1
    return int(gettext.c2py(m.group(1))(n))  # the standard library's safe C-expression compiler


@dataclass
class Translator:
    """Looks up translations for one language, falling back to English per unit."""

    language: Language
    entries: dict[tuple[str, str], polib.POEntry] = field(default_factory=dict)

    @classmethod
    def for_language(cls, language: Language) -> Translator:
        if language.catalog is None:
            return cls(language)
        po = read_catalog(language.catalog)
        entries = {}
        for e in po:
            if e.obsolete or e.fuzzy:
                continue
            entries[(e.msgctxt or "", e.msgid)] = e
        return cls(language, entries)

    def unit(self, context: str, text: str) -> tuple[str, str | None]:
        """Return (text to show, None) or (English text, "en") when untranslated or fuzzy."""
        if not text:
            return text, None
        if self.language.is_source:
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
                    return text
        return singular if n == 1 else plural


def validate_translations(language: Language) -> None:
    """Raise ContentErrors for translations that drop, add or change links or bold, or add markup."""
    if language.catalog is None:
        return
    po = read_catalog(language.catalog)
    problems = Collector()
    for e in po:
        if e.obsolete or e.fuzzy or not e.msgstr:
            continue
        if e.msgctxt == "ui":
            if "<" in e.msgstr and "<" not in e.msgid:
                problems.add("raw HTML is not allowed in a translation", language.catalog, e.linenum)
            continue
        try:
            markup.validate_inline(e.msgstr)
        except ContentError as err:
            problems.add(f"translation of {e.msgid[:40]!r}: {err.problem.message}", language.catalog, e.linenum)
            continue
        try:
            want, got = markup.signature(e.msgid), markup.signature(e.msgstr)
        except ContentError:
            continue
        if want[0] != got[0]:
            problems.add(
                f"translation changes the links of its source: expected targets {list(want[0])}, found {list(got[0])}",
                language.catalog,
                e.linenum,
            )
        elif want[1:] != got[1:]:
            problems.add("translation drops or adds bold or emphasis of its source", language.catalog, e.linenum)
    problems.raise_if_any()


__all__ = [
    "ContentError",
    "ContentErrors",
    "Language",
    "Translator",
    "discover",
    "plural_index",
    "validate_translations",
]
