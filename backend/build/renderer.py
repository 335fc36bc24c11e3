"""Rendering state, one object per language: its own Jinja environment, translations and helpers.

A `Renderer` holds what every language shares (the loaded inputs, hashed asset names, the
compiled templates). `Renderer.language(lang)` gives that language's `LanguageRenderer`, made
once: it owns a Jinja environment of its own with its own gettext installed, so nothing one
language renders can change what another renders (an `Environment.overlay()` would share the
parent's globals dict, and installing gettext there leaked English into other languages).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel import Locale
from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from .._files import atomic_write
from ..config import Config
from ..content import Content, Page, markup
from ..i18n import Language, Translator, dates, source_language
from .inputs import Inputs
from .links import base_url
from .trace import TracedEnvironment, TracedTranslator, note

# Translators: a small tag beside the language's name on the language chooser: its translation has not been reviewed by a person
DRAFT_TAG = dates.N_("Draft translation")
LOGO = "logo"  # the content pack's logo among the hashed assets (pipeline.py adds it)


class _CompiledOnce(BytecodeCache):
    """Templates compiled once per build, shared by every language's environment; with a directory (the
    render cache's), once per version of their source (Jinja checks each one's checksum when it loads)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.code: dict[str, bytes] = {}
        self.directory = directory

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key not in self.code and self.directory is not None:
            try:
                self.code[bucket.key] = (self.directory / f"{bucket.key}.jinja").read_bytes()
            except OSError:
                pass
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = code = bucket.bytecode_to_string()
        if self.directory is not None:
            try:
                atomic_write(self.directory / f"{bucket.key}.jinja", code)
            except OSError:
                pass  # only costs a compile next time


class Renderer:
    """What every language of one build shares."""

    def __init__(self, inputs: Inputs, assets: dict[str, str], compiled: Path | None = None):
        self.inputs = inputs
        self.cfg: Config = inputs.cfg
        self.content: Content = inputs.content
        self.languages: tuple[Language, ...] = inputs.languages
        self.assets = assets
        self._base_url = base_url(inputs.cfg)
        self.base = inputs.cfg.base_path  # "" or "/path": every link of the release starts with it
        self._loader = FileSystemLoader(inputs.cfg.pwa / "templates")
        self._compiled = _CompiledOnce(compiled)
        self._by_tag: dict[str, LanguageRenderer] = {}
        self.env = self.environment()  # for the pages that belong to no one language (chooser, liaison page)

    def environment(self) -> Environment:
        env = TracedEnvironment(  # records the templates each output reads (trace.py)
            loader=self._loader,
            bytecode_cache=self._compiled,
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            keep_trailing_newline=True,
        )
        env.globals["asset"] = self.asset
        env.globals["base"] = self.base
        env.globals["origin"] = lambda: self.base_url  # absolute: the public URL, with its path (hreflang alternates)
        return env

    @property
    def base_url(self) -> str:
        """The address families open (the public URL, or this server's own): recorded, since only the pages
        that show it (share links, QR codes, hreflang alternates) are rendered again when it changes."""
        note("url")
        return self._base_url

    def asset(self, name: str) -> str:
        note("asset", name)
        return self.assets[name]

    def language(self, lang: Language) -> LanguageRenderer:
        """The renderer of one language, made once per build."""
        if lang.tag not in self._by_tag:
            self._by_tag[lang.tag] = LanguageRenderer(self, lang)
        return self._by_tag[lang.tag]

    @property
    def english(self) -> LanguageRenderer:
        return self.language(next((lang for lang in self.languages if lang.is_source), source_language()))

    def draft_tags(self) -> dict[str, tuple[str, str | None]]:
        """{tag: (text, "en" or None)}: each language not reviewed by a person, its draft tag in its own words."""
        return {lang.tag: self.language(lang).unit("ui", DRAFT_TAG) for lang in self.languages if not lang.reviewed}


