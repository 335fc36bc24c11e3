"""Writing a release: its files placed from the render cache (hard links) or copied, their compressed variants,
checksums.json last, then the whole directory moved into place. In the data directory, each language's folder
is one of releases/shared/, which every release with the same files links to.

    releases/<id>/
      index.html, sw.js, static/, api/, ...    hard links into the render cache (or copies across disks)
      <lang> -> ../shared/<lang>.<hash>        the language's folder (a static export has the folder itself)
    releases/shared/<lang>.<hash>/             complete and read-only; removed once no kept release links it
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .._files import remove_release
from ..policy import HASH_LEN, MANIFEST_FILE, digest
from . import metadata
from .cache import RenderCache
from .compress import ENCODINGS, CompressedCache, Variant, is_text, variants
from .produce import Out


@dataclass
class Site:
    """Files of a release being built: their hashes and sizes, their compressed variants when known, and their
    bytes in the render cache (or in memory without one); `fresh`: the files whose bytes this build made."""

    cache: RenderCache | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # in memory: only without a cache
    shas: dict[str, str] = field(default_factory=dict)  # every file: the sha256 of its bytes
    sizes: dict[str, int] = field(default_factory=dict)
    variants: dict[str, tuple[Variant, ...]] = field(default_factory=dict)  # texts whose variants are in the cache
    fresh: set[str] = field(default_factory=set)
    languages: tuple[str, ...] = ()  # the language folders' names (tags)

    def add(self, rel: str, data: str | bytes) -> str:
        body = data.encode("utf-8") if isinstance(data, str) else data
        self.put(Out(rel, self.cache.put(body), len(body)) if self.cache else Out(rel, hashlib.sha256(body).hexdigest(), len(body), body))
        self.fresh.add(rel)
        return self.digest(rel)

    def put(self, out: Out) -> None:
        self.shas[out.rel] = out.sha
        self.sizes[out.rel] = out.size
        if out.variants is not None:
            self.variants[out.rel] = out.variants
        if out.body is not None:
            self.files[out.rel] = out.body

    def extend(self, outs: list[Out], made: list[str] | None = None) -> None:
        """Add files; `made`: the paths among them that were rendered in this build (the rest were reused)."""
        for out in outs:
            self.put(out)
        self.fresh.update(made or ())

    def digest(self, rel: str) -> str:
        return self.shas[rel][:HASH_LEN]

    def read(self, rel: str) -> bytes:
        if rel in self.files or self.cache is None:
            return self.files[rel]
        return Path(self.cache.blob(self.shas[rel])).read_bytes()

    def fresh_files(self) -> set[str]:
        """The release's files whose bytes this build made, with their variants: what a publish reads back."""
        return {*self.fresh, *(rel + suffix for rel in self.fresh for suffix in ENCODINGS)}


SHARED = metadata.SHARED  # <data>/releases/shared/<tag>.<hash>/: one language's folder, shared by every release that has it


