"""Sharing the app: absolute links, their QR codes, and the pages a liaison hands a family.

    /{lang}/share/          the language's QR code, its link written out, copy and share (precached)
    /{lang}/share/print/    a one-page flyer (US Letter and A4): QR code, link, install steps for
                            Android and iPhone, legal-help phone numbers, as-of date; English alongside
    /{lang}/share/card/     fold-over wallet cards (85.6 × 54 mm): key rights and contacts, English on the back
    /share/                 liaison mode: every language by native and English name, its QR code full-screen
    services/{id}/          a share panel with the service's own QR code (_share_panel.html)

Links are absolute, made from the configured public URL (`--public-url`, PUENTE_PUBLIC_URL), and
carry nothing but the address: no identifiers, no campaign parameters. Without a public URL they
point at the address the server listens on, the CLI warns, and the share pages say so.

QR codes are SVG drawn by segno at build time and inlined, so they work offline and print sharp.
What the flyer and the card print comes from the content pack (content/share.toml names the card's
statements and the contacts' category), so it is text that already exists and is already translated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import io
import re
import socket
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import segno
from markupsafe import Markup, escape

from . import markup
from .config import Config
from .content import Content, Page, Service
from .errors import Collector, ContentError
from .i18n import source_language
from .markup import Block

if TYPE_CHECKING:
    from .build import LanguageRenderer, Renderer

PLAN_FILE = "share.toml"
_SCAN = "Scan the code with your phone's camera, or type this address into the browser:"  # extracted from share.html
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


# -- addresses ------------------------------------------------------------------


def base_url(cfg: Config) -> str:
    """Given the config, return the origin share links use: the public URL, else where the server listens."""
    if cfg.public_url:
        return cfg.public_url
    host = cfg.host
    if host in _WILDCARD_HOSTS:  # listening on every interface: the one other machines reach
        host = _lan_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{cfg.port}"


def _lan_address() -> str:
    """This machine's address on its local network (no packet is sent: UDP connect only picks a route)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def unconfigured_warning(cfg: Config) -> str | None:
    """The loud warning the CLI prints when no public URL is configured, or None."""
    if cfg.public_url:
        return None
    rule = "!" * 78
    return "\n".join(
        [
            rule,
            "WARNING: no public URL is configured (--public-url or PUENTE_PUBLIC_URL).",
            f"QR codes, share links, flyers and wallet cards point at {base_url(cfg)}/,",
            "the address this server listens on. Phones elsewhere cannot open it, and a printed",
            "flyer keeps it for good. Set the address families will use, for example:",
            "    python serve.py --public-url https://puente.example.org",
            rule,
        ]
    )


def short_form(url: str) -> str:
    """Given an absolute link, return it as a person reads and types it: no https://, no final slash."""
    return url.removeprefix("https://").rstrip("/")


@functools.lru_cache(maxsize=4096)
def qr_svg(url: str, label: str) -> Markup:
    """Given a link, return its QR code as inline SVG markup: presentation attributes only, no style.

    Choosing the best mask makes encoding the slowest step of a build; the result depends only on
    the arguments, so it is remembered (a language's code appears on three pages; rebuilds in one
    process, such as publishing from the admin, reuse every code whose address did not change).
    """
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=False,
        svgclass="qr-code",
        lineclass=None,
        omitsize=True,
        border=4,
        dark="#000",
        light="#fff",
        nl=False,
    )
    svg = out.getvalue().decode("ascii")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@dataclass(frozen=True)
class Link:
    """A page's absolute address, as written for people, and its QR code."""

    url: str
    short: str
    qr: Markup
    title: str = ""  # what navigator.share sends as the title
    heading: str = ""  # the share panel's heading, if it has one

    @property
    def short_html(self) -> Markup:
        """The short form with line-break opportunities after each slash, for narrow screens."""
        return Markup("/<wbr>").join(self.short.split("/"))


