"""Open Referral HSDS 3.0's read API as static JSON files in a release, and which file answers a request.

    /api/hsds/                       api/hsds/index.json                  version and profile
    /api/hsds/services?page=N        api/hsds/services/page-N.json        pages of services, one-to-one fields (service_list)
    /api/hsds/services/{id}          api/hsds/services/{id}.json          one fully nested service (compiled/service.json)
    /api/hsds/organizations?page=N   api/hsds/organizations/page-N.json   pages of organizations (organization_list)
    /api/hsds/organizations/{id}     api/hsds/organizations/{id}.json     one fully nested organization (compiled/organization.json)
    /api/hsds/organizations.json     api/hsds/organizations.json          every organization fully nested, in one page (export.py)

Pages are HSDS's Page object (total_items, total_pages, page_number, size, first_page,
last_page, empty, contents) of PER_PAGE items; ids are the export's UUIDs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..model import Content
from ._common import RELEASE_FILE
from .export import dumps, export

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/latest/hsds/"  # the base specification: this API uses no profile
PER_PAGE = 50
ROOT = "api/hsds"
SERVICE_LIST_FIELDS = (
    "id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email", "status", "interpretation_services",
    "application_process", "fees_description", "wait_time", "fees", "accreditations", "eligibility_description", "minimum_age",
    "maximum_age", "assured_date", "assurer_email", "licenses", "alert", "last_modified",
)
ORGANIZATION_LIST_FIELDS = (
    "id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id", "year_incorporated", "legal_status", "logo",
    "uri", "parent_organization_id",
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _pages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chunks = [items[i : i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [[]]
    return [
        {
            "total_items": len(items),
            "total_pages": len(chunks),
            "page_number": n,
            "size": len(chunk),
            "first_page": n == 1,
            "last_page": n == len(chunks),
            "empty": not items,
            "contents": chunk,
        }
        for n, chunk in enumerate(chunks, start=1)
    ]


def _only(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: record[k] for k in fields if k in record}


def files(content: Content) -> dict[str, str]:
    """Given the content, return {path in the release: JSON text} of every API file."""
    organizations = export(content)["contents"]
    out = {f"{ROOT}/index.json": _json({"version": HSDS_VERSION, "profile": PROFILE, "description": content.site.directory_title}), RELEASE_FILE: dumps(content)}
    services = []
    for org in organizations:
        nested = {k: v for k, v in org.items() if k != "services"}
        org_brief = _only(org, ORGANIZATION_LIST_FIELDS)
        for svc in org["services"]:
            services.append({**_only(svc, SERVICE_LIST_FIELDS), "organization": org_brief})
            out[f"{ROOT}/services/{svc['id']}.json"] = _json({**svc, "organization": nested})
        out[f"{ROOT}/organizations/{org['id']}.json"] = _json(org)
    for kind, items in (("services", services), ("organizations", [_only(o, ORGANIZATION_LIST_FIELDS) for o in organizations])):
        for page in _pages(items):
            out[f"{ROOT}/{kind}/page-{page['page_number']}.json"] = _json(page)
    return out


def api_file(endpoint: str, page: str = "1") -> str | None:
    """Given the path below /api/hsds/ and the `page` query value, return the release file that answers it, or None."""
    endpoint = endpoint.strip("/")
    if endpoint == "":
        return f"{ROOT}/index.json"
    if endpoint == "organizations.json":
        return RELEASE_FILE
    kind, _, ident = endpoint.partition("/")
    if kind not in {"services", "organizations"} or "/" in ident:
        return None
    if ident:
        return f"{ROOT}/{kind}/{ident}.json" if _UUID.match(ident) else None
    return f"{ROOT}/{kind}/page-{int(page)}.json" if page.isdigit() and 0 < int(page) < 100_000 else None
