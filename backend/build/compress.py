"""The .br and .gz beside every text file of a release, at a level chosen per kind of file.

Measured on the default pack (21 languages, README "Performance"): for pages, JSON, contact
cards and manifests, brotli 10 gives bytes within 1.5 % of brotli 11 in less than half the time
(brotli 9 and below are 12 % larger); hashed assets under static/ are compressed once and live
forever, so they get brotli 11. gzip 6 is within 0.1 % of gzip 9 on every kind.

As whitenoise's compressor does, a variant is kept only when it is at least 5 % smaller, and the
gzip header carries no name and no time, so the same bytes always compress to the same bytes.
Compressed variants are kept in <data>/cache/compressed/<sha256>.br|.gz and reused by hash.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import brotli

from .._files import atomic_write
from ..policy import PACK_NAME

TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".webmanifest", ".svg", ".txt", ".vcf"}
ENCODINGS = (".br", ".gz")


def is_text(rel: str) -> bool:
    name = rel.rpartition("/")[2]
    return "." in name and name[name.rindex(".") :] in TEXT_SUFFIXES


def levels(rel: str) -> tuple[int, int]:
    """(brotli quality, gzip level) for a file of the release."""
    if rel.startswith("static/"):
        return 11, 9
    if rel.rpartition("/")[2].startswith(PACK_NAME + "."):
        return 8, 6
    return 10, 6


def variants(rel: str, data: bytes) -> dict[str, bytes]:
    """{".br": ..., ".gz": ...}: the variants worth keeping (each at least 5 % smaller than `data`)."""
    quality, level = levels(rel)
    out = {}
    br = brotli.compress(data, quality=quality)
    if len(br) <= 0.95 * len(data):
        out[".br"] = br
        gz = gzip.compress(data, compresslevel=level, mtime=0)
        if len(gz) <= 0.95 * len(data):
            out[".gz"] = gz
    return out


Variant = tuple[str, int, str]  # (".br" or ".gz", its size, its SHA-256): what checksums.json records of it


def _digest(suffix: str, body: bytes) -> Variant:
    return suffix, len(body), hashlib.sha256(body).hexdigest()


class CompressedCache:
    """<data>/cache/compressed: the variants of every text a build compressed, by the text's hash and level."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._root = os.fspath(root)

    def _stem(self, rel: str, sha: str) -> str:
        quality, level = levels(rel)
        return f"{self._root}/{sha}.{quality}{level}"

    def path(self, rel: str, sha: str, suffix: str) -> str:
        """Where the variant `suffix` of this text at its level is kept (whether or not it is there)."""
        return self._stem(rel, sha) + suffix

    def paths(self, rel: str, sha: str) -> list[tuple[str, Path]] | None:
        """(suffix, cached file) of each variant, or None when this text at this level was never compressed.
        A text is done once its .br is there (its .gz is written first) or, with no variant worth keeping, its
        .none marker: two files per text at most, as file creation is a fair part of a cold build."""
        stem = self._stem(rel, sha)
        if os.path.exists(stem + ".br"):
            return [(s, Path(stem + s)) for s in ENCODINGS if os.path.exists(stem + s)]
        return [] if os.path.exists(stem + ".none") else None

    def ensure(self, rel: str, data: bytes, sha: str | None = None) -> list[Variant]:
        """Compress `data` unless it was compressed before; return each variant's suffix, size and SHA-256
        (read back from the cache when it was compressed before). Keep them with the file that has them:
        a later build then links the variants without reading them (pipeline.py)."""
        sha = sha or hashlib.sha256(data).hexdigest()
        found = self.paths(rel, sha)
        if found is not None:
            return [_digest(suffix, path.read_bytes()) for suffix, path in found]
        stem = self._stem(rel, sha)
        made = variants(rel, data)
        for suffix in sorted(made, key=lambda s: s == ".br"):  # .br last: it marks the text done
            atomic_write(Path(f"{stem}{suffix}"), made[suffix], 0o444)
        if not made:
            atomic_write(Path(f"{stem}.none"), b"")
        return [_digest(s, made[s]) for s in ENCODINGS if s in made]
