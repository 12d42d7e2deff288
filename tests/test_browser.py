"""The built site in a real browser: headless Chromium (Debian's chromium package) driven by
Playwright for Python, the site built once from the real KB (`mkdocs build --strict`, committed
results, no bench) and served on 127.0.0.1.

Playwright's own browser download is never used: the tests launch the system's Chromium
(NNKB_CHROMIUM, default /usr/bin/chromium) and skip, saying how to install it, where there is
none. NNKB_SCREENSHOTS=<folder> keeps the screenshots (1280 and 390 px, light and dark).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from browser_env import CHROMIUM, HOW

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}: {HOW}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason=f"no Playwright: {HOW}")

WIDE, NARROW = 1280, 390
DARK_PAPER = "#1e2029"  # docs/javascripts/charts.js: the slate palette's background


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real KB's site, built without a repository set (as a fresh clone builds it)."""
    if not any((ROOT / "kb" / "models").glob("*.yaml")):
        pytest.skip("kb/models is empty")
    site_dir = tmp_path_factory.mktemp("browser") / "site"
    env = {**os.environ, "NNKB_KB": str(ROOT / "kb"), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("NNKB_REPO_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return site_dir


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


class Visit:
    """A browser tab that records console errors and every request to a host not 127.0.0.1
    (which it stops, so that a test never reaches the network)."""

    def __init__(self, browser: Any, width: int, dark: bool = False):
        self.context = browser.new_context(
            viewport={"width": width, "height": 900},
            color_scheme="dark" if dark else "light",
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), self._outside)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _outside(self, route: Any) -> None:
        if urlsplit(route.request.url).scheme in ("data", "blob"):
            route.continue_()
            return
        self.outside.append(route.request.url)
        route.abort()

    def open(self, url: str, charts: bool = False) -> Any:
        """The page, loaded; with charts=True, each chart also scrolled into view (charts.js
        draws a chart only then) and drawn, and the page back at its top."""
        self.page.goto(url, wait_until="load")
        settle(self.page)
        if charts:
            draw_charts(self.page)
        return self.page

    def close(self) -> None:
        self.context.close()


SETTLED = (
    "() => document.readyState === 'complete' && document.body !== null"
    " && (!document.getElementById('nnkb-webbench') || (window.nnkbWebBench || {}).ready)"
)


def settle(page: Any) -> None:
    """Wait until a page that reloads itself has done so: the benchmark page reloads once under
    its service worker (cross-origin isolation), and a navigation started during that reload
    was aborted (net::ERR_ABORTED). A document is settled only once it is complete: right
    after the reload, the new document has no body yet and no benchmark element either, and
    reading it then found nothing. Other pages are settled at load."""
    for attempt in range(3):
        try:
            page.wait_for_function(SETTLED, timeout=60000)
            return
        except sync_api.Error as exc:
            if "context was destroyed" not in str(exc) or attempt == 2:
                raise
            page.wait_for_load_state("load")


def draw_charts(page: Any) -> None:
    page.evaluate(
        "() => document.querySelectorAll('details').forEach(d => {"
        " if (d.querySelector('.plotly-graph-div')) d.open = true; })"
    )
    count = page.locator(".plotly-graph-div").count()
    for index in range(count):
        page.locator(".plotly-graph-div").nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "n => document.querySelectorAll('.plotly-graph-div[data-nnkb-drawn]').length === n",
        arg=count,
    )
    page.evaluate("window.scrollTo(0, 0)")
    # The theme hides its header tabs while the page is scrolled down and fades them in
    # again: let them finish before anything measures colours.
    page.wait_for_timeout(500)


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    opened: list[Visit] = []

    def make(width: int = WIDE, dark: bool = False) -> Visit:
        opened.append(Visit(browser, width, dark))
        return opened[-1]

    yield make
    for tab in opened:
        tab.close()


def pages(site: Path) -> list[str]:
    """Every page of the built site, as its path from the site root."""
    found = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        found.append(relative.removesuffix("index.html"))
    return found


def chart_pages(site: Path) -> list[str]:
    return [p for p in pages(site) if "data-nnkb-chart=" in page_html(site, p)]


