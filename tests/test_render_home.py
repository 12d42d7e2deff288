"""The home page's grid and chart (render/pages/home.py) from the analysis fixture: a row per use
case, a column per measured machine then per class not measured, each cell linked to the
reasoning on the use case page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.render.build.site import build_context
from nnkb.render.pages.home import GRID_CLASS, grid_columns, home_section

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"


@pytest.fixture(scope="module")
def site():
    return build_context(FIXTURE)


def rows(section: str) -> list[str]:
    return re.findall(r"^<tr markdown>.*</tr>$", section, re.MULTILINE)


def test_home_section_golden(site, golden):
    golden("render/home.md", home_section(site))


def test_grid_has_a_row_per_use_case_and_a_column_per_machine_then_class(site):
    section = home_section(site)
    assert section.startswith(f'<div class="{GRID_CLASS}" markdown>')
    assert len(rows(section)) == len(site.kb.use_cases)
    columns = grid_columns(site)
    measured = [c for c in columns if c.machine]
    assert [c.machine for c in measured] == ["arm-test", "x86-test"]  # Arm CPU before x86-64
    others = {c.hardware for c in columns if not c.machine}
    assert others == set(site.kb.hardware) - {"arm-cpu", "x86-cpu"}
    assert columns[: len(measured)] == measured  # measured machines first


def test_measured_cells_give_the_recommendation_and_link_to_its_reasoning(site):
    section = home_section(site)
    anomaly = next(r for r in rows(section) if "Anomaly detection" in r)
    recs = {r.machine: r for r in analysis.recommend(site.kb, site.frame, "anomaly-detection")}
    assert recs["x86-test"].model == "twin-net"
    # The cell says how many of the candidates were measured on that machine.
    measured = sum(1 for c in recs["x86-test"].candidates if c.ran)
    # Model, runtime and precision, latency; the link goes to the use case's recommendation.
    assert (
        "[<strong>TwinNet</strong><br>ONNX Runtime · FP32<br>5.00 ms<br>"
        f"<small>{measured} of {len(recs['x86-test'].candidates)} candidates measured</small>]"
        "(use_cases/anomaly-detection.md#recommendation)" in anomaly
    )
    # A class not measured here: the runtime the KB ranks first, linked to "On other hardware".
    assert "(use_cases/anomaly-detection.md#on-other-hardware)" in anomaly
    # No id reaches a reader.
    assert "twin-net<" not in anomaly and "onnxruntime" not in anomaly


def test_chart_of_the_recommended_latencies(site):
    section = home_section(site)
    assert 'id="chart-recommended-latency"' in section
    assert "TwinNet on ONNX Runtime" in section  # the hover names the choice
