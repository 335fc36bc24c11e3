"""Open Referral HSDS 3.0, in: an organization list turned into content/services/*.toml, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..._files import atomic_write, trial_copy
from ...errors import Collector, ContentError, ContentErrors, Problem
from .. import markup
from ..loader import _EMAIL, _ID, _LANG, _URL, RESERVED_SERVICE_IDS, load
from ..model import Content
from ..phones import phone_from
from ._common import _DATE, _UUID, COUNTRY, ENTRY_TERM, SKIPPED_STATUSES, STATUSES, TAXONOMY, uid


@dataclass(frozen=True)
class Entry:
    """One directory entry read from HSDS: its file name, TOML text, and where it came from."""

    id: str
    toml: str
    path: str  # JSON path of the service (or organization) it came from


class _Reader:
    """Reads HSDS values, recording each problem with its JSON path."""

    def __init__(self, source: str):
        self.source = source
        self.problems = Collector()

    def problem(self, path: str, message: str) -> None:
        self.problems.add(f"{path}: {message}", self.source)

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected an object, found {_kind(value)}")
            return None
        return value

    def objects(self, parent: dict[str, Any], key: str, path: str) -> Iterator[tuple[dict[str, Any], str]]:
        value = parent.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", f"expected an array, found {_kind(value)}")
            return
        for n, item in enumerate(value):
            found = self.obj(item, f"{path}.{key}[{n}]")
            if found is not None:
                yield found, f"{path}.{key}[{n}]"

    def text(self, parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", "required by HSDS, missing")
            return ""
        if not isinstance(value, str):
            self.problem(f"{path}.{key}", f"expected a string, found {_kind(value)}")
            return ""
        return value.strip()

    def uuid(self, parent: dict[str, Any], path: str) -> str:
        value = self.text(parent, "id", path, required=True)
        if value and not _UUID.match(value):
            self.problem(f"{path}.id", f"{value!r} is not a UUID")
        return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def read(data: Any, content: Content, *, source: str = "input", default_category: str = "") -> tuple[list[Entry], list[str]]:
    """Given parsed HSDS JSON and the current content, return (entries, notes); raise ContentErrors with JSON paths."""
    r = _Reader(source)
    if isinstance(data, dict) and "contents" in data:
        items, base = data["contents"], "$.contents"
    elif isinstance(data, dict) and "services" in data:  # one organization, as HSDS's /organizations/{id} gives it
        items, base = [data], ""
    else:
        items, base = data, "$"
    if not isinstance(items, list):
        r.problem(base, f"expected an array of organizations (or an HSDS page with 'contents'), found {_kind(items)}")
        r.problems.raise_if_any()
    categories = {c.id for c in content.categories}
    if default_category and default_category not in categories:
        r.problem("--category", f"unknown category {default_category!r} (known: {', '.join(sorted(categories))})")
    by_uuid = {uid("service", s.id): s.id for s in content.services}
    taken: set[str] = set()
    entries: list[Entry] = []
    notes: list[str] = []
    for n, raw in enumerate(items):
        path = f"{base}[{n}]" if base else "$"
        org = r.obj(raw, path)
        if org is None:
            continue
        r.uuid(org, path)
        org_name = r.text(org, "name", path, required=True)
        r.text(org, "description", path, required=True)
        services = list(r.objects(org, "services", path))
        if not services:  # an organization without services: the organization itself is what a family calls
            services = [(org, path)]
        for svc, spath in services:
            if svc is not org:
                r.uuid(svc, spath)
                r.text(svc, "name", spath, required=True)
                status = r.text(svc, "status", spath, required=True)
                if status and status not in STATUSES:
                    r.problem(f"{spath}.status", f"{status!r} is not one of {', '.join(sorted(STATUSES))}")
                if status in SKIPPED_STATUSES:
                    notes.append(f"{spath}: skipped, its status is {status!r}")
                    continue
            entry = _entry(r, org, org_name, svc, spath, categories, default_category, by_uuid, taken)
            if entry is not None:
                entries.append(entry)
    r.problems.raise_if_any()
    return entries, notes


def _entry(
    r: _Reader,
    org: dict[str, Any],
    org_name: str,
    svc: dict[str, Any],
    path: str,
    categories: set[str],
    default_category: str,
    by_uuid: dict[str, str],
    taken: set[str],
) -> Entry | None:
    before = len(r.problems.problems)
    name = r.text(svc, "name", path)
    description = r.text(svc, "description", path) or r.text(org, "description", path)
    desc_path = f"{path}.description"
    if not description:
        r.problem(desc_path, "a directory entry needs a description; neither the service nor its organization has one")
    else:
        try:
            markup.parse_blocks(description)
        except ContentError as e:
            r.problem(desc_path, f"{e.problem.message} (line {e.problem.line} of the text)")
    email = r.text(svc, "email", path) or r.text(org, "email", path)
    if email and not _EMAIL.match(email):
        r.problem(f"{path}.email", f"malformed email {email!r}")
    website = r.text(svc, "url", path) or r.text(org, "website", path)
    if website and not _URL.match(website):
        r.problem(f"{path}.url", f"malformed website {website!r}: it must start with https:// or http://")
    phones = _phones(r, svc, path) or (_phones(r, org, path.rsplit(".services", 1)[0]) if svc is not org else [])
    if not (phones or email or website):
        r.problem(path, "no way to reach it: no phone, email or website")
    languages = _languages(r, svc, path)
    address = _address(r, org, svc, path)
    hours = "; ".join(d for s, spath in r.objects(svc, "schedules", path) if (d := r.text(s, "description", spath)))
    assured = r.text(svc, "assured_date", path)
    if not _DATE.match(assured):
        where = f"{path}.assured_date"
        r.problem(where, "needed: the date someone last confirmed these details (YYYY-MM-DD)" if not assured else f"{assured!r} is not a date")
    category = _category(r, svc, path, categories) or default_category
    if not category:
        r.problem(f"{path}.attributes", f"no category: add an attribute whose taxonomy_term code is one of {', '.join(sorted(categories))}, or pass --category")
    if len(r.problems.problems) > before:
        return None
    sid = by_uuid.get(str(svc.get("id", ""))) or _entry_id(svc, taken) or _slug(name, taken)
    taken.add(sid)
    fields: dict[str, Any] = {"name": name}
    if org_name and org_name != name:
        fields["organization"] = org_name
    fields["category"] = category
    fields["description"] = description
    if email:
        fields["email"] = email
    if website:
        fields["website"] = website
    if languages:
        fields["languages"] = languages
    if hours:
        fields["hours"] = hours
    for key, hsds_key in (("fees", "fees_description"), ("eligibility", "eligibility_description")):
        if value := r.text(svc, hsds_key, path):
            fields[key] = value
    fields["verified_on"] = dt.date.fromisoformat(assured[:10])
    ident = f"service {svc.get('id')}" if svc is not org else f"organization {org.get('id')}"
    return Entry(sid, _toml(fields, phones, address, f"Imported from Open Referral HSDS: {ident} ({path})"), path)


def _phones(r: _Reader, parent: dict[str, Any], path: str) -> list[dict[str, Any]]:
    out = []
    for p, ppath in r.objects(parent, "phones", path):
        r.uuid(p, ppath)
        number = r.text(p, "number", ppath, required=True)
        try:
            shown, _ = phone_from(number.strip('"'))
        except ValueError as e:
            r.problem(f"{ppath}.number", str(e))
            continue
        phone: dict[str, Any] = {"number": shown}
        label = r.text(p, "description", ppath)
        ext = p.get("extension")
        if ext is not None:
            if not isinstance(ext, (int, float)) or isinstance(ext, bool):
                r.problem(f"{ppath}.extension", f"expected a number, found {_kind(ext)}")
            elif " ext. " not in shown:
                phone["number"] = f"{shown} ext. {int(ext)}"
        if label:
            phone["label"] = label
        langs = _languages(r, p, ppath)
        if langs:
            phone["languages"] = langs
        out.append(phone)
    return out


def _languages(r: _Reader, parent: dict[str, Any], path: str) -> list[str]:
    out = []
    for lang, lpath in r.objects(parent, "languages", path):
        code = r.text(lang, "code", lpath)
        if not code:
            continue
        if not _LANG.match(code):
            r.problem(f"{lpath}.code", f"{code!r} is not a language code such as es or pt-BR")
        elif code not in out:
            out.append(code)
    return out


def _address(r: _Reader, org: dict[str, Any], svc: dict[str, Any], path: str) -> dict[str, str] | None:
    """The first physical address: the service's own location, else the one it is linked to, else the organization's."""
    org_path = path.rsplit(".services", 1)[0]
    locations = {loc.get("id"): (loc, lpath) for loc, lpath in r.objects(org, "locations", org_path)} if svc is not org else {}
    candidates: list[tuple[dict[str, Any], str]] = []
    for sal, spath in r.objects(svc, "service_at_locations", path) if svc is not org else []:
        nested = sal.get("location")
        if isinstance(nested, dict):
            candidates.append((nested, f"{spath}.location"))
        elif sal.get("location_id") in locations:
            candidates.append(locations[sal["location_id"]])
    if svc is org:
        candidates = list(r.objects(org, "locations", path))
    elif not candidates:
        candidates = list(locations.values())
    for loc, lpath in candidates:
        if loc.get("location_type") == "virtual":
            continue
        for a, apath in r.objects(loc, "addresses", lpath):
            if a.get("address_type", "physical") != "physical":
                continue
            country = r.text(a, "country", apath)
            if country and country.upper() != COUNTRY:
                r.problem(f"{apath}.country", f"only {COUNTRY} addresses are supported, found {country!r}")
                return None
            street = ", ".join(x for x in (r.text(a, "address_1", apath, required=True), r.text(a, "address_2", apath)) if x)
            postal = r.text(a, "postal_code", apath)
            if postal and not re.fullmatch(r"\d{5}(?:-\d{4})?", postal):
                r.problem(f"{apath}.postal_code", f"malformed postal code {postal!r}")
            out = {"street": street, "city": r.text(a, "city", apath, required=True), "state": r.text(a, "state_province", apath, required=True)}
            if postal:
                out["postal_code"] = postal
            label = r.text(loc, "name", lpath)
            if label:
                out["label"] = label
            return out
    return None


def _category(r: _Reader, svc: dict[str, Any], path: str, categories: set[str]) -> str:
    for attr, _apath in r.objects(svc, "attributes", path):
        term = attr.get("taxonomy_term")
        if isinstance(term, dict) and term.get("code") in categories and term.get("taxonomy") in (TAXONOMY, None):
            return str(term["code"])
    return ""


def _entry_id(svc: dict[str, Any], taken: set[str]) -> str:
    """The Puente id an export recorded, when it is one and still free."""
    for attr in svc.get("attributes") or []:
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        value = attr.get("value") if isinstance(attr, dict) else None
        if not (isinstance(term, dict) and term.get("code") == ENTRY_TERM["code"] and isinstance(value, str)):
            continue
        if _ID.match(value) and value not in taken and value not in RESERVED_SERVICE_IDS:
            return value
    return ""


def _slug(name: str, taken: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))[:60].strip("-") or "service"
    if base in RESERVED_SERVICE_IDS:
        base = f"{base}-service"
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    return sid


def _toml_string(value: str) -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def _toml(fields: dict[str, Any], phones: list[dict[str, Any]], address: dict[str, str] | None, comment: str) -> str:
    lines = [f"# {comment}"]
    for key, value in fields.items():
        if key == "description":
            body = _toml_string(value)[1:-1].replace("\\n", "\n")
            lines.append(f'description = """\n{body}\n"""')
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for p in phones:
        lines += ["", "[[phones]]"] + [f"{k} = {_toml_value(v)}" for k, v in p.items()]
    if address:
        lines += ["", "[address]"] + [f"{k} = {_toml_value(v)}" for k, v in address.items()]
    return "\n".join(lines) + "\n"


def write(entries: list[Entry], content_dir: Path, *, replace: bool = False) -> list[Path]:
    """Write entries into content_dir/services, all or nothing; raise ContentErrors naming what is wrong.

    The content with the new entries must load as a whole (that is checked on a copy first);
    an existing file is overwritten only with `replace`.
    """
    services = Path(content_dir) / "services"
    problems = Collector()
    for e in entries:
        target = services / f"{e.id}.toml"
        if target.exists() and not replace:
            problems.add(f"{e.path}: this entry exists already (pass --replace to update it)", target)
    problems.raise_if_any()
    with trial_copy(Path(content_dir)) as trial:
        for e in entries:
            (trial / "services" / f"{e.id}.toml").write_text(e.toml, encoding="utf-8")
        try:
            load(trial)
        except ContentErrors as err:
            raise ContentErrors([_origin(p, entries) for p in err.problems]) from None
    written = []
    for e in entries:
        target = services / f"{e.id}.toml"
        atomic_write(target, e.toml)
        written.append(target)
    return written


def _origin(problem: Problem, entries: list[Entry]) -> Problem:
    """Name the HSDS path of an entry a problem was found in, beside its file and line."""
    for e in entries:
        if problem.file.endswith(f"services/{e.id}.toml"):
            return Problem(problem.file, problem.line, f"{e.path}: {problem.message}")
    return problem


def load_json(path: Path) -> Any:
    """Given an HSDS file, return its parsed JSON; raise ContentError naming the line of a syntax error."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ContentError(f"not UTF-8 text ({e.reason} at byte {e.start})", path) from None
    except json.JSONDecodeError as e:
        raise ContentError(f"invalid JSON: {e.msg} (column {e.colno})", path, e.lineno) from None
    except RecursionError:  # the C decoder gives up past Python's recursion limit (about 1,000 levels)
        raise ContentError("JSON nested too deeply (over about 1,000 levels; HSDS needs fewer than 10)", path) from None
    except OSError as e:
        raise ContentError(f"cannot read: {e.strerror}", path) from None
