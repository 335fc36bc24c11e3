"""Published releases: build the working content, check it, and switch `current` in one step.

    <data>/releases/<id>/     immutable release directories (read-only once written), each with its
                              checksums.json: verified before it is made current, and by `serve.py verify`
    <data>/current            the id being served; replaced by one atomic rename
    <data>/history.jsonl      one line per publish or rollback: id, time, who, changes per language
    <data>/audit.log          append-only: every publish, rollback, upload, edit, sign-in
    <data>/publish.lock       held (flock) while a publish or rollback runs

A publish that fails anywhere before the rename changes nothing that is served, and the next
publish removes what a killed one left behind. A damaged `current` falls back to the newest intact
published release (`restore_current`), never to the unpublished working content.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from . import build as building
from ._files import append_json, atomic_symlink, atomic_write, read_jsonl, remove_release, remove_trees_apart
from .build import metadata
from .checks import check_report
from .config import Config
from .deploy import SITE_LINK
from .errors import ContentError
from .i18n.extract import follow_source
from .release_diff import changes, page_revisions, revisions, summarize


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
def publish_lock(cfg: Config, wait: bool = False) -> Iterator[None]:
    """Held while anything writes releases: a second publish is refused, or (`wait`) waits its turn."""
    try:
        cfg.data.mkdir(parents=True, exist_ok=True)
        fd = os.open(cfg.data / "publish.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise _friendly(e, cfg) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise PublishError("another publish or rollback is in progress; try again in a moment") from None
        yield
    finally:
        os.close(fd)


_DENIED = "the data directory cannot be written (permission denied or read-only)"


def _friendly(error: OSError, cfg: Config) -> PublishError:
    what = {errno.ENOSPC: "the disk is full", errno.EACCES: _DENIED, errno.EPERM: _DENIED, errno.EROFS: _DENIED}.get(
        error.errno or 0, error.strerror or str(error))
    return PublishError(f"could not write the release in the data directory: {what}. Nothing changed; the current release is still served.")


def publish(cfg: Config, who: str, keep: int = 10, stream: TextIO | None = None) -> dict[str, Any]:
    """Check and build the working content, verify it, then make it current. Return the history record, with the
    build's one-line summary as "built". Progress goes to <data>/progress.json (and `stream`)."""
    with publish_lock(cfg):
        remove_leftovers(cfg)
        follow_source(cfg)  # an English edit made in the files: its units fuzzy or new in every catalog, as `extract` does
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
    made = ""  # the release this publish wrote: removed again unless it was made current
    reused: set[str] = set()  # languages whose shared folder an earlier publish made (and checked)
    try:
        site, info = building.render(inputs, building.render_cache(cfg), building.default_jobs(), progress)
        dest = cfg.releases / info["id"]
        fresh = site.fresh_files()  # what this build made is read back; what it linked, checked for presence and size
        if previous == info["id"] and not metadata.verify(dest, fresh):
            return {"id": previous, "summary": "nothing to publish: the working content is what is served", "changes": {},
                    "built": progress.summary()}
        if dest.exists() and metadata.verify(dest, fresh):  # a kept copy of this release was damaged: build it again
            remove_release(dest)
        if not dest.exists():
            made = info["id"]
            # unchanged files are hard links into the cache; unchanged languages, the folder the last release had
            reused = building.write_release(site, dest, link=True, read_only=True, shared=True)
        record = _switch(cfg, who, previous, info["id"], fresh, reused)
    except BaseException as e:
        if made and current_id(cfg) != made:  # a release nobody serves: nothing of a failed publish stays
            remove_release(cfg.releases / made, ignore_errors=True)
            for folder in _unlinked_shared(cfg):  # nor the language folders only it linked to
                remove_release(folder, ignore_errors=True)
        if isinstance(e, OSError):
            raise _friendly(e, cfg) from e
        raise
    audit(cfg, who, "publish", release=info["id"], previous=previous, summary=record["summary"])
    prune(cfg, keep)
    try:
        building.render_cache(cfg).prune(set(site.shas.values()))  # at most once a day
    except OSError:
        pass  # the release is published; a cache left unpruned only takes space
    return {**record, "built": progress.summary()}


