"""Open Referral HSDS 3.0: the export validates against the specification's compiled schemas
(copies kept in tests/schemas/hsds-3.0/), its UUIDs never change, the API serves it without the
worker caching it, and importing gives back the same directory, or names each problem by JSON path."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from backend.build.worker import read_config
from backend.content import Service, hsds, load
from backend.errors import ContentErrors
from backend.web.app import create_app

from .conftest import ROOT
from .seed_facts import SERVICES

SCHEMAS = Path(__file__).parent / "schemas" / "hsds-3.0"


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(org: dict[str, Any], name: str = "organization.json") -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator(name).iter_errors(org)]


@pytest.fixture(scope="module")
def exported() -> dict[str, Any]:
    return hsds.export(load(ROOT / "content"))


def test_export_validates_against_the_compiled_hsds_schemas(exported: dict[str, Any]) -> None:
    assert exported["contents"], "nothing exported"
    for org in exported["contents"]:
        assert schema_errors(org) == [], org["name"]
        assert schema_errors(org, "organization_list.json") == [], org["name"]
    # the page around them, as HSDS's API reference describes /organizations
    assert exported["total_items"] == exported["size"] == len(exported["contents"]) == len(SERVICES)
    assert exported["first_page"] is exported["last_page"] is True and exported["empty"] is False


def test_the_schema_copies_are_the_specifications() -> None:
    """The validation above means something only if the copies are complete and unchanged."""
    org = validator("organization.json").schema
    assert org["required"] == ["id", "name", "description"]
    assert org["properties"]["id"]["format"] == "uuid"
    service = org["properties"]["services"]["items"]
    assert set(service["required"]) == {"id", "name", "status"}
    example = json.loads((SCHEMAS / "example_organization_full.json").read_text())
    assert schema_errors(example) == []
    broken = copy.deepcopy(example)
    broken["services"][0]["status"] = "open"
    broken["id"] = "not-a-uuid"
    assert len(schema_errors(broken)) == 2


def test_every_seed_fact_is_in_the_export(exported: dict[str, Any]) -> None:
    content = load(ROOT / "content")
    by_name = {o["name"]: o for o in exported["contents"]}
    for s in content.services:
        org = by_name[s.organization or s.name]
        (svc,) = org["services"]
        want = SERVICES[s.id]
        assert svc["name"] == s.name and svc["status"] == "active"
        assert [p["number"] for p in svc["phones"]] == [f"+1{d}" for d in want["phones"]]
        assert svc.get("email") == (want["email"] or None) and org.get("email") == (want["email"] or None)
        assert svc.get("url") == (want["website"] or None)
        assert svc["assured_date"] == "2024-12-17"
        terms = {a["taxonomy_term"]["code"]: a for a in svc["attributes"]}
        assert set(terms) == {want["category"], "puente-entry"}
        assert terms["puente-entry"]["value"] == s.id, "the entry's id travels with it, so its URL survives an import"
        if want["address"]:
            (address,) = org["locations"][0]["addresses"]
            text = " ".join([address["address_1"], address["city"], address["state_province"], address["postal_code"]])
            assert all(part in text for part in want["address"]), (s.id, text)
            assert svc["service_at_locations"][0]["location_id"] == org["locations"][0]["id"]
        else:
            assert "locations" not in org
        assert "schedules" not in svc, "the seed gives no hours; none may be invented"
    ihf = by_name["Catholic Charities"]["services"][0]
    assert "languages" not in ihf and "languages" not in ihf["phones"][0], "the seed names no language the Institute speaks"


def test_uuids_are_stable_across_builds_and_unique(exported: dict[str, Any], copy_content: Path) -> None:
    # pinned: a change of namespace or naming scheme would make every 211 system see new organizations
    ciri = next(o for o in exported["contents"] if o["name"].startswith("Connecticut Institute"))
    assert ciri["id"] == str(uuid.uuid5(uuid.UUID("6b3b0cba-3a65-4f9d-9f26-6e73a9c2bc55"), "organization/ciri"))
    assert ciri["services"][0]["id"] == str(uuid.uuid5(uuid.UUID("6b3b0cba-3a65-4f9d-9f26-6e73a9c2bc55"), "service/ciri"))
    ids = [v for v in _values(exported, "id")]
    assert len(ids) == len(set(ids)), "an id is used twice"
    # another build, after an unrelated edit of another entry's text, keeps every id of this one
    iris = copy_content / "services" / "iris.toml"
    iris.write_text(iris.read_text().replace("They share local resources", "They share resources"))
    again = hsds.export(load(copy_content))
    assert [o["id"] for o in again["contents"]] == [o["id"] for o in exported["contents"]]
    assert list(_values(again["contents"][0], "id")) == list(_values(exported["contents"][0], "id"))
    assert hsds.dumps(load(ROOT / "content")) == hsds.dumps(load(ROOT / "content"))


def _values(data: Any, key: str) -> Iterator[Any]:
    """Every value of `key` in nested data, except inside taxonomy terms (one term is shared by many services)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield v
            elif k != "taxonomy_term":
                yield from _values(v, key)
    elif isinstance(data, list):
        for v in data:
            yield from _values(v, key)


