"""Published figures are shown as their sources state them: every cited cell of the home grid
is one figure (its model, runtime, device and unit all from that figure, linked to that figure's
row), latencies and throughputs never share a table, and no hardware class holds a figure of a
device another vendor's class owns. Run on the site fixture and on the real KB."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.analysis.outlook import FASTEST_RULE, fastest, fastest_of_kind
from nnkb.cited import CitedFigure, load_cited
from nnkb.kb import load_kb
from nnkb.render.build.site import build_context
from nnkb.render.pages.home import figure_lines, home_section, throughput_grid
from nnkb.render.sections.outlook import outlook_section
from nnkb.render.shared.page import Page, entry_path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "site_kb"
CELL = re.compile(r'<div class="nnkb-cited" markdown="span">\[(.*?)\]\(([^)#]*)#([^)]+)\)</div>')


# The real KB's site takes seconds to build: its run is in the slow lane (`make test`).
@pytest.fixture(scope="module", params=["fixture", pytest.param("kb", marks=pytest.mark.slow)])
def site(request):
    return build_context(FIXTURE if request.param == "fixture" else REPO / "kb")


@pytest.fixture(scope="module")
def home(site) -> dict[str, str]:
    """The home section once per site, with its latency grid and its throughput table."""
    section = home_section(site)
    latency = section.partition("\n\n")[0]
    return {"section": section, "latency": latency, "throughput": throughput_grid(site) or ""}


def _figures(site) -> dict[str, CitedFigure]:
    return {f.anchor: f for t in site.cited for f in t.figures}


def _cells(markdown: str) -> list[tuple[str, str, str]]:
    return CELL.findall(markdown)


def test_every_cited_cell_is_one_figure_as_its_source_states_it(site, home):
    figures = _figures(site)
    page = Page(site, "index.md")
    cells = _cells(home["latency"]) + _cells(home["throughput"])
    assert cells, "the grid should hold at least one cited cell"
    for body, _href, anchor in cells:
        figure = figures[anchor]  # the link names the figure the cell shows
        assert body.split("<br>") == figure_lines(page, figure)
        text = unescape(body)
        for part in (figure.model_name, figure.runtime_name, figure.device, figure.unit):
            assert part in text, f"{anchor}: {part!r} missing from its cell"


def test_latency_and_throughput_never_share_a_table(site, home):
    figures = _figures(site)
    latency = {figures[a].kind for _, _, a in _cells(home["latency"])}
    throughput = {figures[a].kind for _, _, a in _cells(home["throughput"])}
    assert latency <= {"latency"}
    assert throughput <= {"throughput"}


def test_each_cell_links_to_its_figures_row_on_the_use_case_page(site, home):
    sections: dict[str, str] = {}
    for _body, href, anchor in _cells(home["section"]):
        use_case = site.kb.use_cases[Path(href).stem]
        if use_case.id not in sections:
            page = Page(site, entry_path("use_cases", use_case.id))
            sections[use_case.id] = outlook_section(page, use_case) or ""
        assert f'<span id="{anchor}"></span>' in sections[use_case.id]


def test_the_rule_for_fastest_is_stated_under_the_grid(home):
    assert FASTEST_RULE in home["section"]


def _figure(index: int, statistic: str, value: float, unit: str = "ms") -> CitedFigure:
    scenario = "single-stream" if unit == "ms" else "fixed-batch"
    return CitedFigure("t", index, "h", "d", "fp16", 1, scenario, statistic, value, unit, "m", "r")


def test_fastest_compares_one_statistic_and_never_a_rate_with_a_time():
    p90 = _figure(0, "p90", 1.0)
    median = _figure(1, "median", 3.0)
    assert fastest([p90, median]) is median  # a low p90 never beats a median
    rate = _figure(2, "unstated", 500, "fps")
    with pytest.raises(ValueError):
        fastest([median, rate])
    assert fastest_of_kind([median, rate], "throughput") is rate


# The vendor whose hardware a device is, from words its name always carries. A device of an
# accelerator class must be that class's vendor's; a CPU class takes any maker's Arm or x86 chip
# but never an accelerator's device.
VENDOR_WORDS = {
    "Hailo": "Hailo",
    "Jetson": "NVIDIA",
    "NVIDIA": "NVIDIA",
    "Coral": "Google",
    "Neural Compute Stick": "Intel",
    "Xeon": "Intel",
    "iPhone": "Apple",
    "Galaxy": "Qualcomm",
    "Snapdragon": "Qualcomm",
    "Dragonwing": "Qualcomm",
    "Raspberry Pi": "Raspberry Pi",
}
CPU_MAKERS = {
    "arm-cpu": {"Qualcomm", "Raspberry Pi", "Apple", "NVIDIA"},
    "x86-cpu": {"Intel", "AMD"},
}


def device_vendor(device: str) -> str | None:
    return next((v for word, v in VENDOR_WORDS.items() if word in device), None)


def test_no_class_holds_a_figure_of_another_vendors_device():
    kb = load_kb(REPO / "kb")
    wrong = []
    for table in load_cited(REPO / "kb"):
        for figure in table.figures:
            vendor = device_vendor(figure.device)
            assert vendor, f"{figure.anchor}: add the vendor of {figure.device!r} to VENDOR_WORDS"
            hardware = kb.hardware[figure.hardware]
            if hardware.category == "cpu":
                ok = vendor in CPU_MAKERS[hardware.id]
            else:
                ok = vendor == hardware.data.get("vendor")
            if not ok:
                wrong.append(f"{figure.anchor}: {figure.device} ({vendor}) in {hardware.id}")
    assert not wrong, "\n".join(wrong)


def test_every_accelerator_class_names_its_vendor_and_route():
    kb = load_kb(REPO / "kb")
    for hardware in kb.hardware.values():
        assert hardware.data.get("vendor"), hardware.id
    for hid in ("nvidia-jetson", "npu-vpu", "qualcomm-hexagon-npu", "hailo-accelerator"):
        routes = kb.hardware[hid].data.get("runtime_routes")
        assert routes and all(r["source"]["url"] for r in routes), hid


def test_guidance_for_a_class_comes_only_from_its_own_figures():
    kb = load_kb(REPO / "kb")
    cited = load_cited(REPO / "kb")
    for use_case in kb.use_cases:
        for item in analysis.hardware_outlook(kb, use_case, None, cited):
            assert all(f.hardware == item.hardware for f in item.figures)
            counted = sum(c.cited_figures for c in item.choices)
            own = [f for t in cited for f in t.figures if f.hardware == item.hardware]
            assert counted <= len(own)


def test_the_home_intro_says_the_grid_holds_quoted_figures_too():
    intro = (REPO / "docs" / "index.md").read_text(encoding="utf-8").split("<!-- nnkb:home -->")[0]
    assert "not quoted" not in intro  # the grid's cited columns are quoted
    assert "*cited*" in intro and "as the source states it" in intro