def link(lr: LanguageRenderer, path: str, *, title: str, heading: str = "") -> Link:
    """Given a path below /{lang}/ ("" for the home page), return its Link."""
    url = f"{base_url(lr.p.cfg)}/{lr.lang.tag}/{path}"
    short = short_form(url)
    # Translators: read aloud by screen readers for a QR code; %(address)s is the link it opens
    label = lr.t.gettext("QR code that opens %(address)s") % {"address": short}
    return Link(url, short, qr_svg(url, label), title, heading)


def service_link(lr: LanguageRenderer, service: Service) -> Link:
    name = lr.plain(service.context, service.name)
    site = lr.plain("site", lr.content.site.name)
    # Translators: heading of the panel on a service's page with its QR code and link
    return link(lr, f"services/{service.id}/", title=f"{name} · {site}", heading=lr.t.gettext("Share this service"))


# -- what the flyer and card print (content/share.toml) -------------------------


@dataclass(frozen=True)
class Plan:
    """What the flyer and the wallet card print, as content/share.toml names it."""

    contacts: tuple[Service, ...]  # whose phone numbers are printed
    contacts_category: str
    card: tuple[tuple[Page, Block], ...]  # the statements, as the page units they are


def load_plan(content: Content) -> Plan | None:
    """Given the content, return what the flyer and card print, or None without share.toml; raise ContentErrors."""
    path = content.root / PLAN_FILE
    if not path.is_file():
        return None
    rel = f"{content.root.name}/{PLAN_FILE}"
    text = path.read_text(encoding="utf-8")
    problems = Collector()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ContentError(f"invalid TOML: {e}", rel, int(m.group(1)) if m else 1) from None
    lines = text.splitlines()

    def line_of(key: str, nth: int = 0) -> int:
        found = [i + 1 for i, line in enumerate(lines) if re.match(rf"\s*{key}\s*=", line)]
        return found[nth] if nth < len(found) else 1

    for key in data:
        if key not in {"contacts", "card"}:
            problems.add(f"unknown field {key!r} (allowed: card, contacts)", rel, line_of(key))
    category = data.get("contacts", "")
    known = {c.id for c in content.categories}
    if not isinstance(category, str) or category not in known:
        problems.add(
            f"'contacts' must be a category of content/site.toml ({', '.join(sorted(known))}), not {category!r}", rel, line_of("contacts")
        )
    card: list[tuple[Page, Block]] = []
    pages = {p.id: p for p in content.pages}
    items = data.get("card", [])
    for n, item in enumerate(items if isinstance(items, list) else [items]):
        if not isinstance(item, dict):
            problems.add("each statement is a [[card]] table with 'page' and 'text'", rel, line_of("card"))
            continue
        page_id, wanted = item.get("page"), item.get("text")
        page = pages.get(str(page_id))
        if page is None:
            problems.add(f"[[card]] names no page of the content: {page_id!r}", rel, line_of("page", n))
            continue
        if not isinstance(wanted, str):
            problems.add("each [[card]] needs a 'text': a paragraph or list item of its page, word for word", rel, line_of("page", n))
            continue
        try:
            block = _find_statement(page, " ".join(wanted.split()), exclude=[b for _, b in card])
        except ContentError as e:
            problems.add(f"'text': {e.problem.message}", rel, line_of("text", n))
            continue
        if block is None:
            problems.add(f"this statement is no longer a paragraph or list item of {page.file}: {wanted[:60]!r}", rel, line_of("text", n))
            continue
        card.append((page, block))
    problems.raise_if_any()
    return Plan(tuple(content.services_in(str(category))), str(category), tuple(card))


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


# -- two languages side by side -------------------------------------------------


@dataclass(frozen=True)
class Both:
    """A text in the page's language and the same text in English (equal when untranslated or English)."""

    text: str
    english: str

    @property
    def same(self) -> bool:
        return self.text == self.english


def _pair(local: Any, english: Any) -> Any:
    """Zip two structures of the same shape (dicts, lists, strings) into one of Both."""
    if isinstance(local, str):
        return Both(local, english)
    if isinstance(local, dict):
        return {k: _pair(v, english[k]) for k, v in local.items()}
    return [_pair(a, b) for a, b in zip(local, english, strict=True)]


