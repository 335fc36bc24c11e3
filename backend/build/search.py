"""The offline search index of one language: every page and service, as the reader sees them.

    {"docs": [[path, kind, title, extra, [sentence, ...], [[shown, tel: URI without its scheme], ...]], ...]}

`path` is below /{lang}/; `kind` is "s" for a service (whose name outranks a passing
mention elsewhere) and "p" for a page; `extra` is a page's summary or a service's
category; sentences are what a result quotes, with the match highlighted; a service
carries its phones so a result can be called straight away. The text is stored as
written: pwa/static/search.js folds case and diacritics when it loads the index, so
the index stays one copy of the words (it is precached with the language's pages,
and every byte counts on prepaid data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .renderer import LanguageRenderer

# A sentence ends at . ! ? or Arabic ؟ before a space and anything but a lower-case Latin letter
# ("U.S. their home" stays whole), or right after a CJK full stop, which takes no space.
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+(?=[^\sa-z])|(?<=[。！？])\s*")


@dataclass(frozen=True)
class Doc:
    path: str
    kind: str
    title: str
    extra: str
    text: tuple[str, ...]
    phones: tuple[tuple[str, str], ...] = field(default=())

    def row(self) -> list[object]:
        sentences = [s for paragraph in self.text for s in split_sentences(paragraph)]
        row: list[object] = [self.path, self.kind, self.title, self.extra, sentences]
        if self.phones:
            row.append([list(p) for p in self.phones])
        return row


def split_sentences(text: str) -> list[str]:
    """Given a paragraph of plain text, return its sentences."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def docs(lr: LanguageRenderer) -> Iterator[Doc]:
    """Every page, the directory, its categories and every service of one language."""
    c = lr.content
    for page in c.pages:
        ctx = page.context
        yield Doc(page.path, "p", lr.plain(ctx, page.title), lr.plain(ctx, page.summary), tuple(lr.plain(ctx, b.text) for b in page.blocks))
    yield Doc("services/", "p", lr.plain("page:services", c.site.directory_title), lr.plain("page:services", c.site.directory_summary), ())
    category_names = {cat.id: lr.plain("category", cat.name) for cat in c.categories}
    for cat in c.categories:
        names = tuple(lr.plain(s.context, s.name) for s in c.services_in(cat.id))
        yield Doc(f"services/category/{cat.id}/", "p", category_names[cat.id], "", (", ".join(names),))
    for s in c.services:
        ctx = s.context
        text = [lr.plain(ctx, b.text) for b in s.description]
        text += [lr.plain(ctx, p.label) for p in s.phones if p.label]
        if s.address is not None:
            text.append(s.address.one_line())
        text += [lr.plain(ctx, t) for t in (s.hours, s.fees, s.eligibility) if t]
        phones = tuple((p.number, p.tel.removeprefix("tel:")) for p in s.phones)
        yield Doc(f"services/{s.id}/", "s", lr.plain(ctx, s.name), category_names[s.category], tuple(text), phones)


def build_index(lr: LanguageRenderer) -> str:
    """Given a language's renderer, return its search index as compact JSON."""
    return json.dumps({"docs": [d.row() for d in docs(lr)]}, ensure_ascii=False, separators=(",", ":"))
