"""release.json: what a release is (id, source hash, languages, when and for what date it was built).

Written by the pipeline and read only through `read_info`, by everyone who needs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INFO_FILE = "release.json"


def dumps(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=1) + "\n"


def read_info(release_dir: Path) -> dict[str, Any]:
    """Given a release directory, return its release.json; raise ValueError if it is missing or damaged."""
    try:
        data = json.loads((Path(release_dir) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{Path(release_dir) / INFO_FILE} is missing or damaged: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("languages"), list):
        raise ValueError(f"{Path(release_dir) / INFO_FILE} is not a release description")
    return data


def language_tags(info: dict[str, Any]) -> list[str]:
    return [str(lang["tag"]) for lang in info["languages"]]
