"""Detections as a detector's users get them, and how far a variant's agree with FP32's.

A detector's raw outputs (box offsets, per-anchor scores) are decoded by the model's own
post-processing, named by its KB entry (`onnx.postprocess`), with the thresholds of its
publisher's demo: boxes in input pixels, a score, a class, after per-class non-maximum
suppression. Two runs of a model on the same inputs are then compared box by box
(`box_agreement`): each FP32 box, highest score first, is matched to the variant's unmatched
box of the same class that overlaps it most, if their intersection over union is at least
MATCH_IOU. `box_recall` is the share of FP32's boxes the variant reproduces, `box_precision`
the share of the variant's boxes that FP32 has too, `box_f1` their harmonic mean (the
tolerance metric), `box_iou_mean` the mean overlap of the matched pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MATCH_IOU = 0.5


@dataclass(frozen=True)
class Detections:
    boxes: np.ndarray  # n x 4, x1 y1 x2 y2 in input pixels
    scores: np.ndarray  # n
    classes: np.ndarray  # n, integer class ids


@dataclass(frozen=True)
class Decoder:
    """One model family's post-processing and the thresholds its publisher's demo uses."""

    decode: Callable[[Sequence[np.ndarray], int, int], tuple[np.ndarray, np.ndarray]]
    score_threshold: float
    nms_iou: float
    source: str  # where the decoding and the thresholds are stated


def _grid(height: int, width: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.meshgrid(np.arange(height // stride), np.arange(width // stride), indexing="ij")
    return xs.ravel().astype(np.float32), ys.ravel().astype(np.float32)


def _decode_yolox(outputs: Sequence[np.ndarray], height: int, width: int):
    """YOLOX's raw grid output (1 x anchors x (4 + 1 + classes)): centre and size relative to
    each cell of strides 8, 16, 32, objectness and class scores already sigmoid."""
    raw = np.asarray(outputs[0], dtype=np.float32).reshape(-1, outputs[0].shape[-1])
    cells = [(_grid(height, width, s), s) for s in (8, 16, 32)]
    xs = np.concatenate([g[0] for g, _ in cells])
    ys = np.concatenate([g[1] for g, _ in cells])
    strides = np.concatenate([np.full(g[0].size, s, np.float32) for g, s in cells])
    cx, cy = (raw[:, 0] + xs) * strides, (raw[:, 1] + ys) * strides
    w, h = np.exp(np.minimum(raw[:, 2], 20)) * strides, np.exp(np.minimum(raw[:, 3], 20)) * strides
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes, raw[:, 4:5] * raw[:, 5:]


def _decode_nanodet(outputs: Sequence[np.ndarray], height: int, width: int):
    """NanoDet's per-level outputs, told apart by shape: class scores (cells x classes, sigmoid
    already) and box-side distributions (cells x 4 * 8 bins) for strides 8, 16, 32; each side
    is the distribution's expected value times the stride, from the cell's centre."""
    arrays = [np.asarray(a, dtype=np.float32).reshape(-1, a.shape[-1]) for a in outputs]
    boxes_all, scores_all = [], []
    for stride in (8, 16, 32):
        cells = (height // stride) * (width // stride)
        scores = next(a for a in arrays if a.shape[0] == cells and a.shape[1] != 32)
        dist = next(a for a in arrays if a.shape[0] == cells and a.shape[1] == 32)
        bins = dist.reshape(-1, 8)
        bins = np.exp(bins - bins.max(axis=1, keepdims=True))
        bins /= bins.sum(axis=1, keepdims=True)
        sides = (bins @ np.arange(8, dtype=np.float32)).reshape(-1, 4) * stride
        xs, ys = _grid(height, width, stride)
        cx, cy = xs * stride + 0.5 * (stride - 1), ys * stride + 0.5 * (stride - 1)
        boxes = np.stack(
            [cx - sides[:, 0], cy - sides[:, 1], cx + sides[:, 2], cy + sides[:, 3]], axis=1
        )
        boxes_all.append(np.clip(boxes, 0, [width, height, width, height]))
        scores_all.append(scores)
    return np.concatenate(boxes_all), np.concatenate(scores_all)


DECODERS: dict[str, Decoder] = {
    "yolox": Decoder(
        _decode_yolox,
        0.3,
        0.45,
        "YOLOX demo/ONNXRuntime/onnx_inference.py and yolox/utils/demo_utils.py",
    ),
    "nanodet": Decoder(
        _decode_nanodet,
        0.4,
        0.3,
        "hpc203/nanodet-opncv-dnn-cpp-python main_nanodet.py (NanoDet's GFL decoding)",
    ),
}


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x2, y2 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def detect(postprocess: str, outputs: Sequence[np.ndarray], height: int, width: int) -> Detections:
    """The model's detections on one input: decoded, thresholded, per-class NMS."""
    decoder = DECODERS[postprocess]
    boxes, class_scores = decoder.decode(outputs, height, width)
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(classes)), classes]
    keep = scores >= decoder.score_threshold
    boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
    chosen: list[int] = []
    for cls in np.unique(classes):
        index = np.flatnonzero(classes == cls)
        index = index[np.argsort(-scores[index], kind="stable")]
        while index.size:
            chosen.append(int(index[0]))
            if index.size == 1:
                break
            index = index[1:][iou(boxes[index[0]], boxes[index[1:]]) < decoder.nms_iou]
    order = sorted(chosen, key=lambda i: -float(scores[i]))
    return Detections(boxes[order], scores[order], classes[order])


def box_agreement(
    reference: Sequence[Detections], candidate: Sequence[Detections]
) -> dict[str, float | int | None]:
    """Box-by-box agreement over paired inputs (see the module's docstring); None metrics when
    neither run found a box on any input."""
    matched = ref_total = cand_total = 0
    overlaps: list[float] = []
    for ref, cand in zip(reference, candidate, strict=True):
        ref_total += len(ref.scores)
        cand_total += len(cand.scores)
        free = np.ones(len(cand.scores), dtype=bool)
        for i in range(len(ref.scores)):
            same = np.flatnonzero(free & (cand.classes == ref.classes[i]))
            if not same.size:
                continue
            ious = iou(ref.boxes[i], cand.boxes[same])
            best = int(np.argmax(ious))
            if ious[best] >= MATCH_IOU:
                free[same[best]] = False
                matched += 1
                overlaps.append(float(ious[best]))
    if ref_total == 0 and cand_total == 0:
        return {"box_recall": None, "box_precision": None, "box_f1": None,
                "box_iou_mean": None, "boxes": 0}  # fmt: skip
    recall = matched / ref_total if ref_total else 0.0
    precision = matched / cand_total if cand_total else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {
        "box_recall": recall,
        "box_precision": precision,
        "box_f1": f1,
        "box_iou_mean": float(np.mean(overlaps)) if overlaps else None,
        "boxes": ref_total,
    }
