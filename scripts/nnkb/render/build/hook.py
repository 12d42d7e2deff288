"""mkdocs hook: adds the pages generated from the KB as virtual files at build time.

Thin on purpose: it reads kb/ (and kb/results/) through nnkb.render and never benchmarks;
it never writes into docs/, so `mkdocs serve` does not rebuild in a loop. The KB folder is
`extra.nnkb_kb` in mkdocs.yml (the NNKB_KB environment variable, default `kb`), relative to
mkdocs.yml.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from nnkb.kb import KBError
from nnkb.render.build import buildcache
from nnkb.render.build.buildcache import inputs_key
from nnkb.render.build.htmlcheck import fold_footnotes, offline_html, unsafe_html
from nnkb.render.build.notebook import NotebookError, executed_notebook

_generated: dict[str, str | None] = {}  # src_uri -> edit URL of the entry's YAML file
_titles: dict[str, str] = {}  # src_uri -> the page's title as the KB or results write it
_home: list[str] = []  # the home page's grid and chart (render/pages/home.py), set by on_files
# The build cache (`extra.nnkb_cache`, relative to mkdocs.yml) holds executed notebooks by the
# hash of what they read (render/build/notebook.py), the last build's generated pages by the same
# kind of key (render/build/buildcache.py) and mkdocs-jupyter's HTML of the executed notebooks.
NOTEBOOK_CACHE = "notebooks"
PAGES_CACHE = "pages"
NOTEBOOK_HTML_CACHE = "mkdocs-jupyter"
log = logging.getLogger("mkdocs.hooks.nnkb")


def kb_root(config: MkDocsConfig) -> Path:
    folder = Path(config.extra.get("nnkb_kb") or "kb")
    return folder if folder.is_absolute() else Path(config.config_file_path).parent / folder


def cache_root(config: MkDocsConfig) -> Path:
    folder = Path(config.extra.get("nnkb_cache") or ".cache/nnkb")
    return folder if folder.is_absolute() else Path(config.config_file_path).parent / folder


def pages_url(repo_url: str) -> str | None:
    """Where GitHub Pages publishes the site of a github.com repository; None elsewhere."""
    found = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repo_url)
    if not found:
        return None
    owner, name = found.groups()
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # Without a repository (NNKB_REPO_URL unset) mkdocs would turn edit_uri into links relative
    # to the site; no repository means no edit links at all.
    if not config.repo_url:
        config.edit_uri = None
        config.edit_uri_template = None
    # The sitemap lists pages by their full address, so it needs the site's; GitHub Pages
    # publishes a repository's site at a known one (NNKB_SITE_URL names any other).
    if not config.site_url and config.repo_url:
        config.site_url = pages_url(config.repo_url)
    # mkdocs-jupyter's own cache folder is relative to the working directory; it goes into the
    # build cache with the executed notebooks, so a build from elsewhere finds it.
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is not None:
        plugin.config["cache_dir"] = str(cache_root(config) / NOTEBOOK_HTML_CACHE)
    return config


@dataclass
class Rendered:
    """What the hook adds to a build, all computed from the KB: kept in the build cache."""

    pages: dict[str, str]
    files: dict[str, str | bytes]
    edit_urls: dict[str, str | None]  # src_uri -> edit URL of the entry's YAML file
    titles: dict[str, str]
    nav: Any
    home: str  # what replaces render.pages.home.HOME_MARKER in docs/index.md


def render_site(root: Path, config: MkDocsConfig) -> Rendered:
    # Imported here: the renderers pull in pandas and the analysis, which a build whose KB
    # did not change never needs.
    from nnkb.analysis.machine_label import machine_label
    from nnkb.render.build.site import (
        build_context,
        check_valid,
        expand_nav,
        render_files,
        render_pages,
    )
    from nnkb.render.pages.home import home_section
    from nnkb.render.shared.page import machine_path

    try:
        check_valid(root)
        site = build_context(root, repo_url=config.repo_url or "")
    except KBError as exc:
        raise PluginError(f"nnkb: {exc} (run `nnkb validate --kb {root}`)") from None
    pages = render_pages(site)
    edit_urls: dict[str, str | None] = dict.fromkeys(pages)
    titles: dict[str, str] = {}
    for entry in site.kb.entries():
        src_uri = f"{entry.collection}/{entry.id}.md"
        if src_uri in edit_urls:
            edit_urls[src_uri] = site.edit_url(entry)
            titles[src_uri] = entry.name
    machines = [*site.machines.values(), *(r.machine for r in site.browser_files)]
    for machine in machines:
        titles[machine_path(machine.id)] = (
            machine.label or machine.id if machine.hardware.browser else machine_label(machine)
        )
    nav = expand_nav(config.nav, site.kb, [m.id for m in machines])
    return Rendered(pages, render_files(site), edit_urls, titles, nav, home_section(site))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = kb_root(config)
    if not root.is_dir():
        raise PluginError(f"nnkb: knowledge base folder {root} does not exist (set NNKB_KB)")
    # Validating and rendering the KB is most of a build's own work; a build whose inputs
    # (KB, results, nnkb, packages, nav, repo URL) did not change reuses the last one's pages.
    cache = cache_root(config) / PAGES_CACHE
    started = time.monotonic()
    key = inputs_key(root, "pages", config.repo_url or "", repr(config.nav))
    # Stored as a dict of builtins: mkdocs loads this file as a module pickle cannot import.
    stored = buildcache.load(cache, key)
    if isinstance(stored, dict) and stored.keys() == set(Rendered.__dataclass_fields__):
        rendered = Rendered(**stored)
        how = "from the build cache"
    else:
        rendered = render_site(root, config)
        buildcache.store(cache, key, asdict(rendered))
        how = "rendered"
    # benchmarks/cost.py reads these timings from the log.
    log.info("nnkb: generated pages %s (%.2f s)", how, time.monotonic() - started)
    _generated.clear()
    _generated.update(rendered.edit_urls)
    _titles.clear()
    _titles.update(rendered.titles)
    _home[:] = [rendered.home]
    for src_uri, content in rendered.pages.items():
        if files.get_file_from_path(src_uri) is not None:
            raise PluginError(f"nnkb: docs/{src_uri} would hide a generated page; remove it")
        files.append(File.generated(config, src_uri, content=content))
    for path, data in rendered.files.items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"nnkb: docs/{path} would hide a generated file; remove it")
        files.append(File.generated(config, path, content=data))
    config.nav = rendered.nav
    use_executed_notebooks(files, config, root)
    return files


def use_executed_notebooks(files: Files, config: MkDocsConfig, root: Path) -> None:
    """Point each notebook page at its executed copy, executing it only when what it reads
    changed. mkdocs-jupyter (execute: false) renders the copy; its file object already wraps
    the docs/ file, since plugins see on_files before hooks do."""
    cache_dir = cache_root(config) / NOTEBOOK_CACHE
    for file in files:
        if not file.src_uri.endswith(".ipynb") or file.abs_src_path is None:
            continue
        source = Path(file.abs_src_path)
        started = time.monotonic()
        try:
            executed, ran = executed_notebook(source, root, cache_dir)
        except NotebookError as exc:
            raise PluginError(f"nnkb: notebook {file.src_uri} failed: {exc}") from None
        how = "executed" if ran else "from the cache"
        log.info("nnkb: notebook %s %s (%.2f s)", file.src_uri, how, time.monotonic() - started)
        file.abs_src_path = str(executed)


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    # `mkdocs serve` watches docs/ only; a KB edit should rebuild the generated pages too.
    server.watch(str(kb_root(config)))
    return server


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Material's edit button points at the entry's YAML file, not at a docs/ file.
    if page.file.src_uri in _generated:
        page.edit_url = _generated[page.file.src_uri]
    if page.file.src_uri == "index.md" and _home:
        from nnkb.render.pages.home import HOME_MARKER

        markdown = markdown.replace(HOME_MARKER, _home[0])
    return markdown


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri in _generated:
        # Material prints a title from meta as it is, and one from the heading through
        # `striptags`, which unescapes it (`</title><script>` in a name would become markup).
        # The heading's text is escaped for Markdown (`{` as `&#123;`), which mkdocs then
        # escapes again; the title is the KB's own text, HTML-escaped once.
        title = _titles.get(page.file.src_uri)
        page.meta["title"] = escape(" ".join(title.split())) if title else page.title
    html = fold_footnotes(html)
    if "data-nnkb-chart=" in html:
        page.meta["nnkb_charts"] = True
        problems = unsafe_html(html)
        if problems:
            raise PluginError(f"nnkb: unsafe HTML on {page.file.src_uri}: {'; '.join(problems)}")
    return html


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    if page.file.src_uri == "benchmark/index.md":
        from nnkb.render.build.webbench import isolated_search

        output = isolated_search(output, Path(config.site_dir) / "benchmark")
    # Every page, the notebook's included: nothing is loaded from a CDN.
    return offline_html(output)


def on_post_build(config: MkDocsConfig) -> None:
    # Without the site's address the theme's sitemap lists no page: publish none rather than
    # an empty one.
    if not config.site_url:
        for name in ("sitemap.xml", "sitemap.xml.gz"):
            Path(config.site_dir, name).unlink(missing_ok=True)
    # The "Benchmark this device" page's runtime and models are files, not pages: copied
    # beside the built page from node_modules/ and the models cache (render/build/webbench.py).
    from nnkb.render.build.webbench import WebBenchError, hook_build

    try:
        hook_build(kb_root(config), Path(config.config_file_path).parent, Path(config.site_dir))
    except WebBenchError as exc:
        raise PluginError(str(exc)) from None
