"""Render stage: pages generated from kb/ and kb/results/ at site build time.

`nnkb.render.site.render_pages(build_context(kb_root))` returns {docs path: Markdown};
`hook.py` is the mkdocs hook that adds those pages as virtual files. The numbers come from
`nnkb.analysis`; this package only words and lays them out. Nothing is imported here, so modules of
this package can import each other without cycles.
"""
