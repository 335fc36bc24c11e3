"""What changed between two releases: the pages per language, and the one line that says it in the history."""

from __future__ import annotations

import json
from pathlib import Path

from .build import worker


def page_revisions(release_dir: Path) -> dict[str, dict[str, str]]:
    """{lang: {url: revision}} from a release's service-worker config and bundles."""
    config = worker.read_config((release_dir / "sw.js").read_text(encoding="utf-8"))
    out = {}
    for lang, bundle_url in config["languages"].items():
        bundle = json.loads((release_dir / bundle_url.lstrip("/")).read_text(encoding="utf-8"))
        out[lang] = dict((url, rev) for url, rev in bundle["pages"])
    return out


def revisions(releases: Path, release_id: str | None) -> dict[str, dict[str, str]]:
    """The page revisions of a release that may be damaged (the one being replaced): {} when unreadable."""
    try:
        return page_revisions(releases / release_id) if release_id else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


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
    """One line: per language, or (more than five) the totals, so the line stays a line at a state's scale."""
    if not diff:
        return "no page changed"
    if len(diff) > 5:
        totals = [f"{sum(len(d[k]) for d in diff.values()):,} {k}" for k in ("changed", "added", "removed") if any(d[k] for d in diff.values())]
        return f"{len(diff)} languages: {', '.join(totals)}"
    parts = []
    for lang, d in diff.items():
        bits = [f"{len(d[k])} {k}" for k in ("changed", "added", "removed") if d[k]]
        parts.append(f"{lang}: {', '.join(bits)}")
    return "; ".join(parts)
