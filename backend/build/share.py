"""The pages a liaison hands a family, in the family's language.

    /{lang}/share/          the language's QR code, its link written out, copy and share
    /{lang}/share/print/    a one-page flyer (US Letter and A4): QR code, link, install steps for
                            Android and iPhone, legal-help phone numbers, as-of date; English alongside
    /{lang}/share/card/     fold-over wallet cards (85.6 × 54 mm): key rights, contacts and the QR code,
                            English on the back
    /share/                 liaison mode: every language by native and English name (and the other names
                            of locales/other-names.toml), its QR code full-screen

All three pages of a language are precached with it, so a liaison can show and print them offline.
    services/{id}/          a share panel with the service's own QR code (_share_panel.html)

What the flyer and the card print comes from the content pack (content/share.toml, loaded into
`Content.share`), so it is text that already exists and is already translated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content import Service, SharePlan
from ..i18n import folded
from .links import Link, make_link, short_form

if TYPE_CHECKING:
    from .renderer import LanguageRenderer, Renderer

_SCAN = "Scan the code with your phone's camera, or type this address into the browser:"  # extracted from share.html


def link(lr: LanguageRenderer, path: str, *, title: str, heading: str = "") -> Link:
    """Given a path below /{lang}/ ("" for the home page), return its Link."""
    # Translators: read aloud by screen readers for a QR code; %(address)s is the link it opens
    label = lr.gettext("QR code that opens %(address)s")
    return make_link(lr.base_url, lr.lang.tag, path, label, title=title, heading=heading)


def service_link(lr: LanguageRenderer, service: Service) -> Link:
    name = lr.plain(service.context, service.name)
    site = lr.plain("site", lr.content.site.name)
    # Translators: heading of the panel on a service's page with its QR code and link
    return link(lr, f"services/{service.id}/", title=f"{name} · {site}", heading=lr.gettext("Share this service"))


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


def _as_of(lr: LanguageRenderer, dates: list[dt.date]) -> str:
    # Translators: the date the printed information was accurate
    return lr.ui("Information as of %(date)s.", date=lr.date(min(dates)))


def _contacts(lr: LanguageRenderer, plan: SharePlan) -> list[dict[str, Any]]:
    return [
        {
            "name": lr.plain(s.context, s.name),
            "phones": [p.number for p in s.phones],
            "other": "" if s.phones else (s.email or short_form(s.website)),
        }
        for s in plan.contacts
    ]


def _flyer_texts(lr: LanguageRenderer, plan: SharePlan | None) -> dict[str, Any]:
    """Everything the flyer says, in one language; called for the page's language and for English."""
    site = lr.content.site
    dates = [site.as_of] + [s.verified_on for s in (plan.contacts if plan else ())]
    return {
        "brand": f"{lr.plain('site', site.name)} · {lr.plain('site', site.district)}",
        "tagline": lr.plain("site", site.tagline),
        # Translators: beside the QR code on the printed flyer, the share page and the liaison's screen
        "scan": lr.gettext("Scan the code with your phone's camera, or type this address into the browser:"),
        # Translators: on the printed flyer, under the address
        "promise": lr.gettext("Free. No account, no tracking. After the first visit it works without a connection."),
        # Translators: heading of the install steps on the printed flyer
        "android": lr.gettext("Install on Android"),
        "android_steps": [
            # Translators: first install step on Android, on the printed flyer
            lr.gettext("Scan the code with the camera and open the link in Chrome."),
            # Translators: second install step on Android; the menu is the three dots in Chrome's corner
            lr.gettext("Tap the menu (⋮), then “Install app” or “Add to Home screen”."),
            # Translators: last install step on Android
            lr.gettext("Tap “Install”. The app appears on your home screen and works without a connection."),
        ],
        "ios": lr.gettext("Install on iPhone or iPad"),
        "ios_steps": [
            # Translators: first install step on iPhone, on the printed flyer
            lr.gettext("Scan the code with the Camera app and open the link in Safari."),
            lr.gettext("Tap the Share button (a square with an arrow pointing up)."),
            lr.gettext("Scroll down and tap “Add to Home Screen”."),
            lr.gettext("Tap “Add”. The app appears on your home screen and works without a connection."),
        ],
        "contacts_heading": lr.plain(
            "category", next((c.name for c in lr.content.categories if plan and c.id == plan.contacts_category), "")
        ),
        "contacts": _contacts(lr, plan) if plan else [],
        "as_of": _as_of(lr, dates),
        # the draft notice every page of a draft language carries, printed too
        "draft": lr.gettext("This translation is a draft that a person has not yet reviewed. The English text is authoritative."),
    }


