"""Every check a person should see before publishing: errors that stop a build, and warnings.

    check_report(inputs)   raise ContentErrors listing every error; return warnings by kind
    status_rows(inputs)    the translation status table, one row per catalog

Both read the inputs a build reads (build.load_inputs) and parse nothing of their own.
`Checked` keeps the last result per source hash, so the admin's dashboard checks nothing
again while nothing changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .build import Inputs, files_hash, load_inputs
from .config import Config
from .errors import ContentError
from .i18n import status_of


def status_rows(inputs: Inputs) -> list[dict[str, Any]]:
    rows = []
    for catalog in inputs.catalogs:
        lang, st = catalog.language, status_of(catalog)
        rows.append(
            {
                "language": lang.tag,
                "name": lang.native_name,
                "english_name": lang.english_name,
                "translated": st.translated,
                "fuzzy": st.fuzzy,
                "untranslated": st.untranslated,
                "percent": round(st.percent, 1),
                "review": "reviewed" if lang.reviewed else "draft",
            }
        )
    return rows


def check_report(inputs: Inputs) -> dict[str, list[str]]:
    """Validate everything; raise ContentErrors listing every error; return warnings a person should act on."""
    inputs.raise_problems()
    cfg, content = inputs.cfg, inputs.content
    return {
        "missing_links": [f"{f}:{line}: link missing in the source: {text}" for f, line, text in content.missing_links()],
        "past_review": [f"{p.file}: past its review date {p.review_by}" for p in content.pages if cfg.today > p.review_by],
        "draft_catalogs": [
            f"{c.path.relative_to(cfg.locales.parent) if c.path.is_relative_to(cfg.locales.parent) else c.path}: draft, not yet reviewed by a person"
            for c in inputs.catalogs
            if not c.language.reviewed
        ],
        "incomplete_catalogs": [
            f"{row['language']}: {row['untranslated']} untranslated, {row['fuzzy']} fuzzy (shown in English)"
            for row in status_rows(inputs)
            if row["untranslated"] or row["fuzzy"]
        ],
    }


@dataclass(frozen=True)
class Result:
    key: tuple[str, str]
    inputs: Inputs | None
    warnings: dict[str, list[str]]
    rows: list[dict[str, Any]]
    errors: list[str]


class Checked:
    """The inputs, warnings and status of the working content, computed again only when a file changed."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._last: Result | None = None
        self._lock = threading.Lock()

    def get(self) -> Result:
        key = (files_hash(self.cfg), self.cfg.today.isoformat())
        with self._lock:
            if self._last is not None and self._last.key == key:
                return self._last
            try:
                inputs = load_inputs(self.cfg)
                result = Result(key, inputs, check_report(inputs), status_rows(inputs), [])
            except ContentError as e:
                result = Result(key, None, {}, [], [str(p) for p in e.problems])
            self._last = result
            return result
