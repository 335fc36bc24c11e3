"""One unit at a time, as the console's translators work: its state, an edit checked like an upload, a review.

    units(path)               every live unit of a catalog, with its state: untranslated, fuzzy, translated, reviewed
    save_unit(path, ...)      a translator's edit (and review), checked with the validator an upload goes through
                              (catalogs.catalog_problems); nothing is written unless it passes
    new_catalog(locales, tag) a new language's catalog, made from messages.pot: a draft, nothing translated

A review is kept in the catalog itself, where Poedit and Weblate keep it too: the unit's `reviewed` flag and a
translator comment `# reviewed-by: NAME DATE`. Editing the text again, or the English changing, undoes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polib
from babel import Locale, UnknownLocaleError, localedata
from babel.messages.plurals import get_plural

from .._files import atomic_write
from .catalogs import catalog_problems, parse_catalog, read_catalog, status_of
from .languages import CATALOG_HEADER, REVIEW_HEADER, REVIEWED, unit_reviewed

STATES = ("untranslated", "fuzzy", "translated", "reviewed")
REVIEWED_BY = "reviewed-by:"


def state_of(entry: polib.POEntry) -> str:
    if entry.fuzzy:
        return "fuzzy"
    if unit_reviewed(entry):
        return "reviewed"
    return "translated" if entry.translated() else "untranslated"


def unit_id(entry: polib.POEntry) -> str:
    """A short, stable name of a unit (its context and English text), for URLs and forms."""
    return hashlib.sha256(f"{entry.msgctxt or ''}\x04{entry.msgid}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Unit:
    id: str
    state: str
    context: str
    comment: str
    msgid: str
    msgid_plural: str
    texts: tuple[str, ...]  # the translation: one text, or one per plural form
    previous: str  # the English it was translated from, when the English changed since (fuzzy)
    reviewed_by: str
    where: tuple[str, ...] = field(default=())


def _reviewed_by(entry: polib.POEntry) -> str:
    return next((line[len(REVIEWED_BY):].strip() for line in (entry.tcomment or "").splitlines() if line.startswith(REVIEWED_BY)), "")


def _texts(entry: polib.POEntry) -> tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural.get(n, "") for n in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


def units(path: Path) -> list[Unit]:
    """Every live unit of the catalog at `path`, in catalog order."""
    return [
        Unit(unit_id(e), state_of(e), e.msgctxt or "", e.comment or "", e.msgid, e.msgid_plural or "", _texts(e),
             e.previous_msgid or "" if e.fuzzy else "", _reviewed_by(e), tuple(f for f, _ in e.occurrences))
        for e in read_catalog(path)
        if not e.obsolete
    ]


def summary(path: Path) -> dict[str, object]:
    """The status table's row of one catalog (as checks.status_rows gives it): names, percent, review."""
    catalog = parse_catalog(path)
    lang, st = catalog.language, status_of(catalog)
    return {"language": lang.tag, "name": lang.native_name, "english_name": lang.english_name, "percent": round(st.percent, 1),
            "review": "reviewed" if lang.reviewed else "draft", "reviewed": st.reviewed, "total": st.total}


def _set_review(entry: polib.POEntry, who: str | None, day: str) -> None:
    """Record (who given) or clear the unit's review: its flag and its `reviewed-by` comment."""
    lines = [line for line in (entry.tcomment or "").splitlines() if not line.startswith(REVIEWED_BY)]
    entry.flags = [f for f in entry.flags if f != REVIEWED]
    if who:
        entry.flags.append(REVIEWED)
        lines.append(f"{REVIEWED_BY} {who} {day}")
    entry.tcomment = "\n".join(lines)


def _apply(entry: polib.POEntry, texts: list[str]) -> bool:
    """Put the translator's texts in the entry; return whether they changed it."""
    clean = [t.replace("\r\n", "\n").strip() for t in texts]
    if entry.msgid_plural:
        new = {n: clean[n] if n < len(clean) else "" for n in sorted(entry.msgstr_plural)}
        changed = new != dict(entry.msgstr_plural)
        entry.msgstr_plural = new
    else:
        changed = clean[:1] != [entry.msgstr]
        entry.msgstr = clean[0] if clean else ""
    return changed


