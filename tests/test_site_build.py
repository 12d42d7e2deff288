"""`mkdocs build --strict` on the fixture KB and on the real kb/: pages, links, escaping.

The fixture build uses a small mkdocs.yml that INHERITs the project's and swaps docs/ for a
one-page docs folder, so hand-written concept pages (which link to real entries) stay out.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from nnkb.cited import load_cited
from nnkb.kb import load_kb
from test_render_downloads import strict_loads

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KB = ROOT / "tests" / "fixtures" / "site_kb"
SECTIONS = ("use_cases", "hardware")  # in the fixture sites' nav besides models and frameworks
TWO_MACHINE_KB = ROOT / "tests" / "fixtures" / "analysis_kb"
REPO = "https://github.com/nnkb/nnkb"
HOSTILE_NAME = (
    "Hostile</title><script>alert(1)</script>Net <img src=x onerror=alert(2)> {{ config }}"
)


def mkdocs_warnings(stderr: str) -> list[str]:
    """mkdocs' own warnings; the notebook kernel's notice about its local TCP socket is not one."""
    return [line for line in stderr.splitlines() if line.startswith("WARNING")]


def mkdocs_build(
    config: Path, kb: Path, site_dir: Path, repo_url: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NNKB_KB": str(kb), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("NNKB_REPO_URL", None)
    if repo_url:
        env["NNKB_REPO_URL"] = repo_url
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(config),
            "-d",
            str(site_dir),
        ],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_script = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def built_site(tmp_path_factory, site_config, kb: Path, repo_url: str = "") -> Path:
    work = tmp_path_factory.mktemp("fixture-site")
    site = work / "site"
    result = mkdocs_build(site_config(work, sections=SECTIONS), kb, site, repo_url)
    assert result.returncode == 0, result.stderr
    assert not mkdocs_warnings(result.stderr), result.stderr
    return site


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory, site_config) -> Path:
    return built_site(tmp_path_factory, site_config, FIXTURE_KB, repo_url=REPO)


@pytest.fixture(scope="module")
def two_machine_site(tmp_path_factory, site_config) -> Path:
    """The analysis fixture: results of two machines in kb/results/."""
    return built_site(tmp_path_factory, site_config, TWO_MACHINE_KB)


@pytest.fixture(scope="module", params=["fixture_site", "two_machine_site"])
def any_site(request) -> Path:
    return request.getfixturevalue(request.param)


def test_generated_pages_exist(fixture_site):
    for page in [
        "models/resnet-18",
        "models/hostile-net",
        "use_cases/image-classification",
        "frameworks/caffe2",
        "frameworks/install",
        "hardware/x86-cpu",
        "hardware",
    ]:
        assert (fixture_site / page / "index.html").is_file(), page


def test_internal_links_resolve(any_site):
    fixture_site = any_site
    checked = 0
    for html in fixture_site.rglob("*.html"):
        if html.name == "404.html":  # links from the site root, wherever it is served
            continue
        for tag, attrs in parse(html).tags:
            href = attrs.get("href") if tag == "a" else None
            if not href or urlsplit(href).scheme or href.startswith("#"):
                continue
            target = (html.parent / unquote(urlsplit(href).path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{html.relative_to(fixture_site)} links to missing {href}"
            checked += 1
    assert checked > 100


def test_model_and_use_case_link_each_other(fixture_site):
    model = parse(fixture_site / "models/resnet-18/index.html")
    use_case = parse(fixture_site / "use_cases/image-classification/index.html")
    assert any(a.get("href") == "../../use_cases/image-classification/" for t, a in model.tags)
    assert any(a.get("href") == "../../models/resnet-18/" for t, a in use_case.tags)


def test_edit_button_points_at_the_yaml_file(fixture_site):
    page = parse(fixture_site / "models/resnet-18/index.html")
    hrefs = [a.get("href") for t, a in page.tags if t == "a"]
    assert hrefs.count(f"{REPO}/edit/main/kb/models/resnet-18.yaml") == 2  # button and link
    index = parse(fixture_site / "models/index.html")
    assert not any("/edit/" in (a.get("href") or "") for t, a in index.tags)


def test_every_entry_page_has_its_edit_link_and_the_header_names_the_repository(fixture_site):
    entries = 0
    for collection in ("models", "frameworks", "use_cases", "hardware"):
        for html in (fixture_site / collection).glob("*/index.html"):
            entry = html.parent.name
            if not (FIXTURE_KB / collection / f"{entry}.yaml").is_file():
                continue
            entries += 1
            hrefs = [a.get("href") for t, a in parse(html).tags if t == "a"]
            assert f"{REPO}/edit/main/kb/{collection}/{entry}.yaml" in hrefs, html
            assert REPO in hrefs, html  # the header's repository link
    assert entries > 3


def test_the_sitemap_lists_every_page_at_the_published_address(fixture_site, two_machine_site):
    """With a github.com repository the site's address is its GitHub Pages one; without any
    address the theme's sitemap would list no page, and none is published."""
    sitemap = (fixture_site / "sitemap.xml").read_text(encoding="utf-8")
    listed = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    pages = list(fixture_site.rglob("index.html"))
    assert len(listed) >= len(pages) - 1 > 5  # every page but the 404 one
    assert all(url.startswith("https://nnkb.github.io/nnkb/") for url in listed), listed[:3]
    assert "https://nnkb.github.io/nnkb/models/resnet-18/" in listed
    assert not (two_machine_site / "sitemap.xml").exists()


