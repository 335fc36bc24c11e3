"""A TOML document read with the line of every key, so each problem names its file and line."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import Collector, ContentError
from . import markup
from .model import Source


class Reader:
    """Reads one TOML document and finds the line a key is on, for error messages."""

    def __init__(self, path: Path, text: str, problems: Collector, first_line: int = 1):
        self.path, self.text, self.problems, self.first_line = path, text, problems, first_line
        self.lines = text.splitlines()

    def parse(self) -> dict[str, Any] | None:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as e:
            m = re.search(r"line (\d+)", str(e))
            line = int(m.group(1)) + self.first_line - 1 if m else self.first_line
            self.problems.add(f"invalid TOML: {e}", self.path, line)
            return None

    def line_of(self, key: str, nth: int = 0, after: str | None = None) -> int:
        start = 0
        if after is not None:
            for i, line in enumerate(self.lines):
                if line.strip() == after:
                    start = i
                    break
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        seen = 0
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i]):
                if seen == nth:
                    return i + self.first_line
                seen += 1
        return self.first_line

    def error(self, message: str, key: str | None = None, nth: int = 0, after: str | None = None) -> None:
        self.problems.add(message, self.path, self.line_of(key, nth, after) if key else self.first_line)


def text(r: Reader, data: dict[str, Any], key: str, *, required: bool = True, nth: int = 0, after: str | None = None) -> str:
    value = data.get(key)
    if value is None:
        if required:
            r.error(f"missing required field {key!r}", after=after)
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        r.error(f"{key!r} must be non-empty text", key, nth, after)
        return ""
    value = " ".join(value.split())
    if value:
        try:
            markup.validate_inline(value)
        except ContentError as e:
            r.error(f"{key!r}: {e.problem.message}", key, nth, after)
    return value


def date(r: Reader, data: dict[str, Any], key: str, *, after: str | None = None) -> dt.date:
    value = data.get(key)
    if value is None:
        r.error(f"missing required field {key!r} (a date, e.g. 2024-12-17)", after=after)
        return dt.date.min
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        r.error(f"{key!r} must be a date written as YYYY-MM-DD, without quotes", key, after=after)
        return dt.date.min
    return value


def unknown(r: Reader, data: dict[str, Any], allowed: set[str], after: str | None = None) -> None:
    for key in data:
        if key not in allowed:
            r.error(f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})", key, after=after)


def sources(r: Reader, data: dict[str, Any], known: dict[str, Source], after: str | None = None) -> tuple[Source, ...]:
    ids = data.get("sources")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        r.error("'sources' must be a non-empty list of source ids from content/site.toml", "sources" if ids is not None else None, after=after)
        return ()
    out = []
    for i in ids:
        if i not in known:
            r.error(f"unknown source {i!r} (known: {', '.join(sorted(known))})", "sources", after=after)
        else:
            out.append(known[i])
    return tuple(out)
