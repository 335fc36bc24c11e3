"""The dashboard: what is served, what publishing would change, checks and status; publish and roll back.

Publishing and rolling back each show what they will do first (GET) and act only on a POST carrying
confirm=yes: any other POST changes nothing and shows the same confirmation again. The checks, the
pending changes' render and a publish run in a child process (work.py), a rollback in a worker thread:
none of it holds up a family's request.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ... import release_diff, releases
from ...build import progress as build_progress_record
from ...config import Config
from ...errors import ContentError
from . import pending as changes
from .auth import Session
from .base import Console


class Dashboard(Console):
    async def dashboard(self, request: Request, session: Session, message: str = "", errors: list[str] | None = None) -> Response:
        state = await self.state()
        problems: list[str] = [*(errors or []), *state["errors"]]
        kept = release_rows(await self.offload(releases.listing, self.cfg))
        current = next((r for r in kept if r["current"]), None)
        progress = build_progress(self.cfg)
        if progress and not progress["running"] and (current is None or current.get("action") == "rollback"):
            progress = None  # the last publish's figures are not what families see after a rollback
        return self.page(
            "dashboard.html", request, session, message=message,
            current=current, releases=kept[:10], pending=state["pending"], problems=problems,
            warnings=warning_rows(state["warnings"]), status_rows=state["rows"], content=state["content"],
            languages=state["languages"] if not problems else [], progress=progress,
        )

    async def progress(self, request: Request, session: Session) -> Response:
        """The running (or last) build's or publish's progress record, for a page that follows it."""
        return JSONResponse(build_progress(self.cfg) or {}, headers={"Cache-Control": "no-store"})

    async def publish(self, request: Request, session: Session) -> Response:
        """GET: what publishing would change, and a "Yes, publish" button. POST with confirm=yes: publish."""
        state = await self.state()
        pending = state["pending"]
        if state["errors"] or pending is None:
            return await self.dashboard(request, session, errors=["Nothing can be published until these are fixed."])
        if not pending["changes"]:
            return await self.dashboard(request, session, message="Nothing to publish: families already see the working content.")
        form = request.state.form if request.method == "POST" else None
        if form is None or form.get("confirm") != "yes" or form.get("version", pending["id"]) != pending["id"]:
            note = ""
            if form is not None:
                note = ("Nothing was published: the content changed after you looked at it. Check the changes again."
                        if form.get("confirm") == "yes" else "Nothing was published: press “Yes, publish” to confirm.")
            kept = release_rows(await self.offload(releases.listing, self.cfg))
            number = next((r["number"] for r in kept if r["id"] == pending["id"]), None)
            number = number if number is not None else releases.next_number(releases.history(self.cfg))
            return self.page("confirm.html", request, session, status=409 if form is not None else 200, action="publish",
                             note=note, pending=pending, number=number, current=next((r for r in kept if r["current"]), None),
                             hidden={"version": pending["id"]})
        try:
            record = await self.in_child(releases.publish, self.cfg, session.user, self.cfg.keep)
        except ContentError as e:
            return await self.dashboard(request, session, errors=["Not published: " + str(p) for p in e.problems])
        except releases.PublishError as e:
            return await self.dashboard(request, session, errors=[plain_error(str(e))])
        return await self.dashboard(request, session, message=f"Published release {record.get('number', '')}: "
                                    f"{pages_changed(record['changes'], seen_pages(pending))}. Families get it the next time their phone checks for updates.")

    async def rollback(self, request: Request, session: Session) -> Response:
        """GET: which release would be served again and what that changes. POST with confirm=yes: roll back."""
        form = request.state.form if request.method == "POST" else request.query_params
        kept = release_rows(await self.offload(releases.listing, self.cfg))
        current = next((r for r in kept if r["current"]), None)
        target_id = str(form.get("release", "")) or previous_release(self.cfg)
        target = next((r for r in kept if r["id"] == target_id), None)
        if target is None or current is None or target["current"]:
            return await self.dashboard(request, session, errors=["There is no earlier release to go back to." if not target_id
                                                                  else "That release is not kept any more, or is already served."])
        if request.method != "POST" or form.get("confirm") != "yes":
            what = await self.offload(functools.partial(release_changes, self.cfg, current["id"], target["id"]))
            note = "Nothing was changed: press “Yes, go back” to confirm." if request.method == "POST" else ""
            return self.page("confirm.html", request, session, status=409 if request.method == "POST" else 200, action="rollback",
                             note=note, pending=what, target=target, current=current, hidden={"release": target["id"]})
        try:
            await self.offload(releases.rollback, self.cfg, session.user, target["id"])
        except releases.PublishError as e:
            return await self.dashboard(request, session, errors=[plain_error(str(e))])
        return await self.dashboard(request, session, message=(
            f"{target['label']} is served again. The working content was not changed: edits made after it now show below as "
            "changes waiting to be published. Edit them back, or they go out with the next publish."))


def previous_release(cfg: Config) -> str:
    """The release a rollback without a choice goes back to (as `serve.py rollback` does)."""
    cur = releases.current_id(cfg)
    ids = [str(r["id"]) for r in releases.history(cfg) if r["id"] != cur]
    return ids[-1] if ids else ""


def release_changes(cfg: Config, served: str, target: str) -> dict[str, Any]:
    """What serving `target` instead of `served` changes, page by page, as the pending changes are shown."""
    diff = release_diff.changes(release_diff.page_revisions(cfg.releases / served), release_diff.page_revisions(cfg.releases / target))
    root = cfg.releases / target

    def read(rel: str) -> bytes | None:
        path = root / rel
        return path.read_bytes() if path.is_file() else None

    return {"id": target, "changes": diff, **changes.describe(cfg, cfg.releases / served, read, diff, cfg.base_path)}


def when(iso: str) -> str:
    """An ISO time in plain words: "1 December 2026, 14:05 UTC"."""
    try:
        t = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return "at a time not recorded"
    t = t.astimezone(dt.UTC) if t.tzinfo else t
    return f"{t.day} {t:%B %Y}, {t:%H:%M} UTC"


SIDE_PAGES = ("search/",)  # pages that change only because another did: the search page links the new search index
CARD_PAGES = ("share/card/", "share/print/")  # the printed wallet card and flyer, which carry the directory's phones


def pages_changed(diff: dict[str, dict[str, list[str]]], seen: list[str] | None = None) -> str:
    """How many pages (counted once, whatever the languages) a release changed, in words: the pages a person
    edited, not the search page or the printed wallet card that follow them. `seen`: the pages whose words
    change (pending.describe's), when known; the wallet card is named only when its words change."""
    paths = {u.split("/", 2)[-1] for d in diff.values() for k in ("changed", "added", "removed") for u in d.get(k, []) if u.endswith("/")}
    languages = len(diff)
    worded = {p.lstrip("/") for p in seen} if seen is not None else paths
    cards = any(p.endswith(CARD_PAGES) for p in worded) and (seen is not None or all(p.endswith(SIDE_PAGES + CARD_PAGES) for p in paths))
    counted = {p for p in worded if not p.endswith(SIDE_PAGES + CARD_PAGES)}
    if not counted:
        if cards:
            return "only the printed wallet card changed"
        return "no page changed" if not diff else "only files behind the pages changed"
    n = len(counted)
    return (f"{n} page{'s' if n != 1 else ''} changed" + (" (and the printed wallet card)" if cards else "")
            + (f", in {languages} languages" if languages > 1 else ""))


WARNINGS = {  # each kind of content warning, summed up in one plain line (checks.check_report)
    "missing_links": ("link is not given yet in its source", "links are not given yet in their sources"),
    "past_review": ("page is past its review date", "pages are past their review date"),
    "federal_policy_review": ("page about federal policy is reviewed too rarely", "pages about federal policy are reviewed too rarely"),
    "corrections_without_source": ("correction names no source", "corrections name no source"),
    "draft_catalogs": ("translation is a draft not yet reviewed by a person", "translations are drafts not yet reviewed by a person"),
    "incomplete_catalogs": ("translation is incomplete (its missing parts show in English)",
                            "translations are incomplete (their missing parts show in English)"),
}


def warning_rows(warnings: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One line per kind of warning ("20 translations are drafts not yet reviewed by a person"), its items folded below."""
    rows = []
    for kind, items in warnings.items():
        if items:
            one, many = WARNINGS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
            rows.append({"summary": f"{len(items)} {one if len(items) == 1 else many}", "lines": items})
    return rows


def seen_pages(pending: dict[str, Any]) -> list[str] | None:
    """The pages whose words a publish changes (pending.describe's groups), or None when some are only counted."""
    if pending.get("more_pages"):
        return None
    return [p["path"] for g in pending.get("groups", []) for p in g["pages"]]


def release_rows(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept releases in plain words, newest number first."""
    rows = []
    for r in kept:
        number = r.get("number")
        label = f"Release {number}" if number is not None else "The content served before any publish"
        default = number == 0 or (number is None and r.get("action") in ("", "default"))
        what = "the default content, before the first publish" if default else pages_changed(r.get("changes") or {})
        again = f"; served again since {when(r['time'])}, by {r['who']}" if r.get("action") == "rollback" else ""
        by = "" if r.get("number") == 0 or r.get("published_by") in ("serve", "(built by serve)") else r.get("published_by", "")
        rows.append({**r, "label": label, "phrase": label if number is not None else label[:1].lower() + label[1:],
                     "when": when(r.get("published", "")), "by": by, "what": what + again})
    return sorted(rows, key=lambda r: (r["number"] if r["number"] is not None else -1, r["published"]), reverse=True)


def plain_error(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def build_progress(cfg: Config) -> dict[str, Any] | None:
    """The progress record, with "running" true while a build or publish is under way (one whose record
    has not moved for five minutes is taken as ended, e.g. killed)."""
    record = build_progress_record.read(cfg.data)
    if record is None:
        return None
    try:
        age = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(str(record.get("updated")))).total_seconds()
    except ValueError:
        age = float("inf")
    return {**record, "running": record.get("state") in ("rendering", "writing") and age < 300}
