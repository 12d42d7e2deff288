"""Where the browser tests find Chromium, and what to tell a reader who has none (shared by
tests/test_browser.py and tests/test_webbench.py)."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("NNKB_CHROMIUM", "/usr/bin/chromium"))
HOW = (
    "the browser tests need Chromium and Playwright for Python: `apt-get install chromium` "
    "(or set NNKB_CHROMIUM to a Chromium binary) and `pip install -r requirements.txt`; "
    "never `playwright install`"
)
