"""Synthetic content packs for the growth table: N languages × K times the content.

Content ×K: every page of "Know your rights" below its index and every service is copied
K-1 more times under a new name (rights/school-2.md, services/ciri-2.toml, ...), so
the pack has K times the pages and services a family can open and the catalogs K times
their units. Languages: the project's own catalogs first, then catalogs for further
real language tags (CLDR knows their names and direction), each a copy of one of the
project's translations with its header's Language changed, so every page is rendered
from translated text as in a real pack. The copies never touch content/ or locales/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

# Further languages, common home languages in US school districts first; each a CLDR locale.
EXTRA_TAGS = [
    "am", "bn", "de", "fr", "hi", "ko", "ru", "so", "fil", "ne", "my", "ti", "ur", "tr", "ro", "it", "ja",
    "km", "lo", "th", "ta", "te", "ml", "gu", "pa", "mr", "kn", "or", "as", "si", "he", "yi", "el", "hy",
    "ka", "az", "kk", "ky", "uz", "tg", "tk", "mn", "ckb", "sd", "ug", "dz", "bo", "ig", "yo", "ha", "zu",
    "xh", "sn", "rw", "rn", "lg", "om", "wo", "ff", "ln", "kab", "mg", "ny", "st", "tn", "ts", "ve", "nso",
    "ss", "cy", "ga", "gd", "is", "fo", "sq", "mk", "bg", "sr", "hr", "sl", "sk", "cs", "hu", "lt", "lv",
    "et", "fi", "sv", "da", "nb", "nn", "nl", "lb", "af", "id", "ms", "jv", "su", "ceb", "haw", "mi", "to",
    "gl", "eu", "ca", "oc", "co", "br", "be",
]

_CONTEXT = re.compile(r'^msgctxt "((?:page:rights/|service:)[^"]+)"$', re.MULTILINE)


def make_pack(src_content: Path, src_locales: Path, dest: Path, languages: int, times: int) -> tuple[Path, Path]:
    """Write dest/content and dest/locales for `languages` languages (English included) and `times` × the content."""
    content, locales = dest / "content", dest / "locales"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src_content, content)
    copies = _multiply_content(content, times)
    locales.mkdir(parents=True)
    shutil.copy2(src_locales / "messages.pot", locales / "messages.pot")
    own = sorted(p.parent.parent.name for p in src_locales.glob("*/LC_MESSAGES/messages.po"))
    texts = {tag: _multiply_catalog((src_locales / tag / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8"), copies) for tag in own}
    wanted = languages - 1  # English is the source, always present
    tags = own[:wanted] + [t for t in EXTRA_TAGS if t not in own][: max(0, wanted - len(own))]
    if len(tags) < wanted:
        raise ValueError(f"only {len(tags) + 1} languages available, {languages} asked")
    for i, tag in enumerate(tags):
        base = own[i % len(own)]
        text = texts[base] if tag == base else _retag(texts[base], tag)
        out = locales / tag / "LC_MESSAGES" / "messages.po"
        out.parent.mkdir(parents=True)
        out.write_text(text, encoding="utf-8")
    return content, locales


def _multiply_content(content: Path, times: int) -> dict[str, list[str]]:
    """Copy rights pages and services; return {context: [contexts of its copies]}."""
    copies: dict[str, list[str]] = {}
    for page in sorted((content / "pages" / "rights").glob("*.md")):
        if page.stem == "index":
            continue
        copies[f"page:rights/{page.stem}"] = [f"page:rights/{page.stem}-{k}" for k in range(2, times + 1)]
        for k in range(2, times + 1):
            shutil.copy2(page, page.with_name(f"{page.stem}-{k}.md"))
    for service in sorted((content / "services").glob("*.toml")):
        copies[f"service:{service.stem}"] = [f"service:{service.stem}-{k}" for k in range(2, times + 1)]
        for k in range(2, times + 1):
            shutil.copy2(service, service.with_name(f"{service.stem}-{k}.toml"))
    return copies


def _multiply_catalog(text: str, copies: dict[str, list[str]]) -> str:
    """Repeat every entry of a copied page or service under each copy's msgctxt."""
    head, _, rest = text.partition("\n\n")
    blocks = rest.split("\n\n")
    extra = []
    for block in blocks:
        m = _CONTEXT.search(block)
        if m and not block.lstrip().startswith("#~"):
            for ctx in copies.get(m.group(1), []):
                extra.append(block.replace(f'msgctxt "{m.group(1)}"', f'msgctxt "{ctx}"', 1))
    return "\n\n".join([head, *blocks, *extra]).rstrip("\n") + "\n"


def _retag(text: str, tag: str) -> str:
    """The same translations under another language's header (CLDR supplies its names)."""
    head, sep, rest = text.partition("\n\n")
    head = re.sub(r'^"Language: [^"\\]*\\n"$', f'"Language: {tag}\\\\n"', head, flags=re.MULTILINE)
    head = "\n".join(line for line in head.splitlines() if not line.startswith('"X-Language-Name'))
    return head + sep + rest
