"""A page's dated corrections: the `[[corrections]]` tables of its front matter.

    [[corrections]]
    date = 2026-12-01                 # when the correction was made (not before the page's as_of)
    text = "What changed, and whom to ask. [Inline](/markdown/) as in a paragraph."
    sources = ["id"]                  # optional: ids of [[sources]] in site.toml; `check` asks for one
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ._toml import Reader
from ._toml import text as _text
from .model import Correction, Source


def read_corrections(r: Reader, data: dict[str, Any], known: dict[str, Source], as_of: dt.date) -> tuple[Correction, ...]:
    """A page's [[corrections]]: date, text (inline Markdown, at most 400 characters), sources (ids, optional)."""
    raw = data.get("corrections", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        r.error("'corrections' must be [[corrections]] tables, each with a date, a text and sources", "corrections")
        return ()
    has_sources = "sources" in data  # a page's own `sources =` comes before its tables
    out = []
    for n, item in enumerate(raw):
        header = _table_line(r, "[[corrections]]", n)
        for key in item:
            if key not in {"date", "text", "sources"}:
                r.problems.add(f"unknown field {key!r} in [[corrections]] (allowed: date, sources, text)", r.path, header)
        text = _text(r, item, "text", nth=n)
        if len(text) > 400:
            r.error(f"a correction is {len(text)} characters; keep it under 400", "text", n)
        day = item.get("date")
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            r.problems.add("each [[corrections]] needs a 'date' written as YYYY-MM-DD, without quotes", r.path, header)
            continue
        if as_of != dt.date.min and day < as_of:
            r.error(f"correction dated {day} is before the page's as_of {as_of}: a correction comes after what it corrects", "date", n)
        ids = item.get("sources", [])
        sources: list[Source] = []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            r.error("a correction's 'sources' must be a list of source ids from content/site.toml", "sources", n + has_sources)
        else:
            for i in ids:
                if i in known:
                    sources.append(known[i])
                else:
                    r.error(f"unknown source {i!r} (known: {', '.join(sorted(known))})", "sources", n + has_sources)
        out.append(Correction(day, text, tuple(sources), r.line_of("text", n)))
    return tuple(sorted(out, key=lambda c: c.date, reverse=True))


def _table_line(r: Reader, header: str, nth: int) -> int:
    """The line of the nth `[[table]]` header of the document."""
    seen = 0
    for i, line in enumerate(r.lines):
        if line.strip() == header:
            if seen == nth:
                return i + r.first_line
            seen += 1
    return r.first_line