def page_html(site: Path, path: str) -> str:
    file = site / path / "index.html" if path == "" or path.endswith("/") else site / path
    return file.read_text(encoding="utf-8")


# --- every page -------------------------------------------------------------------------------


def test_no_console_error_and_no_outside_request_on_any_page(site, base_url, visit):
    tab = visit()
    problems = {}
    for path in pages(site):
        tab.errors.clear()
        tab.outside.clear()
        tab.open(base_url + path, charts="data-nnkb-chart=" in page_html(site, path))
        tab.page.wait_for_load_state("networkidle")
        if tab.errors or tab.outside:
            problems[path] = tab.errors + [f"request to {u}" for u in tab.outside]
    assert len(pages(site)) > 30
    assert not problems, problems


def test_every_link_within_a_page_finds_its_anchor(site):
    """A table of contents or a link to "#x" on the same page lands on an element with that id
    (the notebook's contents once pointed at a heading whose id differs: code in the title)."""
    broken = {}
    for path in pages(site):
        html = page_html(site, path)
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        targets = {unquote(t) for t in re.findall(r'href="#([^"]+)"', html)}
        missing = sorted(targets - ids)
        if missing:
            broken[path] = missing
    assert not broken, broken


NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
)


def test_no_page_scrolls_sideways_on_a_phone(site, base_url, visit):
    """At 390 px wide tables scroll in their own container; the page itself does not."""
    tab = visit(width=NARROW)
    wide = []
    for path in pages(site):
        page = tab.open(base_url + path)
        if not page.evaluate(NO_SIDEWAYS_SCROLL):
            width = page.evaluate("document.documentElement.scrollWidth")
            wide.append(f"{path} ({width} px)")
    assert not wide, wide


# --- tables -----------------------------------------------------------------------------------

