"""Detectors judged by their boxes: each family's decoding on outputs whose boxes are known,
the box-by-box agreement on known answers, and the object-detection verdict that uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnkb import analysis
from nnkb.accuracy.detection import Detections, box_agreement, detect
from nnkb.analysis.precision import NOT_WITHIN, WITHIN, precision_frame
from nnkb.kb import load_kb
from nnkb.results import Agreement
from results_builder import results_file, row

KB_ROOT = Path(__file__).resolve().parents[1] / "kb"


def yolox_output(size: int = 64) -> np.ndarray:
    """A YOLOX grid output at size x size with one confident box: class 2, cell (1, 2) of
    stride 8, centre offset 0.5, width and height exp(1) x 8."""
    cells = sum((size // s) ** 2 for s in (8, 16, 32))
    raw = np.zeros((1, cells, 85), dtype=np.float32)
    index = 1 * (size // 8) + 2  # row 1, column 2
    raw[0, index, :4] = [0.5, 0.5, 1.0, 1.0]
    raw[0, index, 4] = 0.9
    raw[0, index, 5 + 2] = 0.8
    return raw


def test_yolox_decoding_finds_the_box_where_the_grid_puts_it():
    found = detect("yolox", [yolox_output()], 64, 64)
    assert list(found.classes) == [2] and found.scores[0] == pytest.approx(0.72)
    w = np.exp(1.0) * 8
    expected = [2.5 * 8 - w / 2, 1.5 * 8 - w / 2, 2.5 * 8 + w / 2, 1.5 * 8 + w / 2]
    np.testing.assert_allclose(found.boxes[0], expected, rtol=1e-5)


def test_nanodet_decoding_reads_levels_by_shape_in_any_order():
    size = 64
    outputs = []
    for stride in (32, 16, 8):  # shuffled: the decoder tells levels apart by their shapes
        cells = (size // stride) ** 2
        scores = np.zeros((cells, 80), dtype=np.float32)
        dist = np.full((cells, 32), -20.0, dtype=np.float32)
        if stride == 8:
            scores[0, 5] = 0.9
            dist[0].reshape(4, 8)[:, 2] = 20.0  # every side 2 bins = 16 pixels
        outputs += [dist, scores]
    found = detect("nanodet", outputs, size, size)
    assert list(found.classes) == [5]
    centre = 0.5 * 7
    np.testing.assert_allclose(found.boxes[0], [0, 0, centre + 16, centre + 16], atol=1e-3)


def boxes(*items: tuple[float, float, float, float, int]) -> Detections:
    array = np.array([i[:4] for i in items], dtype=np.float32).reshape(-1, 4)
    return Detections(array, np.linspace(0.9, 0.5, len(items)), np.array([i[4] for i in items]))


def test_box_agreement_counts_matched_missing_extra_and_wrong_class_boxes():
    a, b = (0, 0, 10, 10, 1), (20, 20, 40, 40, 2)
    same = box_agreement([boxes(a, b)], [boxes(a, b)])
    assert same["box_f1"] == 1.0 and same["box_iou_mean"] == 1.0
    missing = box_agreement([boxes(a, b)], [boxes(a)])
    assert (missing["box_recall"], missing["box_precision"]) == (0.5, 1.0)
    assert missing["box_f1"] == pytest.approx(2 / 3)
    wrong_class = box_agreement([boxes(a)], [boxes((0, 0, 10, 10, 3))])
    assert wrong_class["box_f1"] == 0.0
    shifted = box_agreement([boxes(a)], [boxes((6, 0, 16, 10, 1))])  # IoU 4/16: no match
    assert shifted["box_recall"] == 0.0
    nothing = box_agreement([boxes()], [boxes()])
    assert nothing["box_f1"] is None


@pytest.mark.parametrize(("f1", "verdict"), [(0.97, WITHIN), (0.9, NOT_WITHIN)])
def test_object_detection_judges_int8_by_box_f1(f1, verdict):
    kb = load_kb(KB_ROOT)
    agreement = Agreement("onnxruntime", 0.1, 0.2, None, kind="tensor", inputs=64,
                          snr_db=6.0, box_f1=f1)  # fmt: skip
    rows = [
        row("yolox-nano", "onnxruntime", 0.02, precision="fp32"),
        row("yolox-nano", "onnxruntime", 0.01, precision="int8", agreement=agreement,
            settings={"quantizer": "onnxruntime"}),
    ]  # fmt: skip
    frame = analysis.results_frame([results_file("m", rows)])
    judged = precision_frame(frame, kb.use_cases["object-detection"])
    int8 = judged[judged["precision_class"] == "int8"].iloc[0]
    assert (int8["verdict"], int8["tolerance_value"]) == (verdict, f1)
