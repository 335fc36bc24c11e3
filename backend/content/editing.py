"""Edit the English content from forms: read a page or service into fields, write them back.

Every write is validated exactly as the build validates (the whole pack is loaded
from a temporary copy with the new file in place); problems come back per form
field, and nothing is written unless the pack loads cleanly.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from .._files import atomic_write, trial_copy
from ..config import Config
from ..errors import ContentError
from .loader import RESERVED_PAGE_IDS, load
from .model import NOTICES_FILE, Content
from .plain import plain

PAGE_FIELDS = ("title", "nav", "summary", "as_of", "review_by", "sources", "order", "body")
SERVICE_FIELDS = ("name", "category", "description", "phones", "email", "website", "street", "city", "state", "postal_code",
                  "hours", "fees", "eligibility", "languages", "verified_on")


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _split(text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    return "".join(lines[1:end]), "".join(lines[end + 1 :])


def page_fields(cfg: Config, page_id: str) -> dict[str, str]:
    content = load(cfg.content)
    page = content.page(page_id)
    front, body = _split((cfg.content.parent / page.file).read_text(encoding="utf-8"))
    data = tomllib.loads(front)
    return {
        "title": data.get("title", ""),
        "nav": data.get("nav", ""),
        "summary": data.get("summary", ""),
        "as_of": str(data.get("as_of", "")),
        "review_by": str(data.get("review_by", "")),
        "sources": ", ".join(data.get("sources", [])),
        "order": str(data.get("order", "")),
        "body": body.strip("\n") + "\n",
    }


def _date_or_text(value: str) -> str:
    value = value.strip()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return _s(value)  # a quoted string: the loader reports that it must be a date


def page_text(fields: dict[str, str]) -> str:
    lines = ["+++", f"title = {_s(fields['title'].strip())}"]
    if fields.get("nav", "").strip():
        lines.append(f"nav = {_s(fields['nav'].strip())}")
    if fields.get("order", "").strip():
        order = fields["order"].strip()
        lines.append(f"order = {order if re.fullmatch(r'-?[0-9]+', order) else _s(order)}")
    lines.append(f"summary = {_s(fields['summary'].strip())}")
    lines.append(f"as_of = {_date_or_text(fields['as_of'])}")
    lines.append(f"review_by = {_date_or_text(fields['review_by'])}")
    sources = [s.strip() for s in fields.get("sources", "").split(",") if s.strip()]
    lines.append(f"sources = [{', '.join(_s(s) for s in sources)}]")
    lines.append("+++")
    body = fields.get("body", "").replace("\r\n", "\n").strip("\n")
    return "\n".join(lines) + "\n\n" + body + "\n"


def service_fields(cfg: Config, service_id: str) -> dict[str, str]:
    content = load(cfg.content)
    s = next(x for x in content.services if x.id == service_id)
    data = tomllib.loads((cfg.content.parent / s.file).read_text(encoding="utf-8"))
    addr = data.get("address", {})
    phones = "\n".join(
        " | ".join(filter(None, [p.get("number", ""), p.get("label", ""), ", ".join(p.get("languages", []))])) for p in data.get("phones", [])
    )
    return {
        "name": data.get("name", ""),
        "category": data.get("category", ""),
        "description": data.get("description", "").strip() + "\n",
        "phones": phones,
        "email": data.get("email", ""),
        "website": data.get("website", ""),
        "street": addr.get("street", ""),
        "city": addr.get("city", ""),
        "state": addr.get("state", ""),
        "postal_code": addr.get("postal_code", ""),
        "address_label": addr.get("label", ""),
        "hours": data.get("hours", ""),
        "fees": data.get("fees", ""),
        "eligibility": data.get("eligibility", ""),
        "languages": ", ".join(data.get("languages", [])),
        "verified_on": str(data.get("verified_on", "")),
    }


def service_text(fields: dict[str, str]) -> str:
    f = {k: v.replace("\r\n", "\n") for k, v in fields.items()}
    lines = [f"name = {_s(f['name'].strip())}", f"category = {_s(f['category'].strip())}"]
    lines.append(f"description = {_s(f['description'].strip())}")
    for key in ("email", "website", "hours", "fees", "eligibility"):
        if f.get(key, "").strip():
            lines.append(f"{key} = {_s(f[key].strip())}")
    langs = [x.strip() for x in f.get("languages", "").split(",") if x.strip()]
    if langs:
        lines.append(f"languages = [{', '.join(_s(x) for x in langs)}]")
    lines.append(f"verified_on = {_date_or_text(f.get('verified_on', ''))}")
    for row in f.get("phones", "").splitlines():
        parts = [p.strip() for p in row.split("|")]
        if not parts[0]:
            continue
        lines += ["", "[[phones]]", f"number = {_s(parts[0])}"]
        if len(parts) > 1 and parts[1]:
            lines.append(f"label = {_s(parts[1])}")
        if len(parts) > 2 and parts[2]:
            lines.append(f"languages = [{', '.join(_s(x.strip()) for x in parts[2].split(',') if x.strip())}]")
    if any(f.get(k, "").strip() for k in ("street", "city", "state", "postal_code")):
        lines += ["", "[address]"]
        for key in ("label", "street", "city", "state", "postal_code"):
            value = f.get("address_label" if key == "label" else key, "").strip()
            if value:
                lines.append(f"{key} = {_s(value)}")
    return "\n".join(lines) + "\n"


def _field_of(text: str, line: int | None, fields: tuple[str, ...], body_field: str | None) -> str:
    """Which form field a problem at `line` of the generated file belongs to."""
    if line is None:
        return "_form"
    lines = text.splitlines()
    if body_field and "+++" in text:
        closing = [i for i, x in enumerate(lines) if x.strip() == "+++"]
        if len(closing) >= 2 and line > closing[1] + 1:
            return body_field
    if 1 <= line <= len(lines):
        m = re.match(r"^\s*(\w+)\s*=", lines[line - 1])
        if m:
            key = m.group(1)
            if key in ("number", "label") and "[[phones]]" in "\n".join(lines[: line - 1]).split("[address]")[0]:
                return "phones"
            return key if key in fields else "_form"
    return "_form"


def save(cfg: Config, rel: str, text: str, fields: tuple[str, ...], body_field: str | None = None) -> dict[str, list[str]]:
    """Write `text` to content/<rel> if the whole pack then loads; else return {field: [problems]}."""
    target = cfg.content / rel
    with trial_copy(cfg.content) as trial:
        (trial / rel).parent.mkdir(parents=True, exist_ok=True)
        (trial / rel).write_text(text, encoding="utf-8")
        try:
            load(trial)
        except ContentError as e:
            errors: dict[str, list[str]] = {}
            for p in e.problems:
                if Path(p.file).as_posix().endswith(Path(cfg.content.name, rel).as_posix()):
                    field = _field_of(text, p.line, fields, body_field)
                    errors.setdefault(field, []).append(plain(field, p.message))
                else:
                    errors.setdefault("_form", []).append(str(p))
            return errors
    atomic_write(target, text)
    return {}


def _kept(front: str) -> list[str]:
    """Front matter the form does not edit, kept as written: `federal_policy` and the [[corrections]] tables."""
    lines = front.splitlines()
    table = next((i for i, line in enumerate(lines) if line.strip().startswith("[")), len(lines))
    flag = [line for line in lines[:table] if re.match(r"^\s*federal_policy\s*=", line)]
    return flag + [line for line in lines[table:]]


def save_page(cfg: Config, content: Content, page_id: str, fields: dict[str, str]) -> dict[str, list[str]]:
    page = content.page(page_id)
    rel = Path(page.file).relative_to(cfg.content.name).as_posix()
    front, _body = _split((cfg.content.parent / page.file).read_text(encoding="utf-8"))
    text = page_text(fields)
    kept = _kept(front)
    if kept:  # before the closing +++ (TOML tables come after every plain key)
        head, _, body = text.partition("\n+++\n")
        text = head + "\n" + "\n".join(kept) + "\n+++\n" + body
    return save(cfg, rel, text, PAGE_FIELDS, "body")


def save_service(cfg: Config, service_id: str, fields: dict[str, str]) -> dict[str, list[str]]:
    return save(cfg, f"services/{service_id}.toml", service_text(fields), SERVICE_FIELDS)


def notices_text(notices: list[dict[str, Any]]) -> str:
    out = ["# Short, dated announcements shown at the top of every page (edited in the admin console)."]
    for n in notices:
        out += ["", "[[notices]]", f"id = {_s(n['id'])}", f"text = {_s(n['text'])}",
                f"starts = {_date_or_text(str(n['starts']))}", f"expires = {_date_or_text(str(n['expires']))}"]
    return "\n".join(out) + "\n"


def current_notices(cfg: Config) -> list[dict[str, Any]]:
    path = cfg.content / NOTICES_FILE
    if not path.exists():
        return []
    return [dict(n) for n in tomllib.loads(path.read_text(encoding="utf-8")).get("notices", [])]


ID_LENGTH = 30


def notice_id(text: str, taken: set[str]) -> str:
    """A valid, unused id from a notice's first words: lowercase letters, digits and single dashes, at most
    ID_LENGTH characters, cut at a word's end, never ending in a dash; "-2", "-3"… when taken."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-").split("-")
    base = ""
    for word in words:
        if not word or len(base) + len(word) + (1 if base else 0) > ID_LENGTH:
            break
        base = f"{base}-{word}" if base else word
    base = base or (words[0][:ID_LENGTH] if words and words[0] else "notice")
    nid, n = base, 2
    while nid in taken:
        nid, n = f"{base}-{n}", n + 1
    return nid


