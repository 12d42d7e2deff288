"""What a row says about the quality of its outputs: agreement with the FP32 reference, the
quantisation that made an INT8 variant's file, how many operators ran in int8, and the task
accuracy where the weights are real. Part of the results types (model.py re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass

from .machine import Json

# The measured agreement over many inputs (nnkb.bench.agreement), in the order written.
WRITTEN_WHEN_SET = ("inputs_set", "box_recall", "box_precision", "box_f1", "box_iou_mean")
AGREEMENT_METRICS = (
    "kind",
    "inputs",
    "snr_db",
    "snr_db_min",
    "max_rel_error_inputs",
    "exact",
    "top1",
    "top5",
    "distinct_top1",
    "cosine_mean",
    "cosine_min",
    "spearman_mean",
    "spearman_min",
    "image_spearman",
    "box_top1",
)


@dataclass(frozen=True)
class Agreement:
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
    kind: str | None = None
    inputs: int | None = None
    snr_db: float | None = None
    snr_db_min: float | None = None
    max_rel_error_inputs: float | None = None
    exact: bool | None = None
    top1: float | None = None
    top5: float | None = None
    distinct_top1: int | None = None
    cosine_mean: float | None = None
    cosine_min: float | None = None
    spearman_mean: float | None = None
    spearman_min: float | None = None
    image_spearman: float | None = None
    box_top1: float | None = None  # detection: share of boxes whose top class is the reference's
    # What the varied inputs were, in words (natural images or synthetic); written when set.
    inputs_set: str | None = None
    # Detectors with a stated decoding (nnkb.accuracy.detection): written when set.
    box_recall: float | None = None
    box_precision: float | None = None
    box_f1: float | None = None
    box_iou_mean: float | None = None

    @property
    def measured(self) -> bool:
        """Whether the many-input agreement was measured (not only the first inference)."""
        return self.kind is not None

    @classmethod
    def from_json(cls, obj: Json) -> Agreement:
        extra = {name: obj.get(name) for name in AGREEMENT_METRICS}
        return cls(
            obj.get("reference"),
            obj.get("max_abs_error"),
            obj.get("max_rel_error"),
            obj.get("top1_agree"),
            **extra,
            **{name: obj.get(name) for name in WRITTEN_WHEN_SET},
        )

    def to_json(self) -> Json:
        data: Json = {
            "reference": self.reference,
            "max_abs_error": self.max_abs_error,
            "max_rel_error": self.max_rel_error,
            "top1_agree": self.top1_agree,
        }
        if self.measured:  # rows before harness 5 have the first four keys only
            data.update({name: getattr(self, name) for name in AGREEMENT_METRICS})
        for name in WRITTEN_WHEN_SET:  # newer fields: absent from older rows' bytes
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass(frozen=True)
class Quantization:
    """The derived INT8 file a row ran: which quantiser made it from the model file, with
    which calibration set (`calibration` says in words what the inputs are), under `key`."""

    quantizer: str
    quantizer_version: str
    calibration_id: str
    calibration: str
    key: str

    @classmethod
    def from_json(cls, obj: Json) -> Quantization:
        return cls(
            obj["quantizer"],
            obj["quantizer_version"],
            obj["calibration_id"],
            obj["calibration"],
            obj["key"],
        )

    def to_json(self) -> Json:
        return {
            "quantizer": self.quantizer,
            "quantizer_version": self.quantizer_version,
            "calibration_id": self.calibration_id,
            "calibration": self.calibration,
            "key": self.key,
        }


@dataclass(frozen=True)
class ComputeOps:
    """How many of the graph's convolutions and matrix products the runtime executed in int8
    (`int8` of `total`), read from the runtime's executed graph (`source`)."""

    int8: int
    total: int
    source: str

    @classmethod
    def from_json(cls, obj: Json) -> ComputeOps:
        return cls(obj["int8"], obj["total"], obj["source"])

    def to_json(self) -> Json:
        return {"int8": self.int8, "total": self.total, "source": self.source}


@dataclass(frozen=True)
class TaskAccuracy:
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

    @classmethod
    def from_json(cls, obj: Json) -> TaskAccuracy:
        return cls(
            obj["task"],
            obj["cer"],
            obj["line_accuracy"],
            obj["cer_without_spaces"],
            obj["lines"],
            obj["chars"],
            obj["edits"],
            obj["exact"],
            dict(obj["corpus"]),
            obj["elapsed_s"],
        )

    def to_json(self) -> Json:
        return {
            "task": self.task,
            "cer": self.cer,
            "line_accuracy": self.line_accuracy,
            "cer_without_spaces": self.cer_without_spaces,
            "lines": self.lines,
            "chars": self.chars,
            "edits": self.edits,
            "exact": self.exact,
            "corpus": self.corpus,
            "elapsed_s": self.elapsed_s,
        }
