"""Dates and numbers as each language writes them: its month names, its date pattern, its digits.

CLDR (through Babel) has long dates for most languages, but not for all: it has no Haitian
Creole month names or date pattern (Babel prints "2024 M12 17") and no Kinyarwanda date
pattern. So the catalogs carry a date as translatable units, twelve month names and one
pattern, and a catalog that translates them is followed; CLDR is the fallback for a catalog
that does not (yet), and an ISO date (2024-12-17) the last resort where CLDR has nothing.

Each catalog declares the digits its pages use (`X-Numbering-System: latn` or `arabext`, ...).
Every number the app writes itself (the digits of a date, a count) is written in them, so a
page never mixes Persian digits in its prose with Latin digits in its dates.

    long_date(translator, d)         the date in the translator's language, in its digits
    fill(text, values, numbering)    %(name)s placeholders filled, numbers in those digits, and
                                     no doubled full stop where a value ends with one
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import re
from collections.abc import Mapping
from typing import Any

from babel import Locale, localedata
from babel.core import get_global, parse_locale
from babel.dates import format_date

from .languages import DIGITS
from .translator import Translator


def N_(message: str) -> str:
    """Mark a UI string for extraction (`python serve.py extract`) where it is looked up later."""
    return message


MONTHS = (
    # Translators: a month as it is written inside a full date such as “17 January 2025” (in the form a date uses, e.g. genitive)
    N_("January"),
    # Translators: a month as it is written inside a full date such as “17 February 2025”
    N_("February"),
    # Translators: a month as it is written inside a full date such as “17 March 2025”
    N_("March"),
    # Translators: a month as it is written inside a full date such as “17 April 2025”
    N_("April"),
    # Translators: a month as it is written inside a full date such as “17 May 2025”
    N_("May"),
    # Translators: a month as it is written inside a full date such as “17 June 2025”
    N_("June"),
    # Translators: a month as it is written inside a full date such as “17 July 2025”
    N_("July"),
    # Translators: a month as it is written inside a full date such as “17 August 2025”
    N_("August"),
    # Translators: a month as it is written inside a full date such as “17 September 2025”
    N_("September"),
    # Translators: a month as it is written inside a full date such as “17 October 2025”
    N_("October"),
    # Translators: a month as it is written inside a full date such as “17 November 2025”
    N_("November"),
    # Translators: a month as it is written inside a full date such as “17 December 2024”
    N_("December"),
)
# Translators: how a full date is written in a sentence; %(month)s is one of the month names above, %(day)s and %(year)s are numbers (17, 2024). Keep all three placeholders.
DATE_PATTERN = N_("%(month)s %(day)s, %(year)s")

_TO = {system: str.maketrans({str(n): ch for n, ch in enumerate(digits)}) for system, digits in DIGITS.items()}
_FIELD = re.compile(r"%\((\w+)\)([sd])|%%")


def digits(text: str, numbering: str) -> str:
    """Given text with Latin digits, return it with the digits of `numbering` (unknown systems: unchanged)."""
    return text.translate(_TO.get(numbering, _TO["latn"]))


def fill(text: str, values: Mapping[str, Any], numbering: str = "latn") -> str:
    """Fill `%(name)s`/`%(name)d` placeholders; write numbers in `numbering`'s digits; keep one full stop
    where a value ends with one and the text puts another after it (Bosnian "2024.", Ukrainian "2024 р.")."""
    out, pos = [], 0
    for m in _FIELD.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        if m.group(0) == "%%":
            out.append("%")
            continue
        value = values[m.group(1)]
        shown = digits(str(int(value)), numbering) if m.group(2) == "d" or isinstance(value, int) else str(value)
        out.append(shown)
        if shown.endswith(".") and text.startswith(".", pos):
            pos += 1
    out.append(text[pos:])
    return "".join(out)


@functools.lru_cache(maxsize=128)
def cldr_gaps(tag: str) -> frozenset[str]:
    """What CLDR (Babel's data) lacks for a language tag: "months", "date_format", "plural_rules"."""
    try:
        name = str(Locale.parse(tag.replace("-", "_")))
    except (ValueError, LookupError):
        return frozenset({"months", "date_format", "plural_rules"})
    chain = []
    while name != "root":  # the locale and the locales it inherits from, root excluded
        chain.append(_own_data(name))
        name = _parent(name)
    gaps = set()
    if not any(d.get("months", {}).get("format", {}).get("wide") for d in chain):
        gaps.add("months")
    if not any("long" in d.get("date_formats", {}) for d in chain):
        gaps.add("date_format")
    if not any("plural_form" in d for d in chain):
        gaps.add("plural_rules")
    return frozenset(gaps)


def _own_data(name: str) -> dict[str, Any]:
    """A locale's own CLDR data, without what it inherits (read from Babel's file: `localedata.load(name,
    merge_inherited=False)` would put the unmerged data in Babel's shared cache)."""
    with open(localedata.resolve_locale_filename(name), "rb") as f:
        data: dict[str, Any] = pickle.load(f)
    return data


def _parent(name: str) -> str:
    """The locale `name` inherits from, by Babel's own rule (localedata.load)."""
    parent = get_global("parent_exceptions").get(name)
    if parent:
        return str(parent)
    lang, territory, script, variant, *_rest = parse_locale(name)
    if script and not territory and not variant:  # lang_Script: a script other than the likely one starts from root
        _, _, likely, *_ = parse_locale(get_global("likely_subtags").get(lang, lang))
        if script != likely:
            return "root"
    parts = name.split("_")
    return "root" if len(parts) == 1 else "_".join(parts[:-1])


def long_date(translator: Translator, d: dt.date) -> str:
    """The date as the translator's language writes it in a sentence, in the catalog's digits."""
    lang = translator.language
    pattern, pattern_fallback = translator.unit("ui", DATE_PATTERN)
    month, month_fallback = translator.unit("ui", MONTHS[d.month - 1])
    if lang.is_source or (pattern_fallback is None and month_fallback is None):
        text = fill(pattern, {"day": str(d.day), "month": month, "year": str(d.year)})
    elif not cldr_gaps(lang.tag) & {"months", "date_format"}:
        text = format_date(d, format="long", locale=lang.tag.replace("-", "_"))
    else:
        text = d.isoformat()  # neither the catalog nor CLDR says how: a date no one misreads
    return digits(text, lang.numbering)
