"""Last checks on built HTML, kept apart from the renderers so the hook can run them on every
page without importing pandas and the analysis (a build with an unchanged KB renders nothing).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# --- a last check on the HTML of generated pages -----------------------------------------

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
_SAFE_SCHEMES = ("http", "https", "mailto")
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


class _UnsafeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event handler attribute '{name}'")
            elif name in _URL_ATTRIBUTES and value is not None:
                # Browsers ignore whitespace and control characters inside a scheme.
                compact = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
                match = _URL_SCHEME.match(compact)
                if match and match.group(1) not in _SAFE_SCHEMES:
                    self.problems.append(f"<{tag} {name}> uses the scheme '{match.group(1)}:'")


def unsafe_html(html: str) -> list[str]:
    """Event handlers and script URLs in rendered HTML; the escaping should leave none."""
    finder = _UnsafeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


# --- the site loads no script from elsewhere ----------------------------------------------

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"""\bsrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_REMOTE = re.compile(r"""(?:import\s*\(|from)\s*["']https?://""", re.IGNORECASE)


def remote_script(attributes: str, body: str) -> bool:
    """Whether a <script> would fetch code from another site (or has an empty src)."""
    src = _SRC.search(attributes)
    if src is not None:
        target = src.group(2).strip().lower()
        return target == "" or target.startswith(("http:", "https:", "//"))
    if "text/x-mathjax-config" in attributes.lower():
        return True  # configures the MathJax loader that is dropped with it
    return bool(_REMOTE.search(body))


def offline_html(html: str) -> str:
    """The page without scripts from other sites.

    mkdocs-jupyter's notebook template always adds a MathJax loader (with an empty URL when
    none is configured) and a mermaid module imported from cdnjs; the site's notebook needs
    neither, and the site must work offline, so they are removed from the built page.
    """
    return _SCRIPT.sub(lambda m: "" if remote_script(m.group(1), m.group(2)) else m.group(0), html)


# More notes than this fold behind a summary: a use case page cites fifty sources, which a
# phone would scroll through for screens after the last section.
FOLD_FOOTNOTES_OVER = 8
_FOOTNOTES = re.compile(r'<div class="footnote">\s*<hr />\s*(<ol>.*?</ol>)\s*</div>', re.DOTALL)


def fold_footnotes(html: str) -> str:
    """The page's footnotes (its sources) in a block closed until opened, when there are more
    than FOLD_FOOTNOTES_OVER; a footnote reference opens it (docs/javascripts/open-target.js)."""
    match = _FOOTNOTES.search(html)
    if match is None:
        return html
    count = match.group(1).count('<li id="fn:')
    if count <= FOLD_FOOTNOTES_OVER:
        return html
    folded = (
        '<div class="footnote">\n<hr />\n<details class="nnkb-footnotes">\n'
        f"<summary>Sources and notes ({count})</summary>\n{match.group(1)}\n</details>\n</div>"
    )
    return html[: match.start()] + folded + html[match.end() :]