def test_pages_url_of_a_repository():
    from nnkb.render.build.hook import pages_url

    assert pages_url("https://github.com/Owner/nnkb") == "https://owner.github.io/nnkb/"
    assert pages_url("https://github.com/owner/owner.github.io/") == "https://owner.github.io/"
    assert pages_url("https://gitlab.com/owner/nnkb") is None


def test_abbreviations_are_explained_on_hover(fixture_site):
    page = (fixture_site / "models/resnet-18/index.html").read_text(encoding="utf-8")
    assert '<abbr title="32-bit floating point' in page
    assert "*[FP32]" not in page  # the appended list itself is not shown


def test_without_a_repository_no_widget_and_no_edit_links(two_machine_site):
    """Built without NNKB_REPO_URL: nothing names, links to or asks about a repository."""
    for html in two_machine_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert 'class="md-source"' not in text, html  # the widget that asks api.github.com
        assert "/edit/" not in text and "Edit this entry" not in text, html


def test_install_page_has_content_tabs(fixture_site):
    page = parse(fixture_site / "frameworks/install/index.html")
    labels = [text.strip() for text in page.text if text.strip() in ("Windows", "macOS", "Linux")]
    assert labels[:3] == ["Windows", "macOS", "Linux"]
    assert any(t == "div" and "tabbed-set" in (a.get("class") or "") for t, a in page.tags)


@pytest.mark.parametrize(
    "page",
    [
        "models/hostile-net/index.html",
        "models/index.html",
        "use_cases/image-classification/index.html",
    ],
)
def test_hostile_kb_text_is_shown_not_executed(fixture_site, page):
    html = parse(fixture_site / page)
    assert not [t for t, a in html.tags if t == "img"], "an <img> reached the page"
    for tag, attrs in html.tags:
        assert not [k for k in attrs if k.startswith("on")], f"<{tag}> has an event handler"
        for key in ("href", "src"):
            value = "".join((attrs.get(key) or "").split()).lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, value)
        if tag == "script":
            assert (
                attrs.get("src") is None
                or "/assets/" in attrs["src"]
                or attrs["src"].startswith("../")
            )
    assert not [s for s in html.scripts if "alert(" in s], "KB text reached a <script>"
    text = "".join(html.text)
    assert HOSTILE_NAME in text


