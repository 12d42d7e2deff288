"""The precision policy of the recommendation, on hand-made rows whose answers are known.

The fixture KB is tests/fixtures/analysis_kb (anomaly detection: floor 0.85 image AUROC,
tolerance SNR ≥ 30 dB; twin-net 0.92 and mid-net 0.90 meet the floor, tiny-net 0.80 does not).
On "vnni" (AVX-512 with VNNI):
  twin-net ORT FP32 10 ms; ORT INT8 4 ms at 35 dB (within, relies on VNNI): the pick;
  twin-net OV INT8 3 ms at 15 dB: faster, not within; mid-net OV BF16 2 ms without agreement:
  faster, not measured; the choice without VNNI is twin-net ORT FP32 at 10 ms.
On "plain" (AVX2 only): twin-net ORT INT8 6 ms at 35 dB ran on the plain path: the pick, and
  nothing further is needed.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.analysis.precision import NOT_MEASURED, NOT_WITHIN, WITHIN, precision_frame
from nnkb.bench.runtimes import load_adapters
from nnkb.kb import load_kb
from nnkb.render.sections.reasoning import reasoning
from nnkb.render.shared.names import Names
from nnkb.results import Agreement, ResultsFile, TaskAccuracy
from results_builder import machine, row

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"
ORT = {"graph_optimization": "all"}
ORT_INT8 = {**ORT, "quantizer": "onnxruntime"}
OV_INT8 = {"quantizer": "nncf"}


def agreement(snr_db: float | None) -> Agreement | None:
    if snr_db is None:
        return None
    return Agreement("onnxruntime", 0.1, 0.2, None, kind="tensor", inputs=64, snr_db=snr_db)


def measured(model, runtime, p50, precision, settings, snr_db=None, **fields):
    return row(
        model, runtime, p50, settings=settings, precision=precision,
        agreement=agreement(snr_db), **fields,
    )  # fmt: skip


def results(machine_id: str, features: tuple[str, ...], rows) -> ResultsFile:
    found = machine(machine_id)
    hardware = replace(found.hardware, isa_features=features)
    return ResultsFile(machine=replace(found, hardware=hardware), rows=rows)


@pytest.fixture
def kb():
    return load_kb(FIXTURE)


@pytest.fixture
def frame():
    vnni = results(
        "vnni",
        ("avx2", "avx512f", "avx512_vnni"),
        [
            measured("twin-net", "onnxruntime", 0.010, "fp32", ORT),
            measured("twin-net", "onnxruntime", 0.004, "int8", ORT_INT8, 35.0),
            measured("twin-net", "openvino", 0.003, "int8", OV_INT8, 15.0),
            measured("mid-net", "openvino", 0.002, "bf16", {}),
            measured("tiny-net", "onnxruntime", 0.001, "fp32", ORT),
        ],
    )
    plain = results(
        "plain",
        ("avx2",),
        [
            measured("twin-net", "onnxruntime", 0.012, "fp32", ORT),
            measured("twin-net", "onnxruntime", 0.006, "int8", ORT_INT8, 35.0),
        ],
    )
    return analysis.results_frame([vnni, plain])


def recs(kb, frame, use_case="anomaly-detection"):
    return {r.machine: r for r in analysis.recommend(kb, frame, use_case)}


def test_int8_within_tolerance_is_recommended_with_its_features_and_fallback(kb, frame):
    rec = recs(kb, frame)["vnni"]
    assert rec.outcome == analysis.RECOMMENDED
    assert (rec.model, rec.runtime, rec.p50, rec.pick.precision) == (
        "twin-net", "onnxruntime", 0.004, "int8",
    )  # fmt: skip
    assert rec.needs == ("avx512_vnni",)
    assert rec.pick.tolerance_value == 35.0
    fallback = rec.fallback
    assert fallback is not None
    assert (fallback.model, fallback.runtime, fallback.p50, fallback.precision) == (
        "twin-net", "onnxruntime", 0.010, "fp32",
    )  # fmt: skip
    text = reasoning(rec, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
    assert "TwinNet runs in INT8 there: its measured signal-to-noise ratio of 35.0 dB" in text
    assert "(signal-to-noise ratio ≥ 30.0 dB)" in text
    assert "It relies on AVX512_VNNI (INT8 kernels)" in text
    assert (
        "On a CPU without them, the fastest choice is TwinNet on ONNX Runtime in FP32 at " in text
    )
    assert "10.0 ms (2.5x the time)" in text


def test_faster_rows_not_within_or_not_measured_are_shown_never_picked(kb, frame):
    rec = recs(kb, frame)["vnni"]
    misses = [(m.model, m.runtime, m.precision, m.p50, m.verdict, m.value) for m in rec.not_within]
    assert misses == [
        ("mid-net", "openvino", "bf16", 0.002, NOT_MEASURED, None),
        ("twin-net", "openvino", "int8", 0.003, NOT_WITHIN, 15.0),
    ]
    text = reasoning(rec, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
    assert (
        "TwinNet on OpenVINO in INT8 is faster at 3.00 ms, accuracy not within tolerance "
        "(signal-to-noise ratio 15.0 dB against signal-to-noise ratio ≥ 30.0 dB)" in text
    )
    assert (
        "MidNet on OpenVINO in BF16 is faster at 2.00 ms, but its agreement with FP32 was " in text
    )


def test_int8_on_a_plain_avx2_path_needs_nothing_more(kb, frame):
    rec = recs(kb, frame)["plain"]
    assert (rec.model, rec.p50, rec.pick.precision, rec.needs, rec.fallback) == (
        "twin-net", 0.006, "int8", (), None,
    )  # fmt: skip
    text = reasoning(rec, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
    assert "only the FP32 units this machine has (AVX2)" in text


def test_without_a_tolerance_no_reduced_precision_row_is_recommended(kb, frame):
    kb.use_cases["anomaly-detection"].data.pop("precision_tolerance")
    rec = recs(kb, frame)["vnni"]
    assert (rec.model, rec.p50, rec.pick.precision, rec.fallback) == (
        "twin-net", 0.010, "fp32", None,
    )  # fmt: skip
    assert {m.verdict for m in rec.not_within} == {"no-tolerance"}


def test_only_models_of_the_use_case_tasks_are_candidates(kb, frame):
    use_case = kb.use_cases["anomaly-detection"]
    use_case.data["tasks"] = ["anomaly-detection"]
    kb.models["mid-net"].data["task"] = "anomaly-detection"
    kb.models["twin-net"].data["backbone_for"] = ["anomaly-detection"]
    rec = recs(kb, frame)["vnni"]
    assert [c.model for c in rec.candidates] == ["mid-net"]
    # mid-net's only row is BF16 without agreement: it ran, but nothing may be recommended.
    assert rec.outcome == analysis.NOTHING_RAN_OK and rec.pick is None
    assert [m.model for m in rec.not_within] == ["mid-net"]


def test_a_backbone_is_never_a_candidate_even_without_tasks(kb, frame):
    assert kb.use_cases["anomaly-detection"].tasks == []  # the fixture names none
    kb.models["twin-net"].data["backbone_for"] = ["anomaly-detection"]
    rec = recs(kb, frame)["vnni"]
    assert "twin-net" not in [c.model for c in rec.candidates]
    assert rec.outcome == analysis.NONE_MEETS_FLOOR  # mid-net has no ok row; tiny-net 0.80


def ocr(cer: float, line_accuracy: float) -> TaskAccuracy:
    corpus = {"id": "lines", "version": 1, "seed": 0, "lines": 500, "sha256": "0", "renderer": "x"}
    return TaskAccuracy("text-recognition", cer, line_accuracy, cer, 500, 9000, 1, 1, corpus, 1.0)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        # OV INT8 adds 0.5 points of CER (within 1), ORT INT8 21.9 points (not within).
        ("cer_points", [("openvino", WITHIN, 0.5), ("onnxruntime", NOT_WITHIN, 21.91)]),
        # Line accuracy 80 % -> 78 % (2 points, within 3) and -> 20 % (60 points, not within).
        ("line_accuracy_points", [("openvino", WITHIN, 2.0), ("onnxruntime", NOT_WITHIN, 60.0)]),
    ],
)
def test_task_accuracy_loss_is_against_the_onnx_runtime_fp32_row(kb, metric, expected):
    rows = [
        measured("twin-net", "onnxruntime", 0.01, "fp32", ORT, accuracy=ocr(0.0439, 0.80)),
        measured("twin-net", "openvino", 0.005, "int8", OV_INT8, accuracy=ocr(0.0489, 0.78)),
        measured("twin-net", "onnxruntime", 0.004, "int8", ORT_INT8, accuracy=ocr(0.263, 0.20)),
    ]
    frame = analysis.results_frame([results("vnni", ("avx512_vnni",), rows)])
    use_case = copy.deepcopy(kb.use_cases["anomaly-detection"])
    threshold = 1.0 if metric == "cer_points" else 3.0
    use_case.data["precision_tolerance"] = {"metric": metric, "threshold": threshold, "reason": "x"}
    judged = precision_frame(frame, use_case)
    reduced = judged[judged["precision_class"] == "int8"].sort_values("p50", ascending=False)
    found = [(r.runtime, r.verdict, round(r.tolerance_value, 2)) for r in reduced.itertuples()]
    assert found == expected


# --- random weights: architecture only --------------------------------------------------------


def test_no_precision_verdict_rests_on_random_weights(kb):
    """The same rows measured on random (or unrecorded) weights: the INT8 row within
    tolerance is not accepted and the one outside it is not rejected; neither is picked, and
    the reasoning says why instead of quoting a tolerance."""
    from nnkb.analysis.precision import RANDOM_WEIGHTS

    for weights in ("random", None):
        rows = [
            measured("twin-net", "onnxruntime", 0.010, "fp32", ORT, weights=weights),
            measured("twin-net", "onnxruntime", 0.004, "int8", ORT_INT8, 35.0, weights=weights),
            measured("twin-net", "openvino", 0.003, "int8", OV_INT8, 15.0, weights=weights),
        ]
        frame = analysis.results_frame([results("vnni", ("avx512_vnni",), rows)])
        judged = precision_frame(frame, kb.use_cases["anomaly-detection"])
        reduced = judged[judged["precision_class"] == "int8"]
        assert set(reduced["verdict"]) == {RANDOM_WEIGHTS}
        assert not reduced["eligible"].any()
        rec = recs(kb, frame)["vnni"]
        assert (rec.model, rec.pick.precision, rec.p50) == ("twin-net", "fp32", 0.010)
        assert {m.verdict for m in rec.not_within} == {RANDOM_WEIGHTS}
        text = reasoning(rec, kb.use_cases["anomaly-detection"], Names.of(kb, load_adapters()))
        assert "its accuracy cost is not measurable on random weights" in text
        assert "not within tolerance" not in text and "35.0 dB" not in text


def test_committed_verdicts_rest_on_published_weights_only():
    """Over the committed results and the real KB: every accept or reject of a reduced
    precision is of a row that measured published weights."""
    from nnkb.analysis.precision import FP32, NOT_WITHIN, RANDOM_WEIGHTS, is_reduced
    from nnkb.results import load_all

    root = Path(__file__).resolve().parents[1] / "kb"
    real_kb = load_kb(root)
    frame = analysis.results_frame(load_all(root))
    judged_rows = 0
    for use_case in real_kb.use_cases.values():
        models = {m.id for m in real_kb.models_for(use_case.id)}
        judged = precision_frame(frame[frame["model"].isin(models)], use_case)
        verdicts = judged[judged["verdict"] != FP32]
        decided = verdicts[verdicts["verdict"].isin([WITHIN, NOT_WITHIN])]
        assert set(decided["weights"]) <= {"pretrained"}, use_case.id
        guessed = verdicts[verdicts["weights"] != "pretrained"]
        assert set(guessed["verdict"]) <= {RANDOM_WEIGHTS} and not guessed["eligible"].any()
        judged_rows += len(verdicts)
        for rec in analysis.recommend(real_kb, frame, use_case.id):
            if rec.pick is not None and is_reduced(rec.pick.precision):
                pick = judged[
                    (judged["machine"] == rec.machine) & (judged["model"] == rec.model)
                    & (judged["runtime"] == rec.runtime) & (judged["settings"] == rec.settings)
                ]  # fmt: skip
                assert set(pick["weights"]) == {"pretrained"}, (use_case.id, rec.machine)
    assert judged_rows > 0  # the committed files have reduced-precision rows to judge
