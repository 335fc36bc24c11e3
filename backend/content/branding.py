"""The district's logo, an optional file of the content pack named in site.toml's [site] `logo`.

It shows beside the district's name at the top of every page, so it is part of what a phone
downloads first and keeps offline: one small image, same-origin, that cannot carry a script or
load anything from elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._toml import Reader

LOGO_TYPES = {".svg", ".png", ".webp"}
LOGO_LIMIT = 20_000  # bytes: it is on every page's first paint
_SVG_DANGER = re.compile(r"<script|<foreignObject|\son\w+\s*=|javascript:|(?:href|src)\s*=\s*[\"'](?!#)|@import|url\(\s*[\"']?(?!#)", re.I)


def logo(r: Reader, value: object, root: Path, after: str) -> str:
    """Given [site] `logo` (a path inside the content pack, or None), return it checked; "" for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        r.error("'logo' must be the path of an image in the content folder, such as \"logo.svg\"", "logo", after=after)
        return ""
    path = (root / value).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        r.error(f"logo {value!r} is not a file inside the content folder", "logo", after=after)
        return ""
    if path.suffix.lower() not in LOGO_TYPES:
        r.error(f"logo {value!r} must be one of {', '.join(sorted(LOGO_TYPES))}", "logo", after=after)
        return ""
    data = path.read_bytes()
    if len(data) > LOGO_LIMIT:
        r.error(f"logo {value!r} is {len(data):,} bytes; keep it under {LOGO_LIMIT:,} (every page shows it first)", "logo", after=after)
        return ""
    if path.suffix.lower() == ".svg" and (not data.lstrip().startswith((b"<svg", b"<?xml")) or _SVG_DANGER.search(data.decode("utf-8", "replace"))):
        r.error(f"logo {value!r} must be a plain SVG drawing: no scripts, event handlers or links to other files", "logo", after=after)
        return ""
    return path.relative_to(root.resolve()).as_posix()
