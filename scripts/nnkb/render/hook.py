"""mkdocs hook: adds the pages generated from the KB as virtual files at build time.

Thin on purpose: it reads kb/ (and kb/results/) through nnkb.render and never benchmarks;
it never writes into docs/, so `mkdocs serve` does not rebuild in a loop. The KB folder is
`extra.nnkb_kb` in mkdocs.yml (the NNKB_KB environment variable, default `kb`), relative to
mkdocs.yml.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from nnkb.kb import KBError
from nnkb.render.page import machine_path
from nnkb.render.site import (
    build_context,
    check_valid,
    expand_nav,
    offline_html,
    render_files,
    render_pages,
    unsafe_html,
)

_generated: dict[str, str | None] = {}  # src_uri -> edit URL of the entry's YAML file
_titles: dict[str, str] = {}  # src_uri -> the page's title as the KB or results write it


def kb_root(config: MkDocsConfig) -> Path:
    folder = Path(config.extra.get("nnkb_kb") or "kb")
    return folder if folder.is_absolute() else Path(config.config_file_path).parent / folder


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # Without a repository (NNKB_REPO_URL unset) mkdocs would turn edit_uri into links relative
    # to the site; no repository means no edit links at all.
    if not config.repo_url:
        config.edit_uri = None
        config.edit_uri_template = None
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = kb_root(config)
    if not root.is_dir():
        raise PluginError(f"nnkb: knowledge base folder {root} does not exist (set NNKB_KB)")
    try:
        check_valid(root)
        site = build_context(root, repo_url=config.repo_url or "")
    except KBError as exc:
        raise PluginError(f"nnkb: {exc} (run `nnkb validate --kb {root}`)") from None
    _generated.clear()
    _titles.clear()
    for src_uri, content in render_pages(site).items():
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(f"nnkb: docs/{src_uri} would hide a generated page; remove it")
        files.append(File.generated(config, src_uri, content=content))
        _generated[src_uri] = None
    for entry in site.kb.entries():
        src_uri = f"{entry.collection}/{entry.id}.md"
        if src_uri in _generated:
            _generated[src_uri] = site.edit_url(entry)
            _titles[src_uri] = entry.name
    for machine_id, machine in site.machines.items():
        _titles[machine_path(machine_id)] = machine.label or machine_id
    for path, data in render_files(site).items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"nnkb: docs/{path} would hide a generated file; remove it")
        files.append(File.generated(config, path, content=data))
    config.nav = expand_nav(config.nav, site.kb, list(site.machines))
    return files


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    # `mkdocs serve` watches docs/ only; a KB edit should rebuild the generated pages too.
    server.watch(str(kb_root(config)))
    return server


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Material's edit button points at the entry's YAML file, not at a docs/ file.
    if page.file.src_uri in _generated:
        page.edit_url = _generated[page.file.src_uri]
    return markdown


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri in _generated:
        # Material prints a title from meta as it is, and one from the heading through
        # `striptags`, which unescapes it (`</title><script>` in a name would become markup).
        # The heading's text is escaped for Markdown (`{` as `&#123;`), which mkdocs then
        # escapes again; the title is the KB's own text, HTML-escaped once.
        title = _titles.get(page.file.src_uri)
        page.meta["title"] = escape(" ".join(title.split())) if title else page.title
    if "Plotly.newPlot" in html:
        page.meta["nnkb_plotly"] = True
        problems = unsafe_html(html)
        if problems:
            raise PluginError(f"nnkb: unsafe HTML on {page.file.src_uri}: {'; '.join(problems)}")
    return html


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    # Every page, the notebook's included: nothing is loaded from a CDN.
    return offline_html(output)
