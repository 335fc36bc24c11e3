"""Making a release's outputs: each from the render cache when nothing it reads changed, the languages
across processes, one per core.

    Producer(cache, fingerprints, scope).one(name, make)   one output (one or more files), rendered or reused
    language(...)                                          every file of one language, and its bundle
    languages(...)                                         every language, in worker processes (fork)

Without a cache (previews, tests that want the bytes) everything is rendered and kept in memory.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..i18n import Language
from ..policy import HASH_LEN, PACK_NAME, digest, packed_type, security_headers
from . import pages, share
from .cache import Fingerprints, RenderCache
from .compress import CompressedCache, Variant, is_text
from .inputs import Inputs
from .renderer import Renderer
from .trace import Dep, recording


class Out(NamedTuple):
    """One file of a release: its path, the sha256 and size of its bytes, the bytes when kept in memory, and
    its compressed variants when they are in the cache (None: not compressed yet, or not a text)."""

    rel: str
    sha: str
    size: int
    body: bytes | None = None
    variants: tuple[Variant, ...] | None = None


@dataclass
class Counts:
    rendered: list[str] = field(default_factory=list)  # paths of the files made in this build
    reused: int = 0  # files taken from the cache
    reused_pages: int = 0
    bytes: int = 0  # of every file, made or reused

    @property
    def rendered_pages(self) -> int:
        return sum(1 for rel in self.rendered if rel.endswith(".html"))

    def add(self, other: Counts) -> None:
        self.rendered += other.rendered
        self.reused += other.reused
        self.reused_pages += other.reused_pages
        self.bytes += other.bytes

    def reuse(self, files: list[Out]) -> None:
        self.reused += len(files)
        self.reused_pages += sum(1 for f in files if f.rel.endswith(".html"))
        self.bytes += sum(f.size for f in files)


def _stored(entries: list[list[Any]]) -> list[Out]:
    return [Out(rel, sha, size, None, None if variants is None else tuple((str(v[0]), int(v[1]), str(v[2])) for v in variants))
            for rel, sha, size, variants in entries]


def _entries(files: list[Out]) -> list[list[Any]]:
    return [[f.rel, f.sha, f.size, None if f.variants is None else [list(v) for v in f.variants]] for f in files]


class Producer:
    """Makes the outputs of one scope (a language's tag, or "_root"), each reused when its key is unchanged."""

    def __init__(self, cache: RenderCache | None, fps: Fingerprints, scope: str):
        self.cache, self.fps, self.scope = cache, fps, scope
        self._old: dict[str, tuple[str, list[Dep], list[Out]]] | None = None
        self.outputs: dict[str, tuple[str, list[Dep], list[Out]]] = {}  # name -> (key, reads, files)
        self.counts = Counts()
        self.foreign = False  # read another language's catalog: the whole-language shortcut would be unsound
        self.compressed = CompressedCache(cache.compressed) if cache else None

    def one(self, name: str, make: Callable[[], list[tuple[str, str | bytes]]]) -> list[Out]:
        """The files of one output: from the cache when its recorded reads answer as before, else made."""
        entry = self.old.get(name)
        if self.cache is not None and entry is not None:
            key, deps, files = entry
            if self.fps.key(self.scope, name, deps) == key and all(self.cache.has(f.sha) for f in files):
                self.outputs[name] = entry
                self.counts.reuse(files)
                return files
        with recording() as reads:
            made = [(rel, body.encode("utf-8") if isinstance(body, str) else body) for rel, body in make()]
        index = self.fps.index_names.get(self.scope)
        if index and any(index.encode() in body for _, body in made):  # names this language's search index
            reads.add(("idx", self.scope))
        if self.scope != "_root" and any(d[0] in ("t", "u") and d[1] not in (self.scope, "en") for d in reads):
            self.foreign = True
        outs = [self.keep(rel, body) for rel, body in made]
        self.outputs[name] = (self.fps.key(self.scope, name, reads), sorted(reads), [f._replace(body=None) for f in outs])
        return outs

    @property
    def old(self) -> dict[str, tuple[str, list[Dep], list[Out]]]:
        """What the last build of this scope kept: each output's key, reads and files."""
        if self._old is None:
            data = self.cache.manifest(self.scope) if self.cache else {}
            table = [tuple(d) for d in data.get("deps", [])]
            try:
                self._old = {name: (o["key"], [table[i] for i in o["deps"]], _stored(o["files"])) for name, o in data.get("outputs", {}).items()}
            except (KeyError, IndexError, TypeError, ValueError):
                self._old = {}  # a damaged manifest: render everything of this scope again
        return self._old

    def keep(self, rel: str, body: bytes) -> Out:
        """A file made in this build: into the cache (compressed there too), or kept in memory without one."""
        self.counts.rendered.append(rel)
        self.counts.bytes += len(body)
        if self.cache is None:
            return Out(rel, hashlib.sha256(body).hexdigest(), len(body), body)
        sha = self.cache.put(body)
        if self.compressed is not None and is_text(rel):
            return Out(rel, sha, len(body), None, tuple(self.compressed.ensure(rel, body, sha)))
        return Out(rel, sha, len(body))

    def read(self, out: Out) -> bytes:
        """The bytes of a file this scope made or reused."""
        if out.body is not None:
            return out.body
        assert self.cache is not None, out.rel
        with open(self.cache.blob(out.sha), "rb") as f:
            return f.read()

    def save(self) -> None:
        """Keep each output's key, reads and files for the next build (reads once each, by number)."""
        if self.cache is None:
            return
        table: dict[Dep, int] = {}
        outputs = {}
        for name, (key, deps, files) in self.outputs.items():
            outputs[name] = {"key": key, "deps": [table.setdefault(d, len(table)) for d in deps], "files": _entries(files)}
        self.cache.save(self.scope, {"deps": list(table), "outputs": outputs})


def _pack(tag: str, held: list[tuple[str, Out, bytes]]) -> tuple[str, bytes]:
    """<tag>/pack.<hash>.json: every entry of the bundle, its revision, the headers it is served with and its
    text, in one file. A phone that holds none of the language yet downloads it once instead of each entry:
    one response's headers instead of 30 or more, and the pages compressed together (they share most of their
    markup) rather than one by one. The worker gives each entry the headers listed here (policy.py's)."""
    types = sorted({packed_type(f.rel) for _, f, _ in held})
    headers = {t: [["Content-Type", t], *(list(h) for h in security_headers(t, f"/{tag}/"))] for t in types}
    data = {"lang": tag, "headers": headers,
            "entries": [[url, f.sha[:HASH_LEN], packed_type(f.rel), body.decode("utf-8")] for url, f, body in held]}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{tag}/{PACK_NAME}.{digest(body)}.json", body


@dataclass
class LanguageResult:
    tag: str
    files: list[Out]
    bundle: str  # the bundle's URL
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0


def unchanged(fps: Fingerprints, cache: RenderCache | None, tag: str) -> LanguageResult | None:
    """A language whose whole-language key is the one its files were made with: those files, or None."""
    if cache is None:
        return None
    started = time.perf_counter()
    stored = cache.manifest(f"{tag}.whole")
    if stored.get("key") != fps.language_key(tag):
        return None
    try:
        reused = _stored(stored["files"])
        bundle = str(stored["bundle"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(cache.has(f.sha) for f in reused):
        return None
    counts = Counts()
    counts.reuse(reused)
    return LanguageResult(tag, reused, bundle, counts, time.perf_counter() - started)


def language(inputs: Inputs, renderer: Renderer, fps: Fingerprints, cache: RenderCache | None, lang: Language) -> LanguageResult:
    """Every file of one language (its pages, cards, search index, 404, manifest, print pages, bundle)."""
    started = time.perf_counter()
    tag = lang.tag
    p = Producer(cache, fps, tag)
    whole = fps.language_key(tag) if cache is not None else ""
    lr = renderer.language(lang)
    [index] = p.one("search", lambda: [(f"{tag}/{name}", data) for name, data in [pages.search_index(lr)]])
    index_name = index.rel.removeprefix(f"{tag}/")
    fps.index_names[tag] = index_name
    held: list[tuple[str, Out]] = []  # (URL, file) of every entry of the bundle: what a phone keeps offline
    for path, make in pages.page_makers(lr, index_name):
        [out] = p.one(f"page /{path}", lambda path=path, make=make: [(f"{tag}/{path}index.html", make())])  # type: ignore[misc]
        held.append((f"{lr.prefix}/{path}", out))
    printed = p.one("print", lambda: [(f"{tag}/{path}index.html", html) for path, html in share.print_pages(lr)])
    held += [(f"{renderer.base}/" + f.rel.removesuffix("index.html"), f) for f in printed]  # the flyer and card work offline too
    cards = p.one("cards", lambda: [(f"{tag}/{path}", text) for path, text in pages.files(lr)])
    held += [(f"{renderer.base}/" + f.rel, f) for f in [*cards, index]]
    files = [f for _, f in held]
    files += p.one("404", lambda: [(f"{tag}/404.html", pages.not_found(lr))])
    files += p.one("manifest", lambda: [(f"{tag}/manifest.webmanifest", pages.manifest(lr))])
    entries = [[url, f.sha[:HASH_LEN]] for url, f in held]
    pack = p.keep(*_pack(tag, [(url, f, p.read(f)) for url, f in held]))
    files.append(pack)
    bundle = json.dumps({"lang": tag, "pages": entries, "pack": f"{renderer.base}/{pack.rel}"}, ensure_ascii=False, separators=(",", ":")).encode()
    sha = hashlib.sha256(bundle).hexdigest()
    files.append(p.keep(f"{tag}/bundle.{sha[:HASH_LEN]}.json", bundle))
    url = f"{renderer.base}/{tag}/bundle.{sha[:HASH_LEN]}.json"
    p.save()
    if cache is not None:
        cache.save(f"{tag}.whole", {} if p.foreign else {"key": whole, "files": _entries(files), "bundle": url})
    return LanguageResult(tag, files, url, p.counts, time.perf_counter() - started)


# -- across processes ------------------------------------------------------------------

_JOB: tuple[Inputs, Renderer, Fingerprints, RenderCache | None] | None = None  # what forked workers inherit


def _one_language(tag: str) -> LanguageResult:
    assert _JOB is not None
    inputs, renderer, fps, cache = _JOB
    return language(inputs, renderer, fps, cache, next(lang for lang in inputs.languages if lang.tag == tag))


def default_jobs() -> int:
    """One worker per core, where forking is safe: not from a process that runs other threads (the server)."""
    if threading.active_count() > 1:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def languages(inputs: Inputs, renderer: Renderer, fps: Fingerprints, cache: RenderCache | None, jobs: int) -> Iterator[LanguageResult]:
    """Every language's result, as each finishes: in `jobs` forked worker processes, which inherit the
    inputs read once by this one (nothing is pickled but a tag there and a list of files back)."""
    global _JOB
    todo = []
    for lang in inputs.languages:  # languages whose every input is unchanged need no worker
        same = unchanged(fps, cache, lang.tag)
        if same is None:
            todo.append(lang)
        else:
            yield same
    if jobs <= 1 or len(todo) < 2:
        for lang in todo:
            yield language(inputs, renderer, fps, cache, lang)
        return
    _JOB = (inputs, renderer, fps, cache)
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_one_language, lang.tag) for lang in todo]
            for future in as_completed(futures):
                yield future.result()
    finally:
        _JOB = None


__all__ = ["Counts", "Dep", "LanguageResult", "Producer", "language", "languages"]
