"""Catalogs: each .po file parsed once into a Catalog, and everything asked of it.

    load_catalogs(locales)   every catalog present, parsed once; problems at file:line
    problems_in(catalog)     syntax, plural forms, the Language header, and translations that change links,
                             bold or placeholders, carry control characters or are far longer than their source
    status_of(catalog)       translated, fuzzy, untranslated
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polib

from ..content import markup
from ..errors import Collector, ContentError, ContentErrors, Problem
from .languages import DIGITS, NUMBERING_HEADER, Language, language_of, nplurals, plural_index, source_language, unit_reviewed

# What a line of a .po file may be (polib itself forgives an unterminated string; msgfmt does not).
_PO_LINE = re.compile(
    r'^\s*(?:$|#.*|(?:#~\s*)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*)$'
)


class Catalog:
    """One parsed .po file: its language, entries and lines. Read it, never change it.

    `Catalog.later(path, language, load)` is one whose entries are read only when first asked for (a
    publish at a state's scale needs the language of every catalog, but the entries only of those that
    changed; build/inputs.py keeps parsed catalogs and their languages apart)."""

    __slots__ = ("_lines", "_load", "_po", "known_shared", "known_status", "language", "path")

    def __init__(self, path: Path, po: polib.POFile, lines: tuple[str, ...], language: Language):
        self.path, self.language = path, language
        self._po: polib.POFile | None = po
        self._lines: tuple[str, ...] | None = lines
        self._load: Callable[[], Catalog] | None = None
        self.known_status: Status | None = None  # status_of's answer, when kept with the language
        self.known_shared: dict[tuple[str, str], str] | None = None  # translator.shared_answers', kept with the language

    @classmethod
    def later(cls, path: Path, language: Language, load: Callable[[], Catalog], status: Status | None = None,
              shared: dict[tuple[str, str], str] | None = None) -> Catalog:
        catalog = cls.__new__(cls)
        catalog.path, catalog.language, catalog._po, catalog._lines, catalog._load = path, language, None, None, load
        catalog.known_status, catalog.known_shared = status, shared
        return catalog

    def _loaded(self) -> tuple[polib.POFile, tuple[str, ...]]:
        if self._po is None or self._lines is None:
            assert self._load is not None
            full = self._load()
            self._po, self._lines, self._load = full.po, full.lines, None
        return self._po, self._lines

    @property
    def po(self) -> polib.POFile:
        return self._loaded()[0]

    @property
    def lines(self) -> tuple[str, ...]:
        return self._loaded()[1]

    def __getstate__(self) -> tuple[Path, Language, polib.POFile, tuple[str, ...]]:
        po, lines = self._loaded()
        return self.path, self.language, po, lines

    def __setstate__(self, state: tuple[Path, Language, polib.POFile, tuple[str, ...]]) -> None:
        self.path, self.language, self._po, self._lines = state
        self._load, self.known_status, self.known_shared = None, None, None


def read_catalog(path: Path) -> polib.POFile:
    """Given a .po file, return it parsed; raise ContentError naming the file and line."""
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ContentError(f"not valid UTF-8 ({e.reason})", path, line) from None
    text = raw.decode("utf-8")
    for number, source_line in enumerate(text.split("\n"), 1):  # before splitlines(), which also splits at some controls
        bad = _control_character(source_line.removesuffix("\r"))
        if bad:
            raise ContentError(f"a control character ({bad}) is not allowed in a catalog", path, number)
    for number, source_line in enumerate(text.splitlines(), 1):
        if not _PO_LINE.match(source_line):
            raise ContentError(f"invalid catalog syntax: {source_line[:60]!r} is not a comment, keyword or quoted string", path, number)
    try:
        return polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError, UnicodeError) as e:
        msg = str(e)
        m = re.search(r"line (\d+)", msg)
        raise ContentError(f"invalid catalog syntax: {msg}", path, int(m.group(1)) if m else 1) from None


def parse_catalog(path: Path) -> Catalog:
    """Given a .po file, return its Catalog; raise ContentError naming the file and line."""
    po = read_catalog(path)
    return Catalog(path, po, tuple(path.read_text(encoding="utf-8").splitlines()), language_of(path, po))


def load_catalogs(locales: Path) -> list[Catalog]:
    """Every catalog in the locales directory, sorted by tag; raise ContentErrors listing unreadable ones."""
    found = []
    problems = Collector()
    for path in sorted(Path(locales).glob("*/LC_MESSAGES/messages.po")):
        try:
            found.append(parse_catalog(path))
        except ContentError as e:
            problems.catch(e)
    problems.raise_if_any()
    return found


def discover(locales: Path) -> list[Language]:
    """Given the locales directory, return the source language then every catalog's, sorted by tag."""
    return [source_language(), *(c.language for c in load_catalogs(locales))]


