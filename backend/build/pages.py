"""Every page of one language, as (path below /{lang}/, HTML), and the language's other files."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from ..content import Page, Service, markup
from ..policy import digest
from . import search, share, vcard
from .renderer import LanguageRenderer


def pages(lr: LanguageRenderer, index_name: str) -> Iterator[tuple[str, str]]:
    """Yield (path below /{lang}/, HTML) for every page of this language that phones keep offline."""
    for path, make in page_makers(lr, index_name):
        yield path, make()


def page_makers(lr: LanguageRenderer, index_name: str) -> Iterator[tuple[str, Callable[[], str]]]:
    """Yield (path below /{lang}/, what renders it) for every page phones keep offline: the build
    calls each only when the page's inputs changed (build/produce.py)."""
    for page in lr.content.pages:
        yield page.path, partial(content_page, lr, page)
    yield "services/", partial(directory, lr)
    for cat in lr.content.categories:
        yield f"services/category/{cat.id}/", partial(directory, lr, cat.id)
    for service in lr.content.services:
        yield f"services/{service.id}/", partial(service_page, lr, service)
    yield "search/", partial(search_page, lr, index_name)
    yield "share/", partial(share.share_page, lr)
    yield "offline/", partial(offline_page, lr)


def offline_page(lr: LanguageRenderer) -> str:
    # Translators: title of the page shown for a page not saved on the device, with no connection
    title = lr.gettext("You are offline")
    return lr.render("offline.html", page_id="offline", path="offline/", title=title, description=title)


def search_index(lr: LanguageRenderer) -> tuple[str, str]:
    """(path below /{lang}/, JSON) of the language's search index; its name carries its hash."""
    data = search.build_index(lr)
    return f"search.{digest(data.encode())}.json", data


def files(lr: LanguageRenderer) -> Iterator[tuple[str, str]]:
    """Yield (path below /{lang}/, text) of the language's contact cards, which phones keep offline too."""
    for s in lr.content.services:
        yield f"services/{s.id}.vcf", contact_card(lr, s)


def not_found(lr: LanguageRenderer) -> str:
    # Translators: title of the page for an address that does not exist
    title = lr.gettext("Page not found")
    return lr.render("not_found.html", page_id="404", path="", title=title, description=title)


def content_page(lr: LanguageRenderer, page: Page) -> str:
    ctx = page.context
    title, title_fallback = lr.unit(ctx, page.title)
    children = [
        {"href": f"{lr.prefix}/{c.path}", "title": lr.plain(c.context, c.title), "summary": lr.plain(c.context, c.summary)}
        for c in lr.content.children(page.id)
    ]
    help = None
    if page.id == "home":
        children = home_cards(lr)
        help = help_view(lr)
    breadcrumb = None
    if page.parent_id and page.parent_id != "home":
        parent = lr.content.page(page.parent_id)
        breadcrumb = {"href": f"{lr.prefix}/{parent.path}", "label": lr.plain(parent.context, parent.title)}
    return lr.render(
        "page.html",
        page_id=page.id,
        path=page.path,
        title=markup.plain_text(title),
        title_lang=title_fallback,
        description=lr.plain(ctx, page.summary),
        intro=lr.plain("site", lr.content.site.tagline) if page.id == "home" else "",
        body=lr.body(ctx, page.blocks),
        children=children,
        breadcrumb=breadcrumb,
        language_table=lr.languages if page.id == "about" else [],
        corrections=lr.corrections(page),
        corrected_pages=corrected_pages(lr) if page.id == "about" else [],
        meta=lr.meta(page.as_of, page.review_by, page.sources),
        help=help,  # the home page's "Get help now", which comes before its cards and text
    )


def corrected_pages(lr: LanguageRenderer) -> list[dict[str, Any]]:
    """Every page that carries corrections, for the about page's list."""
    return [
        {"href": f"{lr.prefix}/{p.path}", "title": lr.plain(p.context, p.title), "corrections": lr.corrections(p)}
        for p in lr.content.pages
        if p.corrections
    ]


def home_cards(lr: LanguageRenderer) -> list[dict[str, str]]:
    c = lr.content
    cards = []
    for item in lr.nav("home")[1:]:
        if item["id"] == "search":
            continue
        if item["id"] == "services":
            summary = lr.plain("page:services", c.site.directory_summary)
            title = lr.plain("page:services", c.site.directory_title)
        else:
            p = c.page(item["id"])
            summary, title = lr.plain(p.context, p.summary), lr.plain(p.context, p.title)
        cards.append({"href": item["href"], "title": title, "summary": summary})
    return cards


def directory(lr: LanguageRenderer, current: str = "") -> str:
    """The whole directory, or with `current` one category of it: filters that are links, so they work without JavaScript."""
    c = lr.content
    categories = [
        {
            "id": cat.id,
            "name": lr.plain("category", cat.name),
            "href": f"{lr.prefix}/services/category/{cat.id}/",
            "services": [service_view(lr, s) for s in c.services_in(cat.id)],
        }
        for cat in c.categories
    ]
    directory_title = lr.plain("page:services", c.site.directory_title)
    # Translators: the filter of the service directory that shows every category
    filters = [{"href": f"{lr.prefix}/services/", "label": lr.gettext("All services"), "current": not current}]
    filters += [{"href": cat["href"], "label": cat["name"], "current": cat["id"] == current} for cat in categories]
    shown = [cat for cat in categories if not current or cat["id"] == current]
    return lr.render(
        "services.html",
        page_id="services",
        path=f"services/category/{current}/" if current else "services/",
        title=str(shown[0]["name"]) if current else directory_title,
        description=lr.plain("page:services", c.site.directory_summary),
        intro="" if current else lr.plain("page:services", c.site.directory_summary),
        breadcrumb={"href": f"{lr.prefix}/services/", "label": directory_title} if current else None,
        categories=shown,
        filters=filters,
        meta=lr.meta(c.site.as_of, c.site.directory_review_by, c.site.directory_sources),
    )


