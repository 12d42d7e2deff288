"""Agreement metrics on hand-made outputs with known answers, and the varied inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnkb.bench.agreement import (
    AGREEMENT_COUNT,
    METHOD_TEXT,
    AgreementError,
    agreement,
    agreement_inputs,
    padim_anomaly_maps,
)
from nnkb.models.quantize import CALIBRATION_SEED
from nnkb.models.synthetic import FAMILIES, synthetic_inputs


def logits(*rows: list[float]) -> list[np.ndarray]:
    return [np.array([row], dtype=np.float32) for row in rows]


def test_classifier_top1_top5_and_distinct_classes():
    ref = logits(
        [9, 1, 2, 3, 4, 5, 0],  # class 0
        [1, 9, 2, 3, 4, 5, 0],  # class 1
        [9, 1, 2, 3, 4, 5, 0],  # class 0
        [9, 1, 2, 3, 4, 5, 0],  # class 0
    )
    out = logits(
        [9, 1, 2, 3, 4, 5, 0],  # same top-1
        [1, 9, 2, 3, 4, 5, 0],  # same top-1
        [5, 1, 2, 9, 8, 7, 0],  # top-1 is 3; class 0 is 4th: in the top 5
        [0, 1, 2, 3, 4, 5, 9],  # top-1 is 6; class 0 is last: not in the top 5
    )
    result = agreement("classifier", ref, out)
    assert result.top1 == pytest.approx(0.5)
    assert result.top5 == pytest.approx(0.75)
    assert result.distinct_top1 == 2
    assert result.inputs == 4
    assert result.cosine_mean is None and result.spearman_mean is None


def test_top5_is_not_reported_with_five_classes_or_fewer():
    result = agreement("classifier", logits([1, 0]), logits([0, 1]))
    assert result.top1 == 0.0
    assert result.top5 is None


def test_embedding_cosine_mean_and_minimum():
    ref = [np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])]
    out = [np.array([[1.0, 1.0]]), np.array([[0.0, 5.0]])]  # 45 degrees off; same direction
    result = agreement("embedding", ref, out)
    assert result.cosine_min == pytest.approx(math.sqrt(0.5))
    assert result.cosine_mean == pytest.approx((math.sqrt(0.5) + 1.0) / 2)


def test_anomaly_map_rank_correlation_ignores_scale_and_sees_reversal():
    base = np.arange(16, dtype=np.float64).reshape(1, 4, 4)
    ref = [base, base + 100.0]
    monotone = [np.exp(base / 4), base + 100.0]  # same order within each map
    result = agreement("anomaly_map", ref, monotone)
    assert result.spearman_mean == pytest.approx(1.0)
    assert result.spearman_min == pytest.approx(1.0)
    reversed_ = agreement("anomaly_map", ref, [-base, -(base + 100.0)])
    assert reversed_.spearman_min == pytest.approx(-1.0)
    # The second map has the higher maximum in the reference, the first in the candidate.
    assert reversed_.image_spearman == pytest.approx(-1.0)


def test_anomaly_map_is_ranked_as_a_whole_not_row_by_row():
    ref = np.arange(16, dtype=np.float64).reshape(1, 4, 4)
    rows_swapped = ref[:, ::-1, :].copy()  # each row keeps its order, the rows do not
    result = agreement("anomaly_map", [ref], [rows_swapped])
    assert result.spearman_min < -0.5


def test_snr_in_decibels_and_max_relative_error():
    ref = [np.array([3.0, 4.0])]  # energy 25
    out = [np.array([3.5, 4.0])]  # error energy 0.25: SNR 20 dB
    result = agreement("tensor", ref, out)
    assert result.snr_db == pytest.approx(20.0)
    assert result.snr_db_min == pytest.approx(20.0)
    # 0.5 / (3 + 1e-3 * 4)
    assert result.max_rel_error == pytest.approx(0.5 / 3.004)
    assert not result.exact


def test_snr_over_all_inputs_and_worst_input():
    ref = [np.array([10.0]), np.array([1.0])]
    out = [np.array([10.0 + 1e-3]), np.array([1.1])]
    result = agreement("tensor", ref, out)
    assert result.snr_db_min == pytest.approx(20.0)  # the second input: 1 / 0.01
    assert result.snr_db == pytest.approx(10 * math.log10(101 / (1e-6 + 0.01)))


def test_several_outputs_per_input_all_count_for_snr():
    ref = [[np.array([3.0]), np.array([4.0])]]
    out = [[np.array([3.0]), np.array([4.5])]]
    assert agreement("tensor", ref, out).snr_db == pytest.approx(20.0)


def test_exact_outputs_have_infinite_snr_and_plain_json():
    ref = [np.array([1.0, 2.0])]
    result = agreement("tensor", ref, [np.array([1.0, 2.0])])
    assert result.exact and math.isinf(result.snr_db)
    as_json = result.to_dict()
    assert as_json["snr_db"] is None and as_json["exact"] is True


@pytest.mark.parametrize(
    ("kind", "ref", "out", "message"),
    [
        ("logits", [np.zeros(2)], [np.zeros(2)], "unknown output kind 'logits'"),
        ("tensor", [np.zeros(2)], [], "0 candidate outputs for 1 reference"),
        ("tensor", [np.zeros(2)], [np.zeros(3)], "input 0: candidate has 3 values, reference 2"),
    ],
)
def test_outputs_that_cannot_be_compared(kind, ref, out, message):
    with pytest.raises(AgreementError, match=message):
        agreement(kind, ref, out)


def test_agreement_inputs_are_seeded_varied_and_not_the_calibration_inputs():
    shapes = {"input": (1, 3, 32, 32)}
    inputs = agreement_inputs(shapes)
    assert len(inputs) == AGREEMENT_COUNT >= 64
    again = agreement_inputs(shapes)
    assert all(np.array_equal(a["input"], b["input"]) for a, b in zip(inputs, again))
    assert inputs[0]["input"].dtype == np.float32 and inputs[0]["input"].shape == (1, 3, 32, 32)
    spreads = {round(float(x["input"].std()), 1) for x in inputs[: len(FAMILIES)]}
    assert len(spreads) >= 5  # the families differ in scale, not only in seed
    calibration = synthetic_inputs(shapes, 8, CALIBRATION_SEED)
    assert not any(np.array_equal(a["input"], b["input"]) for a, b in zip(inputs, calibration))


def test_integer_inputs_are_zeros():
    inputs = agreement_inputs({"x": (2,), "ids": (1, 3)}, count=3, dtypes={"ids": np.int64})
    assert all(not x["ids"].any() and x["ids"].dtype == np.int64 for x in inputs)


def test_padim_maps_equal_for_equal_features_and_change_with_them():
    rng = np.random.default_rng(0)
    features = [
        [rng.random((1, 4, 8, 8)), rng.random((1, 8, 4, 4)), rng.random((1, 8, 2, 2))]
        for _ in range(6)
    ]
    ref_maps, out_maps = padim_anomaly_maps(features, features, channels=10)
    assert ref_maps[0].shape == (1, 8, 8)
    assert all(np.array_equal(r, o) for r, o in zip(ref_maps, out_maps))
    noisy = [[f + rng.normal(0, 0.3, f.shape) for f in per_input] for per_input in features]
    _, noisy_maps = padim_anomaly_maps(features, noisy, channels=10)
    assert not np.allclose(ref_maps[0], noisy_maps[0])


def test_method_text_explains_every_metric_and_family():
    for words in ["top-1", "top-5", "cosine", "Spearman", "signal-to-noise", "relative error"]:
        assert words in METHOD_TEXT
    for family in FAMILIES:
        assert f"*{family.name}*" in METHOD_TEXT
    assert "random weights" in METHOD_TEXT and "never\njudged" in METHOD_TEXT
    assert "natural images" in METHOD_TEXT and "preprocessing" in METHOD_TEXT
