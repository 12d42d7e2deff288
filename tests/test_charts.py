"""Charts from nnkb.render.shared.charts: deterministic <div> fragments that carry the data points."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from chart_figures import chart_arguments
from nnkb import analysis
from nnkb.kb import load_kb
from nnkb.render.shared import charts
from nnkb.results import read

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# The fixture machines as every page names them (analysis.machine_label).
X86 = "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
ARM = "Neoverse-N1, NEON, 2 vCPUs, 24 GiB, cloud VM"


@pytest.fixture(scope="module")
def kb():
    return load_kb(FIXTURE)


def fixture_frame() -> pd.DataFrame:
    files = sorted((FIXTURE / "results").glob("*.json"))
    return analysis.results_frame(read(p) for p in files)


@pytest.fixture(scope="module")
def frame():
    return fixture_frame()


def plot_arguments(fragment: str) -> tuple[str, list, dict, dict]:
    """The div id, data, layout and config charts.js passes to Plotly.newPlot."""
    div_id, data, layout, config = chart_arguments(fragment)
    return div_id, data, layout, config


def traces(data: list) -> dict[str, dict]:
    return {t["name"]: t for t in data}


def check_fragment(fragment: str, div_id: str) -> tuple[list, dict]:
    assert fragment.startswith("<div") and fragment.rstrip().endswith("</div>")
    assert f'id="{div_id}"' in fragment
    # plotly.js comes from the site, not inlined or from a CDN; no random ids.
    assert "<script src" not in fragment and "cdn.plot.ly" not in fragment
    # No code either: the figure is data that charts.js draws when it comes into view.
    assert "Plotly.newPlot" not in fragment
    assert len(fragment) < 20_000
    assert not UUID.search(fragment)
    found_id, data, layout, config = plot_arguments(fragment)
    assert found_id == div_id
    assert config["displaylogo"] is False
    return data, layout


def test_latency_vs_accuracy(kb, frame):
    use_case = kb.use_cases["anomaly-detection"]
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    fragment = charts.latency_vs_accuracy(ranking, use_case)
    data, layout = check_fragment(fragment, "chart-latency-accuracy-anomaly-detection")
    t = traces(data)
    x86 = t[X86]
    assert x86["x"] == [1.5, 5.0, 5.0, 20.0]  # milliseconds
    assert x86["y"] == [0.8, 0.9, 0.92, 0.97]
    assert x86["text"] == ["TinyNet", "MidNet", "TwinNet", "BigNet"]  # names, not ids
    assert [c[0] for c in x86["customdata"]] == ["openvino", "openvino", "onnxruntime", "openvino"]
    front = t[X86 + ": Pareto front"]
    assert (front["x"], front["y"]) == ([1.5, 5.0, 20.0], [0.8, 0.92, 0.97])
    assert t[ARM]["x"] == [4.0, 9.0]
    assert [s["y0"] for s in layout["shapes"]] == [0.85]  # the floor
    assert layout["xaxis"]["type"] == "log"
    assert layout["xaxis"]["ticktext"] == ["1", "2", "5", "10", "20"]
    assert layout["yaxis"]["title"]["text"] == "image AUROC on MVTec AD (ratio)"


def test_charts_are_deterministic(kb):
    def render() -> list[str]:
        frame = fixture_frame()
        ranking = analysis.use_case_ranking(kb, frame, "image-classification")
        eff = analysis.machine_efficiency(frame, "arm-test")
        return [
            charts.latency_vs_accuracy(ranking, kb.use_cases["image-classification"]),
            charts.runtime_comparison(analysis.runtime_speedups(frame, "onnxruntime")),
            charts.roofline(eff, eff.attrs["peak_flops"]),
        ]

    assert render() == render()


def test_runtime_comparison(frame):
    fragment = charts.runtime_comparison(analysis.runtime_speedups(frame, "onnxruntime"))
    data, layout = check_fragment(fragment, "chart-runtime-speedups")
    t = traces(data)
    assert sorted(t) == ["onnxruntime", "opencv", "openvino"]
    openvino = t["openvino"]
    machines, models = openvino["x"]
    by_group = dict(zip(zip(machines, models), openvino["y"]))
    assert by_group[(X86, "mid-net")] == 1.2
    assert by_group[(X86, "tiny-net")] == pytest.approx(1.333, abs=1e-3)
    assert by_group[(ARM, "twin-net")] == 0.75
    opencv = dict(zip(zip(*t["opencv"]["x"]), t["opencv"]["customdata"]))
    # No opencv bar where opencv did not run; agreement travels in the hover text.
    assert opencv[(ARM, "tiny-net")] == [None, ""]
    assert opencv[(X86, "big-net")] == [
        30.0,
        "max abs. error 0.25, top-1 differs",
    ]
    assert set(t["onnxruntime"]["y"]) == {1.0}
    assert layout["barmode"] == "group"
    assert "Speed-up over onnxruntime" in layout["title"]["text"]


def test_roofline(frame):
    eff = analysis.machine_efficiency(frame, "x86-test")
    fragment = charts.roofline(eff, 4e11)
    data, layout = check_fragment(fragment, "chart-roofline-x86-test")
    openvino = traces(data)["openvino"]
    names = [c[1] for c in openvino["customdata"]]
    points = dict(zip(names, zip(openvino["x"], openvino["y"])))
    assert points["tiny-net"] == (250.0, pytest.approx(66.67, abs=0.01))
    assert points["big-net"] == (pytest.approx(81.82, abs=0.01), 180.0)
    # One label per model (its runtimes share an x), on its highest point.
    labels = [t for trace in data for t in trace["text"] if t]
    assert sorted(labels) == sorted(set(eff["model"]))
    for model in set(eff["model"]):
        best = eff[eff["model"] == model]["achieved_gflops"].max()
        labelled = [y for trace in data for t, y in zip(trace["text"], trace["y"]) if t == model]
        assert labelled == [pytest.approx(best, rel=1e-3)]
    assert [s["y0"] for s in layout["shapes"]] == [400.0]
    assert "measured FP32 peak 400 GFLOP/s" in layout["annotations"][0]["text"]
    assert layout["yaxis"]["type"] == "log" and 500 in layout["yaxis"]["tickvals"]


def test_kb_text_is_escaped(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    ranking.loc[ranking["model"] == "big-net", "model_name"] = "<img src=x onerror=alert(1)>"
    fragment = charts.latency_vs_accuracy(ranking, kb.use_cases["anomaly-detection"])
    assert "<img" not in fragment
    _, data, _, _ = plot_arguments(fragment)
    assert "&lt;img src=x onerror=alert(1)&gt;" in traces(data)[X86]["text"]


def test_empty_inputs_still_give_a_chart(kb):
    empty = analysis.results_frame([])
    ranking = analysis.use_case_ranking(kb, empty, "anomaly-detection")
    fragment = charts.latency_vs_accuracy(ranking, kb.use_cases["anomaly-detection"], "c1")
    data, layout = check_fragment(fragment, "c1")
    assert data == [] and "No measured candidate" in layout["annotations"][0]["text"]
    data, layout = check_fragment(
        charts.runtime_comparison(analysis.runtime_speedups(empty, "onnxruntime")),
        "chart-runtime-speedups",
    )
    assert data == [] and "No model ran ok" in layout["annotations"][0]["text"]


def test_roofline_of_a_machine_where_nothing_ran_ok(frame):
    eff = analysis.machine_efficiency(frame[frame["status"] != "ok"], "arm-test")
    assert eff.empty
    data, layout = check_fragment(charts.roofline(eff, 1.6e11), "chart-roofline-arm-test")
    assert data == [] and "No ok rows" in layout["annotations"][-1]["text"]
    assert [s["y0"] for s in layout["shapes"]] == [160.0]


# --- the plotly.js the site serves ------------------------------------------------------------

BUNDLE = Path(__file__).resolve().parent.parent / "docs" / "javascripts"


def test_served_plotly_is_the_pinned_cartesian_bundle_of_the_python_package():
    """The committed bundle is the one its record pins, the plotly.js version the Python package
    writes figures for, and it has every trace type the charts use."""
    import hashlib

    import plotly

    record = json.loads((BUNDLE / "plotly-cartesian.json").read_text())
    data = (BUNDLE / record["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == record["sha256"]
    assert record["license"] == "MIT"
    assert "Permission is hereby granted" in (BUNDLE / record["license_file"]).read_text()
    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
    python_js = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", bundled)
    assert python_js and python_js.group(1) == record["version"]
    assert f"(cartesian - minified) v{record['version']}" in data[:200].decode()
    text = data.decode()
    for trace in record["trace_types_used"]:
        assert f'moduleType:"trace",name:"{trace}"' in text, trace


def test_charts_use_only_trace_types_of_the_bundle():
    source = (Path(charts.__file__)).read_text()
    used = {name.lower() for name in re.findall(r"\bgo\.([A-Z][a-z]+)\(", source)} - {"figure"}
    record = json.loads((BUNDLE / "plotly-cartesian.json").read_text())
    assert used and used <= set(record["trace_types_used"]), used


def test_roofline_labels_take_free_places():
    """Two models at the same intensity and rate get two places, not one over the other; a
    label at the right edge goes left of its point; no place free: no label (hover names it)."""

    def frame(xs, ys):
        return pd.DataFrame({"flops_per_weight_byte": xs, "achieved_gflops": ys})

    every = frame([20.0, 1000.0], [10.0, 400.0])
    points = frame([80.0, 81.0, 1000.0], [400.0, 401.0, 200.0])
    names = pd.Series(["ResNet-18", "ResNet-50", "PP-OCRv4 mobile text detector"])
    places = charts._label_positions(points, names, pd.concat([points, every]))
    assert places[1] == "middle right" and places[0] not in (None, "middle right")
    assert places[2] == "middle left"
    crowd = frame([80.0 + i / 10 for i in range(9)], [400.0 + i / 10 for i in range(9)])
    places = charts._label_positions(crowd, pd.Series(["Net"] * 9), pd.concat([crowd, every]))
    assert None in places.values()  # nine labels cannot all sit around one spot