def service_view(lr: LanguageRenderer, s: Service) -> dict[str, Any]:
    ctx = s.context
    return {
        "id": s.id,
        "name": lr.plain(ctx, s.name),
        "description": lr.body(ctx, s.description),
        "phones": [
            {
                "number": p.number,
                "e164": p.e164,
                "tel": p.tel,
                "label": lr.plain(ctx, p.label) if p.label else "",
                "languages": [lr.language_name(tag) for tag in p.languages],
            }
            for p in s.phones
        ],
        "email": s.email,
        "website": s.website,
        "website_short": s.website.split("://", 1)[-1].rstrip("/"),
        "address": s.address,
        "address_label": lr.plain(ctx, s.address.label) if s.address and s.address.label else "",
        "hours": lr.plain(ctx, s.hours) if s.hours else "",
        "fees": lr.plain(ctx, s.fees) if s.fees else "",
        "eligibility": lr.plain(ctx, s.eligibility) if s.eligibility else "",
        "languages": [lr.language_name(tag) for tag in s.languages],
        "verified_on": lr.date(s.verified_on),
        "directions": directions(s.address.one_line()) if s.address else None,
        "vcard": f"{lr.prefix}/services/{s.id}.vcf",
    }


def service_page(lr: LanguageRenderer, s: Service) -> str:
    c = lr.content
    view = service_view(lr, s)
    category = next(cat for cat in c.categories if cat.id == s.category)
    return lr.render(
        "service.html",
        page_id="services",
        path=f"services/{s.id}/",
        title=view["name"],
        description=lr.plain(s.context, s.description[0].text) if s.description else view["name"],
        service=view,
        category={"id": category.id, "name": lr.plain("category", category.name), "href": f"{lr.prefix}/services/category/{category.id}/"},
        meta=lr.meta(s.verified_on, c.site.directory_review_by, c.site.directory_sources),
        share=share.service_link(lr, s),
    )


def contact_card(lr: LanguageRenderer, s: Service) -> str:
    """The service as a contact card, with its name and description in this language."""
    ctx = s.context
    return vcard.render(
        vcard.Card(
            name=lr.plain(ctx, s.name),
            organization=s.organization,
            phones=tuple(p.tel for p in s.phones),
            email=s.email,
            url=s.website,
            address=s.address,
            note="\n".join(lr.plain(ctx, b.text) for b in s.description),
            language=lr.lang.tag,
        )
    )


def help_view(lr: LanguageRenderer) -> dict[str, Any] | None:
    """The help category (site.toml [directory] help_category) and its services, whose phones the home
    page's "Get help now" and a search that finds nothing offer; None when the pack names none."""
    c = lr.content
    category = next((cat for cat in c.categories if cat.id == c.site.help_category), None)
    if category is None:
        return None
    return {"name": lr.plain("category", category.name), "services": [service_view(lr, s) for s in c.services_in(category.id)]}


def search_page(lr: LanguageRenderer, index_name: str) -> str:
    c = lr.content
    # Translators: title of the offline search page
    title = lr.gettext("Search")
    return lr.render(
        "search.html",
        page_id="search",
        path="search/",
        title=title,
        # Translators: what the search page does, under its title
        description=lr.gettext("Search every page and service of this app. It works without a connection."),
        index_url=f"{lr.prefix}/{index_name}",
        help_category=help_view(lr),
        directory={"href": f"{lr.prefix}/services/", "label": lr.plain("page:services", c.site.directory_title)},
    )


def manifest(lr: LanguageRenderer) -> str:
    name = lr.plain("site", lr.content.site.name)
    icons = [
        {"src": lr.asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": lr.asset("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": lr.asset("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    base = lr.parent.base
    data = {
        "id": f"{lr.prefix}/",
        "name": f"{name} · {lr.plain('site', lr.content.site.district)}",
        "short_name": name,
        "description": lr.plain("site", lr.content.site.tagline),
        "lang": lr.lang.tag,
        "dir": lr.lang.dir,
        "start_url": f"{lr.prefix}/",
        "scope": f"{base}/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5563",
        "categories": ["education", "government"],
        "icons": icons,
        "shortcuts": shortcuts(lr),
    }
    if screenshots := lr.screenshots():
        data["screenshots"] = screenshots
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def shortcuts(lr: LanguageRenderer) -> list[dict[str, Any]]:
    """The home-screen icon's long-press menu: legal help (the help category), and the directory."""
    c = lr.content
    icon = [{"src": lr.asset("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"}]
    out = []
    if c.site.help_category:
        # Translators: a shortcut on the installed app's icon (long press) to the legal services
        out.append({"name": lr.gettext("Get legal help"), "url": f"{lr.prefix}/services/category/{c.site.help_category}/", "icons": icon})
    out.append({"name": lr.plain("page:services", c.site.directory_nav), "url": f"{lr.prefix}/services/", "icons": icon})
    return out


def directions(address: str) -> dict[str, str]:
    """Given an address on one line, return links that open the phone's own maps app: geo: (Android), Apple Maps (iOS)."""
    q = urllib.parse.quote(address, safe="")
    return {"geo": f"geo:0,0?q={q}", "apple": f"https://maps.apple.com/?q={q}", "text": address}
