"""What a row says about the quality of its outputs: agreement with the FP32 reference, the
quantisation that made an INT8 variant's file, how many operators ran in int8, and the task
accuracy where the weights are real. Part of the results types (model.py re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import Json, Record, when_set, written_with


@dataclass(frozen=True)
class Agreement(Record):
    """How the row's outputs compare with the FP32 reference run.

    The first four fields compare the first inference with the reference's (every row has
    them). The rest, present only in rows of harness 5 and later, come from `inputs` varied
    inputs (nnkb.bench.agreement): `kind` is the output kind whose metric applies
    (classifier: top1/top5; embedding: cosine_mean/cosine_min; anomaly_map: spearman_*;
    every kind: snr_db, snr_db_min); metrics that do not apply are None. snr_db is None
    with exact=True when the outputs equal the reference's. max_rel_error_inputs is the
    maximum relative error over all inputs, kept for the downloads only.
    """

    reference: str | None
    max_abs_error: float | None
    max_rel_error: float | None
    top1_agree: bool | None
    kind: str | None = written_with("kind")
    inputs: int | None = written_with("kind")
    snr_db: float | None = written_with("kind")
    snr_db_min: float | None = written_with("kind")
    max_rel_error_inputs: float | None = written_with("kind")
    exact: bool | None = written_with("kind")
    top1: float | None = written_with("kind")
    top5: float | None = written_with("kind")
    distinct_top1: int | None = written_with("kind")
    cosine_mean: float | None = written_with("kind")
    cosine_min: float | None = written_with("kind")
    spearman_mean: float | None = written_with("kind")
    spearman_min: float | None = written_with("kind")
    image_spearman: float | None = written_with("kind")
    box_top1: float | None = written_with(
        "kind"
    )  # detection: share of boxes whose top class is the reference's
    # What the varied inputs were, in words (natural images or synthetic); written when set.
    inputs_set: str | None = when_set()
    # Detectors with a stated decoding (nnkb.accuracy.detection): written when set.
    box_recall: float | None = when_set()
    box_precision: float | None = when_set()
    box_f1: float | None = when_set()
    box_iou_mean: float | None = when_set()

    @property
    def measured(self) -> bool:
        """Whether the many-input agreement was measured (not only the first inference)."""
        return self.kind is not None


@dataclass(frozen=True)
class Quantization(Record):
    """The derived INT8 file a row ran: which quantiser made it from the model file, with
    which calibration set (`calibration` says in words what the inputs are), under `key`."""

    quantizer: str
    quantizer_version: str
    calibration_id: str
    calibration: str
    key: str


@dataclass(frozen=True)
class ComputeOps(Record):
    """How many of the graph's convolutions and matrix products the runtime executed in int8
    (`int8` of `total`), read from the runtime's executed graph (`source`)."""

    int8: int
    total: int
    source: str


@dataclass(frozen=True)
class TaskAccuracy(Record):
    """A task metric measured with the row's runtime and precision on a fixed corpus (the
    PP-OCR recogniser: character error rate and line accuracy on the rendered-lines corpus).
    `corpus` is {id, version, seed, lines, sha256, renderer}."""

    task: str
    cer: float
    line_accuracy: float
    cer_without_spaces: float
    lines: int
    chars: int
    edits: int
    exact: int
    corpus: Json
    elapsed_s: float
