"""What a site build does besides wording pages: the mkdocs hook (`hook.py`), every generated
page and file of one build (`site.py`), the build cache and its content keys (`buildcache.py`),
the executed notebooks (`notebook.py`), the last checks on built HTML (`htmlcheck.py`), the
downloads under api/ (`downloads.py`) and the assets of the benchmark page (`webbench.py`)."""
