"""Published releases: build the working content, check it, and switch `current` in one step.

    <data>/releases/<id>/     immutable release directories (read-only once written)
    <data>/current            the id being served; replaced by one atomic rename
    <data>/history.jsonl      one line per publish or rollback: id, time, who, changes per language
    <data>/audit.log          append-only: every publish, rollback, upload, edit, sign-in
    <data>/publish.lock       held (flock) while a publish or rollback runs

A publish that fails anywhere before the rename changes nothing that is served.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from . import build as building
from ._files import append_json, atomic_symlink, atomic_write, read_jsonl
from .build import metadata, worker
from .checks import check_report
from .config import Config
from .deploy import SITE_LINK
from .errors import ContentError


class PublishError(RuntimeError):
    """A publish or rollback that could not happen; nothing served changed."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def audit(cfg: Config, who: str, action: str, **detail: Any) -> None:
    """Append one line to the audit log (O_APPEND: concurrent writers never interleave a line)."""
    append_json(cfg.data / "audit.log", {"time": now(), "who": who, "action": action, **detail})


def read_audit(cfg: Config) -> list[dict[str, Any]]:
    return read_jsonl(cfg.data / "audit.log")


def current_id(cfg: Config) -> str | None:
    try:
        value = (cfg.data / "current").read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return value if value and (cfg.releases / value / metadata.INFO_FILE).is_file() else None


def set_current(cfg: Config, release_id: str) -> None:
    """Point `current` at a release, in one atomic rename; and `site`, the symlink a web server in
    front serves (deploy.py), relative so the data directory can be mounted anywhere."""
    atomic_write(cfg.data / "current", release_id + "\n", 0o644)
    atomic_symlink(cfg.data / SITE_LINK, Path("releases") / release_id)


def history(cfg: Config) -> list[dict[str, Any]]:
    return read_jsonl(cfg.data / "history.jsonl")


def _append_history(cfg: Config, record: dict[str, Any]) -> None:
    append_json(cfg.data / "history.jsonl", record, 0o644)


