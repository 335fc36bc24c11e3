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
SHARED = "shared"  # releases/shared/<tag>.<hash>/: language folders that releases link to (write.write_release)


def is_release_name(name: str) -> bool:
    """Whether a name in releases/ may be a release (not a temporary or pruned one, not the shared folders)."""
    return not name.startswith(".") and name != SHARED


_LINK_PREFIX = f"../{SHARED}/"


def shared_link(folder: str) -> str:
    """What a release's language link holds: the shared folder's path relative to the release."""
    return _LINK_PREFIX + folder


def _shared_target(folder: str, name: str) -> str | None:
    """The link `name` at the top of a release points at one of the shared language folders: its name, else None."""
    try:
        target = os.readlink(os.path.join(folder, name))
    except OSError:
        return None
    rest = target.removeprefix(_LINK_PREFIX)
    if target.startswith(_LINK_PREFIX) and rest and "/" not in rest and rest.startswith(name + ".") and not rest.startswith("."):
        return rest
    return None


def shared_folders(root: Path) -> set[str]:
    """The names of the shared language folders a release links to."""
    top = os.fspath(root)
    out = set()
    with os.scandir(top) as entries:
        for entry in entries:
            if entry.is_symlink() and (name := _shared_target(top, entry.name)):
                out.add(name)
    return out


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
        files = {rel: [size, _sha256(Path(root) / rel)] for rel, size in _sizes(Path(root))[0].items() if rel != MANIFEST_FILE}
    text = json.dumps({"algorithm": "sha256", "files": files}, separators=(",", ":"), sort_keys=True)
    (Path(root) / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")


def _sizes(root: Path, trusted: frozenset[str] | set[str] = frozenset()) -> tuple[dict[str, int], dict[str, str]]:
    """Every file below `root`, as a relative POSIX path, with its size: one scandir walk, each entry's stat
    made by the walk (a tenth of the time of Path.rglob and os.stat at a state's hundred thousand files).
    The links at the top to shared language folders are followed, except those named in `trusted`; any other
    link is a problem (returned by the link's path, with what the walk found)."""
    top = os.fspath(root)
    out: dict[str, int] = {}
    problems: dict[str, str] = {}
    todo = [(top, "")]
    while todo:
        folder, prefix = todo.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    if prefix or not _shared_target(top, entry.name) or not entry.is_dir():
                        problems[prefix + entry.name] = f"{prefix}{entry.name}: a link to {_readlink(entry.path)!r}, not a file of the release"
                    elif entry.name not in trusted:
                        todo.append((entry.path, prefix + entry.name + "/"))
                elif entry.is_dir(follow_symlinks=False):
                    todo.append((entry.path, prefix + entry.name + "/"))
                else:
                    out[prefix + entry.name] = entry.stat(follow_symlinks=False).st_size
    return out, problems


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


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


def verify(root: Path, fresh: set[str] | None = None, trusted: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Given a release directory, return every problem of it (missing, changed or extra files); [] if it is intact.
    With `fresh`, only those files' bytes are read and hashed; every other file's presence and size are checked
    (a publish reads back what it made, not the files it linked from earlier releases; `serve.py verify` and the
    server reading a release check every byte). `trusted`: languages whose shared folder this publish found
    made (and checked) by an earlier one: only their link is checked, not each file again."""
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
    present, links = _sizes(root, trusted)
    problems += links.values()
    present.pop(MANIFEST_FILE, None)
    linked = {tag for tag in trusted if _shared_target(os.fspath(root), tag) and (root / tag).is_dir()}
    for tag in sorted(set(trusted) - linked):
        if tag not in links:
            problems.append(f"{tag}/: missing (its link to the shared folder is gone or broken)")
    for rel in sorted(expected.keys() - present.keys()):
        if (top := rel.partition("/")[0]) not in linked and top not in links:  # a bad link is one problem, not one per file
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
