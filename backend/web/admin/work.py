"""The console's heavy work (checks, what publishing would change, previews, publishes) in a child process.

A build renders every page of every language: run on the server's event loop it froze the site for
seconds, and even in a thread it held Python's interpreter lock most of the time. So each job runs in a
fresh process at a lower CPU priority, and the server only waits for its answer from a worker thread.
The process is forked from multiprocessing's fork server: a process of its own, started from nothing
on the first job (so it shares nothing with the server's threads) with this module and the build
already imported (a spawned process imported them for every job: about 0.4 CPU s of each). Each
function here is such a job: given the Config, it returns plain data, or raises ContentError or
PublishError, which cross the process boundary.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ... import build as building
from ..._files import remove_release
from ...build import metadata
from ...checks import check_report, status_rows
from ...config import Config
from ...errors import ContentError
from ...i18n.extract import follow_source
from . import pending as changes

T = TypeVar("T")
NICENESS = 10  # families' requests first: the kernel gives a job's process about a tenth of a busy core's share
_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload([__name__])  # read when the fork server starts: on the first job


def run_in_child(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` in a fresh low-priority process and return its result (or raise its error). Blocks."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_FORK_SERVER, initializer=_lower_priority) as pool:
        return pool.submit(fn, *args).result()


def _lower_priority() -> None:
    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: the job runs at normal priority
        pass


def working_state(cfg: Config, with_pending: bool = True) -> dict[str, Any]:
    """The working content's errors, warnings and translation status, and (`with_pending`, a render of the
    whole release) what publishing it would change. First the catalogs follow the English (i18n.extract):
    an edit saved in the console or in a file is in messages.pot and every catalog before anything is counted."""
    try:
        follow_source(cfg)
        inputs = building.load_inputs(cfg)
    except ContentError as e:
        return {"errors": [str(p) for p in e.problems], "warnings": {}, "rows": [], "pending": None, "content": None, "languages": [],
                "with_pending": True}
    rows = status_rows(inputs)
    try:
        warnings = check_report(inputs)
    except ContentError as e:
        return {"errors": [str(p) for p in e.problems], "warnings": {}, "rows": rows, "pending": None, "content": None, "languages": [],
                "with_pending": True}
    errors: list[str] = []
    pending = None
    try:
        pending = changes.pending(cfg, inputs) if with_pending else None
    except ContentError as e:
        errors = [str(p) for p in e.problems]
    content = {
        "pages": [{"id": p.id, "title": p.title} for p in inputs.content.pages],
        "services": [{"id": s.id, "name": s.name} for s in inputs.content.services],
    }
    return {"errors": errors, "warnings": warnings, "rows": rows, "pending": pending, "content": content, "languages": list(inputs.languages),
            "with_pending": with_pending}


def build_preview(cfg: Config) -> Path:
    """Build the working content into <data>/preview/<source> (once per source); return that directory."""
    follow_source(cfg)  # the preview shows what families would get: English where the English changed
    inputs = building.load_inputs(cfg)  # raises ContentErrors: what is wrong, for the dashboard
    preview = cfg.data / "preview"
    dest = preview / inputs.source
    if not (dest / metadata.INFO_FILE).is_file():
        for old in preview.glob("*") if preview.is_dir() else []:
            if old.name != inputs.source and old.is_dir():
                remove_release(old)
        site, _ = building.render(inputs, building.render_cache(cfg))  # after an edit, only what it changed is rendered
        building.write_release(site, dest)
    return dest