SI = {"µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "": 1.0}
_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"


def value(text: str) -> float | None:
    """A cell's value as a reader reads it (independent of tablesort-init.js): a latency in
    seconds, a range's midpoint, a plain number; None for a missing value."""
    text = text.strip()
    span = re.fullmatch(rf"({_NUMBER})\s*(µs|us|ms|s)?\s*[–-]\s*({_NUMBER})\s*(µs|us|ms|s)?", text)
    if span:
        low, low_unit, high, high_unit = span.groups()
        unit = high_unit or ""
        return (float(low) * SI[low_unit or unit] + float(high) * SI[unit]) / 2
    single = re.match(rf"({_NUMBER})\s*(µs|us|ms|s)?(?![\w/])", text)
    if single:
        return float(single.group(1).replace(",", "")) * SI[single.group(2) or ""]
    return None


def column_after_click(page: Any, table: Any, header: str, clicks: int = 1) -> list[str]:
    # A table is laid out only near the screen (content-visibility): its text is read there.
    table.scroll_into_view_if_needed()
    cells = table.locator("thead th")
    titles = [t.strip() for t in cells.all_inner_texts()]
    index = next(i for i, t in enumerate(titles) if header in t)
    for _ in range(clicks):
        cells.nth(index).click()
    return [
        text.strip()
        for text in table.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()
    ]


def numeric_order(texts: list[str]) -> str:
    """The numeric order of the values, "ascending" or "descending" (missing values may sit
    anywhere); fails when they are in neither."""
    present = [v for v in map(value, texts) if v is not None]
    assert len(set(present)) >= 2, texts
    if present == sorted(present):
        return "ascending"
    assert present == sorted(present, reverse=True), texts
    return "descending"


def table_with(page: Any, header: str) -> Any:
    return page.locator("article table", has=page.locator("thead th", has_text=header)).first


def show_all_columns(page: Any, table: Any) -> None:
    """Unfold this table's detail columns (javascripts/columns.js): the button above it, once
    the script has put it there (each measured table has its own)."""
    table.scroll_into_view_if_needed()
    handle = table.element_handle()
    page.wait_for_function(
        """(table) => (table.closest('.md-typeset__scrollwrap') || table)
            .previousElementSibling?.classList.contains('nnkb-columns-toggle')""",
        arg=handle,
    )
    page.evaluate(
        """(table) => {
            const button = (table.closest('.md-typeset__scrollwrap') || table)
                .previousElementSibling;
            if (button.getAttribute('aria-expanded') === 'false') button.click();
        }""",
        handle,
    )


UNFOLD = "() => document.querySelectorAll('article details').forEach(d => { d.open = true; })"


def test_latency_and_interval_columns_sort_as_numbers(site, base_url, visit):
    page = visit().open(base_url + "use_cases/image-classification/")
    page.evaluate(UNFOLD)  # the per-machine tables are folded under the recommendation
    table = table_with(page, "CI of median")
    show_all_columns(page, table)
    # As text, "12.5–12.6 ms" would sort before "6.78–6.82 ms" and µs beside ms.
    first = numeric_order(column_after_click(page, table, "CI of median"))
    second = numeric_order(column_after_click(page, table, "CI of median"))
    assert {first, second} == {"ascending", "descending"}  # a second click reverses
    numeric_order(column_after_click(page, table, "Median"))


MIXED_COLUMNS = """() => {
  const found = [];
  document.querySelectorAll('article table:not([class])').forEach(table => {
    if (table.closest('.nnkb-key-value') || !table.tHead) return;
    Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
      const texts = Array.from(table.tBodies[0].rows).map(r => r.cells[i])
        .filter(Boolean).map(c => c.textContent.trim());
      const times = texts.filter(t => /^\\d[\\d.,]*\\s*(µs|ms|s)$/.test(t)).length;
      const words = texts.filter(t => /^[a-z][a-z ]+$/i.test(t)).length;
      if (times >= 2 && words >= 1) found.push({header: th.textContent.trim(),
        method: th.getAttribute('data-sort-method')});
    });
  });
  return found;
}"""


def test_columns_mixing_times_and_statuses_sort_as_numbers(site, base_url, visit):
    """A column of latencies with "not benchmarked" in some rows sorts by the numbers (as text,
    41.8 ms < 687 µs < 9.00 ms), the statuses after them."""
    tab = visit()
    mixed = {}
    for path in pages(site):
        if path.startswith(("use_cases/", "machines/", "models/", "comparisons/")):
            columns = tab.open(base_url + path).evaluate(MIXED_COLUMNS)
            if columns:
                mixed[path] = columns
    assert mixed, "no column mixes times and statuses: the test checks nothing"
    wrong = {p: c for p, c in mixed.items() if any(x["method"] != "nnkb-quantity" for x in c)}
    assert not wrong, wrong
    path, columns = next(iter(mixed.items()))
    page = tab.open(base_url + path)
    page.evaluate(UNFOLD)
    table = table_with(page, columns[0]["header"])
    table.scroll_into_view_if_needed()
    for toggle in page.locator(".nnkb-columns-toggle[aria-expanded=false]").all():
        if toggle.is_visible():
            toggle.click()  # every column shown (javascripts/columns.js folds some)
    texts = column_after_click(page, table, columns[0]["header"])
    missing = [value(t) is None for t in texts]
    # The statuses together at one end, the numbers in order.
    assert missing == sorted(missing) or missing == sorted(missing, reverse=True), texts
    numeric_order(texts)


def test_models_index_sorts_its_numbers(site, base_url, visit):
    page = visit().open(base_url + "models/")
    table = table_with(page, "Parameters")
    texts = column_after_click(page, table, "Parameters")
    scaled = [re.sub(r"(\d)\s*(k|M|G)\d*$", r"\1 \2", t) for t in texts]
    factor = {"k": 1e3, "M": 1e6, "G": 1e9}
    numbers = []
    for text in scaled:
        match = re.match(rf"({_NUMBER}) ?(k|M|G)?$", text)
        if match:
            numbers.append(float(match.group(1)) * factor.get(match.group(2) or "", 1.0))
    assert len(set(numbers)) >= 5, texts
    assert numbers in (sorted(numbers), sorted(numbers, reverse=True)), texts


def test_key_value_tables_are_not_sortable(site, base_url, visit):
    page = visit().open(base_url + "models/resnet-50/")
    table = page.locator(".nnkb-key-value table").first
    before = table.locator("tbody").inner_text()
    table.locator("thead th").first.click()
    assert table.locator("tbody").inner_text() == before
    assert table.locator("thead th[role=columnheader]").count() == 0


# --- search, tabs -----------------------------------------------------------------------------


def wait_for_search(page: Any) -> None:
    """Until the theme's search worker has its index (the theme then invites typing): a query
    typed before is not run again."""
    page.wait_for_function(
        "() => /type to start/i.test("
        "document.querySelector('.md-search-result__meta').textContent)",
        timeout=30000,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [("MobileNetV2", "MobileNetV2"), ("OpenVINO", "OpenVINO"), ("anomaly", "Anomaly detection")],
)
def test_search_finds_a_model_a_runtime_and_a_use_case(site, base_url, visit, query, expected):
    page = visit().open(base_url)
    search = page.locator("input.md-search__input")  # in the header at 1280 px
    search.click()
    wait_for_search(page)
    search.press_sequentially(query, delay=50)  # as a reader types it
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30000)  # the index loads in a worker
    assert expected.casefold() in results.first.inner_text().casefold() or any(
        expected.casefold() in t.casefold() for t in results.all_inner_texts()
    )


