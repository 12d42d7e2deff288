"""Escaping of KB text: what reaches a page's Markdown can carry no raw HTML or script."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from nnkb.render.build.site import unsafe_html
from nnkb.render.shared.tables import Column, Md, Table
from nnkb.render.shared.text import (
    code_block,
    escape_cell,
    escape_inline,
    escape_label,
    escape_text,
    format_number,
    link,
    safe_url,
)

EXTENSIONS = ["tables", "attr_list", "footnotes", "pymdownx.superfences"]


def html_of(md_text: str) -> str:
    return markdown.markdown(md_text, extensions=EXTENSIONS)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<div onclick="alert(1)">x</div>',
    "<!-- <script>alert(1)</script> -->",
    "<https://example.org/autolink>",
    "[a](javascript:alert(1))",
    "[a]( JaVaScRiPt:alert(1))",
    "[a](java\tscript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a](data:text/html,<script>alert(1)</script>)",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[a][r]\n\n- [r]: javascript:alert(1)",
    "[a][r]\n\n> [r]:\n> javascript:alert(1)",
    "[a][r]\n\n    [r]: javascript:alert(1)",
    "[a][r]\n\n\\[r]: javascript:alert(1)",
    "[a](\njavascript:alert(1))",
    "\\![a](https://example.org/x.png)",
    "\\\\![a](https://example.org/x.png)",
    "![a](https://example.org/x.png)",
    "text {: onclick=alert(1) }",
    "*emphasis*{ onmouseover=alert(1) }",
    "# heading {: onload=alert(1) }",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_without_html_elements_or_handlers(text):
    out = html_of(escape_text(text))
    assert "<script" not in out and "<img" not in out and "<div" not in out
    assert unsafe_html(out) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_a_table_cell_stays_in_its_cell(text):
    table = Table.from_records([{"a": text, "b": "after"}], [Column("a", "A"), Column("b", "B")])
    out = html_of(table.to_markdown())
    assert "<script" not in out and "<img" not in out and unsafe_html(out) == []
    assert out.count("<td") == 2


def test_markdown_and_safe_links_survive():
    out = html_of(escape_text("**bold** and [docs](https://example.org/a_b) and `code`"))
    assert "<strong>bold</strong>" in out
    assert '<a href="https://example.org/a_b">docs</a>' in out
    assert "<code>code</code>" in out


def test_html_is_shown_as_text():
    out = html_of(escape_text("a <b>b</b> & c"))
    assert "&lt;b&gt;b&lt;/b&gt; &amp; c" in out


def test_inline_keeps_hash_and_joins_lines():
    assert escape_inline("C# and\nF#") == "C\\# and F\\#"
    assert "<h1>C# net</h1>" in html_of("# " + escape_inline("C# net"))


def test_label_escapes_brackets_so_the_link_stays_whole():
    out = html_of(link("Paper](javascript:alert(1)) [x", "https://example.org/p"))
    assert out.count("<a ") == 1 and 'href="https://example.org/p"' in out
    assert "javascript" not in out.split("href=")[1].split(">")[0]
    assert escape_label("a\\[b") == "a\\\\\\[b"


def test_cell_escapes_pipes_and_newlines():
    assert escape_cell("a | b\nc") == "a \\| b c"
    assert escape_cell("a \\| b") == "a \\| b"


def test_safe_url_refuses_other_schemes_and_quotes_breaking_characters():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://example.org") is None
    assert safe_url('https://example.org/a b"<>)') == "https://example.org/a%20b%22%3C%3E%29"
    assert link("t", "javascript:alert(1)") == "t"


def test_code_block_fence_is_longer_than_any_backtick_run_inside():
    block = code_block("echo ```\n<script>alert(1)</script>", "sh")
    assert block.startswith("````sh\n") and block.endswith("\n````")
    out = html_of(block)
    assert "<script" not in out and "&lt;script&gt;" in out


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (11689512, None, "11.7 M"),
        (1814000000, "MACs", "1.81 GMACs"),
        (69.758, "%", "69.758 %"),
        (990000, "parameters", "990 k parameters"),
        (2.5e14, "FLOP/s", "250 TFLOP/s"),
        (64, None, "64"),
        (2048, "ops/cycle", "2,048 ops/cycle"),
        (12345.5, None, "12,345.5"),
    ],
)
def test_format_number(value, unit, expected):
    assert format_number(value, unit) == expected


def test_table_filter_sort_and_trusted_cells():
    table = Table.from_records(
        [
            {"name": "beta", "n": 2, "link": Md("[b](b.md)")},
            {"name": "Alpha", "n": 10, "link": Md("[a](a.md)")},
            {"name": "gamma", "n": None, "link": "<i>g</i>"},
        ],
        [Column("name", "Name"), Column("n", "N", align="right"), Column("link", "Link")],
    )
    assert len(table.filter(lambda r: r["name"] != "beta")) == 2
    lines = table.sort("name").to_markdown().splitlines()
    assert lines[0] == "| Name | N | Link |"
    assert lines[1] == "| :--- | ---: | :--- |"
    assert lines[2] == "| Alpha | 10 | [a](a.md) |"
    assert lines[4] == "| gamma | — | &lt;i&gt;g&lt;/i&gt; |"
    assert table.sort("n", ascending=False).frame["name"].tolist() == ["Alpha", "beta", "gamma"]
    assert Table.from_records([], [Column("x", "X")]).to_markdown("none") == "*none*"


def test_inline_text_keeps_braces_as_braces():
    """A heading's '#' is escaped, but not the '#' of the entities that stand for braces."""
    text = escape_inline("C# {{ config }}")
    assert text == "C\\# &#123;&#123; config &#125;&#125;"
    html = markdown.markdown(f"# {text}")
    assert html == "<h1>C# &#123;&#123; config &#125;&#125;</h1>"


def test_key_value_tables_are_marked_not_sortable():
    from nnkb.render.shared.tables import KEY_VALUE_CLASS, Column, Table

    facts = Table.from_records(
        [{"k": "Parameters", "v": 3}], [Column("k", "Fact"), Column("v", "Value")]
    )
    ranked = Table.from_records([{"k": "a", "v": 3}], [Column("k", "Model"), Column("v", "Median")])
    assert facts.to_markdown().startswith(f'<div class="{KEY_VALUE_CLASS}" markdown>\n\n| Fact |')
    assert facts.to_markdown().endswith("|\n\n</div>")
    assert KEY_VALUE_CLASS not in ranked.to_markdown()
    init = (
        Path(__file__).resolve().parent.parent / "docs/javascripts/tablesort-init.js"
    ).read_text()
    assert f'closest(".{KEY_VALUE_CLASS}")' in init
