"""content/share.toml: which statements the wallet card prints and whose phones the flyer lists.

    contacts = "legal"                       # a category id: its services' phones are printed
    [[card]]
    page = "rights/school"                   # a page id
    text = "..."                             # one of its paragraphs or list items, word for word

The card prints the page's own unit, so it is text that already exists and is already translated.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ..errors import Collector, ContentError
from . import markup
from ._toml import Reader
from .markup import Block
from .model import SHARE_FILE, Content, Page, SharePlan


def read_plan(content: Content) -> SharePlan | None:
    """Given the loaded content, return what the flyer and card print, or None without share.toml; raise ContentErrors."""
    path = content.root / SHARE_FILE
    if not path.is_file():
        return None
    problems = Collector()
    r = Reader(Path(content.root.name, SHARE_FILE), path.read_text(encoding="utf-8"), problems)
    data = r.parse()
    problems.raise_if_any()
    assert data is not None
    for key in data:
        if key not in {"contacts", "card"}:
            r.error(f"unknown field {key!r} (allowed: card, contacts)", key)
    category = data.get("contacts", "")
    known = {c.id for c in content.categories}
    if not isinstance(category, str) or category not in known:
        r.error(f"'contacts' must be a category of content/site.toml ({', '.join(sorted(known))}), not {category!r}", "contacts")
    card: list[tuple[Page, Block]] = []
    pages = {p.id: p for p in content.pages}
    items = data.get("card", [])
    for n, item in enumerate(items if isinstance(items, list) else [items]):
        if not isinstance(item, dict):
            r.error("each statement is a [[card]] table with 'page' and 'text'", "card")
            continue
        page_id, wanted = item.get("page"), item.get("text")
        page = pages.get(str(page_id))
        if page is None:
            r.error(f"[[card]] names no page of the content: {page_id!r}", "page", n)
            continue
        if not isinstance(wanted, str):
            r.error("each [[card]] needs a 'text': a paragraph or list item of its page, word for word", "page", n)
            continue
        try:
            block = _find_statement(page, " ".join(wanted.split()), exclude=[b for _, b in card])
        except ContentError as e:
            r.error(f"'text': {e.problem.message}", "text", n)
            continue
        if block is None:
            r.error(f"this statement is no longer a paragraph or list item of {page.file}: {wanted[:60]!r}", "text", n)
            continue
        card.append((page, block))
    problems.raise_if_any()
    return SharePlan(tuple(content.services_in(str(category))), str(category), tuple(card))


def _find_statement(page: Page, wanted: str, exclude: list[Block], cutoff: float = 0.8) -> Block | None:
    """The paragraph or list item of `page` that says `wanted`: word for word, or after a small edit
    of the page (then the card prints the page's current wording, as the page does)."""
    candidates = [b for b in page.blocks if b.kind != "heading" and b not in exclude]
    plain = markup.plain_text(wanted)
    for b in candidates:
        if wanted == b.text or plain == markup.plain_text(b.text):
            return b
    scored = [(difflib.SequenceMatcher(None, plain, markup.plain_text(b.text)).ratio(), b) for b in candidates]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] >= cutoff else None
