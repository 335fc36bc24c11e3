"""Open Referral HSDS 3.0, out: the directory as other systems (211, referral platforms) read it.

    export(content)            the directory as HSDS JSON: a page of fully nested organizations,
                               the shape of HSDS's `/organizations?full=true` (compiled/organization.json)
    read(data, content, ...)   an HSDS organization list (that page, a bare array, or one organization) turned into
                               directory entries; every problem reported with its JSON path
    write(entries, into, ...)  those entries as content/services/*.toml, all or nothing

Each directory entry is one organization with one service. Identifiers are UUID 5 of a fixed
project namespace and the entry's id (its file name), so every build gives the same UUIDs and a
system that imported them once recognizes them the next time; importing a file that came from
Puente updates the entries it came from. Text is the English source (descriptions keep their
Markdown, which HSDS allows); verified_on is HSDS's assured_date; the category is an attribute
whose taxonomy term's code is the category id.
"""

from __future__ import annotations

import json
from typing import Any

from babel import Locale

from .. import markup
from ..model import Content, Service
from ._common import COUNTRY, ENTRY_TERM, TAXONOMY, uid

# -- export -----------------------------------------------------------------------


def export(content: Content) -> dict[str, Any]:
    """Given the content, return the directory as an HSDS 3.0 page of fully nested organizations."""
    orgs = [_organization(content, s) for s in content.services]
    return {
        "total_items": len(orgs),
        "total_pages": 1,
        "page_number": 1,
        "size": len(orgs),
        "first_page": True,
        "last_page": True,
        "empty": not orgs,
        "contents": orgs,
    }


def dumps(content: Content) -> str:
    return json.dumps(export(content), ensure_ascii=False, indent=1) + "\n"


def markdown_of(blocks: tuple[markup.Block, ...]) -> str:
    """Given parsed blocks, return Markdown that parses back to the same blocks."""
    out: list[str] = []
    for b in blocks:
        if b.kind == "heading":
            text = "#" * b.level + " " + b.text
        elif b.kind == "item":
            text = "  " * (b.level - 1) + "- " + b.text
        else:
            text = b.text
        if out and not (b.kind == "item" and out[-1].lstrip().startswith("- ")):
            out.append("")
        out.append(text)
    return "\n".join(out)


def _language(tag: str, **link: str) -> dict[str, Any]:
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name("en") or tag
    except (ValueError, LookupError):
        name = tag
    return {"id": uid("language", *link.values(), tag), **link, "name": name, "code": tag.split("-")[0]}


def _phones(s: Service, svc_id: str) -> list[dict[str, Any]]:
    phones = []
    for n, p in enumerate(s.phones):
        phone_id = uid("phone", s.id, str(n))
        phone: dict[str, Any] = {"id": phone_id, "service_id": svc_id, "number": p.e164, "type": "voice"}
        if p.extension:
            phone["extension"] = int(p.extension)
        if p.label:
            phone["description"] = p.label
        if p.languages:
            phone["languages"] = [_language(tag, phone_id=phone_id) for tag in p.languages]
        phones.append(phone)
    return phones


def _organization(content: Content, s: Service) -> dict[str, Any]:
    org_id, svc_id = uid("organization", s.id), uid("service", s.id)
    description = markdown_of(s.description)
    category = next(c for c in content.categories if c.id == s.category)
    term_id = uid("category", category.id)
    phones = _phones(s, svc_id)
    service: dict[str, Any] = {
        "id": svc_id,
        "organization_id": org_id,
        "name": s.name,
        "description": description,
        "status": "active",
        "assured_date": s.verified_on.isoformat(),
        "phones": phones,
        "attributes": [
            {
                "id": uid("attribute", s.id, "category"),
                "link_id": svc_id,
                "link_entity": "service",
                "taxonomy_term_id": term_id,
                "taxonomy_term": {"id": term_id, "code": category.id, "name": category.name, "description": category.name, "taxonomy": TAXONOMY},
            },
            {
                "id": uid("attribute", s.id, ENTRY_TERM["code"]),
                "link_id": svc_id,
                "link_entity": "service",
                "taxonomy_term_id": ENTRY_TERM["id"],
                "taxonomy_term": ENTRY_TERM,
                "value": s.id,
            },
        ],
    }
    if s.fees:
        service["fees_description"] = s.fees
    if s.eligibility:
        service["eligibility_description"] = s.eligibility
    if s.website:
        service["url"] = s.website
    if s.email:
        service["email"] = s.email
    if s.languages:
        service["languages"] = [_language(tag, service_id=svc_id) for tag in s.languages]
    if s.hours:
        service["schedules"] = [{"id": uid("schedule", s.id), "service_id": svc_id, "description": s.hours}]
    org: dict[str, Any] = {"id": org_id, "name": s.organization or s.name, "description": description}
    if s.email:
        org["email"] = s.email
    if s.website:
        org["website"] = s.website
    if s.address is not None:
        a = s.address
        loc_id = uid("location", s.id)
        location: dict[str, Any] = {"id": loc_id, "location_type": "physical", "organization_id": org_id}
        if a.label:
            location["name"] = a.label
        location["addresses"] = [
            {
                "id": uid("address", s.id),
                "location_id": loc_id,
                "address_1": a.street,
                "city": a.city,
                "state_province": a.state,
                "postal_code": a.postal_code,
                "country": COUNTRY,
                "address_type": "physical",
            }
        ]
        org["locations"] = [location]
        service["service_at_locations"] = [{"id": uid("service_at_location", s.id), "service_id": svc_id, "location_id": loc_id}]
    org["services"] = [service]
    return org
