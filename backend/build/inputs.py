"""Everything a build reads, read once: the content pack, every catalog, and the source's hash.

Like Pelican's `generate_context()`: the pipeline loads the inputs into one immutable `Inputs`
first, and every later step (checks, rendering, the search index, the share pages) only reads it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write
from ..config import Config
from ..content import Content, load
from ..errors import Collector, ContentError, ContentErrors, Problem
from ..i18n import Catalog, Language, other_names, parse_catalog, problems_in, source_language, status_of
from ..i18n.catalogs import Status
from ..i18n.translator import shared_answers
from ..policy import HASH_LEN
from .links import base_url

BACKEND = Path(__file__).resolve().parent.parent
CACHE_FORMAT = "2"  # bump when what the caches in <data>/cache keep changes shape


@dataclass(frozen=True)
class Inputs:
    cfg: Config
    content: Content
    catalogs: tuple[Catalog, ...]
    source: str  # the source hash (source_hash)
    other_names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # locales/other-names.toml
    catalog_keys: dict[str, str] = field(default_factory=dict, compare=False)  # tag -> hash of the file and the code reading it

    def raise_problems(self) -> None:
        """Raise ContentErrors listing every problem of every catalog: each catalog checked once per version
        of its file (the answer is kept in <data>/cache/catalogs, so publish and the console check it once)."""
        problems: list[Problem] = []
        for c in self.catalogs:
            problems += _problems(c, self.catalog_keys.get(c.language.tag), self.cfg.data / "cache" / "catalogs")
        if problems:
            raise ContentErrors(problems)

    @property
    def languages(self) -> tuple[Language, ...]:
        """The source language, then each catalog's, sorted by tag."""
        return (source_language(), *(c.language for c in self.catalogs))

    def catalog(self, tag: str) -> Catalog | None:
        return next((c for c in self.catalogs if c.language.tag == tag), None)


def load_inputs(cfg: Config) -> Inputs:
    """Load and validate the content and catalogs once; raise ContentErrors listing every problem of both."""
    problems = Collector()
    content: Content | None = None
    catalogs: list[Catalog] = []
    names: dict[str, tuple[str, ...]] = {}
    try:
        content = load(cfg.content)
    except ContentError as e:
        problems.catch(e)
    keys: dict[str, str] = {}
    cache = cfg.data / "cache" / "catalogs"
    for path in sorted(Path(cfg.locales).glob("*/LC_MESSAGES/messages.po")):
        try:
            catalog, key = _catalog(path, cache)
        except ContentError as e:
            problems.catch(e)
            continue
        catalogs.append(catalog)
        keys[catalog.language.tag] = key
    try:
        names = other_names(cfg.locales)
    except ContentError as e:
        problems.catch(e)
    problems.raise_if_any()
    assert content is not None
    return Inputs(cfg, content, tuple(catalogs), source_hash(cfg, content), names, keys)


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """The backend's source and the libraries that shape what it reads and renders: a change to any
    of them makes every cached catalog, check and output stale."""
    versions = " ".join(importlib.metadata.version(name) for name in ("jinja2", "markupsafe", "babel", "segno", "polib"))
    h = hashlib.sha256(f"{CACHE_FORMAT} {versions}".encode())
    for path in sorted(BACKEND.rglob("*.py")):
        h.update(str(path.relative_to(BACKEND)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _catalog(path: Path, cache: Path) -> tuple[Catalog, str]:
    """A catalog, parsed, or from <data>/cache/catalogs when this very file was parsed before: its language
    at once, its entries (unpickled) when first used, so languages that did not change cost no unpickling."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ContentError(f"cannot be read: {e.strerror or e}", path) from None
    key = _key(path, raw)
    stem = f"{path.parent.parent.name}.{key[:32]}"
    kept, language_kept = cache / f"{stem}.pickle", cache / f"{stem}.language.pickle"
    try:
        language, status, shared = pickle.loads(language_kept.read_bytes())
        if isinstance(language, Language) and isinstance(status, Status) and isinstance(shared, dict) and kept.is_file():
            return Catalog.later(path, language, lambda: _unpickle(kept, path, key), status, shared), key
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    catalog = parse_catalog(path)
    try:
        for old in cache.glob(f"{path.parent.parent.name}.*.pickle"):
            old.unlink(missing_ok=True)
        atomic_write(kept, pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
        light = (catalog.language, status_of(catalog), shared_answers(catalog))
        atomic_write(language_kept, pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL))  # last: marks both there
    except OSError:
        pass  # a cache that cannot be written (a read-only data directory) only costs time
    return catalog, key


def _key(path: Path, raw: bytes) -> str:
    """What a kept parse of the catalog at `path` holding `raw` is filed under: the code, the path and the bytes."""
    return hashlib.sha256(f"{code_hash()}\0{path}\0".encode() + raw).hexdigest()


def _unpickle(kept: Path, path: Path, key: str) -> Catalog:
    """The kept parse of `path` (whose bytes had `key`), or `path` parsed again if that is gone or damaged; a
    catalog changed on disk since its key was taken is an error, not a silent mix of two versions."""
    try:
        found = pickle.loads(kept.read_bytes())
        if isinstance(found, Catalog) and found.path == path:
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    if _key(path, path.read_bytes()) != key:
        raise ContentError("changed while it was being published: publish again", path)
    return parse_catalog(path)


def _problems(catalog: Catalog, key: str | None, cache: Path) -> list[Problem]:
    kept = cache / f"{catalog.language.tag}.{key[:32]}.problems.json" if key else None
    if kept is not None:
        try:
            return [Problem(f, line, message) for f, line, message in json.loads(kept.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            pass
    found = problems_in(catalog)
    if kept is not None:
        try:
            for old in cache.glob(f"{catalog.language.tag}.*.problems.json"):
                old.unlink(missing_ok=True)
            atomic_write(kept, json.dumps([[p.file, p.line, p.message] for p in found]))
        except OSError:
            pass
    return found


def files_hash(cfg: Config) -> str:
    """Hash every file a build reads and the settings it depends on (not the date)."""
    h = hashlib.sha256()
    roots = [cfg.content, cfg.locales, cfg.pwa / "templates", cfg.pwa / "static", cfg.service_worker, BACKEND]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(cfg.exit_url.encode())
    h.update(base_url(cfg).encode())  # QR codes and share links carry it
    return h.hexdigest()


def source_hash(cfg: Config, content: Content) -> str:
    """Hash everything a build reads, so `serve` rebuilds only when something changed; which pages are
    past review on the build's day changes the pages themselves, so that is part of it."""
    h = hashlib.sha256(files_hash(cfg).encode())
    h.update(",".join(p.id for p in content.pages if cfg.today > p.review_by).encode())
    h.update(str(cfg.today > content.site.directory_review_by).encode())
    return h.hexdigest()[:HASH_LEN]
