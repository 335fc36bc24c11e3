"""gettext catalogs: extract `messages.pot` from content and templates, merge it into each `.po`.

Each heading, paragraph, list item and directory field is one msgid (as Sphinx
does), with `msgctxt` naming where it belongs (`page:rights/school`,
`service:ciri`, `category`, `site`, `ui`), a `#.` comment saying where it
appears, and `#:` the file and line. Files are written to a temporary name and
renamed, so a crash never leaves half a catalog.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import os
import re
import time
from pathlib import Path

import polib
from babel.messages.extract import extract_python
from jinja2.ext import babel_extract

from .._files import atomic_write
from ..config import Config
from ..content import Content, Unit, load
from .catalogs import read_catalog
from .languages import CATALOG_HEADER, REVIEW_HEADER, REVIEWED, nplurals

UI_KEYWORDS = ("_", "gettext", "ngettext")
# In the backend: lr.gettext("..."), lr.ui("...", name=value), and N_("...") for a string looked up later (i18n/dates.py).
PYTHON_KEYWORDS: dict[str, None] = {"gettext": None, "ui": None, "N_": None}
_PYTHON_CALL = re.compile(rb"\b(?:" + b"|".join(k.encode() for k in PYTHON_KEYWORDS) + rb")\s*\(")


def template_units(templates: Path, project: Path) -> list[tuple[Unit, str | None]]:
    """Every UI string in the templates, as (unit, plural or None)."""
    found = []
    for path in sorted(templates.glob("*.html")):
        rel = path.relative_to(project).as_posix()
        with path.open("rb") as f:
            for lineno, _func, message, comments in babel_extract(f, UI_KEYWORDS, ["Translators:"], {}):
                singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
                if not singular:
                    continue
                note = " ".join(comments) or f"Interface text in {path.name}"
                found.append((Unit("ui", singular, note, rel, lineno), plural))
    for path in sorted((project / "backend").rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        source = path.read_bytes()
        if not _PYTHON_CALL.search(source):  # most modules call none of them: not tokenized (a publish runs this)
            continue
        with io.BytesIO(source) as f:
            for lineno, _name, text, notes in extract_python(f, PYTHON_KEYWORDS, ["Translators:"], {}):
                if isinstance(text, str) and text:
                    found.append((Unit("ui", text, " ".join(notes) or "Interface text", rel, lineno), None))
    return found


def make_pot(content: Content, cfg: Config, created: str | None = None) -> polib.POFile:
    """The template of every translatable string; `created` is its POT-Creation-Date (default: now)."""
    pot = polib.POFile(wrapwidth=0)
    pot.metadata = {**CATALOG_HEADER, "POT-Creation-Date": created or _now()}
    index: dict[tuple[str, str], polib.POEntry] = {}
    project = cfg.project

    def add(unit: Unit, plural: str | None = None) -> None:
        try:
            where = (Path(unit.file) if Path(unit.file).is_absolute() else cfg.content.parent / unit.file).resolve()
            occurrence = where.relative_to(project.resolve()).as_posix()
        except ValueError:
            occurrence = unit.file
        key = (unit.context, unit.text)
        entry = index.get(key)
        if entry is None:
            entry = polib.POEntry(msgctxt=unit.context, msgid=unit.text, comment=unit.comment, occurrences=[])
            if "%(" in unit.text or (plural and "%(" in plural):
                entry.flags = ["python-format"]  # so msgfmt --check and Poedit check the placeholders
            if plural:
                entry.msgid_plural = plural
                entry.msgstr_plural = {0: "", 1: ""}  # a template's two slots; each catalog gets its nplurals (merge)
            index[key] = entry
            pot.append(entry)
        entry.occurrences.append((occurrence, str(unit.line)))

    for unit in content.units():
        add(unit)
    for unit, plural in template_units(cfg.pwa / "templates", project):
        add(unit, plural)
    return pot


def merge(po: polib.POFile, pot: polib.POFile) -> dict[str, int]:
    """Bring a catalog in line with the template: new entries untranslated, gone ones obsolete.

    An entry whose source text changed is matched by context and position: it keeps its
    old translation, marked fuzzy with the previous msgid (`#|`), so the page shows English
    for it until a translator confirms.
    """
    slots = nplurals(po.metadata.get("Plural-Forms", "")) or 2
    old = {(e.msgctxt or "", e.msgid): e for e in po if not e.obsolete}
    pot_keys = {(r.msgctxt or "", r.msgid) for r in pot}
    # translated entries whose source text is gone: candidates for a fuzzy match, by context
    orphans: dict[str, list[polib.POEntry]] = {}
    for key, e in old.items():
        if key not in pot_keys and e.msgstr:
            orphans.setdefault(key[0], []).append(e)
    used: set[int] = set()
    entries = []
    counts = {"new": 0, "fuzzy": 0, "obsolete": 0, "kept": 0}
    for ref in pot:
        key = (ref.msgctxt or "", ref.msgid)
        prev = old.get(key)
        entry = polib.POEntry(
            msgctxt=ref.msgctxt, msgid=ref.msgid, comment=ref.comment, occurrences=list(ref.occurrences), flags=list(ref.flags)
        )
        if ref.msgid_plural:
            entry.msgid_plural = ref.msgid_plural
            have = prev.msgstr_plural if prev is not None and prev.msgstr_plural else {}
            entry.msgstr_plural = {n: have.get(n, "") for n in range(slots)}  # as many msgstr[n] as the language has forms
        if prev is not None:
            entry.msgstr = prev.msgstr
            entry.tcomment = prev.tcomment
            if REVIEWED in prev.flags and not prev.fuzzy:  # a person's review of this very text stands
                entry.flags.append(REVIEWED)
            if prev.fuzzy:  # still to be confirmed: keep what the source said before (`#|`)
                entry.flags.append("fuzzy")
                entry.previous_msgctxt, entry.previous_msgid = prev.previous_msgctxt, prev.previous_msgid
            used.add(id(prev))
            counts["kept"] += 1
        else:
            similar = _most_similar(ref.msgid, [e for e in orphans.get(key[0], []) if id(e) not in used])
            if similar is not None:  # its review was of other source text: it is not carried over
                entry.msgstr = similar.msgstr
                entry.previous_msgctxt = similar.msgctxt
                entry.previous_msgid = similar.msgid
                entry.flags.append("fuzzy")
                used.add(id(similar))
                counts["fuzzy"] += 1
            else:
                counts["new"] += 1
        entries.append(entry)
    for e in po:
        if not e.obsolete and id(e) not in used and e.msgstr:
            e.obsolete = True
            entries.append(e)
            counts["obsolete"] += 1
        elif e.obsolete and (e.msgctxt or "", e.msgid) not in pot_keys:
            entries.append(e)  # obsolete before: kept, as msgmerge keeps them (a translator may want it back)
    po[:] = entries
    _complete_header(po, pot)
    return counts


def _complete_header(po: polib.POFile, pot: polib.POFile) -> None:
    """The header fields msgfmt --check and translation tools expect, without overwriting a translator's."""
    meta = po.metadata
    for key, value in CATALOG_HEADER.items():
        meta.setdefault(key, value)
    if pot.metadata.get("POT-Creation-Date"):
        meta["POT-Creation-Date"] = pot.metadata["POT-Creation-Date"]  # as msgmerge does
    if not meta.get("PO-Revision-Date", "")[:1].isdigit():  # missing, or gettext's "YEAR-MO-DA HO:MI+ZONE"
        meta["PO-Revision-Date"] = meta.get("POT-Creation-Date") or _now()
    if not meta.get("Last-Translator") or "FULL NAME" in meta["Last-Translator"]:
        meta["Last-Translator"] = "not recorded"
    meta.setdefault("Language-Team", meta.get("Language") or "not recorded")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M+0000")


