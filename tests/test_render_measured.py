"""Pages computed from results, on the two-machine fixture (tests/fixtures/analysis_kb).

Golden files in tests/golden/render/ pin the use case page with its recommendation, the runtime
comparison page and a machine page; rerun with --update-golden after an intended change and
review the diff. The other tests check what a reader must be able to find on each page.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper

from nnkb import analysis
from nnkb.analysis.machine_label import short_label
from nnkb.bench.settings import HARNESS
from nnkb.render.build.site import build_context, offline_html, render_files, render_pages
from nnkb.render.shared.numbers import format_latency

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"
REPO = "https://github.com/nnkb/nnkb"
CHART = re.compile(r"<div style=\"height:460px.*?</script>\s*</div>", re.DOTALL)


@pytest.fixture(scope="module", autouse=True)
def empty_model_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNKB_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
        yield


@pytest.fixture(scope="module")
def site():
    return build_context(FIXTURE, repo_url=REPO)


@pytest.fixture(scope="module")
def pages(site) -> dict[str, str]:
    return render_pages(site)


@pytest.fixture(scope="module")
def files(site) -> dict[str, str | bytes]:
    return render_files(site)


def test_a_page_rendered_alone_is_the_page_of_the_site(site, pages, render_only):
    """The tests below render only the pages they read (render_only); each is the same page."""
    paths = ("downloads.md", "machines/x86-test.md", "models/tiny-net.md", "frameworks/index.md")
    assert render_only(site, *paths) == {path: pages[path] for path in paths}


def section(page: str, heading: str) -> str:
    """The text of a `## heading` section, up to the next second-level heading."""
    return page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("page", "golden_name"),
    [
        ("use_cases/anomaly-detection.md", "use-case-anomaly-detection.md"),
        ("use_cases/image-classification.md", "use-case-image-classification.md"),
        ("comparisons/runtimes.md", "comparisons-runtimes.md"),
        ("machines/x86-test.md", "machine-x86-test.md"),
        ("machines/index.md", "machines-index.md"),
        ("models/big-net.md", "models-big-net.md"),
    ],
)
def test_page_matches_golden(pages, page, golden_name, golden):
    golden(f"render/{golden_name}", pages[page])


# --- use case page ---------------------------------------------------------------------------


def test_recommendation_comes_first_and_answers_the_question(pages):
    page = pages["use_cases/anomaly-detection.md"]
    # Right after the facts table, before the description and the tables.
    assert page.index("## Recommendation") < page.index("## Description")
    assert page.index("## Recommendation") < page.index("## Measured candidates")
    recommendation = section(page, "Recommendation")
    # On the x86 machine: which model, which runtime, how fast; the answer analysis.recommend
    # gives (tests/test_analysis_recommend.py) is the one the page shows.
    assert (
        '??? success "Intel Xeon Fixture, AVX-512 with BF16 (x86-64 CPU): TwinNet on ONNX Runtime · FP32, 5.00 ms per '
        "inference (4 of 4 candidates measured here; a tie within the 95 % intervals with "
        "MidNet: the lower median decides, equal medians the better cited accuracy, then the "
        'lower p90)"' in recommendation
    )
    assert "median latency **5.00 ms** (95% CI 4.90–5.10 ms)" in recommendation
    assert "200 inferences per second on one stream" in recommendation
    assert "cited image AUROC on MVTec AD: 0.92[^" in recommendation
    # The reasoning is written out, ties and faster models below the floor included.
    assert "TwinNet is preferred because its cited image AUROC is higher" in recommendation
    assert "TinyNet on OpenVINO is faster at 1.50 ms, but its cited" in recommendation
    # The Arm machine gets its own answer.
    assert "Neoverse-N1, NEON (Arm CPU): TwinNet on ONNX Runtime · FP32, 9.00 ms" in recommendation


def test_recommendation_matches_analysis_for_every_machine(site, pages):
    for use_case in ("anomaly-detection", "image-classification"):
        page = section(pages[f"use_cases/{use_case}.md"], "Recommendation")
        for rec in analysis.recommend(site.kb, site.frame, use_case):
            if rec.model is None:
                short = short_label(site.machines[rec.machine].hardware)
                assert f'!!! warning "{short}' in page or f'??? warning "{short}' in page
                assert "nothing recommended" in page
            else:
                name = site.kb.models[rec.model].name
                assert f"{name} on " in page and format_latency(rec.p50) in page


def test_no_qualifying_model_is_a_warning_with_the_reason(pages):
    page = section(pages["use_cases/image-classification.md"], "Recommendation")
    assert '!!! warning "Neoverse-N1, NEON (Arm CPU): nothing recommended"' in page
    assert "none of the 2 candidate models for Image classification that ran" in page


def test_ranking_per_machine_and_side_by_side(pages):
    page = section(pages["use_cases/anomaly-detection.md"], "Measured candidates")
    # Each machine's table folded, the machine named in the block's title.
    arm, x86 = page.split('??? note "Neoverse-N1, NEON, 2 vCPUs, 24 GiB, cloud VM: every')[1].split(
        '??? note "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, '
        'cloud VM: every candidate (4)"'
    )
    assert "at 2026-01-11 08:30 UTC" in arm and "at 2026-01-10 12:00 UTC" in x86
    assert "](../methodology.md)" in arm and "](../api/results/x86-test.json)" in x86
    ranks = re.findall(r"^ *\| (\d) \| \[(\w+)\]", x86, re.MULTILINE)
    assert ranks == [("1", "TinyNet"), ("2", "TwinNet"), ("3", "MidNet"), ("4", "BigNet")]
    # Models that did not run are listed with the runtimes' own messages.
    assert "[BigNet](../models/big-net.md): onnxruntime crashed: subprocess killed" in arm
    both = page.split("### All machines side by side")[1]
    assert (
        "| Model | Cited accuracy | Neoverse-N1, NEON: median (runtime) "
        "| Intel Xeon Fixture, AVX-512 with BF16: median (runtime) |" in both
    )
    assert "| 4.00 ms (ONNX Runtime · FP32) | 1.50 ms (OpenVINO · BF16) |" in both


def test_pareto_front_table_and_chart(pages):
    page = section(pages["use_cases/anomaly-detection.md"], "Accuracy against latency")
    front = re.findall(
        r"^ *\| \[Intel Xeon Fixture, AVX-512 with BF16\]\S+ \"[^\"]+\"\) \| \[(\w+)\]",
        page,
        re.MULTILINE,
    )
    assert front == ["TinyNet", "TwinNet", "BigNet"]  # MidNet: as fast as TwinNet, less accurate
    assert 'id="chart-latency-accuracy-anomaly-detection"' in page


def test_other_hardware_says_what_changes(pages):
    page = section(pages["use_cases/anomaly-detection.md"], "On other hardware")
    # Each class is folded, its name and whether nnkb measured it in the block's title.
    assert '??? note "NVIDIA Jetson: not measured by nnkb; runtime and install"' in page
    jetson = page.split("Hardware class: [NVIDIA Jetson]")[1].split("\n??? note")[0]
    assert "Not measured by nnkb." in jetson
    assert "Jetson modules run the feature extractor on the GPU with TensorRT." in jetson
    assert (
        'Measured by nnkb on [Intel Xeon Fixture, AVX-512 with BF16](../machines/x86-test.md "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"): see'
        in page
    )
    # Without a published figure, the page says so and what to measure there instead.
    assert "*No published figure in the knowledge base" in jetson
    assert "To fill the gap, measure [BigNet]" in jetson


# --- runtime comparison ----------------------------------------------------------------------


def test_runtime_comparison_speedups_agreement_and_failures(pages):
    page = pages["comparisons/runtimes.md"]
    speed = section(page, "Speed-up over ONNX Runtime").split(
        "### Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
    )[1]
    # A column per runtime and the precision it ran in, and one for ONNX Runtime with one
    # thread, a second setting measured.
    assert (
        "| Model | ONNX Runtime · FP32 median | ONNX Runtime · FP32, intra_op_threads=1: speed-up "
        "(median) | OpenCV DNN · FP32: speed-up (median) | OpenVINO · BF16: speed-up (median) "
        "| OpenVINO · FP32: speed-up (median) |" in speed
    )
    assert (
        "| [TinyNet](../models/tiny-net.md) | 2.00 ms | 0.77x (2.60 ms) | 0.67x (3.00 ms) "
        "| 1.3x (1.50 ms) | — |" in speed
    )
    assert (
        "| [MidNet](../models/mid-net.md) | 6.00 ms | — | **failed** | — | 1.2x (5.00 ms) |"
        in speed
    )
    assert 'id="chart-runtime-speedups"' in page
    agreement = section(page, "Output agreement")
    # Written from the rows: which runtime ran below FP32, on which CPU feature, by how much.
    assert (
        "[OpenVINO](../frameworks/openvino.md) reported **bf16** inference for 2 model(s)"
        in agreement
    )
    assert "maximum relative error of 0.0068 to 0.021" in agreement
    assert "This machine's CPU has `avx512_bf16`" in agreement
    assert "gives a different top-1 class than the reference for [BigNet]" in agreement
    assert (
        "| [TinyNet](../models/tiny-net.md) | [ONNX Runtime](../frameworks/onnx-runtime.md) "
        "· FP32, intra_op_threads=1 | fp32 | top-1 agrees (1 input) | yes |" in agreement
    )
    failures = section(page, "Could not load or run")
    opencv = failures.split("### OpenCV DNN")[1].split("###")[0]
    # TinyNet's row is unavailable on the Arm machine (cv2 not installed there): it does not
    # apply, so it is counted apart, never as a model the runtime could not run.
    assert "did not run 2 of the 4 models it was given" in opencv
    assert "Not applicable, so not counted: [OpenCV DNN]" in failures
    assert "Can't create layer of type 'HardSwish'" in opencv


# --- model and machine pages -----------------------------------------------------------------


def test_model_page_shows_precision_and_why(pages):
    page = pages["models/big-net.md"]
    x86 = page.split(
        "### Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
    )[1]
    assert "| **bf16** | top-1 100 % (64 inputs) | +1.2 % | ok |" in x86
    assert "[OpenVINO](../frameworks/openvino.md) 2026.4.1 · BF16 |" in x86
    assert "reported **bf16** inference here, not FP32" in x86
    assert "](../methodology.md#precision-and-agreement)" in x86
    assert "| Parameters | 11 M | — |" in page  # counted from the results rows


def test_model_page_says_where_the_time_goes(pages):
    part = section(pages["models/big-net.md"], "Where the time goes")
    assert (
        "### Kernel time on Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
        in part
    )
    assert "](../methodology.md#operator-profiles)" in part
    # A column per runtime with its timed median; related names sit together.
    assert (
        "| Operator type (runtime's own name) | ONNX Runtime · FP32, 20.0 ms "
        "| OpenCV DNN · FP32, 30.0 ms | OpenVINO · BF16, 20.0 ms |" in part
    )
    rows = [line.split(" | ")[0] for line in part.splitlines() if line.startswith("| `")]
    assert rows[:3] == ["| `Conv`", "| `Convolution`", "| `Conv2`"]
    assert "| `Relu` | 20% | — | — |" in part
    assert "| *other* | 1.0% | 1.0% | 1.0% |" in part  # below 2% goes to other
    # Written from the rows: the graph's Relu nodes, timed by one runtime, folded by the others.
    assert (
        "`Relu` takes 20% of ONNX Runtime · FP32's kernel time (≈4.00 ms of its 20.0 ms median); "
        "OpenCV DNN and OpenVINO have no `Relu` entry in their profiles: the graph's 17 `Relu` "
        "nodes run in them as part of other operator types." in part
    )
    assert "Largest share: ONNX Runtime · FP32 `Conv` 55%; OpenCV DNN · FP32 `Conv2` 86%;" in part
    assert "OpenVINO · BF16: `Convolution` `brgconv_avx512_bf16`" in part  # the precision shows
    # A model without profiled rows has no such section.
    assert "## Where the time goes" not in pages["models/mid-net.md"]


def fixture_copy(tmp_path: Path, monkeypatch) -> tuple[Path, Path, dict]:
    """A copy of the two-machine fixture KB to edit: (kb folder, x86 results file, its data)."""
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE, kb)
    results = kb / "results" / "x86-test.json"
    return kb, results, json.loads(results.read_text())


def test_slow_runtimes_are_explained_by_their_profile(tmp_path, monkeypatch, render_only):
    """A runtime over 2x slower than the fastest FP32 one: its largest shares, linked."""
    kb, results, data = fixture_copy(tmp_path, monkeypatch)
    for row in data["rows"]:
        if (row["model"], row["runtime"]) == ("big-net", "onnxruntime"):
            row["latency"].update(p50=0.07, ci95_low=0.069, ci95_high=0.071, p90=0.072, p99=0.08)
            row["latency"].update(mean=0.07, min=0.068)
            row.update(processes=None, process_spread=None)
        if (row["model"], row["runtime"]) == ("tiny-net", "opencv"):
            row["latency"].update(p50=0.0045, ci95_low=0.0044, ci95_high=0.0046, p90=0.0047)
            row["latency"].update(p99=0.005, mean=0.0045, min=0.0043)
            row.update(processes=None, process_spread=None)
        if (row["model"], row["runtime"]) == ("big-net", "openvino"):
            row.update(op_profile=None, op_profile_runs=None, op_profile_kernels=None)
            row["op_profile_source"] = "not profiled: simulated profiler failure"
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    pages = render_only(build_context(kb), "comparisons/runtimes.md", "models/big-net.md")
    slow = section(pages["comparisons/runtimes.md"], "Where slow runtimes spend their time")
    # The list is folded (an indented admonition).
    items = [line.strip() for line in slow.splitlines() if line.strip().startswith("- ")]
    assert items == [
        (
            '- [BigNet](../models/big-net.md) on [Intel Xeon Fixture, AVX-512 with BF16](../machines/x86-test.md "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"): '
            "ONNX Runtime · FP32 takes 70.0 ms, 2.3x the 30.0 ms of OpenCV DNN · FP32, the fastest "
            "in FP32. Its "
            "largest shares of kernel time: `Conv` 55% (≈38.5 ms), `Relu` 20% (≈14.0 ms), "
            "`ReorderOutput` 12% (≈8.40 ms); OpenCV DNN · FP32 has no `Relu` entry: the graph's "
            "`Relu` "
            "nodes run there as part of other operator types; `ReorderOutput` is an operator type "
            "of ONNX Runtime's own, not an ONNX operator of the graph. "
            "[Where the time goes](../models/big-net.md#where-the-time-goes)."
        ),
        # No profile, no link to a section the model page does not have.
        (
            '- [TinyNet](../models/tiny-net.md) on [Intel Xeon Fixture, AVX-512 with BF16](../machines/x86-test.md "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"): '
            "OpenCV DNN · FP32 takes 4.50 ms, 2.2x the 2.00 ms of ONNX Runtime · FP32, the fastest "
            "in FP32. No "
            "operator profile was recorded for it."
        ),
    ]
    part = section(pages["models/big-net.md"], "Where the time goes")
    assert "| OpenVINO" not in part
    assert "Not profiled: OpenVINO (simulated profiler failure)." in part
    # The slow runtime's own operator types, which the graph does not have.
    assert (
        "ONNX Runtime · FP32 spends 20% of its kernel time in operator types of its own that are not "
        "ONNX operators of the graph: `ReorderOutput` 12%, `ReorderInput` 8.0%." in part
    )
    assert "OpenCV DNN spends" not in part  # 30 ms: not over 2x the fastest here


def test_machine_page_fingerprint_peak_and_efficiency(pages):
    page = pages["machines/x86-test.md"]
    assert "| Measured FP32 peak | 400 GFLOP/s |" in page
    assert "| Method | numpy float32 matmul 1024x1024, best of 5 |" in page
    assert "**`avx2`**, `avx512_bf16`" in page  # bold: named by the hardware class
    assert "| 180 GFLOP/s | 45.0 % |" in page
    assert 'id="chart-roofline-x86-test"' in page
    index = pages["machines/index.md"]
    assert (
        "| [Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM]"
        "(x86-test.md) | [x86-64 CPU](../hardware/x86-cpu.md) |" in index
    )


def test_process_spread_unstable_rows_and_machine_stability(pages):
    # big-net × ONNX Runtime: its second process was 25 % slower than the reported one.
    model = pages["models/big-net.md"]
    assert "| Process spread | Status |" in model
    assert "| +25 % | ok, [**unstable**](../methodology.md#two-processes-per-row) |" in model
    assert "| +1.2 % | ok |" in model  # OpenVINO: within 10 %
    stability = section(pages["machines/x86-test.md"], "Stability")
    assert (
        "Of the 9 ok rows measured twice here, 2 differed by more than 10 % between their two "
        "processes (median spread +2.0 %, largest +25 %)"
    ) in stability
    assert "2 ok row(s) were measured in one process only" in stability
    assert "## Stability" not in pages["machines/arm-test.md"]  # no row has two processes
    methodology = section(pages["methodology.md"], "Two processes per row")
    assert "like `timeit`'s best of several runs" in methodology
    x86 = next(line for line in methodology.splitlines() if "(machines/x86-test.md " in line)
    assert "| 9 of 11 | +2.0 % | +25 % | 2: [BigNet](models/big-net.md) × " in x86
    steps = section(pages["methodology.md"], "How a row is measured")
    assert f"**{HARNESS['processes_per_row']} processes per row.** After all rows" in steps


# --- methodology -----------------------------------------------------------------------------


def test_methodology_is_written_from_the_harness(pages):
    page = pages["methodology.md"]
    steps = section(page, "How a row is measured")
    assert f"At least {HARNESS['min_repetitions']} timed inferences" in steps
    assert f"budget of {HARNESS['row_budget_seconds']} s" in steps
    assert f"`{HARNESS['timer']}`" in steps
    table = section(page, "Harness settings")
    # x86-test.json recorded a budget of 6 s; arm-test.json recorded no harness.
    row = next(line.strip() for line in table.splitlines() if "`row_budget_seconds`" in line)
    budget = HARNESS["row_budget_seconds"]
    assert row == f"| `row_budget_seconds` | `{budget}` | not recorded | `6.0` |"
    settings = section(page, "Runtime settings")
    assert "| `performance_hint` | `LATENCY` |" in settings
    precision = section(page, "Precision and agreement")
    assert "2 row(s) that ran reported a precision other than FP32" in precision
    assert f"at least {HARNESS['profile_min_runs']} inference(s)" in steps
    assert "so it changes none of the row's other numbers" in steps
    profiles = section(page, "Operator profiles")
    assert "the profile gives shares, not absolute times" in profiles
    assert "operator type names differ between runtimes" in profiles
    assert "In the current results, 3 of the 15 ok row(s) carry a profile." in profiles
    assert "### [OpenVINO](frameworks/openvino.md)" in settings


# --- downloads -------------------------------------------------------------------------------


def test_downloads_are_complete_and_deterministic(site, files):
    assert render_files(build_context(FIXTURE, repo_url=REPO)) == files
    results = pd.read_csv(io.StringIO(files["api/results.csv"]))
    assert len(results) == len(site.frame) == 22
    assert set(results["machine"]) == {"arm-test", "x86-test"}
    models = pd.read_csv(io.StringIO(files["api/models.csv"]))
    assert list(models["id"]) == sorted(site.kb.models)
    accuracy = pd.read_csv(io.StringIO(files["api/accuracy.csv"]))
    assert accuracy["source_url"].notna().all()
    kb = json.loads(files["api/kb.json"])
    assert set(kb) >= {"models", "use_cases", "frameworks", "hardware", "format_version"}
    assert kb["models"]["twin-net"]["name"] == "TwinNet"
    # Each machine's file is published byte for byte.
    raw = (FIXTURE / "results" / "x86-test.json").read_bytes()
    assert files["api/results/x86-test.json"] == raw
    assert [f["machine"]["id"] for f in json.loads(files["api/results.json"])["files"]] == [
        "arm-test",
        "x86-test",
    ]


def test_downloads_page_links_every_file(pages, files):
    page = pages["downloads.md"]
    for path in files:
        assert f"[`{path}`]({path})" in page


# --- opset and operators from a file already in the cache -----------------------------------


def tiny_model() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Relu", ["input"], ["r"]), helper.make_node("Relu", ["r"], ["s"])]
    nodes.append(helper.make_node("Sigmoid", ["s"], ["y"]))
    graph = helper.make_graph(nodes, "tiny", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_specifications_come_from_the_results_only(tmp_path, monkeypatch, render_only):
    """A model file in the local cache changes nothing: pages read the counts the results rows
    recorded, so a local build and the published one agree."""
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    fixture = tmp_path / "kb"
    shutil.copytree(FIXTURE, fixture)
    results = fixture / "results" / "x86-test.json"
    data = json.loads(results.read_text())
    for row in data["rows"]:
        if row["model"] == "twin-net":
            row["opset"], row["op_histogram"] = 17, {"Relu": 2, "Sigmoid": 1}
    results.write_text(json.dumps(data, indent=2))
    folder = tmp_path / "cache" / "models" / "builtin"
    folder.mkdir(parents=True)
    onnx.save(tiny_model(), folder / "mobilenet_v2-seed3-0000000000000000.onnx")
    page = render_only(build_context(fixture), "models/twin-net.md")["models/twin-net.md"]
    assert "| ONNX opset | 17 | — |" in page
    assert "| Operators (count) | Relu 2, Sigmoid 1 | — |" in page
    mid = render_only(build_context(fixture), "models/mid-net.md")["models/mid-net.md"]
    assert "local model cache" not in mid


# --- offline ---------------------------------------------------------------------------------


def test_offline_html_drops_scripts_from_elsewhere_only():
    html = (
        '<script src="../assets/bundle.js"></script>'
        '<script src=""> </script>'
        '<script src="https://cdnjs.cloudflare.com/x.js"></script>'
        '<script src="//cdn.example.org/y.js"></script>'
        '<script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>'
        '<script type="module">const m = await import("https://cdn.example.org/m.mjs");</script>'
        '<script>Plotly.newPlot("a", [], {}, {})</script>'
    )
    assert offline_html(html) == (
        '<script src="../assets/bundle.js"></script>'
        '<script>Plotly.newPlot("a", [], {}, {})</script>'
    )


def test_rows_with_other_settings_show_what_differs(pages):
    x86 = pages["models/tiny-net.md"].split(
        "### Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
    )[1]
    assert "| Runtime | Settings | Median (p50) |" in x86
    assert "| `intra_op_threads=1` | 2.60 ms |" in x86
    assert "| [usual](../methodology.md#runtime-settings) | 2.00 ms |" in x86


def test_surprises_are_explained_from_the_data(tmp_path, monkeypatch, render_only):
    """A 5-D model a runtime could not run, and FP32 rows above the measured peak."""
    kb, results, data = fixture_copy(tmp_path, monkeypatch)
    model = kb / "models" / "mid-net.yaml"
    model.write_text(model.read_text().replace("[1, 3, 224, 224]", "[1, 3, 8, 112, 112]"))
    data["machine"]["hardware"]["peak"]["fp32_flops"] = 150e9  # below big-net's 180 GFLOP/s on ORT
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    pages = render_only(build_context(kb), "comparisons/runtimes.md", "machines/x86-test.md")
    failures = section(pages["comparisons/runtimes.md"], "Could not load or run")
    assert "| `input` 1×3×8×112×112 (5-D) | failed |" in failures
    assert (
        "[MidNet](../models/mid-net.md) has a 5-D input, where every model it ran has 4-D inputs "
        "([OpenCV DNN](../frameworks/opencv-dnn.md) ran 2 model(s) ok)." in failures
    )
    machine = section(pages["machines/x86-test.md"], "Achieved compute")
    above = machine.split("Some FP32 rows exceed the measured peak (")[1].split("):")[0]
    # Only ONNX Runtime's FP32 row is above 150 GFLOP/s; OpenVINO's bf16 row is not counted.
    assert (
        above
        == "[ONNX Runtime](../frameworks/onnx-runtime.md) on [BigNet](../models/big-net.md) (120 %)"
    )
    assert "share is not comparable with the FP32 rows" in machine  # the bf16 rows


def test_use_cases_index_gives_each_recommendation(pages):
    index = pages["use_cases/index.md"]
    assert "| Recommended, per measured machine |" in index
    assert (
        "[TwinNet](../models/twin-net.md) on ONNX Runtime · FP32, 5.00 ms (Intel Xeon Fixture, AVX-512 with BF16)"
        in index
    )
    assert "none on Neoverse-N1, NEON; [BigNet](../models/big-net.md) on OpenVINO" in index


def test_use_case_ranking_flags_an_unstable_fastest_row(tmp_path, monkeypatch, render_only):
    """The use case ranking shows when the row it ranks by disagreed with its second process."""
    kb, results, data = fixture_copy(tmp_path, monkeypatch)
    for row in data["rows"]:
        if (row["model"], row["runtime"]) == ("big-net", "openvino"):
            row["process_spread"] = 0.3
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    pages = render_only(build_context(kb), "use_cases/image-classification.md")
    ranking = section(pages["use_cases/image-classification.md"], "Measured candidates")
    big = next(line for line in ranking.splitlines() if "[BigNet]" in line and "OpenVINO" in line)
    assert big.endswith("| ok, [**unstable**](../methodology.md#two-processes-per-row) |")
    twin = next(line for line in ranking.splitlines() if "[TwinNet]" in line)
    assert twin.endswith("| ok |")
