"""Which rows a use case may recommend, by the precision they ran in, and what that precision
needs from the CPU.

The rules, stated once (the methodology page words them):
- a row that ran in FP32 is eligible: it is the model the cited accuracy is for;
- a row that ran in a reduced precision (bf16, fp16, int8) is eligible only when its measured
  agreement or accuracy is within the use case's `precision_tolerance`: the row's agreement
  metric of that name (top1, cosine_min, spearman_min, snr_db, ...) must reach the threshold,
  or for cer_points / line_accuracy_points its loss against the same model's ONNX Runtime
  FP32 row on the same machine, in percentage points, must not exceed it. A reduced row with
  nothing measured, or a use case without a tolerance, is never eligible;
- a reduced row is judged only when it measured the model's published weights: on a builtin
  graph's random weights (or weights a row does not record) agreement says how faithfully a
  variant computes the same network, not what it costs in accuracy, so such a row is neither
  accepted nor rejected (RANDOM_WEIGHTS): its speed is shown, and it is never recommended;
- the instruction-set features a row relies on are the fast path of its precision that the
  machine had (bf16: AVX512_BF16 or AMX-BF16; int8: VNNI or AMX-INT8 on x86, i8mm or dot
  product on Arm; fp16: AVX512_FP16 or AMX-FP16); a row relying on none of them (FP32, or INT8
  measured on a CPU whose int8 path is plain AVX2) is portable: it runs the same way on a CPU
  without those features, so it is what a laptop reader is given beside the pick.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from nnkb.kb import KB, PRETRAINED, UseCase

from .frame import latency_rows, precision_name

REFERENCE_RUNTIME = "onnxruntime"  # the FP32 row a task-accuracy loss is measured against


# Per precision: the instruction-set features of its fast path, by architecture family, in
# the order they are named. FP32's are the vector units a page names, not a requirement.
FAST_PATH: dict[str, dict[str, tuple[str, ...]]] = {
    "bf16": {"x86": ("avx512_bf16", "amx_bf16"), "arm": ("bf16",)},
    "int8": {"x86": ("avx512_vnni", "avx_vnni", "amx_int8"), "arm": ("i8mm", "asimddp")},
    "fp16": {"x86": ("avx512_fp16", "amx_fp16"), "arm": ("asimdhp", "fphp")},
}
FP32_UNITS = {"x86": ("avx512f", "avx2"), "arm": ("sve", "asimd", "neon")}

# Verdicts on a row's precision for a use case.
FP32 = "fp32"
WITHIN = "within"
NOT_WITHIN = "not-within"
NOT_MEASURED = "not-measured"  # reduced precision, no agreement or accuracy measured
NO_TOLERANCE = "no-tolerance"  # reduced precision, the use case states no tolerance
# Reduced precision on random (or unrecorded) weights: the accuracy cost is not measurable.
RANDOM_WEIGHTS = "random-weights"

# Frame columns this module adds (precision_frame).
PRECISION_COLUMNS = [
    "precision_class",
    "verdict",
    "tolerance_value",
    "eligible",
    "needs",
    "portable",
]


def is_reduced(value: Any) -> bool:
    name = precision_name(value)
    return name is not None and name != "fp32"


def arch_family(arch: str | None) -> str:
    return "arm" if str(arch or "").lower().startswith(("arm", "aarch")) else "x86"


def _features(features: Any) -> set[str]:
    """A machine's features from a list or the frame's ";"-joined text."""
    if isinstance(features, str):
        features = features.split(";")
    if not isinstance(features, (list, tuple, set, frozenset)):
        return set()
    return {str(f).strip().lower() for f in features if str(f).strip()}


def needed_features(precision: Any, arch: str | None, features: Any) -> tuple[str, ...]:
    """The fast-path features of `precision` the machine had: what a row in that precision
    relied on there (empty: it ran on the plain vector path any CPU of its family has)."""
    name = precision_name(precision)
    have = _features(features)
    fast = FAST_PATH.get(name or "", {}).get(arch_family(arch), ())
    return tuple(f for f in fast if f in have)


def fp32_units(arch: str | None, features: Any) -> tuple[str, ...]:
    """The widest FP32 vector units the machine had (AVX-512, AVX2; SVE, NEON)."""
    have = _features(features)
    return tuple(f for f in FP32_UNITS[arch_family(arch)] if f in have)[:1]


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _loss(row: Any, reference: Any, metric: str) -> float | None:
    """The task-accuracy loss in percentage points against the reference FP32 row."""
    if reference is None:
        return None
    if metric == "cer_points":
        variant, base = _number(row["cer"]), _number(reference["cer"])
        return None if variant is None or base is None else (variant - base) * 100.0
    variant, base = _number(row["line_accuracy"]), _number(reference["line_accuracy"])
    return None if variant is None or base is None else (base - variant) * 100.0


def _reference_rows(frame: pd.DataFrame) -> dict[tuple[str, str], Any]:
    ok = frame[
        (frame["status"] == "ok")
        & (frame["runtime"] == REFERENCE_RUNTIME)
        & ~frame["precision"].map(is_reduced)
    ]
    return {(r["machine"], r["model"]): r for _, r in ok.iterrows()}


def verdict(row: Any, use_case: UseCase, reference: Any) -> tuple[str, float | None]:
    """(verdict, the measured value the tolerance was checked on) for one frame row."""
    if not is_reduced(row["precision"]):
        return FP32, None
    if row.get("weights") != PRETRAINED:
        return RANDOM_WEIGHTS, None
    tolerance = use_case.precision_tolerance
    if tolerance is None:
        return NO_TOLERANCE, None
    if tolerance.direction == "max_loss":
        value = _loss(row, reference, tolerance.metric)
    else:
        value = _number(row.get(f"agree_{tolerance.metric}"))
    if value is None:
        return NOT_MEASURED, None
    return (WITHIN if tolerance.within(value) else NOT_WITHIN), value


def precision_frame(
    frame: pd.DataFrame, use_case: UseCase, references: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`frame`'s latency rows with PRECISION_COLUMNS for `use_case`: the normalised precision,
    the verdict, the value the tolerance was checked on, whether the row may be recommended,
    the fast-path features it relied on (";"-joined, "" for none) and whether it is portable
    (relied on none). With `references` (the latency rows a task-accuracy loss is measured
    against), every row of `frame` is judged as given: the throughput rows paired with their
    latency twins' quality (`nnkb.analysis.scenario.paired_frame`)."""
    if references is None:
        frame = latency_rows(frame)
        references = frame
    references = _reference_rows(latency_rows(references))
    records = []
    for _, row in frame.iterrows():
        found, value = verdict(row, use_case, references.get((row["machine"], row["model"])))
        needs = needed_features(row["precision"], row.get("arch"), row.get("isa_features"))
        records.append(
            {
                "precision_class": precision_name(row["precision"]),
                "verdict": found,
                "tolerance_value": value,
                "eligible": found in (FP32, WITHIN),
                "needs": ";".join(needs),
                "portable": not needs,
            }
        )
    extra = pd.DataFrame.from_records(records, columns=PRECISION_COLUMNS, index=frame.index)
    extra["tolerance_value"] = pd.to_numeric(extra["tolerance_value"]).astype("float64")
    return pd.concat([frame, extra], axis=1)