def _entries(po: polib.POFile) -> list[tuple[object, ...]]:
    return [(e.msgctxt, e.msgid, e.msgid_plural, e.comment, tuple(e.occurrences), tuple(e.flags)) for e in po]


def _most_similar(text: str, candidates: list[polib.POEntry], cutoff: float = 0.6) -> polib.POEntry | None:
    """The candidate whose msgid reads most like `text`, if any is close enough (as msgmerge does)."""
    best, best_ratio = None, cutoff
    for c in candidates:
        ratio = difflib.SequenceMatcher(None, text, c.msgid).ratio()
        if ratio >= best_ratio:
            best, best_ratio = c, ratio
    return best


def extract(cfg: Config, only_if_changed: bool = False) -> dict[str, dict[str, int]]:
    """Write messages.pot and merge it into every catalog; return what changed per language.

    `only_if_changed`: when the template's entries are what messages.pot already holds, write nothing
    and return {} (what the console and a publish do after every edit: translations follow the source)."""
    content = load(cfg.content)
    pot = make_pot(content, cfg)
    pot_path = cfg.locales / "messages.pot"
    if pot_path.is_file():  # nothing changed: keep the template's date, so catalogs do not churn
        before = polib.pofile(str(pot_path), wrapwidth=0)
        if _entries(before) == _entries(pot) and before.metadata.get("POT-Creation-Date"):
            if only_if_changed:
                return {}
            pot.metadata["POT-Creation-Date"] = before.metadata["POT-Creation-Date"]
    report = {}
    merged = []
    for path in sorted(cfg.locales.glob("*/LC_MESSAGES/messages.po")):  # every catalog read before anything is written
        po = read_catalog(path)
        po.wrapwidth = 0
        po.metadata.setdefault("Language", path.parent.parent.name)
        report[path.parent.parent.name] = merge(po, pot)
        po.metadata.setdefault(REVIEW_HEADER, "draft")
        merged.append((path, str(po)))
    atomic_write(pot_path, str(pot))
    for path, text in merged:
        atomic_write(path, text)
    return report