class LanguageRenderer:
    """Renders one language: the helpers every page of it uses."""

    def __init__(self, parent: Renderer, lang: Language):
        self.parent, self.lang = parent, lang
        self.cfg, self.content, self.languages = parent.cfg, parent.content, parent.languages
        self.translator = TracedTranslator.wrap(Translator.of(parent.inputs.catalog(lang.tag)))  # records what it is asked
        self.prefix = f"{parent.base}/{lang.tag}"
        self.env = parent.environment()
        # The templates' _() and ngettext(): a UI string is text, escaped before its values go in
        # (escaped too), so a translator's quote or angle bracket is never markup; values are filled
        # as this language writes them (its digits, one full stop after a date that ends with one).
        self.env.globals.update(gettext=self._ui_html, ngettext=self._ui_plural_html)
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]

    # -- lookups ---------------------------------------------------------------

    @property
    def english(self) -> LanguageRenderer:
        return self if self.lang.is_source else self.parent.english

    @property
    def base_url(self) -> str:
        return self.parent.base_url

    def asset(self, name: str) -> str:
        return self.parent.asset(name)

    def gettext(self, message: str) -> str:
        """A UI string in this language, as plain text (escape it where it goes into HTML)."""
        return self.translator.gettext(message)

    def ui(self, message: str, **values: Any) -> str:
        """A UI string in this language with its %(name)s values filled in, as plain text."""
        return dates.fill(self.translator.gettext(message), values, self.lang.numbering)

    def _ui_html(self, message: str, **values: Any) -> Markup:
        return Markup(dates.fill(escape(self.translator.gettext(message)), {k: escape(v) if isinstance(v, str) else v for k, v in values.items()}, self.lang.numbering))

    def _ui_plural_html(self, singular: str, plural: str, n: int, **values: Any) -> Markup:
        text = escape(self.translator.ngettext(singular, plural, n))
        return Markup(dates.fill(text, {"num": n, **{k: escape(v) if isinstance(v, str) else v for k, v in values.items()}}, self.lang.numbering))

    def unit(self, context: str, text: str) -> tuple[str, str | None]:
        return self.translator.unit(context, text)

    def date(self, d: dt.date) -> str:
        """The date as this language writes it in a sentence (i18n/dates.py: the catalog's pattern, else CLDR's)."""
        return dates.long_date(self.translator, d)

    def plain(self, context: str, text: str) -> str:
        return markup.plain_text(self.translator.text(context, text))

    def inline(self, context: str, text: str) -> Markup:
        """One unit's inline Markdown as safe HTML, marked lang="en" where it falls back to English."""
        shown, fallback = self.unit(context, text)
        html = markup.render_inline(shown, link_prefix=self.prefix, missing_label=self.gettext("link not available yet"))
        return Markup(f'<span lang="{fallback}">{html}</span>' if fallback else html)

    def body(self, context: str, blocks: tuple[markup.Block, ...]) -> Markup:
        items = []
        for b in blocks:
            shown, fallback = self.unit(context, b.text)
            items.append(markup.Rendered(b, shown, fallback))
        return Markup(
            markup.render_blocks(
                items,
                link_prefix=self.prefix,
                # Translators: beside a link the source document does not give yet
                missing_label=self.translator.gettext("link not available yet"),
                # Translators: a small tag beside text shown in English because its translation is missing
                fallback_label=self.translator.gettext("English"),
            )
        )

    def screenshots(self) -> list[dict[str, str]]:
        """The manifest's screenshots of this language (pwa/static/screenshots/, drawn by pwa/make_screenshots.py)."""
        out = []
        for form in ("narrow", "wide"):
            name = f"screenshots/{self.lang.tag}-{form}.png"
            if name in self.parent.assets:
                header = (self.cfg.pwa / "static" / name).read_bytes()[16:24]  # PNG's IHDR: width, height
                size = f"{int.from_bytes(header[:4], 'big')}x{int.from_bytes(header[4:], 'big')}"
                out.append({"src": self.asset(name), "sizes": size, "type": "image/png", "form_factor": form})
        return out

    def language_name(self, tag: str) -> str:
        """Given a language tag, return its name in this language (CLDR), or the tag itself."""
        try:
            name = Locale.parse(tag.replace("-", "_")).get_display_name(self.lang.tag.replace("-", "_"))
        except (ValueError, LookupError):
            return tag
        return name or tag

    # -- the parts every page has -----------------------------------------------

    def nav(self, current: str) -> list[dict[str, Any]]:
        c = self.content
        # Translators: the home page in the main navigation
        items: list[dict[str, Any]] = [{"id": "home", "href": f"{self.prefix}/", "label": self.gettext("Home")}]
        tops = [p for p in c.pages if p.parent_id == "home"]
        entries: list[tuple[int, dict[str, Any]]] = [
            (p.order, {"id": p.id, "href": f"{self.prefix}/{p.path}", "label": self.plain(p.context, p.nav or p.title)}) for p in tops
        ]
        entries.append((2, {"id": "services", "href": f"{self.prefix}/services/", "label": self.plain("page:services", c.site.directory_nav)}))
        # Translators: the offline search page in the main navigation
        entries.append((99, {"id": "search", "href": f"{self.prefix}/search/", "label": self.gettext("Search")}))
        items += [e for _, e in sorted(entries, key=lambda pair: pair[0])]
        for item in items:
            item["current"] = item["id"] == current.split("/")[0] or (current == "home" and item["id"] == "home")
        return items

    def meta(self, as_of: dt.date, review_by: dt.date, sources: tuple[Any, ...]) -> dict[str, Any]:
        c = self.content
        return {
            "lang": self.lang.tag,
            "as_of": self.date(as_of),
            "review_by": self.date(review_by),
            "review_by_iso": review_by.isoformat(),
            "stale": self.cfg.today > review_by,
            "sources": sources,
            "ask": self.plain("site", c.site.ask),
            "help_href": f"{self.prefix}/services/",
            "help_label": self.plain("page:services", c.site.directory_title),
        }

    def corrections(self, page: Page) -> list[dict[str, Any]]:
        """A page's dated corrections, newest first, in this language."""
        return [{"date": self.date(c.date), "text": self.inline(page.context, c.text), "sources": c.sources} for c in page.corrections]

    def notices(self) -> list[dict[str, Any]]:
        """Notices not yet expired on the build date; the page script hides them once they expire."""
        today = self.cfg.today
        return [
            {"text": self.plain("notice", n.text), "starts": n.starts.isoformat(), "expires": n.expires.isoformat(), "hidden": not n.active(today)}
            for n in self.content.notices
            if n.expires >= today
        ]

    def render(self, template: str, *, page_id: str, path: str, title: str, description: str, **extra: Any) -> str:
        site = self.content.site
        site_name = self.plain("site", site.name)
        return self.env.get_template(template).render(
            lang=self.lang,
            site_name=site_name,
            district=self.plain("site", site.district),
            logo=self.parent.assets.get(LOGO, ""),
            # the tab and the history say only the site's name (or the pack's neutral title), never the page's topic
            tab_title=self.plain("site", site.tab_title) if site.tab_title else site_name,
            title=title,
            description=description,
            path=path,
            nav=self.nav(page_id),
            languages=self.languages,
            exit_url=self.cfg.exit_url,
            notices=self.notices(),
            page_reviewed=self.translator.context_reviewed(f"page:{page_id}"),  # every unit of the page reviewed: no draft notice
            **extra,
        )
