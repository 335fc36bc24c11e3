"""Build: turn the content pack and catalogs into a release, a complete static site.

    release/
      index.html, 404.html              language chooser; not-found page
      sw.js                             the service worker, with this release's precache config
      release.json                      id, source hash, languages (not served to phones' caches)
      static/app.<hash>.css ...         shell assets with content hashes in their names
      <lang>/index.html ...             every page, pre-rendered
      <lang>/manifest.webmanifest       per-language web app manifest
      <lang>/bundle.<hash>.json         the language's page list with revisions
      <lang>/services/<id>.vcf          each service's contact card (in the bundle: saved offline)
      <lang>/search.<hash>.json         the language's search index (in the bundle)
      api/hsds/organizations.json       the directory as Open Referral HSDS 3.0 (app.py serves it)
      *.br, *.gz                        beside every text file (whitenoise's compressor)

A release directory is named by the hash of its content, so building the same
source twice gives the same id. Nothing is written where it can be served until
the whole release is complete: errors leave no release behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup
from whitenoise.compress import Compressor

from . import hsds, markup, search, share, vcard
from .config import Config
from .content import Content, Page, Service, load
from .errors import Collector
from .i18n import Language, Translator, discover, validate_translations

HASH_LEN = 12
NOT_PRECACHED = {"print.css", "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png"}
HEADERS_FILE = "_headers"  # security and caching headers for static hosts (static_headers)
TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".webmanifest", ".svg", ".txt", ".vcf"}
CONFIG_MARK = "/*__PUENTE_CONFIG__*/ { release: \"dev\", shell: [], languages: {} }"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LEN]


@dataclass
class _Site:
    """Files of a release being built, in memory until written."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, rel: str, data: str | bytes) -> str:
        body = data.encode("utf-8") if isinstance(data, str) else data
        self.files[rel] = body
        return digest(body)


def source_hash(cfg: Config) -> str:
    """Hash everything a build reads, so `serve` rebuilds only when something changed."""
    h = hashlib.sha256()
    roots = [cfg.content, cfg.locales, cfg.pwa / "templates", cfg.pwa / "static", cfg.service_worker, Path(__file__).parent]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(cfg.exit_url.encode())
    h.update(share.base_url(cfg).encode())  # QR codes and share links carry it
    try:  # which pages are past review on this day changes the pages themselves
        content = load(cfg.content)
        h.update(",".join(p.id for p in content.pages if cfg.today > p.review_by).encode())
        h.update(str(cfg.today > content.site.directory_review_by).encode())
    except ValueError:
        h.update(b"invalid")
    return h.hexdigest()[:HASH_LEN]