def write_release(site: Site, dest: Path, *, link: bool = False, read_only: bool = False, shared: bool = False) -> set[str]:
    """Write the files, and their .br and .gz, to a fresh temporary directory beside `dest`, then move it into
    place. With `link`, files from the render cache are hard links to it (a release in the data directory);
    otherwise copies (a static export, which its owner may edit). With `read_only`, every file and folder is
    made read-only before the move (a published release: nothing edits it in place).

    With `shared` (a release in the data directory, `dest` in its releases/), each language's folder is
    a link to releases/shared/<tag>.<hash>/, named by the hash of its files' names, sizes and SHA-256s
    (compressed variants included): a language whose files did not change is the folder the release before
    had, so one paragraph changed at a state's scale writes one language's thousand files, not a hundred
    thousand links. Such a folder is complete and read-only, and made before the release that links it.
    Return the tags whose folder was already there (a publish checked it when it made it)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    reused: set[str] = set()
    created: list[Path] = []  # shared folders this call made: removed again if the release does not land
    try:
        written: dict[str, tuple[int, str]] = {}
        apart = set(site.languages) if shared and link and site.cache is not None else set()
        rels: list[str] = []
        by_language: dict[str, list[str]] = {tag: [] for tag in apart}
        for rel in sorted(site.shas):
            top, slash, _ = rel.partition("/")
            (by_language[top] if slash and top in apart else rels).append(rel)
        if apart:
            for tag, own in sorted(by_language.items()):
                name, was_there = _language_folder(site, dest.parent / SHARED, tag, own, written)
                os.symlink(metadata.shared_link(name), tmp / tag)
                if was_there:
                    reused.add(tag)
                else:
                    created.append(dest.parent / SHARED / name)
        folders, writable = _write_files(site, rels, tmp, link, written)
        metadata.write_manifest(tmp, written)  # last: it covers every file above, the compressed ones included
        if read_only:  # what this build wrote or copied; the hard links share the render cache's read-only files
            _make_read_only(tmp, [*writable, MANIFEST_FILE], folders)
        os.chmod(tmp, 0o555 if read_only else 0o755)
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
            os.replace(tmp, dest)
            remove_release(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        remove_release(tmp, ignore_errors=True)
        for folder in created:
            remove_release(folder, ignore_errors=True)
        raise
    return reused


def _make_read_only(top: Path, files: list[str], folders: set[str]) -> None:
    for rel in files:
        os.chmod(os.path.join(top, rel), 0o444)
    for folder in sorted(folders, key=len, reverse=True):  # deepest first
        os.chmod(folder, 0o555)


def _entries_key(entries: dict[str, tuple[int, str]]) -> str:
    return digest("".join(f"{rel}\0{size}\0{sha}\n" for rel, (size, sha) in sorted(entries.items())).encode())


def _expected(site: Site, rels: list[str]) -> dict[str, tuple[int, str]] | None:
    """checksums.json's entries of these files and their variants, as the build knows them; None when a text's
    variants are not known yet (not compressed yet)."""
    out: dict[str, tuple[int, str]] = {}
    for rel in rels:
        out[rel] = (site.sizes[rel], site.shas[rel])
        if is_text(rel):
            known = site.variants.get(rel)
            if known is None:
                return None
            for suffix, size, sha in known:
                out[rel + suffix] = (size, sha)
    return out


def _language_folder(site: Site, shared: Path, tag: str, rels: list[str], written: dict[str, tuple[int, str]]) -> tuple[str, bool]:
    """Make sure releases/shared/<tag>.<hash>/ holds these files (`tag`/...); add their entries to `written`;
    return the folder's name and whether it was there already. Read-only whoever makes it: a release the server
    built at start (not read-only) and a publish after it share the folder."""
    expected = _expected(site, rels)
    if expected is not None:
        name = f"{tag}.{_entries_key(expected)}"
        if os.path.isdir(shared / name):
            written.update(expected)
            return name, True
    shared.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{tag}.", dir=shared))
    try:
        made: dict[str, tuple[int, str]] = {}
        folders, writable = _write_files(site, rels, tmp, True, made, strip=tag + "/")
        _make_read_only(tmp, [r.removeprefix(tag + "/") for r in writable], folders)
        os.chmod(tmp, 0o555)
        name = f"{tag}.{_entries_key(made)}"
        try:
            os.rename(tmp, shared / name)  # never replaces a folder (a release may be serving it)
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not os.path.isdir(shared / name):
                raise
            remove_release(tmp)  # made meanwhile with the same files: that one is kept
            written.update(made)
            return name, True
    except BaseException:
        remove_release(tmp, ignore_errors=True)
        raise
    written.update(made)
    return name, False


def _place(src: Path | str, dst: Path | str, link: bool) -> bool:
    """Link (or copy) one file; return whether it was copied (a copy is writable: a link is the cache's file)."""
    if link:
        try:
            os.link(src, dst)
            return False
        except OSError as e:
            if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP):
                raise
    shutil.copyfile(src, dst)
    return True


def _write_files(site: Site, rels: list[str], root: Path, link: bool, written: dict[str, tuple[int, str]],
                 strip: str = "") -> tuple[set[str], list[str]]:
    """These files and their variants, below `root` (without the prefix `strip`): placed from the cache
    (compressing there what never was), or written. Add each written file's size and SHA-256 as the build
    knows them (checksums.json's entries) to `written`: the bytes are not read back here; a publish verifies
    what it made (site.fresh_files). Return the folders made, and the files that are not links to the cache's
    read-only files."""
    made: set[str] = set()
    compressed = CompressedCache(site.cache.compressed) if site.cache else None
    writable: list[str] = []
    missing: list[str] = []
    top = os.fspath(root)
    cut = len(strip)
    for rel in rels:
        path = f"{top}/{rel[cut:]}"
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if site.cache is None or compressed is None:
            missing.append(rel)
            continue
        sha = site.shas[rel]
        if _place(site.cache.blob(sha), path, link):
            writable.append(rel)
        written[rel] = (site.sizes[rel], sha)
        if is_text(rel):
            known = site.variants.get(rel)
            try:
                for suffix, size, digest_ in known if known is not None else ():
                    if _place(compressed.path(rel, sha, suffix), path + suffix, link):
                        writable.append(rel + suffix)
                    written[rel + suffix] = (size, digest_)
            except FileNotFoundError:  # pruned or removed from the cache since: compressed again below
                known = None
            if known is None:
                missing.append(rel)

    def one(rel: str) -> None:  # what is not in the cache yet: compressed here, two at a time
        path = f"{top}/{rel[cut:]}"
        if site.cache is None or compressed is None:
            body = site.files[rel]
            Path(path).write_bytes(body)
            written[rel] = (len(body), site.shas[rel])
            writable.append(rel)
            for suffix, data in (variants(rel, body).items() if is_text(rel) else ()):
                Path(path + suffix).write_bytes(data)
                written[rel + suffix] = (len(data), hashlib.sha256(data).hexdigest())
                writable.append(rel + suffix)
            return
        sha = site.shas[rel]
        for suffix, size, digest_ in compressed.ensure(rel, site.read(rel), sha):
            target = Path(path + suffix)
            target.unlink(missing_ok=True)  # a variant placed above before one of its kin was found missing
            if _place(compressed.path(rel, sha, suffix), target, link):
                writable.append(rel + suffix)
            written[rel + suffix] = (size, digest_)

    if missing:
        with ThreadPoolExecutor(max_workers=2) as pool:  # brotli and zlib release the GIL
            list(pool.map(one, missing))
    for folder in list(made):  # and the folders makedirs made on the way (api/, with no file of its own)
        while (folder := os.path.dirname(folder)) != top and folder.startswith(top) and folder not in made:
            made.add(folder)
    made.discard(top)
    return made, writable
