"""What publishing would change, in words a person reads: per page, its title, and per language the text
before and after, the changed words highlighted (a word-level diff of the page's text).

Runs inside the dashboard's child process (work.working_state): it renders the working content, compares
each page with the release now served (after a rollback, the one rolled back to), and returns plain data
whose HTML is escaped here, so the template shows it as it is.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from ... import build as building
from ... import release_diff, releases
from ...config import Config

CONTEXT = 8  # unchanged words shown either side of a change
MAX_PAGES = 40  # page groups shown with their text; the rest are only named
MAX_CHANGES = 12  # changed places shown per page and language
MAX_SHOWN = 400  # changed places shown in all: beyond, a page and language says only how many (the page stays light)
NOTHING = "nothing to publish: the working content is what is served"
SKIPPED = {"script", "style", "template", "svg", "noscript"}
FALLBACK_CLASS = "fallback-tag"  # markup.render_blocks' tag beside a text shown in English


class _Text(HTMLParser):
    """The words of a page's <body> (its header's and footer's too: a menu label or the quick-exit button changes
    every page), and its <h1>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_body, self.skip, self.in_h1 = 0, 0, False
        self.words: list[str] = []
        self.title: list[str] = []
        self.tag: list[str] | None = None  # the words of a "shown in English" marker, gathered into one token
        self.fallbacks = 0

    @staticmethod
    def _is_marker(attrs: list[tuple[str, str | None]]) -> bool:
        return any(k == "class" and v and FALLBACK_CLASS in v.split() for k, v in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_body += 1
        elif tag in SKIPPED:
            self.skip += 1
        elif tag == "h1":
            self.in_h1 = True
        elif tag == "span" and self._is_marker(attrs):
            self.tag = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.in_body = max(0, self.in_body - 1)
        elif tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag == "h1":
            self.in_h1 = False
        elif tag == "span" and self.tag is not None:
            words, self.tag = self.tag, None
            if self.in_body and not self.skip and words:
                self.words.append("(" + "\u00a0".join(words) + ")")  # one token: the diff never splits the marker
                self.fallbacks += 1

    def handle_data(self, data: str) -> None:
        if self.tag is not None:
            self.tag += data.split()
        elif self.in_body and not self.skip:
            self.words += data.split()
            if self.in_h1:
                self.title += data.split()


def page_text(body: bytes | None) -> tuple[str, list[str], int]:
    """(title, words, how many texts it shows in English for want of a translation) of a rendered page;
    ("", [], 0) when there is none."""
    if body is None:
        return "", [], 0
    parser = _Text()
    parser.feed(body.decode("utf-8", "replace"))
    return " ".join(parser.title), parser.words, parser.fallbacks


def word_diff(before: list[str], after: list[str]) -> dict[str, Any]:
    """The changed places between two texts: for each, the words before (removed ones in <del>) and after
    (added ones in <ins>), with CONTEXT unchanged words either side. HTML-escaped."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    places: list[dict[str, Any]] = []
    what: list[list[str]] = []  # the removed and added words alone: pages changed alike group together
    groups = list(matcher.get_grouped_opcodes(CONTEXT))
    for op, b1, b2, a1, a2 in matcher.get_opcodes():
        if op != "equal":
            what.append([" ".join(before[b1:b2]), " ".join(after[a1:a2])])
    for group in groups[:MAX_CHANGES]:
        old, new = [], []
        first, last = group[0], group[-1]
        if first[1] > 0 or first[3] > 0:
            old.append("…")
            new.append("…")
        for tag, i1, i2, j1, j2 in group:
            a, b = html.escape(" ".join(before[i1:i2])), html.escape(" ".join(after[j1:j2]))
            if tag == "equal":
                old.append(a)
                new.append(b)
                continue
            if a:
                old.append(f"<del>{a}</del>")
            if b:
                new.append(f"<ins>{b}</ins>")
        if last[2] < len(before) or last[4] < len(after):
            old.append("…")
            new.append("…")
        place = {"before": " ".join(old), "after": " ".join(new)}
        same = next((p for p in places if p["before"] == place["before"] and p["after"] == place["after"]), None)
        if same is not None:  # a text a page repeats (the wallet card's cards): shown once, with how many times
            same["times"] = int(same.get("times", 1)) + 1
        else:
            places.append(place)
    return {"places": places, "more": max(0, len(groups) - MAX_CHANGES), "count": len(groups), "what": what}


def _file_of(url: str, base: str) -> str:
    rel = url.removeprefix(base).lstrip("/")
    return rel + "index.html" if rel.endswith("/") or not rel else rel


def _assets(urls: list[str], base: str) -> list[str]:
    """What changed besides pages, in words (a language whose search index was replaced counts once)."""
    out = []
    search = [u for u in urls if re.search(r"/search\.[0-9a-f]+\.json$", u)]
    cards = [u for u in urls if u.endswith(".vcf")]
    languages = {u.removeprefix(base).strip("/").split("/")[0] for u in search}
    if search:
        out.append("each language's search" + (f" ({len(languages)} languages)" if len(languages) > 1 else ""))
    if cards:
        out.append(f"{len(cards)} contact card{'s' if len(cards) > 1 else ''} (saved to a phone's contacts)")
    other = len(urls) - len(search) - len(cards)
    if other:
        out.append(f"{other} other file{'s' if other > 1 else ''} used offline")
    return out


def language_name(tag: str, names: dict[str, str] | None = None) -> str:
    """ "Arabic (العربية)": the language's English name and its own (CLDR's, unless the catalog names it)."""
    if names and tag in names:
        return names[tag]
    try:
        loc = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return tag
    english, native = loc.get_display_name("en") or tag, loc.get_display_name(loc) or tag
    native = native[:1].upper() + native[1:]
    return english if english == native else f"{english} ({native})"


def names_of(languages: Any) -> dict[str, str]:
    """Display names of Language records (i18n.languages), as language_name gives them."""
    return {lang.tag: lang.english_name if lang.english_name == lang.native_name else f"{lang.english_name} ({lang.native_name})"
            for lang in languages}


def _by_page(diff: dict[str, dict[str, list[str]]], base: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    by_path: dict[str, dict[str, Any]] = {}
    assets: list[str] = []
    for lang, d in diff.items():
        for kind in ("changed", "added", "removed"):
            for url in d[kind]:
                if not url.endswith("/"):
                    assets.append(url)
                    continue
                path = url.removeprefix(base).removeprefix(f"/{lang}") or "/"
                by_path.setdefault(path, {"path": path, "languages": []})["languages"].append((lang, kind, url))
    return by_path, assets


def describe(cfg: Config, served: Path | None, read_new: Any, diff: dict[str, dict[str, list[str]]], base: str,
             names: dict[str, str] | None = None) -> dict[str, Any]:
    """Pages grouped by their path without the language; pages whose change reads the same are one group.
    In each, English first, then the other languages by name; `english` counts the languages that will show
    an English text changed here in English until it is translated again."""
    by_path, assets = _by_page(diff, base)
    groups: dict[str, dict[str, Any]] = {}
    shown = 0
    for n, (path, entry) in enumerate(sorted(by_path.items(), key=lambda kv: (kv[0].count("/"), kv[0]))):
        if n >= MAX_PAGES:
            groups.setdefault("_more", {"more": 0})["more"] += 1
            continue
        langs, titles, english = [], {}, 0
        for lang, kind, url in entry["languages"]:
            rel = _file_of(url, base)
            old_title, old_words, old_fallbacks = page_text(_read(served / rel) if served and kind != "added" else None)
            new_title, new_words, new_fallbacks = page_text(read_new(rel) if kind != "removed" else None)
            titles[lang] = new_title or old_title
            if kind == "changed" and old_words == new_words:
                continue  # the same words: only links to updated files (the search index, styles) differ
            english += lang != "en" and kind == "changed" and new_fallbacks > old_fallbacks
            langs.append({"lang": lang, "name": language_name(lang, names), "kind": kind, "title": titles[lang], "old_title": old_title,
                          **word_diff(old_words, new_words)})
        if not langs:
            continue
        langs.sort(key=lambda x: (x["lang"] != "en", x["name"].casefold()))
        key = json.dumps([(x["lang"], x["kind"], x.pop("what")) for x in langs])
        title = titles.get("en") or next(iter(titles.values()), "") or path
        if key not in groups:
            for x in langs:
                if shown + len(x["places"]) > MAX_SHOWN:
                    x["more"], x["places"] = x["count"], []
                shown += len(x["places"])
        english_changed = any(x["lang"] == "en" and x["kind"] == "changed" for x in langs)
        group = groups.setdefault(key, {"pages": [], "languages": langs, "english": english if english_changed else 0})
        group["pages"].append({"path": path, "title": title})
    more = groups.pop("_more", {}).get("more", 0)
    return {"groups": list(groups.values()), "more_pages": more, "assets": _assets(assets, base)}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def pending(cfg: Config, inputs: building.Inputs | None = None) -> dict[str, Any]:
    """What publishing the working content now would change, against the release now served; touches nothing served."""
    inputs = inputs or building.load_inputs(cfg)
    site, info = building.render(inputs, building.render_cache(cfg))  # what it renders, the publish reuses
    cur = releases.current_id(cfg)
    if cur is not None and info["id"] == cur:
        return {"id": info["id"], "changes": {}, "summary": NOTHING, "groups": [], "more_pages": 0, "assets": []}
    new_revs = {}
    for lang in (lang["tag"] for lang in info["languages"]):
        bundle_name = next(name for name in site.shas if name.startswith(f"{lang}/bundle."))
        new_revs[lang] = dict(json.loads(site.read(bundle_name))["pages"])
    served = cfg.releases / cur if cur else None
    diff = release_diff.changes(release_diff.page_revisions(served) if served else {}, new_revs)

    def read_new(rel: str) -> bytes | None:
        return site.read(rel) if rel in site.shas else None

    return {"id": info["id"], "changes": diff, "summary": release_diff.summarize(diff), "served": cur,
            **describe(cfg, served, read_new, diff, str(info.get("base_path", "")), names_of(inputs.languages))}
