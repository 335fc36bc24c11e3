"""Incremental builds: each output's recorded reads and key, and the files it made, kept in the data dir.

    <data>/cache/render/<lang>.json        per output of a language (and "_root" for the rest):
                                           {"key", "deps", "files": [[path, sha256], ...]}, and the
                                           language's whole-language key
    <data>/cache/blobs/<sha256[:2]>/<sha256>   every file a build made, by content hash (read-only)
    <data>/cache/compressed/<sha256>.br|.gz    their compressed variants (compress.py)

An output's key hashes the release-wide key (everything every page may read: release_key) with
the answer, in this build, to each read it recorded the last time it rendered (trace.py). Same
key: its files are taken from the blobs as they are. A language whose whole-language key is the
same (same catalog, same English entities, templates and assets) reuses every output at once.
Anything missing or damaged in the cache is a miss: the output is rendered again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._files import atomic_write
from ..i18n import Translator
from ..i18n.translator import SHARED_CONTEXTS, answer, shared_answers
from .inputs import CACHE_FORMAT as FORMAT
from .inputs import Inputs, code_hash
from .links import base_url
from .trace import Dep, text_hash


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def release_key(inputs: Inputs) -> str:
    """What every output may read without a door that records it (see trace.py): the code, the settings
    (the public URL's path, which every link starts with, but not its address: a recorded read),
    the languages, the site, categories and notices, the pages' and services' structure, and what the
    date decides (pages past review, notices shown). The build reads the date nowhere else."""
    cfg, c = inputs.cfg, inputs.content
    today = cfg.today
    share = c.share
    parts = [
        code_hash(),
        cfg.exit_url, cfg.base_path, str(bool(cfg.public_url)),
        repr(inputs.languages), repr(sorted(inputs.other_names.items())),
        repr(c.site), repr(c.sources), repr(c.categories), repr(c.notices),
        repr([(n.id, n.expires >= today, n.active(today)) for n in c.notices]),
        repr([(p.id, p.path, p.order, p.file, today > p.review_by) for p in c.pages]),
        repr([(s.id, s.category, s.file) for s in c.services]),
        repr(today > c.site.directory_review_by),
        repr(share and ([s.id for s in share.contacts], share.contacts_category, [(p.id, b.text) for p, b in share.card])),
    ]
    return _sha(*parts)


class Fingerprints:
    """The answer, in this build, to every read an output can record (trace.Dep)."""

    def __init__(self, inputs: Inputs, assets: dict[str, str]):
        self.inputs, self.assets = inputs, assets
        self.release = release_key(inputs)
        self.url = base_url(inputs.cfg)  # the answer to ("url",)
        self.full: dict[str, str] = {}  # msgctxt -> the English entity it belongs to, all of it
        self.head: dict[str, tuple[set[str], str]] = {}  # a page's msgctxt -> (hashes of its title, nav, summary; the page without its blocks)
        for p in inputs.content.pages:
            self.full[p.context] = _sha(repr(p))
            self.head[p.context] = ({text_hash(t) for t in (p.title, p.nav, p.summary) if t}, _sha(repr(dataclasses.replace(p, blocks=()))))
        for s in inputs.content.services:
            self.full[s.context] = _sha(repr(s))
        self._unit_answers: dict[str, dict[tuple[str, str], str]] = {}
        self._shared_answers: dict[str, dict[tuple[str, str], str]] = {}
        self._templates: dict[str, str] = {}
        self.index_names: dict[str, str] = {}  # lang -> this build's search index name, once rendered

    def _units(self, tag: str) -> dict[tuple[str, str], str]:
        """{(msgctxt, text hash): its translation} of one language's content units (its whole catalog read)."""
        if tag not in self._unit_answers:
            entries = Translator.of(self.inputs.catalog(tag)).entries.items()
            self._unit_answers[tag] = {(ctx, text_hash(msgid)): answer(e) for (ctx, msgid), e in entries if ctx not in SHARED_CONTEXTS}
        return self._unit_answers[tag]

    def _shared(self, tag: str) -> dict[tuple[str, str], str]:
        """The same of its interface strings and site name (kept with its language: no catalog read)."""
        if tag not in self._shared_answers:
            self._shared_answers[tag] = {(ctx, text_hash(msgid)): a for (ctx, msgid), a in shared_answers(self.inputs.catalog(tag)).items()}
        return self._shared_answers[tag]

    def english(self, ctx: str, h: str) -> str:
        head = self.head.get(ctx)
        if head is not None and h in head[0]:
            return "head " + head[1]
        return "all " + self.full.get(ctx, "")  # site, categories, notices: in the release-wide key

    def template(self, name: str) -> str:
        if name not in self._templates:
            try:
                self._templates[name] = hashlib.sha256((self.inputs.cfg.pwa / "templates" / name).read_bytes()).hexdigest()
            except OSError:
                self._templates[name] = "missing"
        return self._templates[name]

    def of(self, dep: Dep) -> str:
        kind = dep[0]
        if kind == "t":
            return (self._shared if dep[2] in SHARED_CONTEXTS else self._units)(dep[1]).get((dep[2], dep[3]), "")
        if kind == "en":
            return self.english(dep[1], dep[2])
        if kind == "u":
            return self._shared(dep[1]).get(("ui", dep[2]), "")
        if kind == "tpl":
            return self.template(dep[1])
        if kind == "asset":
            return self.assets.get(dep[1], "missing")
        if kind == "idx":
            return self.index_names.get(dep[1], "")
        if kind == "url":
            return self.url
        return "unknown"  # a read this build cannot answer: never equal to a recorded key

    def key(self, scope: str, name: str, deps: Iterable[Dep]) -> str:
        return _sha(self.release, scope, name, *(f"{'|'.join(d)}={self.of(d)}" for d in sorted(deps)))

    @functools.cached_property
    def shared(self) -> str:
        """What every language's outputs can read besides its own catalog: English, assets, every template."""
        root = self.inputs.cfg.pwa / "templates"
        templates = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        return _sha(self.release, self.url, repr(sorted(self.full.items())), repr(sorted(self.assets.items())),
                    *(f"{t}={self.template(t)}" for t in templates))

    def language_key(self, tag: str) -> str:
        """Everything any output of one language can read, at once: same key, every output is reused."""
        catalog = self.inputs.catalog(tag)
        return _sha(self.shared, tag, self.inputs.catalog_keys.get(tag) or ("\n".join(catalog.lines) if catalog else ""))


class RenderCache:
    """The render cache of one data directory (see the module's docstring)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self._blobs = str(self.blobs)
        self._listed: set[str] | None = None  # the blobs there when first asked (one listing, not a stat for each)
        self.compressed = self.root / "compressed"

    def blob(self, sha: str) -> str:
        return f"{self._blobs}/{sha[:2]}/{sha}"  # not os.path.join: called for every file of a release

    def put(self, data: bytes) -> str:
        """Keep `data` by its hash; return the hash."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob(sha)
        if not os.path.exists(path):
            atomic_write(Path(path), data, 0o444)
        return sha

    def has(self, sha: str) -> bool:
        """Whether the blob is kept: from one listing of the blobs (a publish at a state's scale asks for each of
        its 40,000 files), else looked up (one written since, by a worker process)."""
        if self._listed is None:
            self._listed = set()
            try:
                with os.scandir(self._blobs) as folders:
                    for folder in folders:
                        if folder.is_dir(follow_symlinks=False):
                            with os.scandir(folder.path) as entries:
                                self._listed.update(entry.name for entry in entries)
            except FileNotFoundError:
                pass
        return sha in self._listed or os.path.exists(self.blob(sha))

    def prune(self, keep: set[str], every: float = 24 * 3600) -> int:
        """Delete blobs and compressed variants whose hash is not in `keep` (the files of the release just
        published), at most once per `every` seconds; return how many files went. Releases keep their own
        hard links; a file a later build misses is rendered again."""
        marker = self.root / "pruned"
        try:
            if time.time() - marker.stat().st_mtime < every:
                return 0
        except OSError:
            pass
        removed = 0
        for folder in [*(p for p in self.blobs.glob("??") if p.is_dir()), self.compressed]:
            for entry in os.scandir(folder) if folder.is_dir() else ():
                if entry.name.split(".", 1)[0] not in keep and not entry.name.startswith("."):
                    os.unlink(entry.path)
                    removed += 1
                    if self._listed is not None:
                        self._listed.discard(entry.name)
        atomic_write(marker, b"")
        return removed

    def manifest(self, scope: str) -> dict[str, Any]:
        try:
            data = json.loads((self.root / "render" / f"{scope}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("format") == FORMAT else {}

    def save(self, scope: str, manifest: dict[str, Any]) -> None:
        # compact: json's C encoder (indent= falls back to the pure-Python one, a tenth of a build's time at scale)
        atomic_write(self.root / "render" / f"{scope}.json", json.dumps({**manifest, "format": FORMAT}, ensure_ascii=False, separators=(",", ":")))
