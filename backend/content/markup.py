"""The small Markdown dialect content is written in, and its one HTML renderer.

Blocks: `## heading` (levels 2-4; the page title comes from front matter),
paragraphs, and `- ` list items nested by two spaces. Inline: `**bold**`,
`*emphasis*`, `[text](target)`, `<https://autolink>` and backslash escapes.
A link target of `#` means "the source gives no link yet": it renders as text
marked missing, and the content check reports it.

Anything else (raw HTML, tables, code, numbered lists, unknown link schemes)
is refused with a `ContentError` naming the line, so what a family sees is
exactly what the author and translators wrote, and nothing a translation adds
can become markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from ..errors import ContentError

MISSING = "#"

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(r"^( *)[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(r"^ *\d+[.)][ \t]")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^<>\s\"']+)>")
_TARGET = re.compile(r"^(?:https?://[^\s<>\"'()]+|mailto:[^\s<>\"'()@]+@[^\s<>\"'()]+|tel:\+?[0-9-]+|/(?!/)[A-Za-z0-9._~/-]*(?:#[A-Za-z0-9_-]+)?|#)$")
_ESCAPABLE = set("\\`*_{}[]()#+-.!<>|\"'~")
_SPECIAL = frozenset("\\*[]<")  # every character the inline scanner treats apart
_PLAIN = re.compile(r"[^\\*\[\]<]+")


@dataclass(frozen=True)
class Block:
    """One translation unit: a heading, a paragraph or a list item."""

    kind: str  # "heading", "paragraph" or "item"
    text: str  # the inline Markdown source, on one line
    line: int  # where it starts in its file (1-based)
    level: int = 1  # heading level (2-4) or list depth (1-3)


# -- inline -----------------------------------------------------------------


@dataclass
class _Node:
    kind: str  # "root", "strong", "em", "link", "text"
    text: str = ""
    target: str = ""
    children: list[_Node] = field(default_factory=list)


def _parse_inline(text: str) -> _Node:  # long: one scanner over the text, its cases side by side
    root = _Node("root")
    stack = [root]
    buf: list[str] = []

    def flush() -> None:
        if buf:
            stack[-1].children.append(_Node("text", "".join(buf)))
            buf.clear()

    def open_kinds() -> list[str]:
        return [n.kind for n in stack]

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in _SPECIAL:  # a run of ordinary characters, taken at once
            end = _PLAIN.match(text, i).end()  # type: ignore[union-attr]
            buf.append(text[i:end])
            i = end
            continue
        if ch == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "*":
            kind = "strong" if text.startswith("**", i) else "em"
            width = 2 if kind == "strong" else 1
            flush()
            if stack[-1].kind == kind:
                node = stack.pop()
                if not node.children:
                    raise ContentError(f"empty {'**bold**' if kind == 'strong' else '*emphasis*'}")
            elif kind in open_kinds():
                raise ContentError("bold and emphasis overlap; close the inner one first")
            else:
                node = _Node(kind)
                stack[-1].children.append(node)
                stack.append(node)
            i += width
            continue
        if ch == "[":
            if "link" in open_kinds():
                raise ContentError("a link inside a link")
            flush()
            node = _Node("link")
            stack[-1].children.append(node)
            stack.append(node)
            i += 1
            continue
        if ch == "]":
            if stack[-1].kind != "link":
                if "link" in open_kinds():
                    raise ContentError("bold or emphasis is not closed inside link text")
                raise ContentError("']' without '['; write \\] for a literal bracket")
            if not text.startswith("(", i + 1):
                raise ContentError("'[text]' must be followed by '(target)'; write \\[ for a literal bracket")
            close = text.find(")", i + 2)
            if close == -1:
                raise ContentError("link target is not closed with ')'")
            target = text[i + 2 : close].strip()
            if not _TARGET.match(target):
                raise ContentError(
                    f"link target {target!r} is not allowed: use https://, http://, mailto:, tel:, "
                    "a /path inside the app, or # for a link the source does not give yet"
                )
            flush()
            node = stack.pop()
            if not node.children:
                raise ContentError("a link with no text")
            node.target = target
            i = close + 1
            continue
        if ch == "<":
            m = _AUTOLINK.match(text, i)
            if m:
                flush()
                stack[-1].children.append(_Node("link", target=m.group(1), children=[_Node("text", m.group(1))]))
                i = m.end()
                continue
            if i + 1 < n and (text[i + 1].isalpha() or text[i + 1] in "/!?"):
                raise ContentError("raw HTML is not allowed; write \\< for a literal '<'")
        buf.append(ch)
        i += 1
    flush()
    if len(stack) > 1:
        unclosed = {"strong": "**", "em": "*", "link": "["}[stack[-1].kind]
        raise ContentError(f"{unclosed!r} is opened but never closed")
    return root


def validate_inline(text: str) -> None:
    """Raise ContentError if `text` is not valid inline Markdown of this dialect."""
    _parse_inline(text)


def render_inline(text: str, *, link_prefix: str = "", missing_label: str = "link not available yet") -> str:
    """Given inline Markdown, return safe HTML (strong, em, a, span only)."""

    def walk(node: _Node) -> str:
        if node.kind == "text":
            return escape(node.text, quote=False)
        inner = "".join(walk(c) for c in node.children)
        if node.kind == "strong":
            return f"<strong>{inner}</strong>"
        if node.kind == "em":
            return f"<em>{inner}</em>"
        if node.kind == "link":
            if node.target == MISSING:
                return (
                    f'<span class="missing-link">{inner}'
                    f' <span class="missing-tag">({escape(missing_label)})</span></span>'
                )
            href = link_prefix + node.target if node.target.startswith("/") else node.target
            return f'<a href="{escape(href)}">{inner}</a>'
        return inner

    return walk(_parse_inline(text))


def plain_text(text: str) -> str:
    """Given inline Markdown, return the words a reader sees, without markup."""

    def walk(node: _Node) -> str:
        return node.text if node.kind == "text" else "".join(walk(c) for c in node.children)

    return walk(_parse_inline(text))


def signature(text: str) -> tuple[tuple[str, ...], int, int]:
    """What a translation must keep of its source: link targets, bold and emphasis spans."""
    targets: list[str] = []
    counts = {"strong": 0, "em": 0}

    def walk(node: _Node) -> None:
        if node.kind == "link":
            targets.append(node.target)
        if node.kind in counts:
            counts[node.kind] += 1
        for c in node.children:
            walk(c)

    walk(_parse_inline(text))
    return tuple(sorted(targets)), counts["strong"], counts["em"]


def links(text: str) -> list[tuple[str, str]]:
    """Given inline Markdown, return (target, visible text) of each link."""
    found: list[tuple[str, str]] = []

    def words(node: _Node) -> str:
        return node.text if node.kind == "text" else "".join(words(c) for c in node.children)

    def walk(node: _Node) -> None:
        if node.kind == "link":
            found.append((node.target, words(node)))
        for c in node.children:
            walk(c)

    walk(_parse_inline(text))
    return found


# -- blocks -----------------------------------------------------------------


def parse_blocks(source: str, *, first_line: int = 1) -> list[Block]:  # long: one pass over the lines, each kind of block beside the next
    """Given a Markdown body, return its blocks; raise ContentError naming the line."""
    blocks: list[Block] = []
    para: list[str] = []
    para_line = 0
    item: Block | None = None
    item_parts: list[str] = []

    def end_para() -> None:
        nonlocal para
        if para:
            blocks.append(_checked(Block("paragraph", " ".join(para), para_line)))
            para = []

    def end_item() -> None:
        nonlocal item
        if item is not None:
            blocks.append(_checked(Block("item", " ".join(item_parts), item.line, item.level)))
            item = None
            item_parts.clear()

    depth_stack: list[int] = []  # indents of open list levels
    for offset, raw in enumerate(source.splitlines()):
        lineno = first_line + offset
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            end_para()
            end_item()
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise ContentError("indent with spaces, not tabs", line=lineno)
        if _NUMBERED.match(line):
            raise ContentError("numbered lists are not supported; use '- ' items", line=lineno)
        m = _ITEM.match(line)
        if m and m.group(2).strip():
            end_para()
            end_item()
            indent = len(m.group(1))
            if not depth_stack or (blocks and blocks[-1].kind != "item" and indent == 0):
                depth_stack = []
            while depth_stack and indent < depth_stack[-1]:
                depth_stack.pop()
            if not depth_stack:
                if indent != 0:
                    raise ContentError("a list must start at the beginning of the line", line=lineno)
                depth_stack = [0]
            elif indent > depth_stack[-1]:
                if indent < depth_stack[-1] + 2:
                    raise ContentError("indent nested list items by two spaces", line=lineno)
                if len(depth_stack) >= 3:
                    raise ContentError("lists nest at most three levels deep", line=lineno)
                depth_stack.append(indent)
            elif indent != depth_stack[-1]:
                raise ContentError("list item is not aligned with the items above it", line=lineno)
            item = Block("item", "", lineno, len(depth_stack))
            item_parts.append(m.group(2).strip())
            continue
        if item is not None and not _block_start(stripped):
            item_parts.append(stripped)  # a continuation line of the item
            continue
        end_item()
        m = _HEADING.match(line)
        if m:
            end_para()
            level = len(m.group(1))
            if level == 1:
                raise ContentError("'# ' is the page title, which comes from 'title' in the front matter; use '## '", line=lineno)
            if level > 4:
                raise ContentError("headings go at most four levels deep ('#### ')", line=lineno)
            if not m.group(2):
                raise ContentError("empty heading", line=lineno)
            blocks.append(_checked(Block("heading", m.group(2), lineno, level)))
            depth_stack = []
            continue
        if line.startswith("    ") and not para:
            raise ContentError("indented code blocks are not supported", line=lineno)
        problem = _unsupported(stripped)
        if problem:
            raise ContentError(problem, line=lineno)
        if not para:
            para_line = lineno
            depth_stack = []
        para.append(stripped)
    end_para()
    end_item()
    return blocks


def _block_start(stripped: str) -> bool:
    return stripped.startswith("#") or _unsupported(stripped) is not None


def _unsupported(stripped: str) -> str | None:
    if stripped.startswith(">"):
        return "block quotes are not supported"
    if stripped.startswith(("```", "~~~")):
        return "code blocks are not supported"
    if stripped.startswith("|"):
        return "tables are not supported"
    if re.fullmatch(r"(?:[-*_=] *){3,}", stripped):
        return "horizontal rules and underlined headings are not supported; use '## '"
    if stripped.startswith("<") and not _AUTOLINK.match(stripped):
        return "raw HTML is not allowed"
    if stripped.startswith("!["):
        return "images are not supported"
    return None


def _checked(block: Block) -> Block:
    try:
        validate_inline(block.text)
    except ContentError as e:
        raise ContentError(e.problem.message, line=block.line) from None
    return block


@dataclass(frozen=True)
class Rendered:
    """A block with the text to show and, if that text fell back to English, its language."""

    block: Block
    text: str
    fallback_lang: str | None = None


def render_blocks(
    items: Sequence[Rendered],
    *,
    link_prefix: str = "",
    missing_label: str = "link not available yet",
    fallback_label: str = "English",
    heading_offset: int = 0,
) -> str:
    """Given blocks and their (translated) text, return the page body HTML."""
    out: list[str] = []
    depth = 0
    for r in items:
        b = r.block
        if b.kind != "item":
            out.append("</li></ul>" * depth)
            depth = 0
        html = render_inline(r.text, link_prefix=link_prefix, missing_label=missing_label)
        if r.fallback_lang:  # the source text stands in for a missing translation: say so
            html = f'<span lang="{escape(r.fallback_lang)}">{html}</span> <span class="fallback-tag">{escape(fallback_label)}</span>'
        if b.kind == "heading":
            level = min(6, b.level + heading_offset)
            out.append(f"<h{level}>{html}</h{level}>")
        elif b.kind == "paragraph":
            out.append(f"<p>{html}</p>")
        else:
            if b.level > depth:
                out.append("<ul><li>" * (b.level - depth))
            else:
                out.append("</li></ul>" * (depth - b.level) + "</li><li>")
            depth = b.level
            out.append(html)
    out.append("</li></ul>" * depth)
    return "\n".join(s for s in out if s)
