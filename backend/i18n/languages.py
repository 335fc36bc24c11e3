"""Languages: what CLDR says of each (native name, direction) and its plural rule.

A language is enabled by the presence of `locales/<tag>/LC_MESSAGES/messages.po`
(the tag written with `_`, as gettext does: `fa_AF`, `zh_Hans`); English is the
source language and always present. Nothing else names the list.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError

from ..errors import ContentError

SOURCE = "en"
REVIEW_HEADER = "X-Review-Status"  # "reviewed" once a person has checked the catalog; anything else is a draft
REVIEWED = "reviewed"  # the flag (`#, reviewed`) of a unit a person has checked, beside a `# reviewed-by: NAME DATE` comment
CATALOG_HEADER = {  # the headers messages.pot and every catalog made from it start with
    "Project-Id-Version": "Puente",
    "Report-Msgid-Bugs-To": "",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}
NAME_HEADER = "X-Language-Name"  # overrides CLDR's native name where speakers call it otherwise
ENGLISH_NAME_HEADER = "X-Language-Name-English"  # and its English name
NUMBERING_HEADER = "X-Numbering-System"  # the digits the catalog's pages use (CLDR's name: latn, arabext, ...)
LOCALE_DATA_HEADER = "X-Locale-Data"  # what CLDR (Babel) lacks for the language, and what the catalog supplies instead

# The digits of each numbering system a catalog may declare (CLDR's names).
DIGITS = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
    "beng": "০১২৩৪৫৬৭৮৯",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
    "tibt": "༠༡༢༣༤༥༦༧༨༩",
}


@dataclass(frozen=True)
class Language:
    tag: str  # BCP 47, as in URLs: "es", "fa-AF", "zh-Hans"
    native_name: str
    english_name: str
    dir: str  # "ltr" or "rtl"
    reviewed: bool
    catalog: Path | None  # None for the source language
    plural_forms: str = "nplurals=2; plural=(n != 1);"
    numbering: str = "latn"  # the digits its pages use: a key of DIGITS

    @property
    def is_source(self) -> bool:
        return self.catalog is None


def _locale(tag: str) -> Locale:
    return Locale.parse(tag.replace("-", "_"))


def source_language() -> Language:
    loc = _locale(SOURCE)
    return Language(SOURCE, loc.get_display_name(SOURCE) or SOURCE, "English", "ltr", True, None)


def language_of(path: Path, po: polib.POFile) -> Language:
    tag = path.parent.parent.name.replace("_", "-")
    try:
        loc = _locale(tag)
    except (UnknownLocaleError, ValueError):
        raise ContentError(f"unknown language {tag!r} (the folder name must be a language tag such as es or pt_BR)", path) from None
    native = po.metadata.get(NAME_HEADER) or loc.get_display_name(loc) or tag
    english = po.metadata.get(ENGLISH_NAME_HEADER) or loc.get_display_name("en") or tag
    rtl = loc.character_order == "right-to-left"
    reviewed = po.metadata.get(REVIEW_HEADER, "").strip().lower() == "reviewed" or every_unit_reviewed(po)
    plural = po.metadata.get("Plural-Forms") or ""
    numbering = po.metadata.get(NUMBERING_HEADER, "").strip() or "latn"
    return Language(tag, native[:1].upper() + native[1:], english, "rtl" if rtl else "ltr", reviewed, path, plural, numbering)


def unit_reviewed(entry: polib.POEntry) -> bool:
    """Whether a person reviewed this unit's translation as it stands (translated, not fuzzy, flagged reviewed)."""
    return REVIEWED in entry.flags and not entry.fuzzy and entry.translated()


def every_unit_reviewed(po: polib.POFile) -> bool:
    """Whether every live unit of a catalog is reviewed: the language is no longer a draft."""
    live = [e for e in po if not e.obsolete]
    return bool(live) and all(unit_reviewed(e) for e in live)


def plural_index(plural_forms: str, n: int) -> int:
    """Given a Plural-Forms header, return which plural form `n` takes."""
    m = re.search(r"plural\s*=\s*(.+?);?\s*$", plural_forms)
    if not m:
        return 0 if n == 1 else 1
    return int(_plural_function(m.group(1))(n))


@functools.lru_cache(maxsize=64)
def _plural_function(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)  # the standard library's safe C-expression compiler




def nplurals(plural_forms: str) -> int | None:
    m = re.search(r"nplurals\s*=\s*(\d+)", plural_forms or "")
    return int(m.group(1)) if m else None
