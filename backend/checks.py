"""Every check a person should see before publishing: errors that stop a build, and warnings.

    check_report(inputs)   raise ContentErrors listing every error; return warnings by kind
    status_rows(inputs)    the translation status table, one row per catalog

Both read the inputs a build reads (build.load_inputs) and parse nothing of their own.
`Checked` keeps the last result per source hash, so the admin's dashboard checks nothing
again while nothing changed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import Inputs, files_hash, load_inputs
from .config import Config
from .errors import ContentError
from .i18n import status_of

FEDERAL_REVIEW_MONTHS = 6  # a page with `federal_policy = true` is checked again at least this often


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it is shorter: Aug 31 + 6 months = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


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
                "reviewed": st.reviewed,
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
        "federal_policy_review": [
            f"{p.file}: about federal policy, which can change overnight, but review_by {p.review_by} is more than "
            f"{FEDERAL_REVIEW_MONTHS} months after as_of {p.as_of}"
            for p in content.pages
            if p.federal_policy and p.review_by > add_months(p.as_of, FEDERAL_REVIEW_MONTHS)
        ],
        "corrections_without_source": [
            f"{p.file}:{c.line}: the correction of {c.date} cites no source; "
            "name the document it comes from among its sources (a new document goes first in the district's list of sources)"
            for p in content.pages
            for c in p.corrections
            if not c.sources
        ],
        "draft_catalogs": [
            f"{Path(cfg.locales.name, c.path.relative_to(cfg.locales)) if c.path.is_relative_to(cfg.locales) else c.path.name}: "
            f"{c.language.english_name}, a draft not yet reviewed by a person"
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