def test_search_works_on_the_cross_origin_isolated_benchmark_page(site, base_url, visit):
    """The benchmark page's isolation (COEP, from its service worker) blocked the theme's
    search worker (net::ERR_BLOCKED_BY_RESPONSE): search never started there."""
    tab = visit()
    page = tab.open(base_url + "benchmark/")
    page.locator("#nnkb-wb-start").wait_for(timeout=60000)  # reloaded, isolated
    assert page.evaluate("window.crossOriginIsolated") is True
    search = page.locator("input.md-search__input")
    search.click()
    wait_for_search(page)  # it said "Initializing search" for ever
    search.press_sequentially("OpenVINO", delay=50)  # as a reader types it
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30000)
    assert any("openvino" in t.casefold() for t in results.all_inner_texts())
    assert not [e for e in tab.errors if "search" in e.casefold()], tab.errors


def test_install_tabs_switch(site, base_url, visit):
    page = visit().open(base_url + "frameworks/install/")
    tabs = page.locator(".tabbed-set").first
    blocks = tabs.locator(".tabbed-content > .tabbed-block")
    assert blocks.count() >= 2
    assert blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    tabs.locator(".tabbed-labels > label").nth(1).click()
    assert blocks.nth(1).is_visible() and not blocks.nth(0).is_visible()


# --- charts -----------------------------------------------------------------------------------