def _english(lr: LanguageRenderer) -> LanguageRenderer:
    return lr if lr.lang.is_source else lr.p.language(next((lang for lang in lr.p.languages if lang.is_source), source_language()))


def _as_of(lr: LanguageRenderer, dates: list[dt.date]) -> str:
    # Translators: the date the printed information was accurate
    return lr.t.gettext("Information as of %(date)s.") % {"date": lr.date(min(dates))}


def _contacts(lr: LanguageRenderer, plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "name": lr.plain(s.context, s.name),
            "phones": [p.number for p in s.phones],
            "other": "" if s.phones else (s.email or short_form(s.website)),
        }
        for s in plan.contacts
    ]


def _flyer_texts(lr: LanguageRenderer, plan: Plan | None) -> dict[str, Any]:
    """Everything the flyer says, in one language; called for the page's language and for English."""
    site, t = lr.content.site, lr.t
    dates = [site.as_of] + [s.verified_on for s in (plan.contacts if plan else ())]
    return {
        "brand": f"{lr.plain('site', site.name)} · {lr.plain('site', site.district)}",
        "tagline": lr.plain("site", site.tagline),
        # Translators: beside the QR code on the printed flyer, the share page and the liaison's screen
        "scan": t.gettext("Scan the code with your phone's camera, or type this address into the browser:"),
        # Translators: on the printed flyer, under the address
        "promise": t.gettext("Free. No account, no tracking. After the first visit it works without a connection."),
        # Translators: heading of the install steps on the printed flyer
        "android": t.gettext("Install on Android"),
        "android_steps": [
            # Translators: first install step on Android, on the printed flyer
            t.gettext("Scan the code with the camera and open the link in Chrome."),
            # Translators: second install step on Android; the menu is the three dots in Chrome's corner
            t.gettext("Tap the menu (⋮), then “Install app” or “Add to Home screen”."),
            # Translators: last install step on Android
            t.gettext("Tap “Install”. The app appears on your home screen and works without a connection."),
        ],
        "ios": t.gettext("Install on iPhone or iPad"),
        "ios_steps": [
            # Translators: first install step on iPhone, on the printed flyer
            t.gettext("Scan the code with the Camera app and open the link in Safari."),
            t.gettext("Tap the Share button (a square with an arrow pointing up)."),
            t.gettext("Scroll down and tap “Add to Home Screen”."),
            t.gettext("Tap “Add”. The app appears on your home screen and works without a connection."),
        ],
        "contacts_heading": lr.plain(
            "category", next((c.name for c in lr.content.categories if plan and c.id == plan.contacts_category), "")
        ),
        "contacts": _contacts(lr, plan) if plan else [],
        "as_of": _as_of(lr, dates),
    }


def _card_face(lr: LanguageRenderer, plan: Plan, home: Link) -> dict[str, Any]:
    """One side of the wallet card, in one language; the back is the same function in English."""
    site = lr.content.site
    first = plan.card[0][0] if plan.card else None
    section = lr.content.page(first.parent_id) if first and first.parent_id and first.parent_id != "home" else first
    statements = []
    for page, block in plan.card:
        shown, fallback = lr.t.unit(page.context, block.text)
        html = markup.render_inline(shown, link_prefix=lr.prefix, missing_label=lr.t.gettext("link not available yet"))
        statements.append(Markup(f'<span lang="{fallback}">{html}</span>' if fallback else html))
    dates = [p.as_of for p, _ in plan.card] + [s.verified_on for s in plan.contacts]
    return {
        "lang": lr.lang,
        "brand": lr.plain("site", site.name),
        "title": lr.plain(section.context, section.title) if section else "",
        "statements": statements,
        "contacts_heading": lr.plain("category", next(c.name for c in lr.content.categories if c.id == plan.contacts_category)),
        "contacts": _contacts(lr, plan),
        "address": home.short,
        "as_of": _as_of(lr, dates or [site.as_of]),
    }


# -- pages ------------------------------------------------------------------------


