"""What a model's task means downstream: the kind of its outputs (which agreement metric
means something for them), the task metrics measured where its weights are real, and which
precision-tolerance metrics a model of that task produces."""

from __future__ import annotations

# What a model's outputs are, by its `task` (model.schema.json): the agreement metric that
# means something for them (nnkb.bench.agreement); other tasks' outputs are plain tensors.
TASK_OUTPUT_KINDS: dict[str, str] = {
    "classification": "classifier",
    "video-classification": "classifier",
    "text-direction": "classifier",
    "face-embedding": "embedding",
    "anomaly-detection": "anomaly_map",
}
# Tasks whose models have real weights and a task metric measured per row (row `accuracy`).
TASK_ACCURACY_METRICS: dict[str, tuple[str, ...]] = {
    "text-recognition": ("cer_points", "line_accuracy_points"),
    # detectors whose entry names their decoding: boxes compared with FP32's after it
    "detection": ("box_f1",),
}
# Each tolerance metric: the output kinds that produce it (None: every kind), and whether the
# threshold is a lowest acceptable value ("min") or a largest acceptable loss ("max_loss").
TOLERANCE_METRICS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    "top1": (("classifier",), "min"),
    "top5": (("classifier",), "min"),
    "cosine_min": (("embedding",), "min"),
    "cosine_mean": (("embedding",), "min"),
    "spearman_min": (("anomaly_map",), "min"),
    "spearman_mean": (("anomaly_map",), "min"),
    "image_spearman": (("anomaly_map",), "min"),
    "snr_db": (None, "min"),
    "box_f1": (("detection",), "min"),
    "cer_points": (("text-recognition",), "max_loss"),
    "line_accuracy_points": (("text-recognition",), "max_loss"),
}


def output_kind(task: str) -> str:
    """The agreement kind of a model's outputs by its task ("tensor" when no other fits)."""
    return TASK_OUTPUT_KINDS.get(task, "tensor")


def tolerance_metrics(task: str) -> list[str]:
    """The tolerance metrics a model of `task` produces: its output kind's agreement metrics,
    the SNR every output has, and its task accuracy metrics where the weights are real."""
    kind = output_kind(task)
    metrics = [m for m, (kinds, _) in TOLERANCE_METRICS.items() if kinds is None or kind in kinds]
    return metrics + list(TASK_ACCURACY_METRICS.get(task, ()))