def test_page_title_is_the_entry_text_escaped_once(fixture_site):
    page = (fixture_site / "models/hostile-net/index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert title is not None
    assert title.group(1) == html_escape(HOSTILE_NAME) + " - nnkb"
    parsed = parse(fixture_site / "models/hostile-net/index.html")
    assert f"{HOSTILE_NAME} - nnkb" in parsed.text  # what a browser's tab shows
    assert "&#123;" not in "".join(parsed.text)


def test_search_index_keeps_kb_text_escaped(fixture_site):
    index = json.loads((fixture_site / "search" / "search_index.json").read_text())
    hostile = [d for d in index["docs"] if d["location"].startswith("models/hostile-net/")]
    assert hostile
    for doc in hostile:
        for field in ("title", "text"):
            assert "<script" not in doc[field] and "<img" not in doc[field], doc[field]
    assert "&lt;script&gt;alert(4)" in " ".join(d["text"] for d in hostile)


def test_plotly_is_served_but_loaded_only_where_a_chart_is(fixture_site):
    # The cartesian bundle (about 1.5 MB), not the full one (4.8 MB).
    assert 1_000_000 < (fixture_site / "javascripts/plotly-cartesian.min.js").stat().st_size
    assert not (fixture_site / "javascripts" / "plotly.min.js").exists()
    page = parse(fixture_site / "models/resnet-18/index.html")
    assert not [a for t, a in page.tags if t == "script" and "plotly" in (a.get("src") or "")]


def test_a_chart_section_gets_the_chart_script_deferred(tmp_path, monkeypatch, site_config):
    # In-process build, so a section added to the page builder's list takes part.
    import plotly.graph_objects as go
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from nnkb.render.pages import entries
    from nnkb.render.shared.charts import to_div

    def chart(page, model):
        figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
        return "## Chart\n\n" + to_div(figure, f"chart-{model.id}")

    monkeypatch.setattr(entries, "MODEL_SECTIONS", [*entries.MODEL_SECTIONS, chart])
    monkeypatch.setitem(entries.SECTIONS, "models", entries.MODEL_SECTIONS)
    monkeypatch.setenv("NNKB_KB", str(FIXTURE_KB))
    site = tmp_path / "site"
    build(
        load_config(str(site_config(tmp_path, sections=SECTIONS)), site_dir=str(site), strict=True)
    )
    html = (site / "models/resnet-18/index.html").read_text(encoding="utf-8")
    head, body = html.split("</head>", 1)
    # Nothing of the charts in <head>: charts.js, deferred, fetches plotly.js when it needs it.
    assert "plotly" not in head and "charts.js" not in head
    assert 'defer src="../../javascripts/charts.js"' in body
    assert 'data-plotly="../../javascripts/plotly-cartesian.min.js"' in body
    assert 'id="chart-resnet-18"' in body
    assert "charts.js" not in (site / "models/index.html").read_text(encoding="utf-8")


def test_invalid_kb_stops_the_build_with_the_validator_message(tmp_path, site_config, kb_copy):
    kb = kb_copy(tmp_path / "kb", FIXTURE_KB)
    entry = kb / "models" / "resnet-18.yaml"
    entry.write_text(entry.read_text().replace("\nfamily: ResNet", "\nfamly: ResNet"))
    work = tmp_path / "work"
    work.mkdir()
    result = mkdocs_build(site_config(work, sections=SECTIONS), kb, tmp_path / "site")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "resnet-18.yaml:3:1: resnet-18.famly: unknown field 'famly'" in result.stderr


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    """The site of the real kb/, built once with the project's mkdocs.yml."""
    if not any((ROOT / "kb" / "models").glob("*.yaml")):
        pytest.skip("kb/models is empty")
    site = tmp_path_factory.mktemp("real-site") / "site"
    result = mkdocs_build(ROOT / "mkdocs.yml", ROOT / "kb", site)
    assert result.returncode == 0, result.stderr
    assert not mkdocs_warnings(result.stderr), result.stderr
    return site


def test_real_kb_builds_strict(real_site):
    tmp_path = real_site.parent
    models = [p.stem for p in (ROOT / "kb" / "models").glob("*.yaml")]
    for model in models:
        assert (tmp_path / "site" / "models" / model / "index.html").is_file()
    # The notebook ran (at this build or an earlier one with the same inputs): its timing output and its chart are on the page, and the
    # CDN scripts of the notebook template are not.
    notebook = (tmp_path / "site" / "notebooks" / "reproduce" / "index.html").read_text()
    assert re.search(r"median [\d.]+ (?:µs|ms|s) over \d+ runs", notebook), "no timing output"
    assert "kb: " in notebook  # it read the KB the site was built from (NNKB_KB), shown relative
    assert str(ROOT) not in notebook  # no path of the machine that built it
    assert "data:image/png;base64," in notebook
    assert "cdnjs" not in notebook and "Traceback" not in notebook
    for page in ("methodology", "comparisons/runtimes", "machines", "downloads", "glossary"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
    # Every term the hover list explains has its entry in the glossary page.
    glossary = (tmp_path / "site" / "glossary" / "index.html").read_text(encoding="utf-8")
    terms = re.findall(
        r"^\*\[([^\]]+)\]:", (ROOT / "docs/includes/abbreviations.md").read_text(), re.MULTILINE
    )
    assert len(terms) > 25
    for term in terms:
        assert term.casefold() in glossary.casefold(), term
    assert json.loads((tmp_path / "site" / "api" / "kb.json").read_text())["models"]


# --- measured pages, downloads, offline --------------------------------------------------------


def test_measured_pages_and_downloads_are_published(two_machine_site):
    site = two_machine_site
    for page in ["comparisons/runtimes", "machines", "machines/x86-test", "machines/arm-test",
                 "methodology", "downloads", "use_cases/anomaly-detection"]:  # fmt: skip
        assert (site / page / "index.html").is_file(), page
    for name in ["kb.json", "models.csv", "accuracy.csv", "use_cases.csv", "frameworks.csv",
                 "hardware.csv", "results.json", "results.csv", "results/x86-test.json"]:  # fmt: skip
        assert (site / "api" / name).stat().st_size > 0, name
    raw = (TWO_MACHINE_KB / "results" / "arm-test.json").read_bytes()
    assert (site / "api" / "results" / "arm-test.json").read_bytes() == raw
    # Measured tables link to the methodology and to the downloads.
    page = parse(site / "use_cases/anomaly-detection/index.html")
    hrefs = [a.get("href") for t, a in page.tags if t == "a"]
    assert "../../methodology/" in hrefs and "../../api/results.csv" in hrefs
    assert "../../methodology/#how-a-recommendation-is-made" in hrefs


def test_every_page_works_offline(any_site):
    """No script, style or font from another site: plotly, tablesort and fonts are local."""
    pages = 0
    for html in any_site.rglob("*.html"):
        page = parse(html)
        for tag, attrs in page.tags:
            url = attrs.get("src") if tag == "script" else None
            if tag == "link" and attrs.get("rel") in ("stylesheet", "preconnect", "preload"):
                url = attrs.get("href")
            if url is None:
                continue
            assert url.strip() and not url.startswith(("http:", "https:", "//")), (html, url)
        assert "fonts.googleapis" not in html.read_text(encoding="utf-8")
        pages += 1
    assert pages > 10


def test_tables_sort_and_charts_load_plotly(two_machine_site):
    page = parse(two_machine_site / "comparisons/runtimes/index.html")
    scripts = {a.get("src"): a for t, a in page.tags if t == "script" and a.get("src")}
    assert "../../javascripts/tablesort.min.js" in scripts
    assert "../../javascripts/tablesort-init.js" in scripts
    # The page has a chart: charts.js, deferred, fetches plotly.js when it comes into view.
    charts = scripts["../../javascripts/charts.js"]
    assert "defer" in charts
    assert charts.get("data-plotly") == "../../javascripts/plotly-cartesian.min.js"
    assert (two_machine_site / "javascripts" / "plotly-cartesian.min.js").is_file()
    vendored = (two_machine_site / "javascripts" / "tablesort.min.js").read_text()
    assert "tablesort v5.6.0" in vendored and "Permission is hereby granted" in vendored
    init = (two_machine_site / "javascripts" / "tablesort-init.js").read_text()
    assert "document$.subscribe" in init and "new Tablesort(table)" in init


def test_search_finds_models_runtimes_and_use_cases(two_machine_site):
    from nnkb.kb import load_kb

    kb = load_kb(TWO_MACHINE_KB)
    index = json.loads((two_machine_site / "search" / "search_index.json").read_text())
    titles = {d["title"] for d in index["docs"]}
    for collection in (kb.models, kb.use_cases, kb.frameworks):
        for entry in collection.values():
            assert entry.name in titles, entry.name
    text = " ".join(d["text"] for d in index["docs"] if d["location"].startswith("comparisons/"))
    assert "OpenVINO" in text and "TinyNet" in text


# --- published (cited) figures stay apart from measurements -----------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class Nested(HTMLParser):
    """Each element with the classes of its ancestors, and the text and links of table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[dict] = []  # one per <td>: ancestors, text, hrefs, badges
        self.badges: list[list[tuple[str, dict[str, str | None]]]] = []
        self._cell: dict | None = None
        self._rows = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self._rows += tag == "tr"
        if tag == "td":
            self._cell = {
                "ancestors": list(self.stack),
                "row": self._rows,
                "text": [],
                "hrefs": [],
                "badge": False,
                "badge_in_block": False,  # a cited block inside the cell (the home grid's)
            }
            self.cells.append(self._cell)
        if tag == "span" and "nnkb-cited-badge" in (attributes.get("class") or ""):
            self.badges.append(list(self.stack))
            if self._cell is not None:
                self._cell["badge"] = True
                self._cell["badge_in_block"] = in_cited_block(self.stack)
        if tag == "a" and self._cell is not None:
            self._cell["hrefs"].append(attributes.get("href") or "")
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"].append(data)


def nested(path: Path) -> Nested:
    parser = Nested()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def in_cited_block(ancestors) -> bool:
    return any(
        tag == "div" and "nnkb-cited" in (attrs.get("class") or "").split()
        for tag, attrs in ancestors
    )


def test_every_cited_value_sits_in_a_table_marked_cited(real_site):
    tables = load_cited(ROOT / "kb")
    source_urls = {t.source.url for t in tables}
    badges = checked_cells = 0
    for html in real_site.rglob("*.html"):
        page = nested(html)
        for ancestors in page.badges:
            assert in_cited_block(ancestors), f"a cited badge outside a cited table on {html}"
            badges += 1
        for cell in page.cells:
            cited_source = any(h in source_urls for h in cell["hrefs"])
            if cell["badge"] or cited_source:
                checked_cells += 1
                where = f"{html.relative_to(real_site)}: {''.join(cell['text'])[:80]}"
                inside = cell["badge_in_block"] and not cited_source
                assert in_cited_block(cell["ancestors"]) or inside, where
    figures = sum(len(t.figures) for t in tables)
    # Every figure is on its hardware page and on its model's page (when it has one).
    assert badges >= figures and checked_cells >= figures


def test_each_hardware_page_lists_its_cited_figures_with_their_badge(real_site):
    tables = load_cited(ROOT / "kb")
    for hardware in load_kb(ROOT / "kb").hardware:
        expected = sum(f.hardware == hardware for t in tables for f in t.figures)
        page = nested(real_site / "hardware" / hardware / "index.html")
        assert len(page.badges) == expected, hardware


def test_measured_tables_hold_no_cited_figure(real_site):
    """The ranking and measured tables (outside the cited blocks) carry no badge, and no
    cited source's link."""
    source_urls = {t.source.url for t in load_cited(ROOT / "kb")}
    for folder in ("use_cases", "models", "machines", "comparisons"):
        for html in (real_site / folder).rglob("*.html"):
            for cell in nested(html).cells:
                if in_cited_block(cell["ancestors"]):
                    continue
                assert not cell["badge"], html
                assert not source_urls & set(cell["hrefs"]), html


def test_caffe2_is_never_offered_as_a_current_choice(real_site):
    for html in (real_site / "use_cases").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        if "On other hardware" not in text:
            continue
        section = text.split('id="on-other-hardware"', 1)[1].split('id="sources"', 1)[0]
        assert "frameworks/caffe2/" not in section, html
    listed = 0
    for html in (real_site / "hardware").glob("*/index.html"):
        cells = nested(html).cells
        for cell in cells:
            if any("frameworks/caffe2/" in h for h in cell["hrefs"]):
                row = " ".join("".join(c["text"]) for c in cells if c["row"] == cell["row"])
                assert "not a current choice" in row, html
                listed += 1
    assert listed >= 1  # kb/frameworks/caffe2.yaml lists hardware; its rows say what it is


@pytest.mark.parametrize(
    "hardware",
    [
        "nvidia-jetson",
        "edge-tpu",
        "apple-neural-engine",
        "arm-cpu",
        "npu-vpu",
        "qualcomm-hexagon-npu",
        "hailo-accelerator",
    ],
)
def test_use_case_pages_answer_model_runtime_and_precision(real_site, hardware):
    """Each use case page's other-hardware section names, for the class, a runtime, a
    precision and an install route, and either cited figures or a stated absence."""
    for html in (real_site / "use_cases").glob("*/index.html"):
        text = html.read_text(encoding="utf-8")
        if 'id="on-other-hardware"' not in text:
            continue
        section = text.split('id="on-other-hardware"', 1)[1]
        part = section.split(f'href="../../hardware/{hardware}/"', 1)[1].split("<h3", 1)[0]
        assert "Runtime:" in part and "Precision:" in part and "Install:" in part, html
        assert "nnkb-cited-badge" in part or "No published figure" in part, html


@pytest.mark.parametrize(
    ("hardware", "route", "not_this"),
    [
        ("nvidia-jetson", "JetPack", "pip install --upgrade tensorrt"),
        ("npu-vpu", "OpenVINO NPU plugin", "pip install onnxruntime"),
        ("qualcomm-hexagon-npu", "Qualcomm AI Engine Direct", "pip install onnxruntime"),
        ("hailo-accelerator", "Hailo Dataflow Compiler", "pip install"),
    ],
)
def test_install_guidance_for_a_class_is_its_vendors_route(real_site, hardware, route, not_this):
    """A class whose software comes from its vendor is told that route, with its source, never
    a generic package that would run on the CPU instead."""
    for html in (real_site / "use_cases").glob("*/index.html"):
        text = html.read_text(encoding="utf-8")
        if 'id="on-other-hardware"' not in text:
            continue
        section = text.split('id="on-other-hardware"', 1)[1]
        part = section.split(f'href="../../hardware/{hardware}/"', 1)[1].split("<h3", 1)[0]
        install = part.split("Install:", 1)[1].split("</li>", 1)[0]
        assert route in install and not_this not in install, html


def test_badge_says_who_published_it(fixture_site):
    page = parse(fixture_site / "hardware" / "nvidia-jetson" / "index.html")
    titles = [
        a.get("title")
        for t, a in page.tags
        if t == "span" and "nnkb-cited-badge" in (a.get("class") or "")
    ]
    # The publisher's own text, shown as text: markup and the column separator survive.
    assert titles == ["published by Fixture Lab <i>&</i> | friends, not measured by nnkb"] * 3
    assert not [t for t, a in page.tags if t == "i"]


def test_cited_downloads_are_published(real_site):
    figures = sum(len(t.figures) for t in load_cited(ROOT / "kb"))
    data = strict_loads((real_site / "api" / "cited.json").read_bytes())
    rows = list(csv.DictReader(io.StringIO((real_site / "api" / "cited.csv").read_text())))
    assert len(data["figures"]) == len(rows) == figures
    assert all(r["source_url"].startswith("https://") and r["source_location"] for r in rows)


# --- page weight: what makes a page slow on a phone --------------------------------------------

# A script in <head> without async or defer stops the page from painting until it has been
# fetched and run; none may be larger than this (Lighthouse's render-blocking resources).
RENDER_BLOCKING_SCRIPT_MAX = 50_000
# What every page fetches before the reader does anything, gzipped as GitHub Pages serves it:
# its HTML, the stylesheets and the scripts of its tags (plotly.js is not among them: charts.js
# fetches it when a chart comes into view). The notebook's page carries its rendered outputs.
BUDGET_GZIP = {"html": 40_000, "css": 40_000, "js": 60_000}
NOTEBOOK_HTML_GZIP = 400_000
_TAG = re.compile(r"<(script|link)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


def _tags(html: str) -> list[tuple[str, dict[str, str], bool]]:
    """(tag name, attributes, inside <head>) of each script and link tag of a page."""
    head_end = html.find("</head>")
    found = []
    for match in _TAG.finditer(html):
        attributes = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
            for m in _ATTR.finditer(match.group(2))
        }
        found.append((match.group(1).lower(), attributes, match.start() < head_end))
    return found


def _asset(page: Path, url: str) -> Path | None:
    if urlsplit(url).scheme or url.startswith("//"):
        return None
    return (page.parent / unquote(urlsplit(url).path)).resolve()


def test_no_render_blocking_script_is_large_and_plotly_loads_only_on_demand(real_site):
    import gzip

    problems = []
    weights = {}
    for page in sorted(real_site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(real_site).as_posix()
        weight = {"html": len(gzip.compress(html.encode("utf-8"))), "css": 0, "js": 0}
        for tag, attributes, in_head in _tags(html):
            url = attributes.get("src") if tag == "script" else attributes.get("href")
            if tag == "link" and attributes.get("rel") != "stylesheet" or not url:
                continue
            file = _asset(page, url)
            if file is None or not file.is_file():
                continue
            if "plotly" in file.name:
                problems.append(f"{name}: loads {file.name} in a tag")
            deferred = {"async", "defer"} & set(attributes) or attributes.get("type") == "module"
            blocking = tag == "script" and in_head and not deferred
            if blocking and file.stat().st_size > RENDER_BLOCKING_SCRIPT_MAX:
                problems.append(f"{name}: render-blocking {url} ({file.stat().st_size} B)")
            kind = "js" if tag == "script" else "css"
            weight[kind] += len(gzip.compress(file.read_bytes()))
        weights[name] = weight
    assert not problems, problems
    assert len(weights) > 30
    over = {}
    for name, weight in weights.items():
        budget = dict(BUDGET_GZIP)
        if name.startswith("notebooks/"):
            budget["html"] = NOTEBOOK_HTML_GZIP
        if any(weight[k] > budget[k] for k in budget):
            over[name] = weight
    assert not over, f"over the budget {BUDGET_GZIP}: {over}"


def test_charts_are_data_until_they_are_drawn(real_site):
    """A page with charts holds each as a placeholder and its figure as JSON, with the chart
    script deferred; a page without charts loads no chart script."""
    home = (real_site / "index.html").read_text(encoding="utf-8")
    glossary = (real_site / "glossary" / "index.html").read_text(encoding="utf-8")
    assert 'data-nnkb-chart="' in home and "Plotly.newPlot" not in home
    assert re.search(r'<script defer src="javascripts/charts\.js"', home)
    assert "charts.js" not in glossary and "plotly" not in glossary
