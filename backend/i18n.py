"""Languages and translation: which languages exist, what CLDR says of them, and lookups.

A language is enabled by the presence of `locales/<tag>/LC_MESSAGES/messages.po`
(the tag written with `_`, as gettext does: `fa_AF`, `zh_Hans`); English is the
source language and always present. Nothing else names the list.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError

from . import markup
from .errors import Collector, ContentError, ContentErrors, Problem

SOURCE = "en"
# What a line of a .po file may be (polib itself forgives an unterminated string; msgfmt does not).
_PO_LINE = re.compile(
    r'^\s*(?:$|#.*|(?:#~\s*)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*)$'
)
REVIEW_HEADER = "X-Review-Status"  # "reviewed" once a person has checked the catalog; anything else is a draft
NAME_HEADER = "X-Language-Name"  # overrides CLDR's native name where speakers call it otherwise
ENGLISH_NAME_HEADER = "X-Language-Name-English"  # and its English name


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
    text = raw.decode("utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not _PO_LINE.match(line):
            raise ContentError(f"invalid catalog syntax: {line[:60]!r} is not a comment, keyword or quoted string", path, number)
    try:
        return polib.pofile(text, wrapwidth=0)
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
    english = po.metadata.get(ENGLISH_NAME_HEADER) or loc.get_display_name("en") or tag
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
    return int(_plural_function(m.group(1))(n))


@functools.lru_cache(maxsize=64)
def _plural_function(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)  # the standard library's safe C-expression compiler


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


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_LONE_PERCENT = re.compile(r"%(?!\(\w+\)[sd]|%)")


def nplurals(plural_forms: str) -> int | None:
    m = re.search(r"nplurals\s*=\s*(\d+)", plural_forms or "")
    return int(m.group(1)) if m else None


def catalog_problems(path: Path) -> list[Problem]:
    """Every problem of one catalog, each at its line: syntax, encoding, plural forms,
    and translations that drop, add or change a link target, bold span or placeholder, or add markup."""
    try:
        po = read_catalog(path)
    except ContentError as e:
        return e.problems
    problems: list[Problem] = []

    def add(message: str, line: int | None) -> None:
        problems.append(Problem(str(path), line, message))

    header = po.metadata.get("Plural-Forms", "")
    n = nplurals(header)
    if n is None:
        add("the header has no valid Plural-Forms (e.g. nplurals=2; plural=(n != 1);)", 1)
    else:
        try:  # every count the app could show: an expression that fails for one of them would crash a build
            forms = {plural_index(header, count) for count in range(1001)}
        except (ValueError, SyntaxError):
            add(f"Plural-Forms has an expression gettext cannot read: {header!r}", 1)
        except ArithmeticError:
            add(f"Plural-Forms divides by zero for some numbers: {header!r}", 1)
        else:
            if any(not 0 <= form < n for form in forms):
                add(f"Plural-Forms picks form {max(forms, key=abs)} for some number, but the header declares nplurals={n}", 1)
    lines = path.read_text(encoding="utf-8").splitlines()

    def msgstr_line(entry: polib.POEntry) -> int:
        """The line of the entry's msgstr, where a translator has to look."""
        for number in range(max(entry.linenum - 1, 0), min(len(lines), entry.linenum + 200)):
            if lines[number].startswith("msgstr"):
                return number + 1
        return entry.linenum

    charset = po.metadata.get("Content-Type", "")
    if "charset=utf-8" not in charset.lower().replace(" ", ""):
        add(f"the header must declare Content-Type: text/plain; charset=UTF-8, not {charset!r}", 1)
    for e in po:
        if e.obsolete or e.fuzzy:
            continue
        if e.msgid_plural:
            if n is not None and e.msgstr_plural and len(e.msgstr_plural) != n and any(e.msgstr_plural.values()):
                add(f"{len(e.msgstr_plural)} plural forms, but the header declares nplurals={n}", msgstr_line(e))
            texts = [t for t in e.msgstr_plural.values() if t]
        else:
            texts = [e.msgstr] if e.msgstr else []
        for text in texts:
            problem = _translation_problem(e, text)
            if problem:
                add(problem, msgstr_line(e))
                break
    return problems


def _translation_problem(e: polib.POEntry, text: str) -> str | None:
    want = set(_PLACEHOLDER.findall(e.msgid))
    got = set(_PLACEHOLDER.findall(text))
    if want != got:
        return f"placeholders differ from the source: expected {sorted(want)}, found {sorted(got)}"
    if e.msgctxt == "ui" or e.msgid_plural:
        if "<" in text or "&" in text and "&" not in e.msgid:
            return "raw HTML is not allowed in a translation"
        if _LONE_PERCENT.search(text):
            return "a lone '%' in a translation; write %% for a percent sign"
        return None
    try:
        markup.validate_inline(text)
        want_sig, got_sig = markup.signature(e.msgid), markup.signature(text)
    except ContentError as err:
        return f"translation of {e.msgid[:40]!r}: {err.problem.message}"
    if want_sig[0] != got_sig[0]:
        return f"translation changes the links of its source: expected targets {list(want_sig[0])}, found {list(got_sig[0])}"
    if want_sig[1:] != got_sig[1:]:
        return "translation drops or adds bold or emphasis of its source"
    return None


def validate_translations(language: Language) -> None:
    """Raise ContentErrors listing every problem of the language's catalog."""
    if language.catalog is not None:
        problems = catalog_problems(language.catalog)
        if problems:
            raise ContentErrors(problems)


@dataclass(frozen=True)
class Status:
    language: Language
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def status(language: Language) -> Status:
    """How complete a language's catalog is."""
    if language.catalog is None:
        return Status(language, 0, 0, 0)
    po = read_catalog(language.catalog)
    live = [e for e in po if not e.obsolete]
    fuzzy = sum(1 for e in live if e.fuzzy)
    translated = sum(1 for e in live if e.translated())
    return Status(language, translated, fuzzy, len(live) - translated - fuzzy)


__all__ = [
    "ContentError",
    "ContentErrors",
    "Language",
    "Translator",
    "discover",
    "plural_index",
    "catalog_problems",
    "status",
    "validate_translations",
]