CHARTS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => ({
  id: gd.id,
  paper: gd._fullLayout && gd._fullLayout.paper_bgcolor,
  hidden: !!(gd.layout.xaxis && gd.layout.xaxis.visible === false),
  xticks: gd.querySelectorAll('.xtick text').length,
  yticks: gd.querySelectorAll('.ytick text').length,
}))"""


def palette_toggle(page: Any) -> None:
    page.locator("form[data-md-component=palette] label:visible").first.click()


def test_charts_draw_their_axes_and_follow_the_dark_palette(site, base_url, visit):
    paths = chart_pages(site)
    assert paths
    tab = visit()
    for path in paths:
        page = tab.open(base_url + path, charts=True)
        charts = page.evaluate(CHARTS)
        assert charts, path
        for chart in charts:
            assert chart["paper"] in ("white", "#fff", "#ffffff"), (path, chart)
            if not chart["hidden"]:
                assert chart["xticks"] and chart["yticks"], (path, chart)
        palette_toggle(page)
        page.wait_for_function(
            "paper => Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".every(gd => gd._fullLayout.paper_bgcolor === paper)",
            arg=DARK_PAPER,
        )
        palette_toggle(page)  # back to light; the next page opens in it too
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".every(gd => gd._fullLayout.paper_bgcolor === 'white')"
        )


def test_chart_legends_go_below_the_plot_on_a_phone(site, base_url, visit):
    """At 390 px each legend sits below the plot area (where it overlaps neither the title nor
    the toolbar) and inside the chart's box."""
    page = visit(width=NARROW).open(base_url + chart_pages(site)[0], charts=True)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
        ".every(gd => gd._fullLayout && gd._fullLayout.legend.yref === 'container')"
    )
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.plotly-graph-div'))
        .filter(gd => gd.querySelector('.legend'))
        .map(gd => ({
          legend: gd.querySelector('.legend').getBoundingClientRect().toJSON(),
          plot: gd.querySelector('.nsewdrag').getBoundingClientRect().toJSON(),
          chart: gd.getBoundingClientRect().toJSON(),
        }))"""
    )
    assert boxes
    for box in boxes:
        assert box["legend"]["top"] >= box["plot"]["bottom"], box
        assert box["legend"]["bottom"] <= box["chart"]["bottom"] + 1, box


# --- screenshots ------------------------------------------------------------------------------

SHOTS = {
    "home": "",
    "use-case": "use_cases/image-classification/",
    "runtimes": "comparisons/runtimes/",
    "models": "models/",
}


def test_screenshots_light_and_dark_wide_and_narrow(site, base_url, visit, tmp_path):
    folder = Path(os.environ.get("NNKB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for width in (WIDE, NARROW):
        for dark in (False, True):
            tab = visit(width=width, dark=dark)
            for name, path in SHOTS.items():
                page = tab.open(base_url + path, charts=True)
                scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
                assert scheme == ("slate" if dark else "default"), (name, scheme)
                shot = folder / f"{name}-{width}-{'dark' if dark else 'light'}.png"
                page.screenshot(path=str(shot), full_page=False)
                assert shot.stat().st_size > 10_000
    if not os.environ.get("NNKB_SCREENSHOTS"):
        shutil.rmtree(folder, ignore_errors=True)


def test_the_benchmark_page_offers_the_small_models_as_bench_measures_them(
    site: Path, base_url: str, visit: Any
) -> None:
    import json

    from nnkb.results import load_all

    tab = visit()
    page = tab.open(base_url + "benchmark/")
    # The page reloads itself once under its service worker (cross-origin isolation).
    page.locator("#nnkb-wb-start").wait_for(timeout=60000)
    offered = [b.get_attribute("value") for b in page.locator("#nnkb-wb-models input").all()]
    assert "squeezenet-1-1" in offered
    assert "resnet-50" not in offered  # over 15 MB
    assert page.evaluate("window.crossOriginIsolated") is True
    assert tab.errors == [] and tab.outside == []
    manifest = json.loads((site / "benchmark" / "manifest.json").read_text())
    assert (
        manifest["runtime"]["version"]
        == json.loads((ROOT / "package-lock.json").read_text())["packages"][
            "node_modules/onnxruntime-web"
        ]["version"]
    )
    measured = {(r.model, r.model_sha256) for f in load_all(ROOT / "kb") for r in f.rows}
    for model in manifest["models"]:
        if any(m == model["id"] for m, _ in measured):
            assert (model["id"], model["sha256"]) in measured


# --- the home page's answer ---------------------------------------------------------------------

GRID = ".nnkb-home-grid"


def grid_links(page: Any) -> list[str]:
    return page.eval_on_selector_all(f"{GRID} a", "links => links.map(a => a.href)")


def test_home_grid_answers_first_and_fits_a_phone(site, base_url, visit):
    """At 1280 px the grid is a table of use cases by hardware columns; at 390 px it stacks into
    one card per use case, all in view without sideways scrolling."""
    wide = visit().open(base_url)
    # The latency grid first; published throughputs have a table of their own below it.
    grid = wide.locator(GRID).first
    columns = grid.locator("thead th").count()
    rows = grid.locator("tbody tr").count()
    machines = len(list((ROOT / "kb" / "results").glob("*.json")))
    hardware = len(list((ROOT / "kb" / "hardware").glob("*.yaml")))
    assert rows == len(list((ROOT / "kb" / "use_cases").glob("*.yaml")))
    assert columns >= 1 + hardware  # the use case, then each class (a measured one per machine)
    assert columns <= 1 + hardware + machines
    # The grid comes before the guide, and the chart between them.
    order = wide.evaluate(
        """() => {
          const grid = document.querySelector('.nnkb-home-grid');
          const chart = document.querySelector('.plotly-graph-div');
          const guide = document.getElementById('how-to-use-this-site');
          const before = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
          return {chart: before(grid, chart), guide: before(chart, guide)};
        }"""
    )
    assert order == {"chart": True, "guide": True}
    phone = visit(width=NARROW).open(base_url)
    assert phone.evaluate(NO_SIDEWAYS_SCROLL)
    boxes = phone.eval_on_selector_all(
        f"{GRID} td, {GRID} th[scope=row]",
        "cells => cells.map(c => c.getBoundingClientRect().toJSON())",
    )
    assert boxes and all(b["right"] <= NARROW + 0.5 and b["width"] > 0 for b in boxes), boxes
    # On a phone each cell says which column it is.
    labels = phone.eval_on_selector_all(
        f"{GRID} td", "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert all(label not in ("none", "normal", '""') for label in labels)


def test_home_grid_links_resolve_to_the_reasoning(site, base_url, visit):
    page = visit().open(base_url)
    links = grid_links(page)
    assert len(links) > 10
    for link in sorted(set(links)):
        path, _, anchor = link.removeprefix(base_url).partition("#")
        target = site / path / "index.html" if path.endswith("/") or not path else site / path
        assert target.is_file(), link
        if anchor:
            assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), link


# --- measured tables: key columns first -------------------------------------------------------


def test_measured_tables_fold_their_detail_columns_behind_a_toggle(site, base_url, visit):
    page = visit().open(base_url + "models/resnet-50/")
    table = table_with(page, "Process spread")
    toggle = page.locator(".nnkb-columns-toggle").first
    header = table.locator("thead th", has_text="Process spread")
    median = table.locator("thead th", has_text="Median")
    assert median.first.is_visible() and not header.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert header.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert not header.is_visible()
    # The key columns stay: model or runtime, median, status.
    shown = [t.strip() for t in table.locator("thead th:visible").all_inner_texts()]
    assert any(t.startswith("Median") for t in shown) and "Status" in shown, shown


# --- readers' words ---------------------------------------------------------------------------


def internal_ids() -> list[str]:
    """Ids the pipeline carries that a reader must never see in prose or a chart label: the
    benchmarked models, the runtimes' adapter names, the use cases, hardware classes and row
    statuses. (KB-authored text may quote a command with a model's own name in it; those
    models, never benchmarked, are not in this list.)"""
    sys.path.insert(0, str(ROOT / "scripts"))
    from nnkb.kb import load_kb
    from nnkb.results import load_all

    kb = load_kb(ROOT / "kb")
    ids = {row.model for results in load_all(ROOT / "kb") for row in results.rows}
    ids |= {row.runtime for results in load_all(ROOT / "kb") for row in results.rows}
    ids |= set(kb.use_cases) | set(kb.hardware)
    ids |= {"not-benchmarked", "not-measured", "not-applicable", "not-eligible"}
    return sorted(ids, key=len, reverse=True)


# Visible words of the article: code, commands, notebook cells and downloads' file names are
# the program's own and keep their ids; link targets are not text.
READER_TEXT = """() => {
  const article = (document.querySelector('article') || document.body).cloneNode(true);
  article.querySelectorAll('pre, code, kbd, script, style, .highlight, .jp-CodeCell, '
    + '.jp-OutputArea, .plotly-graph-div, a[download]').forEach(e => e.remove());
  const charts = Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
    const words = [];
    const add = v => { if (typeof v === 'string') words.push(v); };
    (gd.data || []).forEach(t => {
      add(t.name);
      [t.text, t.x, t.y].forEach(v => (Array.isArray(v) ? v.flat() : [v]).forEach(add));
    });
    const layout = gd.layout || {};
    Object.keys(layout).forEach(k => {
      if (/^[xy]axis/.test(k) && layout[k].title) add(layout[k].title.text);
    });
    if (layout.title) add(layout.title.text);
    (layout.annotations || []).forEach(a => add(a.text));
    return words.join(' | ');
  });
  return {text: article.textContent, charts: charts.join(' || ')};
}"""


def test_no_internal_id_in_prose_or_chart_labels_on_any_page(site, base_url, visit):
    ids = internal_ids()
    pattern = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, ids)) + r")(?![\w/-])")
    tab = visit()
    found = {}
    for path in pages(site):
        page = tab.open(base_url + path, charts="data-nnkb-chart=" in page_html(site, path))
        words = page.evaluate(READER_TEXT)
        for where, text in words.items():
            hits = sorted({m.group(1) for m in pattern.finditer(text)})
            if hits:
                found[f"{path} ({where})"] = hits
    assert "padim-resnet-18" in ids and "openvino" in ids and "not-benchmarked" in ids
    assert not found, found


def test_statuses_and_machines_in_words(site, base_url, visit):
    page = visit().open(base_url + "use_cases/text-recognition/")
    page.evaluate(UNFOLD)  # the all-machines table is folded
    text = page.locator("article").inner_text()
    assert "not benchmarked" in text
    # Machines are named from their fingerprint: vendor, instruction sets, vCPUs, memory.
    machines = visit().open(base_url + "machines/")
    names = machines.locator("article").inner_text()
    assert re.search(r"AMD EPYC, AVX2 \(Zen 1 to Zen 3 class\), 2 vCPUs, \d+ GiB, cloud VM", names)


TICK_BOXES = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => ({
  id: gd.id,
  modebar: gd.querySelector('.modebar-container')
    ? getComputedStyle(gd.querySelector('.modebar-container')).display : 'none',
  x: Array.from(gd.querySelectorAll('.xtick text')).map(t => t.getBoundingClientRect().toJSON()),
  y: Array.from(gd.querySelectorAll('.ytick text')).map(t => t.getBoundingClientRect().toJSON()),
}))"""


