"""The throughput scenario in the analysis, on tests/fixtures/analysis_kb with throughput rows
added on x86-test; the answers are known by construction.

Anomaly detection is made to state throughput here (floor 0.85). On x86-test:
  mid-net on openvino sustains 500/s (its latency twin: 5.0 ms), twin-net 350/s on openvino
  and 300/s on onnxruntime, big-net 100/s (bf16, within the tolerance by its twin's
  agreement); tiny-net has no throughput row. mid-net wins, with 5.0 ms beside.
  The mid-net throughput row has a per-request median of 1 ms under load, faster than every
  latency row: it must never appear in a latency ranking.
On arm-test no throughput row exists: ranked by latency, and the recommendation says so.
Image classification states latency: big-net on openvino at 20 ms wins with its twin's 100/s
beside.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.analysis.scenario import paired_frame
from nnkb.bench.runtimes import load_adapters
from nnkb.kb import load_kb
from nnkb.render.sections.reasoning import reasoning
from nnkb.render.shared.names import Names
from nnkb.results import read
from results_builder import throughput_twin

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"
RATES = {  # (model, runtime): (inferences/s, per-request median under load, batch, streams)
    ("mid-net", "openvino"): (500.0, 0.001, 4, 2),
    ("twin-net", "openvino"): (350.0, 0.011, 1, 2),
    ("twin-net", "onnxruntime"): (300.0, 0.012, 2, 1),
    ("big-net", "openvino"): (100.0, 0.04, 1, 2),
}


def files_with_throughput():
    x86 = read(FIXTURE / "results" / "x86-test.json")
    added = [
        throughput_twin(r, rate, p50, batch, streams)
        for r in x86.rows
        for (model, runtime), (rate, p50, batch, streams) in RATES.items()
        if (r.model, r.runtime) == (model, runtime)
    ]
    assert len(added) == len(RATES)
    return [read(FIXTURE / "results" / "arm-test.json"), replace(x86, rows=x86.rows + added)]


THROUGHPUT_USE_CASE = "anomaly-detection"


@pytest.fixture(scope="module")
def kb():
    kb = load_kb(FIXTURE)
    kb.use_cases[THROUGHPUT_USE_CASE].data["scenario"] = "throughput"
    return kb


@pytest.fixture(scope="module")
def frame():
    return analysis.results_frame(files_with_throughput())


def test_the_frame_has_the_scenario_and_the_rates(frame):
    tp = frame[frame["scenario"] == "throughput"]
    assert len(tp) == 4 and (frame["scenario"] == "latency").sum() == len(frame) - 4
    mid = tp[tp["model"] == "mid-net"].iloc[0]
    assert (mid.inferences_per_s, mid.batch, mid.streams) == (500.0, 4, 2)
    assert mid.twin_settings == "num_streams=1, performance_hint=LATENCY"
    assert frame.loc[frame["scenario"] == "latency", "inferences_per_s"].isna().all()


def test_a_throughput_row_is_paired_with_its_twins_quality(frame):
    paired = paired_frame(frame).set_index(["model", "runtime"])
    big = paired.loc[("big-net", "openvino")]
    assert big.precision == "bf16" and big.agree_snr_db == 40  # the twin's, not measured again
    assert (big.p50, big.load_p50, big.inferences_per_s) == (0.02, 0.04, 100.0)
    assert big.settings == "num_streams=1, performance_hint=LATENCY"


def test_a_throughput_row_never_enters_a_latency_ranking(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection", scenario="latency")
    x86 = ranking[(ranking["machine"] == "x86-test") & (ranking["status"] == "ok")]
    assert list(x86["model"]) == ["tiny-net", "twin-net", "mid-net", "big-net"]
    assert x86.set_index("model").loc["mid-net", "p50"] == 0.005  # not the 1 ms under load
    assert set(x86["scenario"]) == {"latency"}
    # ... and not into any other latency view.
    assert analysis.best_ok(frame, ["model"])["p50"].min() == 0.0015
    speedups = analysis.runtime_speedups(frame, "onnxruntime")
    assert (
        speedups.set_index(["machine", "model", "runtime"]).loc[
            ("x86-test", "mid-net", "openvino"), "p50"
        ]
        == 0.005
    )


def test_a_throughput_use_case_ranks_by_inferences_per_second(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    assert ranking.attrs["stated_scenario"] == "throughput"
    assert ranking.attrs["fallback_machines"] == ("arm-test",)
    x86 = ranking[ranking["machine"] == "x86-test"].set_index("model")
    assert list(x86.index) == ["mid-net", "twin-net", "big-net", "tiny-net"]
    assert list(x86["rank"][:3]) == [1, 2, 3]
    assert x86.loc["twin-net", "runtime"] == "openvino"  # 350/s beats onnxruntime's 300/s
    assert tuple(x86.loc["mid-net", ["inferences_per_s", "p50", "load_p50"]]) == (500, 0.005, 0.001)
    assert x86.loc["tiny-net", "status"] == "not-measured"


def test_the_recommendation_uses_the_stated_scenario_and_shows_the_other(kb, frame):
    recs = {r.machine: r for r in analysis.recommend(kb, frame, "anomaly-detection")}
    x86, arm = recs["x86-test"], recs["arm-test"]
    assert (x86.scenario, x86.scenario_fallback, x86.model, x86.runtime) == (
        "throughput",
        False,
        "mid-net",
        "openvino",
    )
    assert (x86.pick.inferences_per_s, x86.pick.p50, x86.pick.batch) == (500.0, 0.005, 4)
    twin = next(a for a in x86.alternatives if a.model == "twin-net")
    assert twin.verdict == "slower" and not twin.faster and not twin.within_noise
    tiny = next(a for a in x86.alternatives if a.model == "tiny-net")
    assert tiny.verdict == "did-not-run"
    assert (arm.scenario, arm.scenario_fallback, arm.model) == ("latency", True, "twin-net")
    text = reasoning(arm, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
    assert "no throughput rows" in text and "latency" in text
    text = reasoning(x86, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
    assert "500 inferences per second" in text and "5.00 ms" in text


def test_a_latency_use_case_shows_the_twins_rate_beside(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "image-classification")
    big = ranking[ranking["machine"] == "x86-test"].set_index("model").loc["big-net"]
    assert (big.runtime, big.p50, big.scenario) == ("openvino", 0.02, "latency")
    assert (big.inferences_per_s, big.batch, big.streams) == (100.0, 1, 2)
    rec = {r.machine: r for r in analysis.recommend(kb, frame, "image-classification")}["x86-test"]
    assert (rec.scenario, rec.model, rec.pick.inferences_per_s) == ("latency", "big-net", 100.0)


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    from nnkb.render.build.site import build_context, render_pages
    from nnkb.results import write_atomic

    kb_root = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(FIXTURE, kb_root)
    entry = kb_root / "use_cases" / f"{THROUGHPUT_USE_CASE}.yaml"
    entry.write_text(
        entry.read_text().replace("scenario: latency", "scenario: throughput"), encoding="utf-8"
    )
    for results in files_with_throughput():
        write_atomic(kb_root / "results" / f"{results.machine.id}.json", results)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNKB_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
        return render_pages(build_context(kb_root, repo_url="https://github.com/nnkb/nnkb"))


@pytest.mark.parametrize(
    ("page", "golden_name"),
    [
        ("use_cases/anomaly-detection.md", "scenario-use-case-anomaly-detection.md"),
        ("use_cases/image-classification.md", "scenario-use-case-image-classification.md"),
        ("comparisons/runtimes.md", "scenario-comparisons-runtimes.md"),
        ("models/mid-net.md", "scenario-models-mid-net.md"),
    ],
)
def test_pages_with_throughput_rows_match_golden(pages, page, golden_name, golden):
    golden(f"render/{golden_name}", pages[page])


def test_the_use_case_page_ranks_by_the_stated_scenario(pages):
    page = pages["use_cases/anomaly-detection.md"]
    assert "MidNet on OpenVINO · FP32, 500 inferences/s" in page
    assert "throughput on all cores **500/s (batch 4 × 2 streams)**" in page
    assert "No throughput rows have been measured on Neoverse-N1, NEON yet" in page
    assert 'id="chart-throughput-anomaly-detection"' in page
    # The 1 ms median under load of mid-net's throughput row is never shown as a latency.
    assert "1.00 ms" not in page.split("## Throughput on all cores")[0]


def test_the_measured_table_has_the_throughput_column(pages):
    page = pages["models/mid-net.md"]
    assert "| Throughput, all cores |" in page and "500/s (batch 4 × 2 streams)" in page
    assert "not measured yet on Neoverse-N1, NEON" in page
    runtimes = pages["comparisons/runtimes.md"]
    assert 'id="chart-runtime-throughput"' in runtimes
    assert "not measured yet on Neoverse-N1, NEON." in runtimes


def test_the_committed_results_say_where_throughput_is_not_measured(tmp_path, monkeypatch):
    from nnkb.render.build.site import build_context, render_pages
    from nnkb.results import load_all

    root = Path(__file__).parent.parent / "kb"
    files = load_all(root)
    lacking = [f for f in files if not any(r.scenario == "throughput" and r.ok for r in f.rows)]
    if not lacking:
        pytest.skip("every committed machine has throughput rows")
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path))
    pages = render_pages(build_context(root))
    where = "on any measured machine" if len(lacking) == len(files) > 1 else "on "
    scenario = pages["use_cases/text-recognition.md"].split("## Scenario", 1)[1]
    assert f"No throughput rows have been measured {where}" in scenario.split("\n## ", 1)[0]
    for page in ("comparisons/runtimes.md", "use_cases/image-classification.md"):
        assert f"is not measured yet {where}" in pages[page]


def test_the_methodology_words_the_harness_throughput_keys_only_where_it_has_them():
    from nnkb.render.sections.throughput import methodology_section

    bare = methodology_section({"version": "5"})
    assert "## Latency and throughput scenarios" in bare and "settings of the harness" not in bare
    text = methodology_section(
        {"throughput_seconds": 2.0, "throughput_method": "OpenVINO: THROUGHPUT hint"}
    )
    assert "`throughput_method`: OpenVINO: THROUGHPUT hint" in text
    assert "`throughput_seconds`: 2.0" in text
