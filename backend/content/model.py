"""The content model: the immutable objects a content pack loads into (content/loader.py builds them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import markup
from .markup import Block

NOTICES_FILE = "notices.toml"
SHARE_FILE = "share.toml"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str  # "#" when the source gives no public link

    @property
    def missing(self) -> bool:
        return self.url == markup.MISSING


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    line: int


@dataclass(frozen=True)
class Unit:
    """A translatable piece of text and where it comes from."""

    context: str  # msgctxt
    text: str  # msgid (inline Markdown)
    comment: str  # `#.` for translators: where it appears
    file: str
    line: int


@dataclass(frozen=True)
class Correction:
    """A dated correction of a page ([[corrections]] in its front matter): shown at its top in every
    language, apart from the generic review notice, and listed on the about page."""

    date: dt.date  # when the correction was made
    text: str  # inline Markdown, translated like the page
    sources: tuple[Source, ...]  # may be empty: `check` then asks for one
    line: int


@dataclass(frozen=True)
class Page:
    id: str  # "home", "rights", "rights/school", ...
    path: str  # URL path below /{lang}/: "", "rights/", "rights/school/"
    file: str
    title: str
    summary: str
    as_of: dt.date
    review_by: dt.date
    sources: tuple[Source, ...]
    blocks: tuple[Block, ...]
    order: int
    nav: str  # a short label for the main navigation; top-level pages only
    lines: dict[str, int] = field(hash=False, compare=False)
    corrections: tuple[Correction, ...] = ()  # newest first
    federal_policy: bool = False  # about federal policy, which can change overnight: `check` holds review_by to 6 months

    @property
    def context(self) -> str:
        return f"page:{self.id}"

    @property
    def parent_id(self) -> str | None:
        if self.id == "home":
            return None
        return self.id.rpartition("/")[0] or "home"


@dataclass(frozen=True)
class Phone:
    number: str  # as shown: the local format, with its extension ("(860) 541-5030 ext. 12"), or a short code ("211")
    e164: str  # E.164 (+18605415030), or the short code itself (211): content/phones.py
    label: str
    languages: tuple[str, ...]
    extension: str = ""

    @property
    def tel(self) -> str:
        """The tel: URI (RFC 3966) that pages link and vCards store: tel:+18605415030;ext=12, tel:211."""
        return f"tel:{self.e164}" + (f";ext={self.extension}" if self.extension else "")


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str
    label: str

    def lines(self) -> list[str]:
        last = f"{self.city}, {self.state} {self.postal_code}".strip()
        return [self.street, last]

    def one_line(self) -> str:
        return ", ".join(self.lines())


@dataclass(frozen=True)
class Service:
    id: str
    file: str
    name: str
    organization: str  # the organization that runs it, when the name is not simply the organization's
    category: str
    description: tuple[Block, ...]
    phones: tuple[Phone, ...]
    email: str
    website: str
    address: Address | None
    hours: str
    languages: tuple[str, ...]
    verified_on: dt.date
    lines: dict[str, int] = field(hash=False, compare=False)
    fees: str = ""  # what it costs, as the source says it (HSDS fees_description)
    eligibility: str = ""  # who it serves, as the source says it (HSDS eligibility_description)

    @property
    def context(self) -> str:
        return f"service:{self.id}"


@dataclass(frozen=True)
class Notice:
    """A short, dated announcement shown at the top of every page from `starts` until `expires`."""

    id: str
    text: str
    starts: dt.date
    expires: dt.date
    line: int

    def active(self, day: dt.date) -> bool:
        return self.starts <= day <= self.expires


@dataclass(frozen=True)
class Site:
    name: str
    district: str
    tagline: str
    as_of: dt.date
    ask: str
    directory_title: str
    directory_nav: str
    directory_summary: str
    directory_review_by: dt.date
    directory_sources: tuple[Source, ...]
    file: str
    lines: dict[str, int] = field(hash=False, compare=False)
    help_category: str = ""  # the category whose phones a search that finds nothing offers (and the home page's "Get help now")
    logo: str = ""  # an image of the content pack (branding.py), shown beside the district's name; "" for none
    tab_title: str = ""  # what every browser tab and history entry says instead of the site name; "" for the site name


@dataclass(frozen=True)
class Content:
    root: Path
    site: Site
    sources: tuple[Source, ...]
    categories: tuple[Category, ...]
    pages: tuple[Page, ...]
    services: tuple[Service, ...]
    notices: tuple[Notice, ...] = ()
    share: SharePlan | None = None  # what the flyer and wallet card print (content/share.toml)

    def page(self, page_id: str) -> Page:
        return next(p for p in self.pages if p.id == page_id)

    def children(self, page_id: str) -> list[Page]:
        return sorted((p for p in self.pages if p.parent_id == page_id and p.id != "home"), key=lambda p: (p.order, p.id))

    def services_in(self, category_id: str) -> list[Service]:
        return [s for s in self.services if s.category == category_id]

    def units(self) -> list[Unit]:
        """Every translatable string of the pack, in reading order."""
        return units(self)

    def missing_links(self) -> list[tuple[str, int, str]]:
        """(file, line, text) of every link the source leaves as `#`."""
        found = []
        for u in self.units():
            for target, text in markup.links(u.text):
                if target == markup.MISSING:
                    found.append((u.file, u.line, text))
        for s in self.sources:
            if s.missing:
                found.append((self.site.file, self.site.lines.get(f"source:{s.id}", 1), s.title))
        return found


@dataclass(frozen=True)
class SharePlan:
    """What the flyer and the wallet card print, as content/share.toml names it."""

    contacts: tuple[Service, ...]  # whose phone numbers are printed
    contacts_category: str
    card: tuple[tuple[Page, Block], ...]  # the statements, as the page units they are


def units(c: Content) -> list[Unit]:
    site = c.site
    out = [
        Unit("site", site.name, "The app's name, shown in the header and on the home screen", site.file, site.lines["name"]),
        Unit("site", site.district, "The school district's name", site.file, site.lines["district"]),
        Unit("site", site.tagline, "Under the app's name on the language chooser and home page", site.file, site.lines["tagline"]),
        Unit("site", site.ask, "Shown on a page that may be out of date: whom to ask", site.file, site.lines["ask"]),
        *(
            [Unit("site", site.tab_title, "The neutral title of every browser tab and history entry: keep it neutral", site.file, site.lines["tab_title"])]
            if site.tab_title
            else []
        ),
        Unit("page:services", site.directory_title, "Title of the service directory", site.file, site.lines["directory:title"]),
        Unit("page:services", site.directory_nav, "Short label of the service directory in the main navigation", site.file, site.lines["directory:nav"]),
        Unit("page:services", site.directory_summary, "Summary of the service directory", site.file, site.lines["directory:summary"]),
    ]
    for cat in c.categories:
        out.append(Unit("category", cat.name, "A category of the service directory", site.file, cat.line))
    for p in c.pages:
        where = f"page “{p.title}” (/{p.path})"
        out.append(Unit(p.context, p.title, f"Title of {where}", p.file, p.lines["title"]))
        if p.nav:
            out.append(Unit(p.context, p.nav, f"Short label of {where} in the main navigation", p.file, p.lines["nav"]))
        out.append(Unit(p.context, p.summary, f"Summary of {where}, shown in lists and search results", p.file, p.lines["summary"]))
        for fix in p.corrections:
            out.append(Unit(p.context, fix.text, f"Correction dated {fix.date}, shown at the top of {where} and on the about page", p.file, fix.line))
        for b in p.blocks:
            kind = {"heading": "Heading", "paragraph": "Paragraph", "item": "List item"}[b.kind]
            out.append(Unit(p.context, b.text, f"{kind} on {where}", p.file, b.line))
    for notice in c.notices:
        out.append(
            Unit("notice", notice.text, f"Notice at the top of every page, {notice.starts} to {notice.expires}", f"{c.root.name}/{NOTICES_FILE}", notice.line)
        )
    for s in c.services:
        where = f"service “{s.name}” (/services/{s.id}/)"
        out.append(Unit(s.context, s.name, f"Name of {where}: keep the official name recognizable", s.file, s.lines["name"]))
        for b in s.description:
            out.append(Unit(s.context, b.text, f"Description of {where}", s.file, b.line))
        for n, ph in enumerate(s.phones):
            if ph.label:
                out.append(Unit(s.context, ph.label, f"What a phone number of {where} is for", s.file, s.lines[f"phone:{n}"]))
        if s.address and s.address.label:
            out.append(Unit(s.context, s.address.label, f"Label of the address of {where}", s.file, s.lines["address:label"]))
        if s.hours:
            out.append(Unit(s.context, s.hours, f"Opening hours of {where}", s.file, s.lines["hours"]))
        if s.fees:
            out.append(Unit(s.context, s.fees, f"What {where} costs", s.file, s.lines["fees"]))
        if s.eligibility:
            out.append(Unit(s.context, s.eligibility, f"Who can use {where}", s.file, s.lines["eligibility"]))
    return out
