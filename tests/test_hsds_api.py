"""HSDS 3.0's read API as a consumer reads it, from the release's static JSON over the app:
/api/hsds/ (version, profile), /services and /services/{id}, /organizations and /organizations/{id},
paginated with HSDS's Page object, each validated against the specification's schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from backend.content import hsds, load
from backend.content.hsds import api
from backend.web.app import create_app

from .conftest import ROOT
from .seed_facts import SERVICES

SCHEMAS = Path(__file__).parent / "schemas" / "hsds-3.0"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text()), format_checker=FormatChecker())


def errors(record: dict[str, Any], name: str) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator(name).iter_errors(record)]


@pytest.fixture(scope="module")
def client(release_dir: Path) -> TestClient:
    return TestClient(create_app(release_dir))


def get(client: TestClient, path: str) -> Any:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/json") and r.headers["access-control-allow-origin"] == "*"
    return r.json()


def test_the_root_says_which_hsds_version_and_profile(client: TestClient) -> None:
    for path in ("/api/hsds/", "/api/hsds"):
        meta = get(client, path)
        assert meta["version"] == "3.0" and meta["profile"].startswith("https://")


def test_services_list_and_each_service_validate(client: TestClient) -> None:
    page = get(client, "/api/hsds/services")
    assert set(page) == PAGE_KEYS
    assert page["total_items"] == page["size"] == len(page["contents"]) == len(SERVICES)
    assert (page["page_number"], page["total_pages"], page["first_page"], page["last_page"], page["empty"]) == (1, 1, True, True, False)
    assert get(client, "/api/hsds/services?page=1") == page
    for item in page["contents"]:
        assert errors(item, "service_list.json") == [], item["name"]
        assert "phones" not in item, "the list holds one-to-one fields only"
        full = get(client, f"/api/hsds/services/{item['id']}")
        assert errors(full, "service.json") == [], item["name"]
        assert full["id"] == item["id"] and full["organization"]["id"] == item["organization_id"] and full["phones"]


def test_organizations_list_and_each_organization_validate(client: TestClient) -> None:
    page = get(client, "/api/hsds/organizations")
    assert set(page) == PAGE_KEYS and page["total_items"] == len(page["contents"]) == len(SERVICES)
    for item in page["contents"]:
        assert errors(item, "organization_list.json") == [], item["name"]
        full = get(client, f"/api/hsds/organizations/{item['id']}")
        assert errors(full, "organization.json") == [], item["name"]
        assert full["services"] and full["services"][0]["organization_id"] == item["id"]


def test_fees_and_eligibility_are_what_the_seed_says(client: TestClient) -> None:
    services = {s["name"]: s for s in get(client, "/api/hsds/services")["contents"]}
    ghla = services["Greater Hartford Legal Aid"]
    assert ghla["fees_description"] == "Free legal services."
    assert ghla["eligibility_description"] == "Low-income residents who live in the greater Hartford area."
    seed = " ".join((ROOT / "tests" / "fixtures" / "seed.txt").read_text().split()).lower()
    for s in services.values():
        for key in ("fees_description", "eligibility_description"):
            for sentence in filter(None, (p.strip(" .") for p in s.get(key, "").replace(", and ", ". ").split(". "))):
                assert sentence.lower() in seed, (s["name"], key, sentence)
    assert not services["Integrated Refugee & Immigrant Services (IRIS)"].get("fees_description"), "nothing the seed does not say"


def test_pages_follow_the_specification_past_one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "PER_PAGE", 3)
    files = api.files(load(ROOT / "content"))
    pages = [json.loads(files[f"api/hsds/services/page-{n}.json"]) for n in (1, 2, 3)]
    assert [(p["page_number"], p["size"], p["first_page"], p["last_page"]) for p in pages] == [(1, 3, True, False), (2, 3, False, False), (3, 1, False, True)]
    assert {p["total_pages"] for p in pages} == {3} and {p["total_items"] for p in pages} == {7}
    assert len({s["id"] for p in pages for s in p["contents"]}) == 7


def test_unknown_and_malformed_requests_are_404_json(client: TestClient) -> None:
    for path in ("/api/hsds/services/not-a-uuid", "/api/hsds/services?page=9", "/api/hsds/services?page=x", "/api/hsds/locations",
                 f"/api/hsds/services/{hsds.uid('service', 'nobody')}"):
        r = client.get(path)
        assert r.status_code == 404 and r.json() == {"error": "not found"}, path
    assert client.get("/api/hsds/services/page-1.json").status_code == 404, "release file names are not part of the API"