def _notice(lr: LanguageRenderer) -> Both | None:
    """What the share pages tell the liaison when no public address is configured, with English alongside."""
    if lr.p.cfg.public_url:
        return None
    return Both(_notice_text(lr), _notice_text(_english(lr)))


def _notice_text(lr: LanguageRenderer) -> str:
    # Translators: shown to the liaison on the share pages when the administrator has not set the app's public address
    text = lr.t.gettext(
        "No public address is set for this app, so this code and link point at %(address)s, the computer serving it. "
        "Phones elsewhere may not open it: ask the administrator to set the public address before printing or sharing."
    )
    return text % {"address": base_url(lr.p.cfg)}


def share_page(lr: LanguageRenderer) -> str:
    """/{lang}/share/: the language's QR code and link, copy and share, and where to print."""
    t = lr.t
    # Translators: title of the page with the app's QR code and link, for sharing it
    title = t.gettext("Share this app")
    site_name = lr.plain("site", lr.content.site.name)
    home = link(lr, "", title=f"{site_name} · {lr.lang.native_name}")
    plan = load_plan(lr.content)
    services = [{"href": f"{lr.prefix}/services/{s.id}/#share", "name": lr.plain(s.context, s.name)} for s in lr.content.services]
    return lr.render(
        "share.html",
        page_id="share",
        path="share/",
        title=title,
        # Translators: description of the share page; %(language)s is this language's own name
        description=t.gettext("A QR code and a link that open this app in %(language)s.") % {"language": lr.lang.native_name},
        share=home,
        notice=_notice(lr),
        has_card=bool(plan and plan.card),
        services=services,
    )


def print_pages(lr: LanguageRenderer) -> list[tuple[str, str]]:
    """(path below /{lang}/, HTML) of the printable flyer and wallet card: written, but not precached."""
    english = _english(lr)
    plan = load_plan(lr.content)
    site_name = lr.plain("site", lr.content.site.name)
    home = link(lr, "", title=f"{site_name} · {lr.lang.native_name}")
    t = lr.t
    common = {"share": home, "notice": _notice(lr)}
    # Translators: title of the printable flyer page
    flyer_title = t.gettext("Flyer to print")
    pages = [
        (
            "share/print/",
            lr.render(
                "share_print.html",
                page_id="share",
                path="share/print/",
                title=flyer_title,
                description=flyer_title,
                flyer=_pair(_flyer_texts(lr, plan), _flyer_texts(english, plan)),
                **common,
            ),
        )
    ]
    if plan and plan.card:
        # Translators: title of the page of wallet cards to print and cut out
        card_title = t.gettext("Wallet cards to print")
        front = _card_face(lr, plan, home)
        back = _card_face(english, plan, home) if not lr.lang.is_source else None
        pages.append(
            (
                "share/card/",
                lr.render(
                    "share_card.html",
                    page_id="share",
                    path="share/card/",
                    title=card_title,
                    description=card_title,
                    front=front,
                    back=back,
                    copies=4 if back else 8,
                    **common,
                ),
            )
        )
    return pages


def liaison_page(renderer: Renderer) -> str:
    """/share/: every language by native and English name; choosing one shows its QR code full-screen."""
    entries = []
    for lang in sorted(renderer.languages, key=lambda lang: lang.english_name.lower()):
        lr = renderer.language(lang)
        site_name = lr.plain("site", renderer.content.site.name)
        entries.append(
            {
                "lang": lang,
                "share": link(lr, "", title=f"{site_name} · {lang.native_name}"),
                "scan": lr.t.unit("ui", _SCAN),  # (text, "en" where it is not translated yet)
                "names": f"{lang.native_name} {lang.english_name} {lang.tag}".lower(),
            }
        )
    plan = load_plan(renderer.content)
    return renderer.env.get_template("share_all.html").render(
        site_name=renderer.content.site.name,
        description=renderer.content.site.tagline,
        entries=entries,
        notice=_notice(renderer.language(source_language())),
        has_card=bool(plan and plan.card),
        exit_url=renderer.cfg.exit_url,
    )