class _CompiledOnce(BytecodeCache):
    """Templates compiled once per build, shared by every language's environment."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


class Renderer:
    def __init__(self, cfg: Config, content: Content, languages: list[Language], assets: dict[str, str]):
        self.cfg, self.content, self.languages, self.assets = cfg, content, languages, assets
        self.env = Environment(
            loader=FileSystemLoader(cfg.pwa / "templates"),
            bytecode_cache=_CompiledOnce(),  # each language's overlay reuses the compiled templates
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            keep_trailing_newline=True,
        )
        self.env.globals["asset"] = self.asset

    def asset(self, name: str) -> str:
        return self.assets[name]

    def language(self, lang: Language) -> LanguageRenderer:
        return LanguageRenderer(self, lang)


class LanguageRenderer:
    """Renders every page of one language."""

    def __init__(self, parent: Renderer, lang: Language):
        self.p, self.lang = parent, lang
        self.t = Translator.for_language(lang)
        self.env = parent.env.overlay()
        self.env.install_gettext_callables(self.t.gettext, self.t.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self.content = parent.content
        self.prefix = f"/{lang.tag}"

    # -- helpers -------------------------------------------------------------

    def date(self, d: dt.date) -> str:
        return format_date(d, format="long", locale=self.lang.tag.replace("-", "_"))

    def plain(self, context: str, text: str) -> str:
        return markup.plain_text(self.t.text(context, text))

    def body(self, context: str, blocks: tuple[markup.Block, ...]) -> Markup:
        items = []
        for b in blocks:
            shown, fallback = self.t.unit(context, b.text)
            items.append(markup.Rendered(b, shown, fallback))
        return Markup(
            markup.render_blocks(
                items,
                link_prefix=self.prefix,
                # Translators: beside a link the source document does not give yet
                missing_label=self.t.gettext("link not available yet"),
                # Translators: a small tag beside text shown in English because its translation is missing
                fallback_label=self.t.gettext("English"),
            )
        )

    def nav(self, current: str) -> list[dict[str, Any]]:
        c = self.content
        # Translators: the home page in the main navigation
        items = [{"id": "home", "href": f"{self.prefix}/", "label": self.t.gettext("Home")}]
        tops = [p for p in c.pages if p.parent_id == "home"]
        entries: list[tuple[int, dict[str, Any]]] = [
            (p.order, {"id": p.id, "href": f"{self.prefix}/{p.path}", "label": self.plain(p.context, p.nav or p.title)}) for p in tops
        ]
        entries.append((2, {"id": "services", "href": f"{self.prefix}/services/", "label": self.plain("page:services", c.site.directory_nav)}))
        # Translators: the offline search page in the main navigation
        entries.append((99, {"id": "search", "href": f"{self.prefix}/search/", "label": self.t.gettext("Search")}))
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
            "stale": self.p.cfg.today > review_by,
            "sources": sources,
            "ask": self.plain("site", c.site.ask),
            "help_href": f"{self.prefix}/services/",
            "help_label": self.plain("page:services", c.site.directory_title),
        }

    def render(self, template: str, *, page_id: str, path: str, title: str, description: str, **extra: Any) -> str:
        site_name = self.plain("site", self.content.site.name)
        return self.env.get_template(template).render(
            lang=self.lang,
            site_name=site_name,
            title=title,
            description=description,
            path=path,
            nav=self.nav(page_id),
            languages=self.p.languages,
            exit_url=self.p.cfg.exit_url,
            notices=self.notices(),
            **extra,
        )

    def notices(self) -> list[dict[str, Any]]:
        """Notices not yet expired on the build date; the page script hides them once they expire."""
        today = self.p.cfg.today
        return [
            {
                "text": self.plain("notice", n.text),
                "starts": n.starts.isoformat(),
                "expires": n.expires.isoformat(),
                "hidden": not n.active(today),
            }
            for n in self.content.notices
            if n.expires >= today
        ]

    # -- pages -----------------------------------------------------------------

    def pages(self) -> Iterator[tuple[str, str]]:
        """Yield (path below /{lang}/, HTML) for every page of this language."""
        for page in self.content.pages:
            yield page.path, self.content_page(page)
        yield "services/", self.directory()
        for cat in self.content.categories:
            yield f"services/category/{cat.id}/", self.directory(cat.id)
        for service in self.content.services:
            yield f"services/{service.id}/", self.service(service)
        yield "search/", self.search_page()
        yield "share/", share.share_page(self)
        # Translators: title of the page shown for a page not saved on the device, with no connection
        yield "offline/", self.render(
            "offline.html", page_id="offline", path="offline/", title=self.t.gettext("You are offline"),
            description=self.t.gettext("You are offline"),
        )

    def files(self) -> Iterator[tuple[str, str]]:
        """Yield (path below /{lang}/, text) of the language's other offline files: contacts and the search index."""
        for s in self.content.services:
            yield f"services/{s.id}.vcf", self.vcard(s)
        yield self.search_index

    def not_found(self) -> str:
        # Translators: title of the page for an address that does not exist
        title = self.t.gettext("Page not found")
        return self.render("not_found.html", page_id="404", path="", title=title, description=title)

    def content_page(self, page: Page) -> str:
        ctx = page.context
        title, title_fallback = self.t.unit(ctx, page.title)
        children = [
            {"href": f"{self.prefix}/{c.path}", "title": self.plain(c.context, c.title), "summary": self.plain(c.context, c.summary)}
            for c in self.content.children(page.id)
        ]
        if page.id == "home":
            children = [n for n in self._home_cards()]
        breadcrumb = None
        if page.parent_id and page.parent_id != "home":
            parent = self.content.page(page.parent_id)
            breadcrumb = {"href": f"{self.prefix}/{parent.path}", "label": self.plain(parent.context, parent.title)}
        return self.render(
            "page.html",
            page_id=page.id,
            path=page.path,
            title=markup.plain_text(title),
            title_lang=title_fallback,
            description=self.plain(ctx, page.summary),
            intro=self.plain("site", self.content.site.tagline) if page.id == "home" else "",
            body=self.body(ctx, page.blocks),
            children=children,
            breadcrumb=breadcrumb,
            language_table=self.p.languages if page.id == "about" else [],
            meta=self.meta(page.as_of, page.review_by, page.sources),
        )

    def _home_cards(self) -> list[dict[str, str]]:
        c = self.content
        cards = []
        for item in self.nav("home")[1:]:
            if item["id"] == "search":
                continue
            if item["id"] == "services":
                summary = self.plain("page:services", c.site.directory_summary)
                title = self.plain("page:services", c.site.directory_title)
            else:
                p = c.page(item["id"])
                summary, title = self.plain(p.context, p.summary), self.plain(p.context, p.title)
            cards.append({"href": item["href"], "title": title, "summary": summary})
        return cards

    def directory(self, current: str = "") -> str:
        """The whole directory, or with `current` one category of it: filters that are links, so they work without JavaScript."""
        c = self.content
        categories = [
            {
                "id": cat.id,
                "name": self.plain("category", cat.name),
                "href": f"{self.prefix}/services/category/{cat.id}/",
                "services": [self._service_view(s) for s in c.services_in(cat.id)],
            }
            for cat in c.categories
        ]
        directory_title = self.plain("page:services", c.site.directory_title)
        # Translators: the filter of the service directory that shows every category
        filters = [{"href": f"{self.prefix}/services/", "label": self.t.gettext("All services"), "current": not current}]
        filters += [{"href": cat["href"], "label": cat["name"], "current": cat["id"] == current} for cat in categories]
        shown = [cat for cat in categories if not current or cat["id"] == current]
        return self.render(
            "services.html",
            page_id="services",
            path=f"services/category/{current}/" if current else "services/",
            title=str(shown[0]["name"]) if current else directory_title,
            description=self.plain("page:services", c.site.directory_summary),
            intro="" if current else self.plain("page:services", c.site.directory_summary),
            breadcrumb={"href": f"{self.prefix}/services/", "label": directory_title} if current else None,
            categories=shown,
            filters=filters,
            meta=self.meta(c.site.as_of, c.site.directory_review_by, c.site.directory_sources),
        )

    def _service_view(self, s: Service) -> dict[str, Any]:
        ctx = s.context
        website_short = s.website.split("://", 1)[-1].rstrip("/")
        return {
            "id": s.id,
            "name": self.plain(ctx, s.name),
            "description": self.body(ctx, s.description),
            "phones": [
                {
                    "number": p.number,
                    "e164": p.e164,
                    "label": self.plain(ctx, p.label) if p.label else "",
                    "languages": [_language_name(tag, self.lang.tag) for tag in p.languages],
                }
                for p in s.phones
            ],
            "email": s.email,
            "website": s.website,
            "website_short": website_short,
            "address": s.address,
            "address_label": self.plain(ctx, s.address.label) if s.address and s.address.label else "",
            "hours": self.plain(ctx, s.hours) if s.hours else "",
            "languages": [_language_name(tag, self.lang.tag) for tag in s.languages],
            "verified_on": self.date(s.verified_on),
            "directions": directions(s.address.one_line()) if s.address else None,
            "vcard": f"{self.prefix}/services/{s.id}.vcf",
        }

    def service(self, s: Service) -> str:
        c = self.content
        view = self._service_view(s)
        category = next(cat for cat in c.categories if cat.id == s.category)
        return self.render(
            "service.html",
            page_id="services",
            path=f"services/{s.id}/",
            title=view["name"],
            description=markup.plain_text(self.t.text(s.context, s.description[0].text)) if s.description else view["name"],
            service=view,
            category={"id": category.id, "name": self.plain("category", category.name), "href": f"{self.prefix}/services/category/{category.id}/"},
            meta=self.meta(s.verified_on, c.site.directory_review_by, c.site.directory_sources),
            share=share.service_link(self, s),
        )

    def vcard(self, s: Service) -> str:
        """The service as a contact card, with its name and description in this language."""
        ctx = s.context
        return vcard.render(
            vcard.Card(
                name=self.plain(ctx, s.name),
                organization=s.organization,
                phones=tuple(p.e164 for p in s.phones),
                email=s.email,
                url=s.website,
                address=s.address,
                note="\n".join(self.plain(ctx, b.text) for b in s.description),
                language=self.lang.tag,
            )
        )

    @cached_property
    def search_index(self) -> tuple[str, str]:
        """(path below /{lang}/, JSON) of the language's search index; its name carries its hash."""
        data = search.build_index(self)
        return f"search.{digest(data.encode())}.json", data

    def search_page(self) -> str:
        c = self.content
        # Translators: title of the offline search page
        title = self.t.gettext("Search")
        help_category = next((cat for cat in c.categories if cat.id == c.site.help_category), None)
        help_services = [self._service_view(s) for s in c.services_in(help_category.id)] if help_category else []
        return self.render(
            "search.html",
            page_id="search",
            path="search/",
            title=title,
            # Translators: what the search page does, under its title
            description=self.t.gettext("Search every page and service of this app. It works without a connection."),
            index_url=f"{self.prefix}/{self.search_index[0]}",
            help_category={"name": self.plain("category", help_category.name), "services": help_services} if help_category else None,
            directory={"href": f"{self.prefix}/services/", "label": self.plain("page:services", c.site.directory_title)},
        )

    def manifest(self) -> str:
        name = self.plain("site", self.content.site.name)
        icons = [
            {"src": self.p.asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": self.p.asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": self.p.asset("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ]
        data = {
            "id": f"/{self.lang.tag}/",
            "name": f"{name} · {self.plain('site', self.content.site.district)}",
            "short_name": name,
            "description": self.plain("site", self.content.site.tagline),
            "lang": self.lang.tag,
            "dir": self.lang.dir,
            "start_url": f"/{self.lang.tag}/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5563",
            "icons": icons,
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def directions(address: str) -> dict[str, str]:
    """Given an address on one line, return links that open the phone's own maps app: geo: (Android), Apple Maps (iOS)."""
    q = urllib.parse.quote(address, safe="")
    return {"geo": f"geo:0,0?q={q}", "apple": f"https://maps.apple.com/?q={q}", "text": address}


def _language_name(tag: str, in_lang: str) -> str:
    from babel import Locale

    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(in_lang.replace("-", "_"))
    except (ValueError, LookupError):
        return tag
    return name or tag


def static_headers() -> str:
    """Return the `_headers` file (Netlify, Cloudflare Pages) that gives a static copy of the release
    the same security headers as the app (backend/app.py) and the same caching rules (static.py)."""
    from .app import HEADERS, HSTS_HEADER
    from .static import IMMUTABLE, SERVICE_WORKER_HEADERS

    lines = [
        "# Written by `python serve.py build` from backend/app.py: the headers `python serve.py` sends.",
        "/*",
        *(f"  {name}: {value}" for name, value in (*HEADERS, HSTS_HEADER)),
        "/sw.js",
        *(f"  {name}: {value}" for name, value in SERVICE_WORKER_HEADERS),
        "/static/*",
        f"  Cache-Control: {IMMUTABLE}",
    ]
    return "\n".join(lines) + "\n"


def hash_assets(cfg: Config, site: _Site) -> dict[str, str]:
    """Copy pwa/static into static/ with content hashes in the names; return logical name -> URL."""
    urls = {}
    root = cfg.pwa / "static"
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        stem, dot, suffix = rel.rpartition(".")
        hashed = f"{stem}.{digest(data)}.{suffix}" if dot else f"{rel}.{digest(data)}"
        site.add(f"static/{hashed}", data)
        urls[rel] = f"/static/{hashed}"
    return urls


def render(cfg: Config) -> tuple[_Site, dict[str, Any]]:
    """Load, validate and render the whole release in memory; raise ContentErrors on bad input."""
    content = load(cfg.content)
    languages = discover(cfg.locales)
    problems = Collector()
    for lang in languages:
        try:
            validate_translations(lang)
        except ValueError as e:
            problems.catch(e)  # type: ignore[arg-type]
    problems.raise_if_any()

    site = _Site()
    assets = hash_assets(cfg, site)
    renderer = Renderer(cfg, content, languages, assets)
    bundles = {}
    for lang in languages:
        lr = renderer.language(lang)
        pages = []
        for path, html in lr.pages():
            rev = site.add(f"{lang.tag}/{path}index.html", html)
            pages.append([f"/{lang.tag}/{path}", rev])
        for path, text in lr.files():
            rev = site.add(f"{lang.tag}/{path}", text)
            pages.append([f"/{lang.tag}/{path}", rev])
        site.add(f"{lang.tag}/404.html", lr.not_found())
        site.add(f"{lang.tag}/manifest.webmanifest", lr.manifest())
        for path, html in share.print_pages(lr):  # for printing on a desk: not precached on phones
            site.add(f"{lang.tag}/{path}index.html", html)
        bundle = json.dumps({"lang": lang.tag, "pages": pages}, ensure_ascii=False, separators=(",", ":"))
        name = f"{lang.tag}/bundle.{digest(bundle.encode())}.json"
        site.add(name, bundle)
        bundles[lang.tag] = "/" + name
    chooser_ctx = {
        "site_name": content.site.name,
        "description": content.site.tagline,
        "languages": languages,
        "exit_url": cfg.exit_url,
    }
    chooser_rev = site.add("index.html", renderer.env.get_template("chooser.html").render(**chooser_ctx))
    site.add("404.html", renderer.env.get_template("root_not_found.html").render(**chooser_ctx))
    site.add(hsds.RELEASE_FILE, hsds.dumps(content))  # served by /api/hsds/organizations.json (app.py), never precached
    site.add("share/index.html", share.liaison_page(renderer))
    site.add(HEADERS_FILE, static_headers())  # for static hosts; in no bundle, never served by the app
    site.add("favicon.ico", (cfg.pwa / "static" / "icons" / "icon-192.png").read_bytes())  # for what has no <link rel=icon>: the admin, JSON, vCards

    release_id = digest(b"".join(k.encode() + b"\0" + v + b"\0" for k, v in sorted(site.files.items())))
    # the worker keeps what cached pages use; print.css serves only the flyer and card, which are not precached
    offline_assets = [url for name, url in sorted(assets.items()) if name not in NOT_PRECACHED]
    shell = [["/", chooser_rev]] + [[url, url] for url in offline_assets]
    sw_config = {"release": release_id, "shell": shell, "languages": bundles}
    template = (cfg.service_worker / "sw.js").read_text(encoding="utf-8")
    if CONFIG_MARK not in template:
        raise RuntimeError(f"{cfg.service_worker / 'sw.js'} lost its config line: {CONFIG_MARK}")
    site.add("sw.js", without_comment_lines(template.replace(CONFIG_MARK, json.dumps(sw_config, separators=(",", ":")))))
    info = {
        "id": release_id,
        "source": source_hash(cfg),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "built_for": cfg.today.isoformat(),
        "languages": [{"tag": lang.tag, "reviewed": lang.reviewed} for lang in languages],
        "pages": sum(len(json.loads(site.files[b.lstrip("/")])["pages"]) for b in bundles.values()),
        "public_url": share.base_url(cfg),
        "public_url_configured": bool(cfg.public_url),
    }
    site.add("release.json", json.dumps(info, indent=1) + "\n")
    return site, info


def without_comment_lines(js: str) -> str:
    """Given a script, return it without its comment-only lines; unchanged if a comment shares a line with code.

    Every installed phone downloads the worker again with each release (the update check), so its
    comments, which are for the people reading service_worker/sw.js, are not shipped.
    """
    out, in_block = [], False
    for line in js.splitlines(keepends=True):
        text = line.strip()
        if in_block or (text.startswith("/*") and not text.startswith("/*__")):
            if in_block and "*/" in text and not text.endswith("*/"):
                return js
            if not in_block and "*/" in text and not text.endswith("*/"):
                return js
            in_block = not text.endswith("*/")
            continue
        if not text.startswith("//"):
            out.append(line)
    return js if in_block else "".join(out)


def write_release(site: _Site, dest: Path, cache: Path | None = None) -> None:
    """Write the files to a fresh temporary directory beside `dest`, compress, then move into place."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for rel, data in site.files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        compress(tmp, cache)
        os.chmod(tmp, 0o755)
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def compress(root: Path, cache: Path | None = None) -> None:
    """Write .br and .gz beside every text file (whitenoise's compressor). With a cache directory,
    a file whose content was compressed before (in an earlier release) reuses that result."""
    compressor = Compressor(quiet=True)
    paths = [p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]

    def one(path: Path) -> None:
        if cache is None:
            compressor.compress(str(path))
            return
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        done = cache / f"{key}.done"
        if not done.exists():
            work = Path(tempfile.mkdtemp(dir=cache))
            try:
                shutil.copyfile(path, work / "f")
                for out in compressor.compress(str(work / "f")):
                    os.replace(out, cache / f"{key}{Path(out).suffix}")
                done.touch()
            finally:
                shutil.rmtree(work, ignore_errors=True)
        for suffix in (".br", ".gz"):
            if (cache / f"{key}{suffix}").exists():
                shutil.copyfile(cache / f"{key}{suffix}", str(path) + suffix)

    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, paths))


def build(cfg: Config, out: Path) -> dict[str, Any]:
    """Build a release into `out` (replacing it); return release.json's data."""
    site, info = render(cfg)
    write_release(site, out)
    return info


def ensure_release(cfg: Config) -> tuple[Path, dict[str, Any], bool]:
    """Return the release built from the current source, building it if needed: (dir, info, built)."""
    want = source_hash(cfg)
    for info_path in sorted(cfg.releases.glob("*/release.json")):
        try:
            info = json.loads(info_path.read_text())
        except (OSError, ValueError):
            continue
        if info.get("source") == want:
            return info_path.parent, info, False
    site, info = render(cfg)
    dest = cfg.releases / info["id"]
    if not dest.exists():
        write_release(site, dest, cfg.data / "cache" / "compressed")
    return dest, info, True


def set_current(cfg: Config, release_id: str) -> None:
    """Point `current` at a release, in one atomic rename."""
    cfg.data.mkdir(parents=True, exist_ok=True)
    tmp = cfg.data / f".current.{os.getpid()}"
    tmp.write_text(release_id + "\n")
    os.replace(tmp, cfg.data / "current")
