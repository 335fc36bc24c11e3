"""Everything a build reads, read once: the content pack, every catalog, and the source's hash.

Like Pelican's `generate_context()`: the pipeline loads the inputs into one immutable `Inputs`
first, and every later step (checks, rendering, the search index, the share pages) only reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..content import Content, load
from ..errors import Collector, ContentError
from ..i18n import Catalog, Language, load_catalogs, other_names, source_language
from ..policy import HASH_LEN
from .links import base_url

BACKEND = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Inputs:
    cfg: Config
    content: Content
    catalogs: tuple[Catalog, ...]
    source: str  # the source hash (source_hash)
    other_names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # locales/other-names.toml

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
    try:
        catalogs = load_catalogs(cfg.locales)
    except ContentError as e:
        problems.catch(e)
    try:
        names = other_names(cfg.locales)
    except ContentError as e:
        problems.catch(e)
    problems.raise_if_any()
    assert content is not None
    return Inputs(cfg, content, tuple(catalogs), source_hash(cfg, content), names)


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