def overlapping(boxes: list[dict[str, float]]) -> bool:
    return any(
        a["left"] < b["right"] - 1
        and b["left"] < a["right"] - 1
        and a["top"] < b["bottom"] - 1
        and b["top"] < a["bottom"] - 1
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["width"] and b["width"]
    )


def test_charts_on_a_phone_have_no_toolbar_and_no_overprinted_ticks(site, base_url, visit):
    tab = visit(width=NARROW)
    for path in chart_pages(site):
        page = tab.open(base_url + path, charts=True)
        # charts.js keeps each figure's own layout once it has laid it out for the width.
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".every(gd => gd._fullLayout && gd._nnkbOwn)"
        )
        page.wait_for_timeout(300)  # the relayout's redraw
        for chart in page.evaluate(TICK_BOXES):
            assert chart["modebar"] == "none", (path, chart["id"])
            assert not overlapping(chart["x"]) and not overlapping(chart["y"]), (path, chart["id"])


# --- accessibility ----------------------------------------------------------------------------

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# What axe checks: WCAG 2.1 A and AA and its best practices, as Lighthouse's audit does.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    for attempt in range(3):
        try:
            page.add_script_tag(path=str(AXE))
            return page.evaluate(AXE_RUN)
        except sync_api.Error as exc:
            # The benchmark page reloads itself once its service worker has made it
            # cross-origin isolated: check the page it became.
            if "context was destroyed" not in str(exc) or attempt == 2:
                raise
            page.wait_for_load_state("load")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def axe() -> None:
    if not AXE.is_file():
        pytest.skip("no axe-core in node_modules/: npm ci (package-lock.json pins it)")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(site, base_url, visit, axe, dark):
    """axe-core (the version package-lock.json pins) on every page, charts drawn, at 1280 px
    in the light palette and on a phone in the dark one."""
    tab = visit(width=NARROW if dark else WIDE, dark=dark)
    found = {}
    for path in pages(site):
        page = tab.open(base_url + path, charts="data-nnkb-chart=" in page_html(site, path))
        if path.startswith("benchmark/"):
            # It reloads itself once its service worker isolates it: check the page it becomes.
            page.locator("#nnkb-wb-start").wait_for(timeout=60000)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert not found, found