def save_unit(path: Path, uid: str, texts: list[str], review: bool, who: str, now: dt.datetime | None = None) -> list[str]:
    """Save a translator's text for unit `uid` of the catalog at `path` (and mark it reviewed, `review`).

    Return the problems, in words, that refused it (nothing is written then): the validator of an upload,
    on the catalog as it would be saved. A fuzzy unit saved is confirmed (no longer fuzzy)."""
    now = now or dt.datetime.now(dt.UTC)
    po = read_catalog(path)
    po.wrapwidth = 0
    entry = next((e for e in po if not e.obsolete and unit_id(e) == uid), None)
    if entry is None:
        return ["This unit is no longer in the catalog: its English text changed or was removed. Reload the page."]
    changed = _apply(entry, texts)
    entry.flags = [f for f in entry.flags if f != "fuzzy"]  # saved by a person: confirmed against today's English
    entry.previous_msgid = entry.previous_msgctxt = None
    if review and not entry.translated():
        return ["Write the translation before marking it reviewed."]
    if review:
        _set_review(entry, who, now.date().isoformat())
    elif changed or not entry.translated():
        _set_review(entry, None, "")
    po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
    po.metadata["Last-Translator"] = who
    text = str(po)
    before = {p.message for p in catalog_problems(path)}
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / path.parent.parent.name / "LC_MESSAGES" / "messages.po"
        trial.parent.mkdir(parents=True)
        trial.write_text(text, encoding="utf-8")
        problems = [p.message for p in catalog_problems(trial) if p.message not in before]
    if problems:
        return [p[:1].upper() + p[1:] for p in problems]
    atomic_write(path, text)
    return []


# -- a new language -------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def cldr_languages() -> tuple[tuple[str, str, str], ...]:
    """The locales CLDR (Babel) can name, as (BCP 47 tag, native name, English name), by English name: a
    language, or a language with a script or a region (es, zh-Hans, fa-AF); none that CLDR names only by its code."""
    found = []
    for ident in localedata.locale_identifiers():
        try:
            loc = Locale.parse(ident)
        except (UnknownLocaleError, ValueError):
            continue
        native, english = loc.get_display_name(loc), loc.get_display_name("en")
        if ident.count("_") > 1 or loc.variant or not native or not english or ident in (native, english):
            continue
        found.append((ident.replace("_", "-"), native[:1].upper() + native[1:], english))
    return tuple(sorted(found, key=lambda t: (t[2].lower(), t[0])))


def catalog_path(locales: Path, tag: str) -> Path:
    return Path(locales) / tag.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def new_catalog(locales: Path, tag: str) -> str | None:
    """Create the catalog of language `tag` (a BCP 47 tag CLDR knows) from messages.pot, as a draft with
    nothing translated. Return None, or why it was refused (nothing is written then)."""
    tag = tag.strip()
    if not tag:
        return "Choose a language from the list first."
    if tag not in {t for t, _, _ in cldr_languages()}:
        return "Choose a language from the list: that one is not a language CLDR can name."
    if tag.lower() == "en" or tag.lower().startswith("en-"):
        return "English is the source language: its text is the content itself."
    path = catalog_path(locales, tag)
    existing = {p.parent.parent.name.lower() for p in Path(locales).glob("*/LC_MESSAGES/messages.po")}
    if path.parent.parent.name.lower() in existing:
        return f"There is already a catalog for {tag}."
    pot_path = Path(locales) / "messages.pot"
    if not pot_path.is_file():
        return "There is no template (messages.pot) to start from: run an extract first."
    pot = polib.pofile(str(pot_path), wrapwidth=0)
    loc = Locale.parse(tag.replace("-", "_"))
    plural = get_plural(loc)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        **CATALOG_HEADER, "POT-Creation-Date": pot.metadata.get("POT-Creation-Date", ""), "PO-Revision-Date": pot.metadata.get("POT-Creation-Date", ""),
        "Last-Translator": "not recorded", "Language-Team": loc.get_display_name("en") or tag, "Language": tag.replace("-", "_"),
        "Plural-Forms": plural.plural_forms, REVIEW_HEADER: "draft",
    }
    for ref in pot:
        entry = polib.POEntry(msgctxt=ref.msgctxt, msgid=ref.msgid, comment=ref.comment, occurrences=list(ref.occurrences),
                              flags=list(ref.flags), msgstr="")
        if ref.msgid_plural:
            entry.msgid_plural = ref.msgid_plural
            entry.msgstr_plural = {n: "" for n in range(plural.num_plurals)}
        po.append(entry)
    with tempfile.TemporaryDirectory() as tmp:
        trial = catalog_path(Path(tmp), tag)
        trial.parent.mkdir(parents=True)
        trial.write_text(str(po), encoding="utf-8")
        problems = catalog_problems(trial)
    if problems:
        return "The new catalog would not be valid: " + "; ".join(p.message for p in problems)
    atomic_write(path, str(po))
    return None