def test_cli_export_to_a_file_and_to_stdout(tmp_path: Path, exported: dict[str, Any]) -> None:
    out = tmp_path / "directory.json"
    run = subprocess.run([sys.executable, "serve.py", "export-hsds", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text()) == exported
    stdout = subprocess.run([sys.executable, "serve.py", "export-hsds"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert stdout.returncode == 0 and json.loads(stdout.stdout) == exported
    help_text = subprocess.run([sys.executable, "serve.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    assert "export-hsds" in help_text and "import-hsds" in help_text


def test_api_serves_the_current_releases_directory(release_dir: Path, exported: dict[str, Any]) -> None:
    with TestClient(create_app(release_dir)) as client:
        r = client.get("/api/hsds/organizations.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["access-control-allow-origin"] == "*", "open data: a 211 system's web page may read it"
    assert "set-cookie" not in r.headers
    assert r.json() == exported
    for org in r.json()["contents"]:
        assert schema_errors(org) == []


def test_the_worker_never_caches_the_api(release_dir: Path) -> None:
    sw = (release_dir / "sw.js").read_text()
    assert 'NETWORK_ONLY = new RegExp("^" + BASE_RE + "/(admin|api)/");' in sw
    config = read_config(sw)
    assert config["base"] == ""
    for url in config["languages"].values():
        bundle = json.loads((release_dir / url.lstrip("/")).read_text())
        assert not [u for u, _ in bundle["pages"] if "/api/" in u or "hsds" in u]
    assert not [u for u, _ in config["shell"] if "/api/" in u]


# -- import ----------------------------------------------------------------------


def fields(s: Service) -> tuple[Any, ...]:
    blocks = tuple((b.kind, b.text, b.level) for b in s.description)
    return (s.id, s.name, s.organization, s.category, blocks, s.phones, s.email, s.website, s.address, s.hours, s.languages, s.verified_on)


def test_import_of_an_export_gives_back_the_same_directory(tmp_path: Path, copy_content: Path, exported: dict[str, Any]) -> None:
    original = load(copy_content)
    shutil.rmtree(copy_content / "services")
    (copy_content / "services").mkdir()
    source = tmp_path / "directory.json"
    source.write_text(json.dumps(exported))
    run = subprocess.run(
        [sys.executable, "serve.py", "--content", str(copy_content), "import-hsds", str(source)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    imported = load(copy_content)
    assert sorted(fields(s) for s in imported.services) == sorted(fields(s) for s in original.services)
    assert hsds.export(imported) == exported


def test_import_updates_the_entries_it_came_from_only_with_replace(tmp_path: Path, copy_content: Path, exported: dict[str, Any]) -> None:
    content = load(copy_content)
    changed = copy.deepcopy(exported)
    changed["contents"][0]["services"][0]["phones"][0]["number"] = "+18605550123"
    with pytest.raises(ContentErrors) as refused:
        entries, _ = hsds.read(changed, content)
        hsds.write(entries, copy_content)
    assert "$.contents[0].services[0]: this entry exists already (pass --replace" in str(refused.value)
    assert "860-692-3085" in (copy_content / "services" / "ciri.toml").read_text(), "a refused import changed a file"
    entries, _ = hsds.read(changed, content)
    assert [e.id for e in entries] == [s.id for s in content.services], "entries are matched by their HSDS id, not by name"
    hsds.write(entries, copy_content, replace=True)
    ciri = next(s for s in load(copy_content).services if s.id == "ciri")
    assert [p.e164 for p in ciri.phones] == ["+18605550123"]


def test_import_of_another_systems_organization(copy_content: Path) -> None:
    example = json.loads((SCHEMAS / "example_organization_full.json").read_text())
    content = load(copy_content)
    with pytest.raises(ContentErrors) as no_category:
        hsds.read([example], content)
    assert "$[0].services[0].attributes: no category" in str(no_category.value)
    entries, notes = hsds.read([example], content, default_category="education")
    assert [e.id for e in entries] == ["community-counselling"] and notes == []
    hsds.write(entries, copy_content)
    s = next(s for s in load(copy_content).services if s.id == "community-counselling")
    assert s.name == "Community Counselling" and s.organization == "Example Organization Inc."
    assert s.category == "education" and s.email == "email@example.com" and s.website == "http://example.com/counselling"
    assert [p.e164 for p in s.phones] == ["+441234234567"] and s.phones[0].languages == ("ur",)
    assert s.languages == ("ur",) and s.verified_on.isoformat() == "2005-01-01"
    assert s.hours.startswith("The service is available from 10 am to 6pm weekdays.")
    assert s.address is None, "the example's only address is a postal one, not a place to go"


def _break(path: str, value: Any) -> Any:
    """Set the value at a simple JSON path ($.contents[0].services[0].phones[0].number) in a copy of the export."""

    def apply(data: Any) -> Any:
        data = copy.deepcopy(data)
        parts = path.lstrip("$").replace("]", "").replace("[", ".").strip(".").split(".")
        target = data
        for p in parts[:-1]:
            target = target[int(p)] if p.isdigit() else target[p]
        last = parts[-1]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
        return data

    return apply


_DELETE = object()
SERVICE = "$.contents[0].services[0]"
INVALID = [
    # (what is broken, where, expected in the message; True if the HSDS schema also rejects it)
    (_break("$.contents[0].name", _DELETE), "$.contents[0].name: required by HSDS", True),
    (_break("$.contents[0].id", "ciri"), "$.contents[0].id: 'ciri' is not a UUID", True),
    (_break(f"{SERVICE}.status", "open"), f"{SERVICE}.status: 'open' is not one of", True),
    (_break(f"{SERVICE}.phones[0].number", 8606923085), f"{SERVICE}.phones[0].number: expected a string, found a number", True),
    (_break(f"{SERVICE}.phones[0].number", "555-0100"), f"{SERVICE}.phones[0].number: phone '555-0100' is not a 10-digit US number", False),
    (_break(f"{SERVICE}.email", "immigration at cirict.org"), f"{SERVICE}.email: malformed email", True),
    (_break(f"{SERVICE}.assured_date", _DELETE), f"{SERVICE}.assured_date: needed", False),
    (_break(f"{SERVICE}.description", "<b>Help</b> for families"), f"{SERVICE}.description: raw HTML is not allowed", False),
    (_break("$.contents[0].locations[0].addresses[0].postal_code", "ABC"), "$.contents[0].locations[0].addresses[0].postal_code: malformed postal code", False),
    (_break(f"{SERVICE}.phones", "860-692-3085"), f"{SERVICE}.phones: expected an array, found a string", True),
    (_break("$.contents[2]", "Catholic Charities"), "$.contents[2]: expected an object, found a string", True),
]


@pytest.mark.parametrize("breaks, message, schema_rejects", INVALID, ids=[m.split(":")[0] + ":" + m.split(":")[1][:24] for _, m, _ in INVALID])
def test_import_rejects_invalid_input_naming_the_json_path(copy_content: Path, exported: dict[str, Any], breaks, message: str, schema_rejects: bool) -> None:  # type: ignore[no-untyped-def]
    bad = breaks(exported)
    if schema_rejects:  # the problem is one HSDS itself rejects, not only Puente
        assert any(schema_errors(org) for org in bad["contents"] if isinstance(org, dict)) or not all(isinstance(o, dict) for o in bad["contents"])
    before = sorted(p.read_text() for p in (copy_content / "services").glob("*.toml"))
    with pytest.raises(ContentErrors) as e:
        entries, _ = hsds.read(bad, load(copy_content), source="bad.json")
        hsds.write(entries, copy_content, replace=True)
    assert message in str(e.value), str(e.value)
    assert all(str(p).startswith("bad.json: $") for p in e.value.problems)
    assert sorted(p.read_text() for p in (copy_content / "services").glob("*.toml")) == before, "nothing may be written"


def test_import_reports_every_problem_at_once_and_the_cli_exits_1(tmp_path: Path, exported: dict[str, Any]) -> None:
    bad = _break(f"{SERVICE}.phones[0].number", "12")(_break("$.contents[3].services[0].email", "nope")(exported))
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(bad))
    run = subprocess.run([sys.executable, "serve.py", "import-hsds", str(source), "--dry-run"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert f"{SERVICE}.phones[0].number" in run.stderr and "$.contents[3].services[0].email" in run.stderr
    assert "Traceback" not in run.stderr
    (tmp_path / "broken.json").write_text('{"contents": [')
    run = subprocess.run([sys.executable, "serve.py", "import-hsds", str(tmp_path / "broken.json")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "invalid JSON" in run.stderr and "Traceback" not in run.stderr


def test_inactive_services_are_skipped_with_a_note(copy_content: Path, exported: dict[str, Any]) -> None:
    bad = _break(f"{SERVICE}.status", "defunct")(exported)
    entries, notes = hsds.read(bad, load(copy_content))
    assert "ciri" not in [e.id for e in entries] and len(entries) == len(SERVICES) - 1
    assert notes == [f"{SERVICE}: skipped, its status is 'defunct'"]


def test_descriptions_keep_their_markdown_through_export_and_import() -> None:
    from backend.content import markup

    source = "A paragraph with **bold** and [a link](https://example.org/).\n\n## A heading\n\n- one\n  - nested\n- two\n\nLast paragraph."
    blocks = markup.parse_blocks(source)
    again = markup.parse_blocks(hsds.markdown_of(tuple(blocks)))
    assert [(b.kind, b.text, b.level) for b in again] == [(b.kind, b.text, b.level) for b in blocks]