FOLLOWED = "followed-source"  # in <data>/cache: the signature of the source files when the catalogs last followed them


def follow_source(cfg: Config) -> dict[str, dict[str, int]]:
    """Bring messages.pot and every catalog in line with the English content, if it changed: as
    `serve.py extract` does (a changed unit fuzzy, a new one untranslated, a removed one obsolete).
    When no file it reads changed since it last looked (their sizes, times and inodes), nothing is read:
    a state's content takes a second to load, and every publish and console page asks."""
    marker = cfg.data / "cache" / FOLLOWED
    sources, newest = _sources(cfg)
    try:
        if marker.read_text(encoding="utf-8") == _with_pot(cfg, sources):
            return {}
    except OSError:
        pass
    report = extract(cfg, only_if_changed=True)
    try:
        # trusted next time only if no source file changed while extract read them, and none changed within
        # the clock's tick before (it could change again unseen: git's "racily clean")
        if _sources(cfg)[0] == sources and time.time_ns() - newest > SETTLED_NS:
            atomic_write(marker, _with_pot(cfg, sources))  # messages.pot as extract left it
        else:
            marker.unlink(missing_ok=True)
    except OSError:
        pass  # a data directory that cannot be written: the next call looks again
    return report


SETTLED_NS = 2_000_000_000  # a file's time is trusted once this much older than now (file times are coarse)


def _sources(cfg: Config) -> tuple[str, int]:
    """The signature (by stat) of what extract reads besides messages.pot: the content pack, the templates,
    the backend's Python; and the newest of their modification times."""
    h = hashlib.sha256(f"{cfg.content}\0{cfg.pwa}\0{cfg.project}\0{cfg.locales}\n".encode())
    newest = 0
    for root in (cfg.content, cfg.pwa / "templates", cfg.project / "backend"):
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue  # gone since the listing: the next signature differs
                newest = max(newest, st.st_mtime_ns)
                h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    return h.hexdigest(), newest


def _with_pot(cfg: Config, sources: str) -> str:
    try:
        st = os.stat(cfg.locales / "messages.pot")
    except FileNotFoundError:
        return f"{sources} no messages.pot"
    return f"{sources} {st.st_size} {st.st_mtime_ns} {st.st_ino}"