def rejections(kb: KB, frame: pd.DataFrame, references: pd.DataFrame | None = None) -> pd.Series:
    """For every row of `frame` (its index kept): the ids of the use cases, among those the
    row's model is a candidate for, that may not recommend it because of the precision it ran
    in (verdict neither FP32 nor within the tolerance), a tuple; () where every one accepts
    it. Summaries that call a row "fastest" mark it with these. With `references`, rows are
    judged as given against those latency rows (throughput rows paired with their twins)."""
    out = pd.Series([()] * len(frame), index=frame.index, dtype="object")
    if frame.empty:
        return out
    for use_case in kb.use_cases.values():
        models = {m.id for m in kb.candidates_for(use_case.id)}
        rows = frame[frame["model"].isin(models)]
        if rows.empty:
            continue
        judged = precision_frame(rows, use_case, references)
        # Random weights are never judged: such a row is not rejected, its name says why.
        refused = ~judged["eligible"].astype(bool) & (judged["verdict"] != RANDOM_WEIGHTS)
        for index in judged.index[refused]:
            out[index] = (*out[index], use_case.id)
    return out


# --- every variant against ONNX Runtime FP32 ----------------------------------------------

# The agreement metric that fits each output kind (frame column agree_<metric>).
KIND_METRIC = {
    "classifier": "top1",
    "embedding": "cosine_min",
    "anomaly_map": "spearman_min",
    "tensor": "snr_db",
}
# fmt: off
CHANGE_COLUMNS = [
    "machine", "machine_label", "model", "runtime", "settings", "precision", "p50",
    "baseline_p50", "speedup", "agree_kind", "agree_metric", "agree_value", "agree_snr_db",
    "cer", "cer_change_points", "line_accuracy", "line_accuracy_change_points", "quantizer",
    "int8_ops", "compute_ops", "weights",
]
# fmt: on


