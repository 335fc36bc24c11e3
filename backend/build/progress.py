"""Progress of a long build or publish: a line per language on stderr, and a small record in the data dir.

    <data>/progress.json    {"what", "state", "started", "updated", "languages_done", "languages_total",
                             "pages_rendered", "pages_reused", "bytes", "seconds", "eta_seconds", "summary"}

The admin console reads the record (`read(cfg)`) to show a publish that is running; the terminal
gets one line per language (so a log is not flooded) and a closing one-line summary.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .._files import atomic_json
from .produce import Counts

RECORD = "progress.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class Progress:
    """Reports languages done, pages rendered and reused, and an estimate of the time left."""

    def __init__(self, what: str, total: int, record: Path | None = None, stream: TextIO | None = None):
        self.what, self.total, self.record, self.stream = what, total, record, stream
        self.started = time.perf_counter()
        self.done = 0
        self.counts = Counts()
        self.state: dict[str, Any] = {"what": what, "state": "rendering", "started": _now(), "languages_total": total}
        self._save()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def language_done(self, tag: str, counts: Counts) -> None:
        self.done += 1
        self.counts.add(counts)
        left = self.elapsed() / self.done * (self.total - self.done)
        if self.stream is not None:
            print(
                f"  {tag:<8} {counts.rendered_pages:>5} pages rendered, {counts.reused_pages:>5} reused"
                f"   [{self.done}/{self.total} languages, {self.elapsed():.1f} s, about {left:.0f} s left]",
                file=self.stream, flush=True,
            )
        self._save(eta_seconds=round(left, 1))

    def rendered(self, counts: Counts) -> None:
        """Every output is made (counts: of the whole release); the files are being written."""
        self.counts = counts
        self.state["state"] = "writing"
        self._save(eta_seconds=None)

    def summary(self) -> str:
        c = self.counts
        return (f"{c.rendered_pages} pages rendered, {c.reused_pages} reused; {len(c.rendered) + c.reused} files, "
                f"{size(c.bytes)} in {self.elapsed():.1f} s")

    def finish(self, line: str, state: str = "done") -> None:
        self.state["state"] = state
        self._save(summary=line, eta_seconds=0 if state == "done" else None)

    def _save(self, **extra: Any) -> None:
        self.state.update(
            updated=_now(), languages_done=self.done, pages_rendered=self.counts.rendered_pages,
            pages_reused=self.counts.reused_pages, bytes=self.counts.bytes, seconds=round(self.elapsed(), 1), **extra,
        )
        if self.record is not None:
            try:
                atomic_json(self.record, self.state, 0o644)
            except OSError:
                pass  # progress is a courtesy: a full disk fails the build itself, not here


def read(data: Path) -> dict[str, Any] | None:
    """The progress record of the data directory's last (or running) build or publish, or None."""
    try:
        value = json.loads((Path(data) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def terminal() -> TextIO:
    return sys.stderr