@contextmanager
def publish_lock(cfg: Config) -> Iterator[None]:
    try:
        cfg.data.mkdir(parents=True, exist_ok=True)
        fd = os.open(cfg.data / "publish.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise _friendly(e, cfg) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError("another publish or rollback is in progress; try again in a moment") from None
        yield
    finally:
        os.close(fd)


def page_revisions(release_dir: Path) -> dict[str, dict[str, str]]:
    """{lang: {url: revision}} from a release's service-worker config and bundles."""
    config = worker.read_config((release_dir / "sw.js").read_text(encoding="utf-8"))
    out = {}
    for lang, bundle_url in config["languages"].items():
        bundle = json.loads((release_dir / bundle_url.lstrip("/")).read_text(encoding="utf-8"))
        out[lang] = dict((url, rev) for url, rev in bundle["pages"])
    return out


def changes(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    """Per language: pages changed, added and removed between two releases."""
    out = {}
    for lang in sorted(set(old) | set(new)):
        a, b = old.get(lang, {}), new.get(lang, {})
        diff = {
            "changed": sorted(u for u in a.keys() & b.keys() if a[u] != b[u]),
            "added": sorted(b.keys() - a.keys()),
            "removed": sorted(a.keys() - b.keys()),
        }
        if any(diff.values()):
            out[lang] = diff
    return out


def summarize(diff: dict[str, dict[str, list[str]]]) -> str:
    if not diff:
        return "no page changed"
    parts = []
    for lang, d in diff.items():
        bits = [f"{len(d[k])} {k}" for k in ("changed", "added", "removed") if d[k]]
        parts.append(f"{lang}: {', '.join(bits)}")
    return "; ".join(parts)


def _freeze(root: Path) -> None:
    """Make a published release read-only, so nothing edits it in place (files first, then folders, deepest first)."""
    folders = []
    for folder, _dirs, names in os.walk(root):
        folders.append(folder)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o444, follow_symlinks=False)
    for folder in reversed(folders):
        os.chmod(folder, 0o555)


def remove_release(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(stat.S_IRWXU)
    shutil.rmtree(root)


def _friendly(error: OSError, cfg: Config) -> PublishError:
    if error.errno == errno.ENOSPC:
        what = "the disk is full"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = "the data directory cannot be written (permission denied or read-only)"
    else:
        what = error.strerror or str(error)
    return PublishError(f"could not write the release in {cfg.data}: {what}. Nothing changed; the current release is still served.")


def pending(cfg: Config, inputs: building.Inputs | None = None) -> dict[str, Any]:
    """What publishing the working content now would change, without touching what is served."""
    inputs = inputs or building.load_inputs(cfg)
    site, info = building.render(inputs, building.render_cache(cfg))  # what it renders, the publish reuses
    cur = current_id(cfg)
    if cur is not None and info["id"] == cur:
        return {"id": info["id"], "changes": {}, "summary": "nothing to publish: the working content is what is served"}
    new_revs = {}
    for lang in (lang["tag"] for lang in info["languages"]):
        bundle_name = next(name for name in site.shas if name.startswith(f"{lang}/bundle."))
        new_revs[lang] = dict(json.loads(site.read(bundle_name))["pages"])
    old_revs = page_revisions(cfg.releases / cur) if cur else {}
    diff = changes(old_revs, new_revs)
    return {"id": info["id"], "changes": diff, "summary": summarize(diff)}


def publish(cfg: Config, who: str, keep: int = 10, stream: TextIO | None = None) -> dict[str, Any]:
    """Check and build the working content, then make it current. Return the history record, with the
    build's one-line summary as "built". Progress goes to <data>/progress.json (and `stream`)."""
    with publish_lock(cfg):
        inputs = building.load_inputs(cfg)
        check_report(inputs)  # raises ContentErrors: nothing is built
        progress = building.Progress("publish", len(inputs.languages), cfg.data / building.PROGRESS_RECORD, stream)
        try:
            record = _publish(cfg, who, keep, inputs, progress)
        except BaseException:
            progress.finish("publish failed; nothing changed", "failed")
            raise
        progress.finish(record["built"])
        return record


def _publish(cfg: Config, who: str, keep: int, inputs: building.Inputs, progress: building.Progress) -> dict[str, Any]:
    previous = current_id(cfg)
    try:
        site, info = building.render(inputs, building.render_cache(cfg), building.default_jobs(), progress)
        dest = cfg.releases / info["id"]
        if previous == info["id"]:
            return {"id": previous, "summary": "nothing to publish: the working content is what is served", "changes": {},
                    "built": progress.summary()}
        if not dest.exists():
            building.write_release(site, dest, link=True)  # unchanged files are hard links into the cache
            _freeze(dest)
    except OSError as e:
        raise _friendly(e, cfg) from e
    diff = changes(page_revisions(cfg.releases / previous) if previous else {}, page_revisions(dest))
    _before_switch()
    record = {"id": info["id"], "time": now(), "who": who, "action": "publish", "previous": previous, "changes": diff,
              "summary": summarize(diff)}
    try:
        set_current(cfg, info["id"])
        _append_history(cfg, record)
    except OSError as e:
        raise _friendly(e, cfg) from e
    audit(cfg, who, "publish", release=info["id"], previous=previous, summary=record["summary"])
    prune(cfg, keep)
    try:
        building.render_cache(cfg).prune(set(site.shas.values()))  # at most once a day
    except OSError:
        pass  # the release is published; a cache left unpruned only takes space
    return {**record, "built": progress.summary()}


def _before_switch() -> None:
    """The moment between a release written and made current (a crash test patches it)."""


def rollback(cfg: Config, who: str, release_id: str | None = None) -> dict[str, Any]:
    """Make an earlier release current: the given one, or the one before the current."""
    with publish_lock(cfg):
        cur = current_id(cfg)
        if release_id is None:
            ids = [r["id"] for r in history(cfg) if r["id"] != cur]
            if not ids:
                raise PublishError("there is no earlier release to roll back to")
            release_id = ids[-1]
        if not (cfg.releases / release_id / metadata.INFO_FILE).is_file():
            raise PublishError(f"no release {release_id!r} is kept; `serve.py releases` lists them")
        diff = changes(page_revisions(cfg.releases / cur) if cur else {}, page_revisions(cfg.releases / release_id))
        record = {"id": release_id, "time": now(), "who": who, "action": "rollback", "previous": cur, "changes": diff,
                  "summary": summarize(diff)}
        try:
            set_current(cfg, release_id)
            _append_history(cfg, record)
        except OSError as e:
            raise _friendly(e, cfg) from e
        audit(cfg, who, "rollback", release=release_id, previous=cur)
        return record


def listing(cfg: Config) -> list[dict[str, Any]]:
    """Kept releases, newest first, with when and by whom each was last made current."""
    records = {r["id"]: r for r in history(cfg)}
    cur = current_id(cfg)
    out = []
    for release_dir in cfg.releases.glob("*"):
        if release_dir.name.startswith(".") or not release_dir.is_dir():
            continue
        try:
            info = metadata.read_info(release_dir)
        except ValueError:
            continue
        rec = records.get(info["id"], {})
        out.append({
            "id": info["id"],
            "time": rec.get("time", info.get("built_at", "")),
            "who": rec.get("who", "(built by serve)"),
            "summary": rec.get("summary", ""),
            "current": info["id"] == cur,
        })
    return sorted(out, key=lambda r: r["time"], reverse=True)


def prune(cfg: Config, keep: int) -> None:
    """Delete the oldest releases beyond `keep`, never the current one."""
    cur = current_id(cfg)
    for r in listing(cfg)[keep:]:
        if r["id"] != cur:
            remove_release(cfg.releases / r["id"])


def recover(cfg: Config) -> None:
    """Clean up after a publish that died: temporary directories beside the releases."""
    if cfg.releases.is_dir():
        for tmp in cfg.releases.glob(".*"):
            if tmp.is_dir():
                remove_release(tmp)
    for tmp in cfg.data.glob(".current.*"):
        tmp.unlink(missing_ok=True)


__all__ = ["ContentError", "PublishError", "audit", "current_id", "history", "listing", "pending", "publish", "rollback"]