def _switch(cfg: Config, who: str, previous: str | None, release_id: str, fresh: set[str], reused: set[str]) -> dict[str, Any]:
    """Verify the release, then make it current and record it in the history."""
    _refuse_damaged(cfg, release_id, "publish", fresh, reused)
    diff = changes(revisions(cfg.releases, previous), page_revisions(cfg.releases / release_id))
    _before_switch()
    past = history(cfg)
    record = {"id": release_id, "time": now(), "who": who, "action": "publish", "previous": previous, "changes": diff,
              "summary": summarize(diff), "number": numbers(past).get(release_id, next_number(past))}
    try:
        if previous and not past and previous != release_id:
            _keep_default(cfg, previous)
        set_current(cfg, release_id)
        _append_history(cfg, record)
    except OSError as e:
        raise _friendly(e, cfg) from e
    return record


def _keep_default(cfg: Config, release_id: str) -> None:
    """Before the first publish: record the release `serve` built from the default content, which families were
    being served, as release 0 of the history, so the first publish can be rolled back."""
    try:
        built = str(metadata.read_info(cfg.releases / release_id).get("built_at", "")) or now()
    except ValueError:
        return
    _append_history(cfg, {"id": release_id, "time": built, "who": "serve", "action": "default", "previous": None, "changes": {},
                          "summary": "the content served before the first publish", "number": 0})


def numbers(past: list[dict[str, Any]]) -> dict[str, int]:
    """{release id: number}: its position in the history when first made current (0 for the default content). A
    record's own "number" wins; records written before numbers existed are counted in order."""
    out: dict[str, int] = {}
    for r in past:
        rid = str(r.get("id", ""))
        if rid not in out:
            given = r.get("number")
            out[rid] = given if isinstance(given, int) else max(out.values(), default=0) + 1
    return out


def next_number(past: list[dict[str, Any]]) -> int:
    return max(numbers(past).values(), default=0) + 1


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
        if not release_id or not metadata.is_release_name(release_id) or "/" in release_id or not (cfg.releases / release_id).is_dir():
            raise PublishError(f"no release {release_id!r} is kept; `serve.py releases` lists them")
        _refuse_damaged(cfg, release_id, "roll back to")
        diff = changes(revisions(cfg.releases, cur), page_revisions(cfg.releases / release_id))
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
    past = history(cfg)
    records, numbered = {r["id"]: r for r in past}, numbers(past)
    first = {r["id"]: r for r in reversed(past) if r.get("action") in ("publish", "default")}  # when each was first published
    cur = current_id(cfg)
    out = []
    for release_dir in cfg.releases.glob("*"):
        if not metadata.is_release_name(release_dir.name) or not release_dir.is_dir():
            continue
        try:
            info = metadata.read_info(release_dir)
        except ValueError:
            continue
        rec, made = records.get(info["id"], {}), first.get(info["id"], {})
        out.append({
            "id": info["id"], "time": rec.get("time", info.get("built_at", "")), "who": rec.get("who", "(built by serve)"),
            "summary": rec.get("summary", ""), "current": info["id"] == cur, "number": numbered.get(info["id"]), "action": rec.get("action", ""),
            "published": made.get("time", info.get("built_at", "")), "published_by": made.get("who", "(built by serve)"),
            "changes": made.get("changes", {}),
        })
    return sorted(out, key=lambda r: r["time"], reverse=True)


PRUNED = ".pruned-"  # a release moved aside to be deleted (a leftover, if its deletion was cut short)


def prune(cfg: Config, keep: int) -> None:
    """Remove the oldest releases beyond `keep`, never the current one: each is moved aside at once (no
    listing shows it) and deleted by a process of its own, as deleting a state's release (a hundred thousand
    files) takes seconds nobody should wait for; the next publish deletes what that left."""
    cur = current_id(cfg)
    doomed = []
    for r in listing(cfg)[keep:]:
        if r["id"] != cur:
            aside = cfg.releases / f"{PRUNED}{r['id']}"
            os.replace(cfg.releases / r["id"], aside)
            doomed.append(str(aside))
    doomed += _unlinked_shared(cfg)
    remove_trees_apart(doomed)


