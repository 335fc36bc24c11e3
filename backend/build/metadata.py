"""release.json: what a release is (id, source hash, languages, when and for what date it was built),
and checksums.json: the size and SHA-256 of each of its files, so a damaged release is never served.

Both are written by the pipeline and read only through this module, by everyone who needs them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..policy import MANIFEST_FILE

INFO_FILE = "release.json"


def dumps(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=1) + "\n"


def read_info(release_dir: Path) -> dict[str, Any]:
    """Given a release directory, return its release.json; raise ValueError if it is missing or damaged."""
    try:
        data = json.loads((Path(release_dir) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{Path(release_dir) / INFO_FILE} is missing or damaged: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("languages"), list):
        raise ValueError(f"{Path(release_dir) / INFO_FILE} is not a release description")
    return data


def language_tags(info: dict[str, Any]) -> list[str]:
    return [str(lang["tag"]) for lang in info["languages"]]


# -- checksums.json: every file of a release, its size and SHA-256 ----------------------------------

def write_manifest(root: Path, known: dict[str, tuple[int, str]] | None = None) -> None:
    """Given a release directory being built, write checksums.json: the size and SHA-256 of every other file.
    `known`: {path: (size, sha256)} of every file the build wrote there, as it computed them (nothing is read);
    without it, every file is read."""
    if known is not None:
        files = {rel: list(entry) for rel, entry in known.items() if rel != MANIFEST_FILE}
    else:
        files = {rel: [size, _sha256(Path(root) / rel)] for rel, size in _sizes(Path(root)).items() if rel != MANIFEST_FILE}
    text = json.dumps({"algorithm": "sha256", "files": files}, separators=(",", ":"), sort_keys=True)
    (Path(root) / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")


def _sizes(root: Path) -> dict[str, int]:
    """Every file below `root`, as a relative POSIX path, with its size: one scandir walk, each entry's stat
    made by the walk (a tenth of the time of Path.rglob and os.stat at a state's hundred thousand files)."""
    top = os.fspath(root)
    out: dict[str, int] = {}
    todo = [(top, "")]
    while todo:
        folder, prefix = todo.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((entry.path, prefix + entry.name + "/"))
                else:
                    out[prefix + entry.name] = entry.stat(follow_symlinks=False).st_size
    return out


def read_manifest(root: Path) -> dict[str, tuple[int, str]]:
    """Given a release directory, return {relative path: (size, sha256)}; raise ValueError if missing or damaged."""
    path = Path(root) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        return {str(rel): (int(size), str(sha)) for rel, (size, sha) in files.items()}
    except FileNotFoundError:
        raise ValueError(f"{path} is missing: the release's files cannot be verified") from None
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"{path} is damaged: {e}") from None


def check_file(root: Path, rel: str, expected: tuple[int, str] | None, contents: bool = True, size: int | None = None) -> str | None:
    """Given one file of a release and its manifest entry, return what is wrong with it, or None (its size
    only, without `contents`; `size`: as a walk of the release found it, so it is not looked up again)."""
    if expected is None:
        return f"{rel}: not in {MANIFEST_FILE} (a file nobody built)"
    path = os.path.join(root, rel)
    try:
        size = os.stat(path).st_size if size is None else size
        if size != expected[0]:
            return f"{rel}: {size:,} bytes, but {expected[0]:,} were written (truncated or replaced)"
        if contents and _sha256(Path(path)) != expected[1]:
            return f"{rel}: its content is not what was written (SHA-256 differs)"
    except OSError as e:
        return f"{rel}: cannot be read ({e.strerror or e})"
    return None


def verify(root: Path, fresh: set[str] | None = None) -> list[str]:
    """Given a release directory, return every problem of it (missing, changed or extra files); [] if it is intact.
    With `fresh`, only those files' bytes are read and hashed; every other file's presence and size are checked
    (a publish reads back what it made, not the files it linked from earlier releases; `serve.py verify` and the
    server reading a release check every byte)."""
    root = Path(root)
    try:
        expected = read_manifest(root)
    except ValueError as e:
        return [str(e)]
    problems = []
    try:
        read_info(root)
    except ValueError as e:
        problems.append(str(e))
    present = _sizes(root)
    present.pop(MANIFEST_FILE, None)
    for rel in sorted(expected.keys() - present.keys()):
        problems.append(f"{rel}: missing")
    for rel, size in sorted(present.items()):
        entry = expected.get(rel)
        if fresh is not None and entry is not None and size == entry[0] and rel not in fresh:
            continue  # a linked file of the right size: the walk's stat was its whole check
        problem = check_file(root, rel, entry, contents=fresh is None or rel in fresh, size=size)
        if problem:
            problems.append(problem)
    return problems


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
