"""File helpers every layer uses: atomic writes, files made once, appends that never interleave, JSON lines, trial copies.

One home for them (as sphinx/util/osutil.py is for Sphinx): a crash never leaves half a file,
and two writers never interleave a line.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_TEMPS = itertools.count()
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def atomic_write(path: Path | str, data: str | bytes, mode: int | None = None) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    The temporary name is this process's and thread's own (".name.pid.thread.n"), so no random name is drawn
    and the folder is made only when it is missing: a cold build writes thousands of files through here."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.{next(_TEMPS)}")
    try:
        fd = os.open(tmp, _CREATE, 0o600)
    except FileNotFoundError:
        os.makedirs(folder or ".", exist_ok=True)
        fd = os.open(tmp, _CREATE, 0o600)
    except FileExistsError:  # left by a crashed process that had this pid: a random name instead
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_once(path: Path, data: bytes, mode: int = 0o600) -> bytes:
    """Create `path` holding `data` unless it exists already; return what it holds. Of several
    processes doing this at once, one wins and every one of them returns the winner's bytes."""
    path = Path(path)
    try:
        existing = path.read_bytes()
        if existing:
            return existing
        path.unlink()  # an empty file (a crash between create and write) counts as absent
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)  # fails if another process made it first: theirs is kept
        except FileExistsError:
            pass
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path.read_bytes()


def atomic_json(path: Path, data: object, mode: int | None = None) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n", mode)


def append_line(path: Path, line: str, mode: int = 0o600) -> None:
    """Append one line with O_APPEND and a single write: concurrent writers never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def append_json(path: Path, record: dict[str, Any], mode: int = 0o600) -> None:
    append_line(path, json.dumps(record, ensure_ascii=False), mode)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every record of a JSON-lines file; a line cut short by a crash is skipped, not fatal."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


@contextmanager
def trial_copy(directory: Path) -> Iterator[Path]:
    """A throwaway copy of `directory` (same folder name), to try a change on before making it."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(directory).name
        shutil.copytree(directory, copy)
        yield copy


def copy_tree(source: Path, dest: Path) -> None:
    """Copy the folder `source` to `dest`, which must not exist: into a temporary folder beside it, then renamed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        shutil.copytree(source, tmp / "tree", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.replace(tmp / "tree", dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_symlink(link: Path, target: Path) -> None:
    """Point the symlink `link` at `target` (kept as given, relative or not), replacing it in one rename."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def remove_release(root: Path | str, ignore_errors: bool = False) -> None:
    """Delete a tree made read-only, such as a release: its folders are made writable first (the files' own modes do not matter)."""
    for folder, _dirs, _files in os.walk(root):
        try:
            os.chmod(folder, stat.S_IRWXU)
        except OSError:
            if not ignore_errors:
                raise
    shutil.rmtree(root, ignore_errors=ignore_errors)


def remove_trees_apart(roots: list[str]) -> None:
    """Delete trees with `remove_release` in a process of its own, which outlives this one: deleting a
    hundred thousand files takes seconds nobody should wait for."""
    if roots:
        here = os.fspath(Path(__file__).resolve().parents[1])
        code = "import os, sys; os.nice(19); sys.path.insert(0, sys.argv[1]); from backend._files import remove_release\n" \
               "for root in sys.argv[2:]: remove_release(root, ignore_errors=True)"  # below the server and the next publish
        subprocess.Popen([sys.executable, "-c", code, here, *roots], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
