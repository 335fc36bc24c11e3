"""The service worker's config: one JSON literal in sw.js, written and read only here.

    const CONFIG = /*__PUENTE_CONFIG__*/ {...};     in service_worker/sw.js (a placeholder)
    const CONFIG = {"release": ..., "shell": [...], "languages": {...}, "hashed": "...", "base": ""};   in a release

`hashed` is policy.HASHED_PATTERN, the one rule for names that carry a content hash, so the
worker and the server agree on what never changes meaning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..policy import HASHED_PATTERN

MARK = '/*__PUENTE_CONFIG__*/ { release: "dev", shell: [], languages: {}, hashed: "$^", base: "" }'
_PREFIX = "const CONFIG = "


def config(release_id: str, shell: list[list[str]], bundles: dict[str, str], base: str = "") -> dict[str, Any]:
    """`base` is the path the app lives under ("" or "/path"): the worker's URLs all start with it."""
    return {"release": release_id, "shell": shell, "languages": bundles, "hashed": HASHED_PATTERN, "base": base}


def render(template_path: Path, data: dict[str, Any]) -> str:
    """Given service_worker/sw.js and the release's config, return the release's sw.js (no comment lines)."""
    template = template_path.read_text(encoding="utf-8")
    if f"{_PREFIX}{MARK};\n" not in template:
        raise RuntimeError(f"{template_path} lost its config line: {_PREFIX}{MARK};")
    return without_comment_lines(template.replace(MARK, json.dumps(data, separators=(",", ":"))))


def read_config(sw_js: str) -> dict[str, Any]:
    """Given a release's sw.js, return its config; raise ValueError if it has none."""
    for line in sw_js.splitlines():
        if line.startswith(_PREFIX) and line.endswith(";"):
            data = json.loads(line[len(_PREFIX) : -1])
            if isinstance(data, dict):
                return data
    raise ValueError("sw.js has no config line")


def without_comment_lines(js: str) -> str:
    """Given a script, return it without its comment-only lines; unchanged if a comment shares a line with code.

    Every installed phone downloads the worker again with each release (the update check), so its
    comments, which are for the people reading service_worker/sw.js, are not shipped.
    """
    out, in_block = [], False
    for line in js.splitlines(keepends=True):
        text = line.strip()
        if in_block or (text.startswith("/*") and not text.startswith("/*__")):
            if "*/" in text and not text.endswith("*/"):
                return js
            in_block = not text.endswith("*/")
            continue
        if not text.startswith("//"):
            out.append(line)
    return js if in_block else "".join(out)