def _unlinked_shared(cfg: Config) -> list[str]:
    """Move aside the shared language folders no kept release links to; return where they went."""
    shared = cfg.releases / metadata.SHARED
    if not shared.is_dir():
        return []
    linked: set[str] = set()
    for release_dir in cfg.releases.iterdir():
        if metadata.is_release_name(release_dir.name) and release_dir.is_dir():
            linked |= metadata.shared_folders(release_dir)
    out = []
    for folder in shared.iterdir():
        if not folder.name.startswith(".") and folder.name not in linked:
            aside = shared / f"{PRUNED}{folder.name}"
            os.replace(folder, aside)
            out.append(str(aside))
    return out


def remove_leftovers(cfg: Config) -> None:
    """Remove what a publish killed midway left: temporary release directories, the compression
    cache's work directories, a half-written `current`. Call it holding the publish lock."""
    if cfg.releases.is_dir():
        for tmp in (*cfg.releases.glob(".*"), *(cfg.releases / metadata.SHARED).glob(".*")):
            if tmp.is_dir():
                try:
                    remove_release(tmp)
                except FileNotFoundError:
                    pass  # a pruned release its own process was deleting meanwhile
    cache = cfg.data / "cache" / "compressed"
    if cache.is_dir():
        with os.scandir(cache) as entries:  # tens of thousands of files at scale: no stat for each
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
    for tmp in (*cfg.data.glob(".current.*"), *cfg.data.glob(".history.jsonl.*")):
        tmp.unlink(missing_ok=True)


def recover(cfg: Config) -> None:
    """Clean up after a publish that died (at start: nothing else can be writing yet)."""
    with publish_lock(cfg, wait=True):
        remove_leftovers(cfg)


# -- verifying releases ---------------------------------------------------------------------------


def _refuse_damaged(cfg: Config, release_id: str, doing: str, fresh: set[str] | None = None, trusted: set[str] | None = None) -> None:
    problems = metadata.verify(cfg.releases / release_id, fresh, trusted or set())
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PublishError(
            f"will not {doing} release {release_id}: it is damaged: {'; '.join(problems[:3])}{more}. "
            "Nothing changed; `serve.py verify` lists every problem."
        )


def verify_all(cfg: Config) -> list[dict[str, Any]]:
    """Every kept release, newest first, with the problems `metadata.verify` finds ([] when intact)."""
    cur = current_id(cfg)
    dirs = sorted((p for p in cfg.releases.glob("*") if p.is_dir() and metadata.is_release_name(p.name)), key=lambda p: p.stat().st_mtime,
                  reverse=True) if cfg.releases.is_dir() else []
    return [{"id": p.name, "current": p.name == cur, "problems": metadata.verify(p)} for p in dirs]


def newest_intact(cfg: Config, skip: str | None = None) -> str | None:
    """The newest release that a publish or rollback made current and that is still intact."""
    seen: set[str] = set()
    for record in reversed(history(cfg)):
        rid = str(record.get("id", ""))
        if rid in seen or rid == skip or not rid or not metadata.is_release_name(rid) or "/" in rid:
            continue
        seen.add(rid)
        if (cfg.releases / rid).is_dir() and not metadata.verify(cfg.releases / rid):
            return rid
    return None


def restore_current(cfg: Config) -> str | None:
    """Once something was published, make sure `current` names an intact published release.

    Return None when it does (or nothing was ever published); otherwise point `current` at the newest
    intact published release and return a warning saying so. Raise PublishError when none is intact:
    the unpublished working content is never served in its place.
    """
    if not history(cfg):
        return None
    raw = _read_pointer(cfg)
    problems = metadata.verify(cfg.releases / raw) if raw and metadata.is_release_name(raw) and "/" not in raw else ["not a release id"]
    if not problems:
        return None
    what = f"names release {raw!r}, which is damaged ({problems[0]})" if raw else "is missing or empty"
    fallback = newest_intact(cfg, skip=raw)
    if fallback is None:
        raise PublishError(
            f"{cfg.data / 'current'} {what}, and no published release is intact. Refusing to serve the unpublished "
            "working content: run `serve.py verify`, then `serve.py publish` or `serve.py rollback ID`."
        )
    set_current(cfg, fallback)
    audit(cfg, "serve", "fallback", release=fallback, reason=what)
    return f"WARNING: {cfg.data / 'current'} {what}; now serving {fallback}, the newest intact published release"


def _read_pointer(cfg: Config) -> str:
    try:
        return (cfg.data / "current").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


__all__ = ["ContentError", "PublishError", "audit", "current_id", "history", "listing", "publish", "restore_current",
           "rollback", "verify_all"]