def precision_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per machine and model, every ok row but the reference against ONNX Runtime's FP32 row:
    `speedup` (reference median / row median), the agreement metric that fits the output
    kind (`agree_metric`, `agree_value`; `agree_snr_db` for every kind) and, where the row
    measured a task accuracy, the change in character error rate and line accuracy in
    percentage points (positive: worse). Sorted by machine, model, runtime, precision."""
    frame = latency_rows(frame)
    references = _reference_rows(frame)
    records = []
    ok = frame[(frame["status"] == "ok") & frame["p50"].notna()]
    for _, row in ok.iterrows():
        reference = references.get((row["machine"], row["model"]))
        if (
            reference is None
            or row["runtime"] == REFERENCE_RUNTIME
            and not is_reduced(row["precision"])
            and row["settings"] == reference["settings"]
        ):
            continue
        kind = row["agree_kind"] if isinstance(row["agree_kind"], str) else None
        # A detector decoded into boxes is compared by its boxes, not its raw tensors.
        metric = (
            "box_f1" if _number(row["agree_box_f1"]) is not None else KIND_METRIC.get(kind or "")
        )
        cer_loss = _loss(row, reference, "cer_points")
        line_loss = _loss(row, reference, "line_accuracy_points")
        records.append(
            {
                "machine": row["machine"],
                "machine_label": row["machine_label"],
                "model": row["model"],
                "runtime": row["runtime"],
                "settings": row["settings"],
                "precision": precision_name(row["precision"]),
                "p50": row["p50"],
                "baseline_p50": reference["p50"],
                "speedup": _number(reference["p50"]) / row["p50"] if row["p50"] else None,
                "agree_kind": kind,
                "agree_metric": metric,
                "agree_value": _number(row[f"agree_{metric}"]) if metric else None,
                "agree_snr_db": _number(row["agree_snr_db"]),
                "cer": _number(row["cer"]),
                "cer_change_points": cer_loss,
                "line_accuracy": _number(row["line_accuracy"]),
                "line_accuracy_change_points": line_loss,
                "quantizer": row["quantizer"] if isinstance(row["quantizer"], str) else None,
                "int8_ops": row["int8_ops"],
                "compute_ops": row["compute_ops"],
                "weights": row["weights"],
            }
        )
    out = pd.DataFrame.from_records(records, columns=CHANGE_COLUMNS)
    return out.sort_values(
        ["machine", "model", "runtime", "precision", "settings"], kind="stable"
    ).reset_index(drop=True)