def add_notice(cfg: Config, text: str, starts: str, expires: str) -> dict[str, list[str]]:
    notices = current_notices(cfg)
    nid = notice_id(text, {str(x["id"]) for x in notices})
    notices.append({"id": nid, "text": " ".join(text.split()), "starts": starts.strip(), "expires": expires.strip()})
    return _on_text(save(cfg, NOTICES_FILE, notices_text(notices), ("text", "starts", "expires", "id")))


def _on_text(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A problem with a notice's id is one with its text (the id is made from it; the form has no id field)."""
    if "id" in errors:
        errors.setdefault("text", []).extend(errors.pop("id"))
    return errors


def delete_notice(cfg: Config, notice_id: str) -> dict[str, list[str]]:
    notices = current_notices(cfg)
    if not any(n["id"] == notice_id for n in notices):
        return {"_form": ["That notice is not there any more (it may have been deleted already). Nothing was changed."]}
    return _on_text(save(cfg, NOTICES_FILE, notices_text([n for n in notices if n["id"] != notice_id]), ("text", "starts", "expires", "id")))


# -- adding a page or a service ------------------------------------------------------------------

NEW_PAGE_FIELDS = ("slug", "parent", *PAGE_FIELDS)
NEW_SERVICE_FIELDS = ("slug", *SERVICE_FIELDS, "address_label")


def slug_of(text: str) -> str:
    return notice_id(text, set())


def sections(content: Content) -> list[tuple[str, str]]:
    """Where a new page can go: (page id, title) of the home page and of every page that is a folder's index."""
    return [(p.id, p.title) for p in content.pages if p.id == "home" or Path(p.file).name == "index.md"]


def add_page(cfg: Config, content: Content, fields: dict[str, str]) -> tuple[str, dict[str, list[str]]]:
    """Write a new page under the section fields["parent"], named fields["slug"] (or after its title);
    return (its page id, {field: [problems]}); nothing is written unless the whole pack then loads."""
    parent = fields.get("parent", "home").strip() or "home"
    slug = fields.get("slug", "").strip().lower() or slug_of(fields.get("title", ""))
    if parent not in dict(sections(content)):
        return "", {"parent": ["Section: choose one from the list"]}
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or (parent == "home" and slug in {"home", *RESERVED_PAGE_IDS}):
        return "", {"slug": ["Address: use lowercase letters, digits and dashes only, like know-your-rights"]}
    page_id = slug if parent == "home" else f"{parent}/{slug}"
    if any(p.id == page_id for p in content.pages):
        return "", {"slug": [f"Address: there is a page at /{page_id}/ already; choose another"]}
    rel = f"pages/{page_id}.md"
    return page_id, save(cfg, rel, page_text(fields), PAGE_FIELDS, "body")


def add_service(cfg: Config, content: Content, fields: dict[str, str]) -> tuple[str, dict[str, list[str]]]:
    """Write a new directory entry, named fields["slug"] (or after its name), validated as files are."""
    sid = fields.get("slug", "").strip().lower() or slug_of(fields.get("name", ""))
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", sid) or sid == "category":
        return "", {"slug": ["Address: use lowercase letters, digits and dashes only, like hartford-legal-clinic"]}
    if any(s.id == sid for s in content.services) or (cfg.content / "services" / f"{sid}.toml").exists():
        return "", {"slug": [f"Address: there is a service at /services/{sid}/ already; choose another"]}
    return sid, save(cfg, f"services/{sid}.toml", service_text(fields), SERVICE_FIELDS)
