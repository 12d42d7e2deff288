"""All generated pages of the site as {docs path: Markdown}, and their place in the nav.

The mkdocs hook (hook.py) calls `render_pages` and `render_files` on `build_context(kb)` and
adds what they return as virtual files; nothing here writes to disk, so `mkdocs serve` does
not rebuild in a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...cited import CitedError, load_cited
from ...kb import COLLECTIONS, KB, KBError, load_kb
from ...results import ResultsError, load_all
from ..pages.comparisons import runtimes_page
from ..pages.entries import SECTIONS
from ..pages.indexes import INDEX_PAGES, INSTALL_PATH
from ..pages.machines import machine_pages
from ..pages.methodology import methodology_page
from ..shared.page import (
    COLLECTION_TITLES,
    DOWNLOADS_PATH,
    MACHINES_INDEX,
    METHODOLOGY_PATH,
    RUNTIMES_PATH,
    WIDE_PAGE,
    WIDEST_PAGE,
    Page,
    SiteContext,
    entry_path,
    index_path,
    machine_path,
)
from .downloads import api_files, downloads_page
from .htmlcheck import offline_html, unsafe_html  # noqa: F401  (the hook's checks, re-exported)

# Entry pages with wide measured tables.
WIDE_COLLECTIONS = {"models": WIDEST_PAGE, "use_cases": WIDE_PAGE, "hardware": WIDE_PAGE}

# Builders of whole pages other than the per-entry ones: {path: builder}.
PAGE_BUILDERS: dict[str, Callable[[SiteContext], str]] = {
    **INDEX_PAGES,
    RUNTIMES_PATH: runtimes_page,
    METHODOLOGY_PATH: methodology_page,
    DOWNLOADS_PATH: downloads_page,
}
# Builders of pages whose paths depend on the data (one per measured machine): each gives
# {path: Markdown}.
PAGE_SETS: list[Callable[[SiteContext], dict[str, str]]] = [machine_pages]
# Builders of files that are not pages (api/*.json, api/*.csv): each gives {path: content}.
FILE_BUILDERS: list[Callable[[SiteContext], dict[str, str | bytes]]] = [api_files]


MAX_PROBLEMS_SHOWN = 10


def check_valid(kb_root: Path) -> None:
    """Raise KBError listing the validator's problems: pages assume a valid KB."""
    from ...validate import check_kb

    problems = check_kb(Path(kb_root)).problems
    if not problems:
        return
    lines = [p.line_text() for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
    raise KBError(f"{len(problems)} problem(s) in the knowledge base:\n" + "\n".join(lines))


def build_context(kb_root: Path, repo_url: str = "") -> SiteContext:
    kb = load_kb(Path(kb_root))
    try:
        results_files = load_all(Path(kb_root))
        cited = load_cited(Path(kb_root))
    except (ResultsError, CitedError) as exc:
        raise KBError(str(exc)) from None
    # A browser's rows are ONNX Runtime Web as a web page gets it: shown on their own pages,
    # kept out of the frame every ranking and recommendation reads.
    native = [r for r in results_files if r.machine.hardware.browser is None]
    browser = [r for r in results_files if r.machine.hardware.browser is not None]
    return SiteContext(
        kb=kb, repo_url=repo_url, results_files=native, cited=cited, browser_files=browser
    )


def render_entry(site: SiteContext, collection: str, entry_id: str) -> str:
    entry = site.kb.collection(collection)[entry_id]
    page = Page(site, entry_path(collection, entry_id))
    parts = [text.strip() for section in SECTIONS[collection] if (text := section(page, entry))]
    notes = page.footnotes()
    if notes:
        parts.append(notes)
    front = WIDE_COLLECTIONS.get(collection, "")
    return front + "\n\n".join(parts) + "\n"


def render_pages(site: SiteContext) -> dict[str, str]:
    pages = {path: build(site) for path, build in PAGE_BUILDERS.items()}
    for build_set in PAGE_SETS:
        pages.update(build_set(site))
    for collection in COLLECTIONS:
        for entry_id in sorted(site.kb.collection(collection)):
            pages[entry_path(collection, entry_id)] = render_entry(site, collection, entry_id)
    return pages


def render_files(site: SiteContext) -> dict[str, str | bytes]:
    """Every generated file that is not a page (downloads), by path in the site."""
    files: dict[str, str | bytes] = {}
    for build in FILE_BUILDERS:
        files.update(build(site))
    return files


# --- navigation --------------------------------------------------------------------------


def collection_nav(kb: KB, collection: str) -> list[Any]:
    """Nav items of a collection: its index, extra pages, then entries by name."""
    items: list[Any] = [index_path(collection)]
    if collection == "frameworks":
        items.append(INSTALL_PATH)
    entries = sorted(kb.collection(collection).values(), key=lambda e: e.name.casefold())
    items.extend(entry_path(collection, e.id) for e in entries)
    return items


def expand_nav(
    nav: list[Any] | None, kb: KB, machines: list[str] | None = None
) -> list[Any] | None:
    """Replace each nav item that points at a collection index by a section of its pages.

    mkdocs.yml lists `- Models: models/index.md`; the entry pages exist only at build time,
    so the section is filled in here. Entry titles come from the pages' own headings. The
    machines index becomes a section of the measured machines' pages the same way.
    """
    if nav is None:
        return None
    sections = {index_path(c): collection_nav(kb, c) for c in COLLECTIONS}
    sections[MACHINES_INDEX] = [MACHINES_INDEX] + [machine_path(m) for m in machines or []]

    titles = {index_path(c): COLLECTION_TITLES[c] for c in COLLECTIONS}
    titles[MACHINES_INDEX] = "Machines"

    def expand(item: Any) -> Any:
        if isinstance(item, str) and item in sections:
            return {titles[item]: sections[item]}
        if isinstance(item, dict) and len(item) == 1:
            ((title, value),) = item.items()
            if isinstance(value, str) and value in sections:
                return {title: sections[value]}
            if isinstance(value, list):
                return {title: [expand(v) for v in value]}
        return item

    return [expand(item) for item in nav]