def test_links_in_text_are_underlined_and_the_search_dialog_has_a_name(site, base_url, visit):
    page = visit().open(base_url + "concepts/choosing/")
    decoration = page.evaluate(
        "() => getComputedStyle(document.querySelector('article p a:not(.headerlink)'))"
        ".textDecorationLine"
    )
    assert decoration == "underline"
    assert page.get_attribute(".md-search[role=dialog]", "aria-label")


# --- defects a reader saw ---------------------------------------------------------------------

BROKEN_WORDS = """() => {
  const broken = [];
  document.querySelectorAll('.nnkb-home-grid td, .nnkb-home-grid th').forEach(cell => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const word = /[^\\s\\-–\\/]+/g;
      let m;
      while ((m = word.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set(Array.from(range.getClientRects())
          .filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  });
  return broken;
}"""


def test_home_grid_breaks_lines_between_words_only(site, base_url, visit):
    for width in (WIDE, NARROW):
        page = visit(width=width).open(base_url)
        assert page.locator(".nnkb-home-grid td").count() > 10
        assert page.evaluate(BROKEN_WORDS) == [], width


def test_the_benchmark_budget_field_has_a_border(site, base_url, visit):
    page = visit().open(base_url + "benchmark/")
    field = page.locator("#nnkb-wb-budget")
    field.wait_for(timeout=60000)
    style = field.evaluate(
        "f => { const s = getComputedStyle(f); return [s.borderTopWidth, s.borderTopStyle]; }"
    )
    assert style[0] != "0px" and style[1] not in ("none", "hidden"), style


