"""Other names people use for a language: the liaison's language finder (/share/) matches them too.

    locales/other-names.toml     a list of names per language tag, in any script

They are data beside the catalogs, not code: a district adds "Farsi" for Dari or "Mandarin" for
Chinese by editing the file. Names for a language with no catalog yet are kept for when it gets one.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..content._toml import Reader
from ..errors import Collector

OTHER_NAMES_FILE = "other-names.toml"
_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def other_names(locales: Path) -> dict[str, tuple[str, ...]]:
    """Given the locales directory, return {tag: names}; raise ContentErrors naming the file and line."""
    path = Path(locales) / OTHER_NAMES_FILE
    if not path.is_file():
        return {}
    problems = Collector()
    r = Reader(Path(Path(locales).name) / OTHER_NAMES_FILE, path.read_text(encoding="utf-8"), problems)
    data = r.parse() or {}
    found: dict[str, tuple[str, ...]] = {}
    for tag, names in data.items():
        if not _TAG.match(tag):
            r.error(f"{tag!r} is not a language tag such as es, fa-AF or zh-Hans", tag)
        elif not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            r.error(f"{tag}: give a list of names, for example {tag} = [\"Another name\"]", tag)
        else:
            found[tag] = tuple(" ".join(n.split()) for n in names)
    problems.raise_if_any()
    return found


def folded(text: str) -> str:
    """Given a name, return it as the finder compares it: lower case, without accents (share.js folds what is typed alike)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text.lower()) if not unicodedata.category(ch).startswith("M"))
