"""Render stage: pages generated from kb/ and kb/results/ at site build time.

`nnkb.render.build.site.render_pages(build_context(kb_root))` returns {docs path: Markdown};
`build/hook.py` is the mkdocs hook that adds those pages as virtual files. The numbers and
every decision come from `nnkb.analysis`; this package only words and lays them out.

Four layers, each importing only from the ones before it (tests/test_import_cycles.py):
`shared/` (context, links, labels, numbers, Markdown, tables, charts), `sections/` (parts of
pages), `pages/` (one module per kind of page) and `build/` (the hook, the build's pages and
files, caches, notebooks, downloads, checks). Nothing is imported here.
"""
