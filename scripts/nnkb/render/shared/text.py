"""Turning KB text into Markdown that cannot carry raw HTML or script.

KB fields are "plain text or Markdown; any HTML in it is shown as text, never rendered"
(common.schema.json). Every string that comes from kb/ goes through one of the functions
here before it reaches a page; everything else on a generated page is written by nnkb.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

# Link targets a KB text may point at; anything else (javascript:, data:, vbscript:, file:)
# is shown as text.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers drop ASCII whitespace and control characters inside a URL, so "java\tscript:" counts.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


def _unsafe_target(target: str) -> bool:
    """Whether a Markdown link target names a scheme other than the safe ones."""
    target = _IGNORED_IN_URL.sub("", target)
    target = target.removeprefix("&lt;")
    match = _SCHEME.match(target)
    return match is not None and match.group(1).lower() not in SAFE_SCHEMES


def _neutralise_links(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\]\(", text):
        end = text.find(")", match.end())
        target = text[match.end() : end if end != -1 else len(text)]
        if _unsafe_target(target):
            # An escaped parenthesis makes Markdown show the whole link as text.
            out.append(text[pos : match.start()] + "]\\(")
            pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def escape_text(text: str) -> str:
    """KB text (plain text or Markdown) made safe to place in a page's Markdown.

    - `<`, `>` and `&` become entities: no raw HTML, no comments, no `<...>` autolinks.
    - `{` and `}` become entities: attr_list would otherwise let `{: onclick=...}` add
      attributes to the element before it.
    - `![` loses its image meaning: no images pulled from elsewhere by a KB entry.
    - `[^` loses its footnote meaning: footnotes on a page are the citations nnkb writes.
    - `[label]:` loses its meaning as a link definition, wherever it stands (a definition in
      a list item or a quote counts, and its target may be on the next line).
    - inline link targets with a scheme other than http, https and mailto are shown as text.

    Entities rather than backslashes break those constructs, because a backslash from the
    KB just before an inserted one would cancel it.
    """
    text = html.escape(str(text), quote=False)
    text = text.replace("{", "&#123;").replace("}", "&#125;")
    text = text.replace("![", "&#33;[").replace("[^", "[&#94;")
    text = re.sub(r"(\[[^\[\]]*\]):", r"\1&#58;", text)
    return _neutralise_links(text)


def escape_inline(text: str) -> str:
    """KB text for one line: a heading, a list item, a link text or a table cell."""
    text = " ".join(str(text).split())
    text = escape_text(text)
    # Python-Markdown drops trailing '#' from a heading ("C#" would become "C"). The '#' of
    # the entities escape_text wrote (`&#123;`) stays, or the entity would show as text.
    return re.sub(r"(?<!&)#", r"\\#", text)


def escape_label(text: str) -> str:
    """Plain KB text (a name or a source title) as the text of a Markdown link."""
    text = str(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return escape_inline(text)


def escape_cell(markdown: str) -> str:
    """Markdown made safe for one table cell: no line breaks, no column separators."""
    markdown = " ".join(markdown.split())
    return re.sub(r"(?<!\\)\|", r"\\|", markdown)


def safe_url(url: str) -> str | None:
    """An http(s) URL quoted for a Markdown link target, or None if it is not http(s)."""
    url = str(url).strip()
    match = _SCHEME.match(url)
    if not match or match.group(1).lower() not in ("http", "https"):
        return None
    # Characters that would end the link target or break out of the attribute are quoted;
    # '%' is kept so URLs that are already quoted stay as they are.
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def link(text: str, url: str) -> str:
    """A Markdown link to an external URL with KB text; plain text if the URL is not http(s)."""
    label = escape_label(text)
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def code_block(code: str, language: str = "") -> str:
    """A fenced code block; its content is shown verbatim, so it is not escaped."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    language = re.sub(r"[^a-z0-9_+-]", "", language.lower())
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def folded(title: str, markdown: str) -> str:
    """A block closed until the reader opens it (pymdownx.details): long pages lead with their
    chart and words, the detail tables one click away."""
    safe = escape_inline(title).replace('"', "&quot;")
    return f'??? note "{safe}"\n\n{indent(markdown)}'


def indent(markdown: str, spaces: int = 4) -> str:
    """Indent every non-empty line, for content inside a tab, admonition or list item."""
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in markdown.splitlines())


def format_number(value: float, unit: str | None = None) -> str:
    """A number as a reader wants it: 11689512 -> '11.7 M', 2048 -> '2,048', with its unit.

    A unit that starts with a capital joins the prefix ('312 TFLOP/s'); others follow it
    after a space ('11.7 M parameters').
    """
    if isinstance(value, bool):
        value = int(value)
    magnitude = abs(value)
    prefix = ""
    if magnitude >= 1e5:
        for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
            if magnitude >= factor:
                text = f"{value / factor:.3g} {prefix}"
                break
    elif float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.6g}" if magnitude >= 1e3 else f"{value:g}"
    if not unit:
        return text
    unit_text = escape_inline(unit)
    if prefix and unit_text[:1].isupper():
        return f"{text}{unit_text}"
    return f"{text} {unit_text}"


def escape_plain(text: str) -> str:
    """Text that is not Markdown (a runtime's error message) for one line: shown as written.

    On top of escape_inline, emphasis, code and link characters become entities, so
    `__init__` or `*args` in a message stay as they are instead of turning bold or italic.
    """
    text = escape_inline(text)
    for char, entity in (("*", "&#42;"), ("_", "&#95;"), ("`", "&#96;"), ("[", "&#91;"),
                         ("]", "&#93;"), ("~", "&#126;")):  # fmt: skip
        text = text.replace(char, entity)
    return text
