"""The i18n layer: which languages exist (one catalog each), their catalogs, lookups, and extraction.

    languages.py    Language: CLDR's native name and direction, plural rules
    catalogs.py     each .po parsed once into a Catalog; its problems and status
    translator.py   lookups with per-unit fallback to English
    dates.py        dates in each language's words and digits: the catalog's month names and pattern, else CLDR's
    extract.py      messages.pot from content and templates, merged into every catalog
    names.py        other names people use for a language (locales/other-names.toml)
    review.py       one unit at a time: its state, an edit checked like an upload, a review; a new language's catalog
"""

from .catalogs import (
    Catalog,
    Status,
    catalog_problems,
    discover,
    load_catalogs,
    parse_catalog,
    problems_in,
    raise_problems,
    read_catalog,
    status_of,
)
from .languages import REVIEW_HEADER, REVIEWED, SOURCE, Language, plural_index, source_language, unit_reviewed
from .names import folded, other_names
from .translator import Translator

__all__ = [
    "REVIEWED", "REVIEW_HEADER", "SOURCE", "Catalog", "Language", "Status", "Translator", "catalog_problems", "discover", "folded", "load_catalogs", "other_names",
    "parse_catalog", "plural_index", "problems_in", "raise_problems", "read_catalog", "source_language", "status_of",
    "unit_reviewed",
]
