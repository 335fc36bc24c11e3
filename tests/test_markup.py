"""The content dialect: what it accepts, how it renders, and what it refuses (with the line)."""

from __future__ import annotations

import pytest

from backend.content.markup import Rendered, links, parse_blocks, plain_text, render_blocks, render_inline, signature
from backend.errors import ContentError


def test_blocks_are_units_with_their_lines() -> None:
    blocks = parse_blocks("## Title\n\nFirst line\nsecond line.\n\n- one\n- two\n  - nested\n", first_line=10)
    assert [(b.kind, b.text, b.line, b.level) for b in blocks] == [
        ("heading", "Title", 10, 2),
        ("paragraph", "First line second line.", 12, 1),
        ("item", "one", 15, 1),
        ("item", "two", 16, 1),
        ("item", "nested", 17, 2),
    ]


def test_nested_list_renders_nested() -> None:
    blocks = parse_blocks("- a\n  - b\n- c\n")
    html = render_blocks([Rendered(b, b.text) for b in blocks])
    assert html.replace("\n", "") == "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"


def test_inline_rendering_escapes_text_and_keeps_allowed_markup() -> None:
    html = render_inline('**Bold** & *em* [site](https://example.org/a?b=1&c=2) "q" 5 < 6', link_prefix="/es")
    assert html == (
        '<strong>Bold</strong> &amp; <em>em</em> '
        '<a href="https://example.org/a?b=1&amp;c=2">site</a> "q" 5 &lt; 6'
    )


def test_internal_links_get_the_language_prefix() -> None:
    assert render_inline("[x](/services/)", link_prefix="/es") == '<a href="/es/services/">x</a>'


def test_missing_link_renders_as_marked_text_not_a_link() -> None:
    html = render_inline("see [the law](#)", missing_label="no link yet")
    assert "<a" not in html
    assert 'class="missing-link"' in html and "no link yet" in html


def test_signature_and_links() -> None:
    text = "**a** [b](#) [c](https://x.org/) *d*"
    assert signature(text) == (("#", "https://x.org/"), 1, 1)
    assert links(text) == [("#", "b"), ("https://x.org/", "c")]
    assert plain_text(text) == "a b c d"


@pytest.mark.parametrize(
    "source, message",
    [
        ("**never closed", "never closed"),
        ("<b>html</b>", "raw HTML"),
        ("text <script>x</script>", "raw HTML"),
        ("[x](javascript:alert(1))", "not allowed"),
        ("[x](data:text/html,hi)", "not allowed"),
        ("# Title", "front matter"),
        ("> quote", "block quotes"),
        ("1. numbered", "numbered lists"),
        ("| a | b |", "tables"),
        ("```\ncode\n```", "code blocks"),
        ("![img](https://x.org/a.png)", "images"),
        ("[link text] no target", "must be followed"),
        ("**a *b** c*", "overlap"),
    ],
)
def test_refuses_what_it_cannot_render_safely(source: str, message: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_blocks("ok paragraph\n\n" + source, first_line=5)
    assert message in str(info.value)
    assert info.value.problem.line == 7


def test_escapes_allow_literal_markup_characters() -> None:
    assert render_inline(r"\*not em\* and \[x\] and \<b>") == "*not em* and [x] and &lt;b&gt;"
