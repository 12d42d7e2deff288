"""Recommendations on tests/fixtures/analysis_kb, whose answers are known by construction.

Anomaly detection (image AUROC on MVTec AD, floor 0.85):
  x86-test: tiny-net (0.80) is fastest but below the floor; twin-net (0.92, onnxruntime) and
            mid-net (0.90, openvino) tie at 5.0 ms, twin-net wins on accuracy; big-net 20 ms.
  arm-test: tiny-net below the floor; mid-net and big-net never ran ok; twin-net wins.
Image classification (top-1 on ImageNet-1k, floor 70 %):
  x86-test: big-net (76.1 %) on openvino (ties onnxruntime at 20 ms, lower p90).
  arm-test: big-net crashed, offline-net is not benchmarked: no model meets the floor.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.bench.runtimes import load_adapters
from nnkb.kb import UseCase, load_kb
from nnkb.render.sections.reasoning import alternative_note, reasoning
from nnkb.render.shared.names import Names
from nnkb.results import read

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"


@pytest.fixture
def kb():
    # Function scope: some tests edit a use case to reach the rarer outcomes.
    return load_kb(FIXTURE)


@pytest.fixture(scope="module")
def frame():
    files = sorted((FIXTURE / "results").glob("*.json"))
    return analysis.results_frame(read(p) for p in files)


@pytest.fixture(scope="module")
def recommended(frame) -> dict[str, list[analysis.Recommendation]]:
    """analysis.recommend for each use case of the unedited fixture, computed once for the
    tests that only read the answers (each takes a good part of a second)."""
    kb = load_kb(FIXTURE)
    return {use_case: analysis.recommend(kb, frame, use_case) for use_case in sorted(kb.use_cases)}


def by_machine(recs: list[analysis.Recommendation]) -> dict[str, analysis.Recommendation]:
    return {r.machine: r for r in recs}


def why(kb, rec: analysis.Recommendation) -> str:
    """The reasoning the use case page writes for `rec` (render.sections.reasoning)."""
    return reasoning(rec, kb.use_cases[rec.use_case], Names.of(kb, load_adapters()))


def test_recommendations_golden(kb, recommended, golden):
    """The full reasoning texts, reviewed in tests/golden/analysis/recommendations.md."""
    lines = []
    assert list(recommended) == sorted(kb.use_cases)
    for use_case in sorted(kb.use_cases):
        for rec in recommended[use_case]:
            lines += [f"## {use_case} on {rec.machine}: {rec.outcome}", "", why(kb, rec), ""]
            lines += [
                f"- {a.verdict}: {alternative_note(rec, a, Names.of(kb, load_adapters()))}"
                for a in rec.alternatives
            ]
            lines += [""]
    golden("analysis/recommendations.md", "\n".join(lines))


def test_fastest_model_meeting_the_floor_wins_and_ties_go_to_accuracy(kb, recommended):
    rec = by_machine(recommended["anomaly-detection"])["x86-test"]
    assert rec.outcome == analysis.RECOMMENDED
    assert (rec.model, rec.runtime, rec.p50, rec.accuracy, rec.floor) == (
        "twin-net",
        "onnxruntime",
        0.005,
        0.92,
        0.85,
    )
    assert rec.settings == "graph_optimization=all, intra_op_threads=2"
    text = why(kb, rec)
    assert text.startswith("On this machine, 3 of the 4 candidate models for Anomaly")
    assert "have a cited image AUROC ≥ 0.85 on MVTec AD" in text
    assert "TwinNet on ONNX Runtime is the fastest of them at 5.00 ms median latency" in text
    assert "(95% CI 4.90 ms to 5.10 ms)" in text
    assert (
        "MidNet on OpenVINO has the same median latency; TwinNet is preferred because its "
        "cited image AUROC is higher (0.92 against 0.9)" in text
    )
    assert "BigNet on OpenVINO is 4.0x slower at 20.0 ms" in text
    assert "TwinNet also ran on OpenVINO at 5.80 ms (1.2x slower)" in text
    assert "The floor (≥ 0.85) is from Fixture floor for anomaly detection." in text


def test_faster_model_below_the_floor_is_never_recommended(kb, recommended):
    for use_case in kb.use_cases:
        for rec in recommended[use_case]:
            assert rec.model != "tiny-net", (use_case, rec.machine)
    rec = by_machine(recommended["anomaly-detection"])["x86-test"]
    assert (
        "TinyNet on OpenVINO is faster at 1.50 ms, but its cited image AUROC of 0.8 does not "
        "meet the floor." in why(kb, rec)
    )
    tiny = next(a for a in rec.alternatives if a.model == "tiny-net")
    assert (tiny.verdict, tiny.runtime, tiny.p50, tiny.accuracy) == (
        "below-floor",
        "openvino",
        0.0015,
        0.8,
    )


def test_alternatives_cover_every_other_candidate(kb, recommended):
    rec = by_machine(recommended["anomaly-detection"])["arm-test"]
    assert (rec.model, rec.runtime) == ("twin-net", "onnxruntime")
    verdicts = {a.model: a.verdict for a in rec.alternatives}
    assert verdicts == {
        "tiny-net": "below-floor",
        "mid-net": "did-not-run",
        "big-net": "did-not-run",
    }
    assert "1 of the 4 candidate models" in why(kb, rec) and "and has a cited" in why(kb, rec)
    assert (
        "BigNet (ONNX Runtime crashed: subprocess killed by signal 9 (out of memory); OpenVINO "
        "failed: compile_model ran out of memory; its cited image AUROC of 0.97 meets the floor)"
        in why(kb, rec)
    )
    assert "MidNet (ONNX Runtime timed out: row exceeded the 120 s timeout" in why(kb, rec)


def test_runtime_tie_within_the_winner_is_broken_on_p90(kb, recommended):
    rec = by_machine(recommended["image-classification"])["x86-test"]
    assert (rec.outcome, rec.model, rec.runtime, rec.accuracy) == (
        analysis.RECOMMENDED,
        "big-net",
        "openvino",
        76.1,
    )
    assert rec.accuracy_unit == "%"
    assert (
        "BigNet also ran on ONNX Runtime at 20.0 ms (same median, but a higher p90 of 21.0 ms "
        "against 20.5 ms) and OpenCV DNN at 30.0 ms (1.5x slower)" in why(kb, rec)
    )
    assert (
        "TwinNet on ONNX Runtime is faster at 5.00 ms, but it has no cited top-1 accuracy on "
        "ImageNet-1k." in why(kb, rec)
    )
    assert (
        "OfflineNet (not benchmarked: No redistributable ONNX file can be had offline; its "
        "cited top-1 accuracy of 80 % meets the floor)" in why(kb, rec)
    )


def test_machine_where_no_model_meets_the_floor(kb, recommended):
    rec = by_machine(recommended["image-classification"])["arm-test"]
    assert rec.outcome == analysis.NONE_MEETS_FLOOR
    assert (rec.model, rec.runtime, rec.p50, rec.accuracy) == (None, None, None, None)
    assert rec.floor == 70.0
    assert (
        "none of the 2 candidate models for Image classification that ran successfully has a "
        "cited top-1 accuracy ≥ 70 % on ImageNet-1k, so nothing is recommended" in why(kb, rec)
    )
    assert (
        "TinyNet on ONNX Runtime ran at 4.00 ms, but its cited top-1 accuracy of 60 % does "
        "not meet the floor." in why(kb, rec)
    )
    assert "BigNet (ONNX Runtime crashed" in why(kb, rec)
    assert {a.model for a in rec.alternatives} == {"tiny-net", "twin-net", "big-net", "offline-net"}


def test_nothing_ran_ok(kb, frame):
    failed_only = frame[frame["status"] != "ok"]
    recs = by_machine(analysis.recommend(kb, failed_only, "anomaly-detection"))
    rec = recs["arm-test"]
    assert rec.outcome == analysis.NOTHING_RAN_OK and rec.model is None
    assert why(kb, rec).startswith(
        "On this machine, none of the 4 candidate models for Anomaly detection ran "
        "successfully, so nothing is recommended."
    )
    assert "TinyNet (OpenCV DNN unavailable: cv2 could not be imported on this machine)" in (
        why(kb, rec)
    )
    assert all(a.verdict == "did-not-run" for a in rec.alternatives)


def test_no_cited_accuracy_among_the_models_that_ran(kb, frame):
    # On x86 only twin-net runs, and it cites top-1 on CIFAR-10, not ImageNet-1k.
    only_twin = frame[(frame["machine"] == "x86-test") & (frame["model"] == "twin-net")]
    [rec] = analysis.recommend(kb, only_twin, "image-classification")
    assert rec.outcome == analysis.NO_CITED_ACCURACY and rec.model is None
    assert (
        "1 candidate model(s) for Image classification ran, but none has a cited top-1 "
        "accuracy on ImageNet-1k" in why(kb, rec)
    )
    assert "TwinNet on ONNX Runtime ran at 5.00 ms, but it has no cited" in why(kb, rec)


def test_without_a_floor_the_fastest_candidate_is_given(kb, frame):
    del kb.use_cases["anomaly-detection"].data["accuracy_floor"]
    rec = by_machine(analysis.recommend(kb, frame, "anomaly-detection"))["x86-test"]
    assert rec.outcome == analysis.NO_FLOOR
    assert (rec.model, rec.runtime, rec.floor) == ("tiny-net", "openvino", None)
    assert why(kb, rec).startswith(
        "The KB sets no accuracy floor for Anomaly detection, so on this machine the "
        "recommendation is simply the fastest candidate that ran: TinyNet on OpenVINO at "
        "1.50 ms"
    )
    assert "Its cited image AUROC on MVTec AD is 0.8." in why(kb, rec)
    assert "TwinNet on ONNX Runtime is 3.3x slower at 5.00 ms" in why(kb, rec)
    assert "The floor" not in why(kb, rec)


def test_lower_is_better_metric_flips_floor_and_ties(kb, frame):
    use_case = kb.use_cases["anomaly-detection"]
    use_case.data["accuracy_metric"]["higher_is_better"] = False
    use_case.data["accuracy_floor"]["value"] = 0.91  # now a ceiling: tiny 0.80, mid 0.90 pass
    rec = by_machine(analysis.recommend(kb, frame, "anomaly-detection"))["x86-test"]
    assert (rec.model, rec.runtime) == ("tiny-net", "openvino")
    assert "image AUROC ≤ 0.91" in why(kb, rec)
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    x86 = ranking[ranking["machine"] == "x86-test"]
    # The 5.0 ms tie now goes to mid-net, whose value is the lower one.
    assert list(x86["model"]) == ["tiny-net", "mid-net", "twin-net", "big-net"]
    assert list(x86["meets_floor"]) == [True, True, False, False]


def test_use_case_without_candidates(kb, frame):
    base = kb.use_cases["anomaly-detection"]
    kb.use_cases["lonely"] = UseCase("use_cases", "lonely", base.path, copy.deepcopy(base.data))
    recs = analysis.recommend(kb, frame, "lonely")
    assert [r.outcome for r in recs] == [analysis.NO_CANDIDATES] * 2
    assert why(kb, recs[0]).startswith("The KB lists no candidate models for Anomaly detection")


def test_hardware_outlook(kb, frame):
    outlook = {o.hardware: o for o in analysis.hardware_outlook(kb, "anomaly-detection", frame)}
    assert list(outlook) == ["arm-cpu", "nvidia-jetson", "x86-cpu"]
    jetson = outlook["nvidia-jetson"]
    assert not jetson.measured and jetson.machines == ()
    assert [n.text for n in jetson.notes] == [
        "Jetson modules run the feature extractor on the GPU with TensorRT."
    ]
    # PyTorch targets Jetson too but does not run ONNX files, so it is not listed.
    assert jetson.runtimes == ("onnx-runtime",)
    assert jetson.benchmarked_runtimes == ("onnx-runtime",)
    assert outlook["arm-cpu"].measured and outlook["arm-cpu"].machines == (
        "Neoverse-N1, NEON, 2 vCPUs, 24 GiB, cloud VM",
    )
    # Without published figures: inference runtimes made for fewer classes first, not by name.
    assert outlook["x86-cpu"].runtimes == ("opencv-dnn", "openvino", "onnx-runtime")
    assert [c.framework for c in outlook["x86-cpu"].choices][-1] == "pytorch"
    assert outlook["x86-cpu"].notes == ()
    without_results = analysis.hardware_outlook(kb, "image-classification")
    assert not any(o.measured for o in without_results)
    assert [n.text for o in without_results for n in o.notes] == [
        "FP16 on the GPU roughly halves latency against FP32."
    ]


def test_accuracy_equal_to_the_floor_meets_it(kb, frame):
    kb.use_cases["anomaly-detection"].data["accuracy_floor"]["value"] = 0.92
    rec = by_machine(analysis.recommend(kb, frame, "anomaly-detection"))["x86-test"]
    assert (rec.model, rec.runtime, rec.accuracy, rec.floor) == (
        "twin-net",
        "onnxruntime",
        0.92,
        0.92,
    )
    assert "2 of the 4 candidate models" in why(kb, rec)  # twin-net (0.92) and big-net (0.97)
    mid = next(a for a in rec.alternatives if a.model == "mid-net")
    assert mid.verdict == "below-floor"
