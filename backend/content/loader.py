"""The content pack: load `content/`, validate it, and return one immutable model.

    content/site.toml            site name, sources, categories, directory metadata
    content/pages/**/*.md        pages: TOML front matter between `+++` lines, then Markdown
    content/services/*.toml      one file per organization in the service directory
    content/notices.toml         short dated announcements (optional)
    content/share.toml           what the flyer and wallet card print (optional; share_plan.py)

`load(dir)` reports every problem it finds at once, each as `file:line: what`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

from ..errors import Collector, ContentError
from . import markup
from ._toml import Reader as _Reader
from ._toml import date as _date
from ._toml import sources as _sources
from ._toml import text as _text
from ._toml import unknown as _unknown
from .branding import logo as _logo
from .corrections import read_corrections
from .markup import Block
from .model import NOTICES_FILE, Address, Category, Content, Notice, Page, Phone, Service, Site, Source
from .phones import parse as parse_phone
from .share_plan import read_plan

PAGE_KEYS = {"title", "summary", "as_of", "review_by", "sources", "order", "nav", "federal_policy", "corrections"}
RESERVED_PAGE_IDS = {"services", "search", "share", "offline", "admin", "api", "static", "404"}
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s<>\"']*)?$")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _load_site(root: Path, problems: Collector) -> tuple[Site, tuple[Source, ...], tuple[Category, ...]]:
    path = root / "site.toml"
    rel = _rel(path, root)
    empty = Site("", "", "", dt.date.min, "", "", "", "", dt.date.min, (), rel, {})
    if not path.is_file():
        problems.add("missing site.toml", rel)
        return empty, (), ()
    r = _Reader(Path(rel), path.read_text(encoding="utf-8"), problems)
    data = r.parse()
    if data is None:
        return empty, (), ()
    _unknown(r, data, {"site", "sources", "categories", "directory"})
    sources: list[Source] = []
    lines: dict[str, int] = {}
    for n, s in enumerate(data.get("sources", [])):
        sid = s.get("id", "")
        if not _ID.match(str(sid)):
            r.error("each source needs an 'id' of lowercase letters, digits and dashes", "id", n)
            continue
        url = s.get("url", "")
        if url != markup.MISSING and not _URL.match(str(url)):
            r.error(f"source {sid!r}: 'url' must be an http(s) URL, or '#' when there is none", "url", n)
        title = _text(r, s, "title", nth=n)
        sources.append(Source(sid, title, str(url)))
        lines[f"source:{sid}"] = r.line_of("id", n)
    categories = []
    for n, c in enumerate(data.get("categories", [])):
        cid = c.get("id", "")
        if not _ID.match(str(cid)):
            r.error("each category needs an 'id' of lowercase letters, digits and dashes", "id", len(sources) + n)
            continue
        categories.append(Category(cid, _text(r, c, "name", nth=n), r.line_of("name", n, after="[[categories]]")))
    if not categories:
        r.error("at least one [[categories]] is required")
    known = {s.id: s for s in sources}
    s = data.get("site", {})
    d = data.get("directory", {})
    _unknown(r, s, {"name", "district", "tagline", "as_of", "ask", "logo", "tab_title"}, after="[site]")
    _unknown(r, d, {"title", "nav", "summary", "review_by", "sources", "help_category"}, after="[directory]")
    help_category = d.get("help_category", "")
    if help_category and help_category not in {c.id for c in categories}:
        r.error(f"[directory] help_category {help_category!r} is not a category id", "help_category", after="[directory]")
        help_category = ""
    for key in ("name", "district", "tagline", "ask", "tab_title"):
        lines[key] = r.line_of(key, after="[site]")
    for key in ("title", "nav", "summary"):
        lines[f"directory:{key}"] = r.line_of(key, after="[directory]")
    site = Site(
        name=_text(r, s, "name", after="[site]"),
        district=_text(r, s, "district", after="[site]"),
        tagline=_text(r, s, "tagline", after="[site]"),
        as_of=_date(r, s, "as_of", after="[site]"),
        ask=_text(r, s, "ask", after="[site]"),
        directory_title=_text(r, d, "title", after="[directory]"),
        directory_nav=_text(r, d, "nav", after="[directory]"),
        directory_summary=_text(r, d, "summary", after="[directory]"),
        directory_review_by=_date(r, d, "review_by", after="[directory]"),
        directory_sources=_sources(r, d, known, after="[directory]"),
        file=rel,
        lines=lines,
        help_category=str(help_category),
        logo=_logo(r, s.get("logo"), root, after="[site]"),
        tab_title=_text(r, s, "tab_title", required=False, after="[site]"),
    )
    return site, tuple(sources), tuple(categories)


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "+++":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None


def _page_id(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "index":
        parts.pop()
    return "/".join(parts) or "home"


def _load_page(path: Path, root: Path, known: dict[str, Source], problems: Collector) -> Page | None:
    rel = _rel(path, root)
    page_id = _page_id(path.relative_to(root / "pages"))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        problems.add(f"not UTF-8 text ({e.reason} at byte {e.start})", rel, 1)
        return None
    split = _split_front_matter(text)
    if split is None:
        problems.add("a page starts with front matter between two '+++' lines", rel, 1)
        return None
    front, body, body_line = split
    if page_id.split("/")[0] in RESERVED_PAGE_IDS or not all(_ID.match(p) for p in page_id.split("/")):
        problems.add(f"page name {page_id!r} is reserved or not lowercase-with-dashes", rel, 1)
        return None
    r = _Reader(Path(rel), front, problems, first_line=2)
    data = r.parse()
    if data is None:
        return None
    _unknown(r, data, PAGE_KEYS)
    as_of, review_by = _date(r, data, "as_of"), _date(r, data, "review_by")
    if as_of != dt.date.min and review_by != dt.date.min and review_by < as_of:
        r.error("'review_by' is before 'as_of'", "review_by")
    order = data.get("order", 0)
    if not isinstance(order, int):
        r.error("'order' must be a whole number", "order")
        order = 0
    federal = data.get("federal_policy", False)
    if not isinstance(federal, bool):
        r.error("'federal_policy' must be true or false", "federal_policy")
        federal = False
    try:
        blocks = markup.parse_blocks(body, first_line=body_line)
    except ContentError as e:
        problems.add(e.problem.message, rel, e.problem.line)
        blocks = []
    return Page(
        id=page_id,
        path="" if page_id == "home" else page_id + "/",
        file=rel,
        title=_text(r, data, "title"),
        summary=_text(r, data, "summary"),
        as_of=as_of,
        review_by=review_by,
        sources=_sources(r, data, known),
        blocks=tuple(blocks),
        order=order,
        nav=_text(r, data, "nav", required=False),
        lines={"title": r.line_of("title"), "summary": r.line_of("summary"), "nav": r.line_of("nav")},
        corrections=read_corrections(r, data, known, as_of),
        federal_policy=federal,
    )



RESERVED_SERVICE_IDS = {"category"}  # /{lang}/services/category/ holds the category pages
SERVICE_FIELDS = {
    "name", "organization", "category", "description", "phones", "email", "website", "address", "hours", "fees", "eligibility",
    "languages", "verified_on",
}


def _load_service(path: Path, root: Path, categories: set[str], problems: Collector) -> Service | None:
    rel = _rel(path, root)
    sid = path.stem
    if not _ID.match(sid) or sid in RESERVED_SERVICE_IDS:
        problems.add(f"service file name {sid!r} must be lowercase letters, digits and dashes, and not {', '.join(RESERVED_SERVICE_IDS)} (it becomes the URL)", rel, 1)
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        problems.add(f"not UTF-8 text ({e.reason} at byte {e.start})", rel, 1)
        return None
    r = _Reader(Path(rel), text, problems)
    data = r.parse()
    if data is None:
        return None
    _unknown(r, data, SERVICE_FIELDS)
    category = data.get("category")
    if category is None:
        r.error("missing required field 'category'")
    elif category not in categories:
        r.error(f"unknown category {category!r} (known: {', '.join(sorted(categories))})", "category" if category is not None else None)
    description: list[Block] = []
    raw = data.get("description")
    if not isinstance(raw, str) or not raw.strip():
        r.error("missing required field 'description'", "description" if raw is not None else None)
    else:
        try:
            description = markup.parse_blocks(raw, first_line=r.line_of("description") + 1)
        except ContentError as e:
            problems.add(e.problem.message, rel, e.problem.line)
    phones = _phones(r, data)
    email = data.get("email", "")
    if email and not (isinstance(email, str) and _EMAIL.match(email)):
        r.error(f"malformed email {email!r}", "email")
    website = data.get("website", "")
    if website and not (isinstance(website, str) and _URL.match(website)):
        r.error(f"malformed website {website!r}: it must start with https:// or http://", "website")
    if not (phones or email or website):
        r.error("a service needs at least one way to reach it: a phone, an email or a website")
    address = _address(r, data)
    lines = {k: r.line_of(k) for k in ("name", "description", "hours", "fees", "eligibility")}
    lines.update({f"phone:{n}": r.line_of("label", n) for n in range(len(phones))})
    lines["address:label"] = r.line_of("label", after="[address]")
    return Service(
        id=sid,
        file=rel,
        name=_text(r, data, "name"),
        organization=_text(r, data, "organization", required=False),
        category=str(category),
        description=tuple(description),
        phones=tuple(phones),
        email=str(email or ""),
        website=str(website or ""),
        address=address,
        hours=_text(r, data, "hours", required=False),
        languages=_languages(r, data),
        verified_on=_date(r, data, "verified_on"),
        lines=lines,
        fees=_text(r, data, "fees", required=False),
        eligibility=_text(r, data, "eligibility", required=False),
    )


def _phones(r: _Reader, data: dict[str, Any]) -> list[Phone]:
    phones: list[Phone] = []
    raw_phones = data.get("phones", [])
    if not isinstance(raw_phones, list):
        r.error("'phones' must be a list of [[phones]] tables", "phones")
        raw_phones = []
    for n, p in enumerate(raw_phones):
        if not isinstance(p, dict):
            r.error("each phone is a [[phones]] table with 'number'", "phones")
            continue
        _unknown(r, p, {"number", "label", "languages"})
        try:
            parsed = parse_phone(str(p.get("number", "")))
        except ValueError as e:
            r.error(str(e), "number", n)
            continue
        phones.append(Phone(parsed.shown, parsed.e164, _text(r, p, "label", required=False), _languages(r, p, n), parsed.extension))
    return phones


def _address(r: _Reader, data: dict[str, Any]) -> Address | None:
    address = None
    a = data.get("address")
    if a is not None:
        if not isinstance(a, dict):
            r.error("'address' must be an [address] table", "address")
        else:
            _unknown(r, a, {"street", "city", "state", "postal_code", "label"}, after="[address]")
            postal = str(a.get("postal_code", ""))
            if postal and not re.fullmatch(r"\d{5}(?:-\d{4})?", postal):
                r.error(f"malformed postal code {postal!r}", "postal_code", after="[address]")
            address = Address(
                street=_text(r, a, "street", after="[address]"),
                city=_text(r, a, "city", after="[address]"),
                state=_text(r, a, "state", after="[address]"),
                postal_code=postal,
                label=_text(r, a, "label", required=False, after="[address]"),
            )
    return address


def _languages(r: _Reader, data: dict[str, Any], nth: int = 0) -> tuple[str, ...]:
    value = data.get("languages", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and _LANG.match(v) for v in value):
        r.error("'languages' must be a list of language tags such as \"es\" or \"pt-BR\"", "languages", nth)
        return ()
    return tuple(value)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def load(root: Path) -> Content:
    """Given a content directory, return the validated Content; raise ContentErrors listing every problem."""
    root = Path(root)
    problems = Collector()
    if not root.is_dir():
        problems.add("content directory does not exist", str(root))
        problems.raise_if_any()
    site, sources, categories = _load_site(root, problems)
    known = {s.id: s for s in sources}
    pages = []
    for path in sorted((root / "pages").rglob("*.md")):
        page = _load_page(path, root, known, problems)
        if page is not None:
            pages.append(page)
    if not any(p.id == "home" for p in pages):
        problems.add("missing the home page (pages/home.md)", _rel(root / "pages", root))
    ids = {p.id for p in pages}
    for p in pages:
        if p.parent_id and p.parent_id not in ids:
            problems.add(f"page {p.id!r} has no parent page ({p.parent_id}/index.md)", p.file, 1)
    services = []
    cat_ids = {c.id for c in categories}
    for path in sorted((root / "services").glob("*.toml")):
        service = _load_service(path, root, cat_ids, problems)
        if service is not None:
            services.append(service)
    notices = _load_notices(root, problems)
    problems.raise_if_any()
    services.sort(key=lambda s: ([c.id for c in categories].index(s.category), s.name.lower()))
    content = Content(root, site, sources, categories, tuple(pages), tuple(services), tuple(notices))
    return dataclasses.replace(content, share=read_plan(content))  # raises ContentErrors for share.toml


def _load_notices(root: Path, problems: Collector) -> list[Notice]:
    path = root / NOTICES_FILE
    if not path.is_file():
        return []
    r = _Reader(Path(_rel(path, root)), path.read_text(encoding="utf-8"), problems)
    data = r.parse()
    if data is None:
        return []
    _unknown(r, data, {"notices"})
    out = []
    seen = set()
    for n, item in enumerate(data.get("notices", [])):
        nid = str(item.get("id", ""))
        if not _ID.match(nid) or nid in seen:
            r.error("each notice needs a unique 'id' of lowercase letters, digits and dashes", "id", n)
            continue
        seen.add(nid)
        _unknown(r, item, {"id", "text", "starts", "expires"}, after=None)
        text = _text(r, item, "text", nth=n)
        if len(text) > 280:
            r.error(f"notice {nid!r} is {len(text)} characters; keep notices under 280", "text", n)
        starts, expires = _date(r, item, "starts"), _date(r, item, "expires")
        if starts != dt.date.min and expires != dt.date.min and expires < starts:
            r.error(f"notice {nid!r} expires before it starts", "expires", n)
        out.append(Notice(nid, text, starts, expires, r.line_of("text", n)))
    return out