def catalog_problems(path: Path) -> list[Problem]:
    """Every problem of the catalog file at `path` (see problems_in)."""
    try:
        return problems_in(parse_catalog(path))
    except ContentError as e:
        return e.problems


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_LONE_PERCENT = re.compile(r"%(?!\(\w+\)[sd]|%)")
# A translation this much longer than its source is a pasted file or a mistake, never a translation:
# one such msgstr made every Spanish page 1.96 MB.
LONGER_THAN_SOURCE, LONG_TRANSLATION = 20, 2000


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's category Cc, all of it (a test checks it against unicodedata)


def _control_character(text: str, allowed: str = "\t") -> str | None:
    """The first control character of `text` that is not in `allowed`, written U+XXXX; None if there is none."""
    for m in _CONTROL.finditer(text):
        if m.group() not in allowed:
            return f"U+{ord(m.group()):04X}"
    return None


def _tag(value: str) -> str:
    return value.strip().replace("_", "-").lower()


def problems_in(catalog: Catalog) -> list[Problem]:
    """Every problem of one catalog, each at its line: encoding, plural forms, and translations
    that drop, add or change a link target, bold span or placeholder, or add markup."""
    po, path = catalog.po, catalog.path
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
    lines = catalog.lines

    def msgstr_line(entry: polib.POEntry) -> int:
        """The line of the entry's msgstr, where a translator has to look."""
        for number in range(max(entry.linenum - 1, 0), min(len(lines), entry.linenum + 200)):
            if lines[number].startswith("msgstr"):
                return number + 1
        return int(entry.linenum)

    numbering = po.metadata.get(NUMBERING_HEADER, "latn").strip()
    if numbering not in DIGITS:
        add(f"{NUMBERING_HEADER}: {numbering!r} is not a numbering system the app knows ({', '.join(DIGITS)})", 1)
    charset = po.metadata.get("Content-Type", "")
    if "charset=utf-8" not in charset.lower().replace(" ", ""):
        add(f"the header must declare Content-Type: text/plain; charset=UTF-8, not {charset!r}", 1)
    declared = po.metadata.get("Language", "")
    if declared.strip() and _tag(declared) != _tag(catalog.language.tag):
        line = next((i for i, text in enumerate(lines, 1) if text.startswith('"Language:')), 1)
        add(f"the header says Language: {declared.strip()}, but this is the catalog of {catalog.language.tag}", line)
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
    bad = _control_character(text, allowed="\t\n")
    if bad:
        return f"a control character ({bad}) is not allowed in a translation"
    source = max(len(e.msgid), len(e.msgid_plural or ""))
    if len(text) >= LONG_TRANSLATION and len(text) > LONGER_THAN_SOURCE * source:
        return (f"the translation is {len(text):,} characters, more than {LONGER_THAN_SOURCE} times its source "
                f"({source:,}): a pasted file or a mistake, never a translation")
    want = set(_PLACEHOLDER.findall(e.msgid))
    got = set(_PLACEHOLDER.findall(text))
    if want != got:
        return f"placeholders differ from the source: expected {sorted(want)}, found {sorted(got)}"
    if e.msgctxt == "ui" or e.msgid_plural:
        if "<" in text or ("&" in text and "&" not in e.msgid):
            return "raw HTML is not allowed in a translation"
        if _LONE_PERCENT.search(text):
            return "a lone '%' in a translation; write %% for a percent sign"
        return None
    try:
        markup.validate_inline(text)
        want_sig, got_sig = markup.signature(e.msgid), markup.signature(text)
    except ContentError as err:
        return f"translation of “{_first_words(e.msgid)}”: {err.problem.message}"
    if want_sig[0] != got_sig[0]:
        return f"translation changes the links of its source: expected targets {list(want_sig[0])}, found {list(got_sig[0])}"
    if want_sig[1:] != got_sig[1:]:
        return "translation drops or adds bold or emphasis of its source"
    return None


@dataclass(frozen=True)
class Status:
    language: Language
    translated: int
    fuzzy: int
    untranslated: int
    reviewed: int = 0  # of the translated, those a person has reviewed

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def status_of(catalog: Catalog) -> Status:
    """How complete a catalog is."""
    if catalog.known_status is not None:
        return catalog.known_status
    live = [e for e in catalog.po if not e.obsolete]
    fuzzy = sum(1 for e in live if e.fuzzy)
    translated = sum(1 for e in live if e.translated())
    reviewed = sum(1 for e in live if unit_reviewed(e))
    return Status(catalog.language, translated, fuzzy, len(live) - translated - fuzzy, reviewed)


def raise_problems(catalogs: list[Catalog]) -> None:
    """Raise ContentErrors listing every problem of every catalog."""
    problems = [p for c in catalogs for p in problems_in(c)]
    if problems:
        raise ContentErrors(problems)


def _first_words(text: str, limit: int = 50) -> str:
    """`text` cut at a word boundary near `limit` characters, "…" marking what was left off."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;:.") + "…"
