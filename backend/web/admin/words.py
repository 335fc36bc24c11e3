"""Small helpers that let the translation and account pages speak in words: languages by name, English
cut at a word, and what changed in a unit's English, word by word."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape


@functools.lru_cache(maxsize=512)
def language_name(tag: str) -> str:
    """A language tag as a person names it: "Spanish (español)", "Kinyarwanda"; the tag itself if CLDR has no name."""
    try:
        loc = Locale.parse(str(tag).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return str(tag)
    english, native = loc.get_display_name("en"), loc.get_display_name(loc)
    return named(english, native) if english else str(tag)


def named(english: str, native: str | None) -> str:
    """A language's English and native names together: "Spanish (Español)", "Chinese (Simplified) · 中文 (简体)"."""
    native = native[:1].upper() + native[1:] if native else ""
    if not native or native == english:
        return english
    return f"{english} · {native}" if "(" in english + native else f"{english} ({native})"


def languages_named(tags: tuple[str, ...] | list[str], name: Callable[[str], str] = language_name) -> str:
    """Several tags, named and joined: "Spanish (Español) and French (Français)"."""
    names = [name(t) for t in tags]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else "no language"


def first_words(text: str, limit: int = 60) -> str:
    """`text` cut at a word boundary near `limit` characters, with "…" when something was left off."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def word_diff(before: str, after: str) -> Markup:
    """`before` with the words no longer in `after` in <del> and the new words in <ins>, the rest as it was."""
    old, new = re.findall(r"\s*\S+\s*", before), re.findall(r"\s*\S+\s*", after)  # words with their spaces
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in old], [w.strip() for w in new], autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(old[a1:a2]))))
            continue
        if a2 > a1:
            out.append(f"<del>{escape(''.join(old[a1:a2]))}</del>")
        if b2 > b1:
            out.append(f"<ins>{escape(''.join(new[b1:b2]))}</ins>")
    return Markup("".join(out))  # every piece above is escaped


def rows_for(text: str, width: int = 40) -> int:
    """Rows enough for `text` in a textarea about `width` characters wide: at least 3, at most 20."""
    lines = sum(1 + len(line) // width for line in (text or "").split("\n"))
    return max(3, min(20, lines + 1))