def _card_face(lr: LanguageRenderer, plan: SharePlan, home: Link, *, code: bool) -> dict[str, Any]:
    """One side of the wallet card, in one language; the back is the same function in English.
    With `code`, the face carries the QR code of the app's home in the card's language."""
    site = lr.content.site
    first = plan.card[0][0] if plan.card else None
    section = lr.content.page(first.parent_id) if first and first.parent_id and first.parent_id != "home" else first
    statements = []
    for page, block in plan.card:
        statements.append(lr.inline(page.context, block.text))
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
        # Translators: on the front of a printed wallet card whose translation has not been reviewed by a person
        "draft": "" if lr.lang.reviewed else lr.gettext("Draft translation: the English on the back is authoritative."),
        "qr": home.qr if code else "",
    }


# -- pages ------------------------------------------------------------------------


def _notice(lr: LanguageRenderer) -> Both | None:
    """What the share pages tell the liaison when no public address is configured, with English alongside."""
    if lr.cfg.public_url:
        return None
    return Both(_notice_text(lr), _notice_text(lr.english))


def _notice_text(lr: LanguageRenderer) -> str:
    # Translators: shown to the liaison on the share pages when the administrator has not set the app's public address
    text = lr.gettext(
        "No public address is set for this app, so this code and link point at %(address)s, the computer serving it. "
        "Phones elsewhere may not open it: ask the administrator to set the public address before printing or sharing."
    )
    return text % {"address": lr.base_url}


def share_page(lr: LanguageRenderer) -> str:
    """/{lang}/share/: the language's QR code and link, copy and share, and where to print."""
    # Translators: title of the page with the app's QR code and link, for sharing it
    title = lr.gettext("Share this app")
    site_name = lr.plain("site", lr.content.site.name)
    home = link(lr, "", title=f"{site_name} · {lr.lang.native_name}")
    plan = lr.content.share
    services = [{"href": f"{lr.prefix}/services/{s.id}/#share", "name": lr.plain(s.context, s.name)} for s in lr.content.services]
    return lr.render(
        "share.html",
        page_id="share",
        path="share/",
        title=title,
        # Translators: description of the share page; %(language)s is this language's own name
        description=lr.ui("A QR code and a link that open this app in %(language)s.", language=lr.lang.native_name),
        share=home,
        notice=_notice(lr),
        has_card=bool(plan and plan.card),
        services=services,
    )


def print_pages(lr: LanguageRenderer) -> list[tuple[str, str]]:
    """(path below /{lang}/, HTML) of the printable flyer and wallet card."""
    english = lr.english
    plan = lr.content.share
    site_name = lr.plain("site", lr.content.site.name)
    home = link(lr, "", title=f"{site_name} · {lr.lang.native_name}")
    common = {"share": home, "notice": _notice(lr)}
    # Translators: title of the printable flyer page
    flyer_title = lr.gettext("Flyer to print")
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
        card_title = lr.gettext("Wallet cards to print")
        # The QR code goes on the last face: behind a folded card, the English side, whose shorter text
        # leaves it room; the front keeps its width for the statements and the phone numbers.
        front = _card_face(lr, plan, home, code=lr.lang.is_source)
        back = _card_face(english, plan, home, code=True) if not lr.lang.is_source else None
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
                "scan": lr.unit("ui", _SCAN),  # (text, "en" where it is not translated yet)
                # what the finder matches, folded as share.js folds what is typed: no accents, lower case
                "names": folded(" | ".join([lang.native_name, lang.english_name, lang.tag, *renderer.inputs.other_names.get(lang.tag, ())])),
            }
        )
    plan = renderer.content.share
    return renderer.env.get_template("share_all.html").render(
        site_name=renderer.content.site.name,
        description=renderer.content.site.tagline,
        entries=entries,
        notice=_notice(renderer.english),
        has_card=bool(plan and plan.card),
        exit_url=renderer.cfg.exit_url,
    )
