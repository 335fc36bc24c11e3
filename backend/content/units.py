"""Every translatable string of a content pack, as gettext units in reading order."""

from __future__ import annotations

from .model import NOTICES_FILE, Content, Unit


def units(c: Content) -> list[Unit]:
    site = c.site
    out = [
        Unit("site", site.name, "The app's name, shown in the header and on the home screen", site.file, site.lines["name"]),
        Unit("site", site.district, "The school district's name", site.file, site.lines["district"]),
        Unit("site", site.tagline, "Under the app's name on the language chooser and home page", site.file, site.lines["tagline"]),
        Unit("site", site.ask, "Shown on a page that may be out of date: whom to ask", site.file, site.lines["ask"]),
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
    return out
