"""What one output of a build reads, recorded while it renders: the dependencies of incremental builds.

A build renders each output (a page, a language's search index, its contact cards, ...) inside
`recording()`. Everything a page may read that differs from build to build is read through one
of these doors, and each door notes what went through it:

    TracedTranslator.unit / ngettext    ("t", lang, msgctxt, h) and ("en", msgctxt, h), or ("u", lang, h) for
                                         a UI string; h = text_hash(msgid): a unit's translation, and the
                                         English entity it belongs to (a page without its blocks, when the
                                         unit is its title, nav label or summary; all of it otherwise)
    TracedEnvironment._load_template    ("tpl", name): every template, include and import
    Renderer.asset                       ("asset", logical name)
    Renderer.base_url                    ("url",): the address families open (share links, QR codes, alternates)

Everything else a page reads is in the release-wide key (cache.release_key): the code, the
settings, the languages, the site, categories, notices, the pages' and services' structure,
and what the build's date decides (which pages are past review, which notices show).

An output is rendered again only when one of its recorded reads gives a different answer
(cache.Fingerprints answers them), or the release-wide key changed. Rendering is deterministic,
so an output whose every read is unchanged would read the same things again and come out the
same; tests/test_incremental.py checks that an incremental build equals a cold one.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from jinja2 import Environment, Template

from ..i18n import Translator

Dep = tuple[str, ...]

_current: contextvars.ContextVar[set[Dep] | None] = contextvars.ContextVar("puente_trace", default=None)


@contextmanager
def recording() -> Iterator[set[Dep]]:
    """Record every read made inside the block into the set it yields (nested blocks each get theirs)."""
    deps: set[Dep] = set()
    outer = _current.get()
    token = _current.set(deps)
    try:
        yield deps
    finally:
        _current.reset(token)
        if outer is not None:
            outer |= deps


def note(*dep: str) -> None:
    """Record one read, if anything is recording."""
    deps = _current.get()
    if deps is not None:
        deps.add(dep)


_hashes: dict[str, str] = {}


def text_hash(text: str) -> str:
    """A short hash of a unit's English text (msgid), as reads record it."""
    h = _hashes.get(text)
    if h is None:
        h = _hashes[text] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return h


class TracedTranslator(Translator):
    """A Translator that records which units of which language it was asked for."""

    @classmethod
    def wrap(cls, translator: Translator) -> TracedTranslator:
        return cls(translator.language, translator.entries, translator.reviewed)

    def unit(self, context: str, text: str) -> tuple[str, str | None]:
        deps = _current.get()
        if deps is not None:
            h = text_hash(text)
            if context == "ui":
                deps.add(("u", self.language.tag, h))
            else:
                deps.add(("t", self.language.tag, context, h))
                deps.add(("en", context, h))
        return super().unit(context, text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        note("u", self.language.tag, text_hash(singular))
        return super().ngettext(singular, plural, n)


class TracedEnvironment(Environment):
    """A Jinja environment that records every template it hands out (extends, include and import too)."""

    def _load_template(self, name: Any, globals: MutableMapping[str, Any] | None) -> Template:
        if isinstance(name, str):
            note("tpl", name)
        return super()._load_template(name, globals)