CHART_BOXES = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const box = e => e.getBoundingClientRect().toJSON();
  const all = sel => Array.from(gd.querySelectorAll(sel)).map(box).filter(b => b.width > 0);
  const one = sel => { const e = gd.querySelector(sel); return e ? box(e) : null; };
  return {
    id: gd.id,
    chart: box(gd),
    scrolls: !!gd.closest('.nnkb-chart-scroll'),
    plot: one('.nsewdrag'),
    title: one('.g-gtitle text'),
    axisTitles: all('.g-xtitle text, .g-ytitle text'),
    xticks: all('.xtick text'),
    xgroups: all('.xtick2 text'),
    yticks: all('.ytick text'),
    points: all('.textpoint text'),
  };
})"""


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 1
        and inner["right"] <= outer["right"] + 1
        and inner["top"] >= outer["top"] - 1
        and inner["bottom"] <= outer["bottom"] + 1
    )


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_chart_labels_neither_overprint_nor_leave_the_chart(site, base_url, visit, width):
    """Tick labels, machine names under grouped bars and the points' labels stay apart; axis
    titles stay inside the chart and off its title; a plot keeps room to show its bars (at
    390 px the throughput charts had a 75 px plot under 300 px of labels, the home chart's
    axis title was cut, and at 1280 px machine names ran together and labels overprinted)."""
    tab = visit(width=width)
    problems = []
    for path in chart_pages(site):
        page = tab.open(base_url + path, charts=True)
        page.wait_for_timeout(300)  # charts.js's relayout
        for chart in page.evaluate(CHART_BOXES):
            where = f"{path} {chart['id']}"
            for group in ("xticks", "xgroups", "yticks", "points"):
                if overlapping(chart[group]):
                    problems.append(f"{where}: {group} overprint")
            for title in chart["axisTitles"]:
                if not inside(title, chart["chart"]):
                    problems.append(f"{where}: axis title outside the chart")
                if chart["title"] and overlapping([title, chart["title"]]):
                    problems.append(f"{where}: axis title over the chart title")
            if chart["plot"] and chart["plot"]["height"] < 150:
                problems.append(f"{where}: plot {chart['plot']['height']:.0f} px high")
    assert not problems, problems


# --- page length --------------------------------------------------------------------------------

PHONE_PAGE_MAX_PX = 8000
READ_TO_THE_END = """async () => {
  for (let pass = 0; pass < 2; pass++) {
    for (let y = 0; y < document.documentElement.scrollHeight; y += 600) {
      window.scrollTo(0, y);
      await new Promise((done) => requestAnimationFrame(() => done()));
    }
  }
  window.scrollTo(0, 0);
}"""


def test_use_case_pages_fit_a_phone(site, base_url, visit):
    """A use case page is at most PHONE_PAGE_MAX_PX tall at 390 px: its answer first, the
    detail folded (machines, hardware classes, tables, sources)."""
    tab = visit(width=NARROW)
    heights = {}
    for path in pages(site):
        if path.startswith("use_cases/") and path != "use_cases/":
            page = tab.open(base_url + path)
            # Tables are laid out as they come near the screen (content-visibility): the page
            # is read to its end first, so each has its real height, not its placeholder's.
            page.evaluate(READ_TO_THE_END)
            heights[path] = page.evaluate("document.documentElement.scrollHeight")
    assert len(heights) >= 6, heights
    tall = {path: h for path, h in heights.items() if h > PHONE_PAGE_MAX_PX}
    assert not tall, tall
