"""The results frame: every machine's result rows in one pandas DataFrame.

Every column keeps raw SI values (seconds, bytes, FLOP/s). Values derived from other stored
values are computed here, not read from the rows, so they never go stale: throughput
(1 / median), achieved FLOP/s (2 x MACs / median) and the fraction of the machine's measured
FP32 peak. A derived value whose inputs are missing, zero or not finite is NaN.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from nnkb.results import LATENCY, ResultsFile, Row

from ..codec import Json
from .machine_label import machine_label

OK = "ok"
# A row whose worker processes' medians differ by more than this measured the machine's phases
# more than the runtime: pages and downloads flag it (frame column `unstable`).
UNSTABLE_SPREAD = 0.10
# The scenarios (one request at a time; the most inferences per second on all cores) are the
# results format's: nnkb.results.throughput defines them, and the analysis names them from there.

# fmt: off
RESULT_COLUMNS = [
    "machine", "machine_label", "hardware", "model", "runtime", "runtime_version", "settings",
    "status", "reason", "p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "n", "converged",
    "throughput", "peak_fraction", "achieved_flops", "peak_flops", "session_create_s",
    "first_inference_s", "peak_rss_bytes", "model_file_bytes", "parameters", "macs", "precision",
    "max_abs_error", "max_rel_error", "top1_agree", "measured_at", "processes", "process_spread",
    "settings_difference", "arch", "isa_features", "agree_kind", "agree_inputs", "agree_snr_db",
    "agree_top1", "agree_top5", "agree_cosine_mean", "agree_cosine_min", "agree_spearman_mean",
    "agree_spearman_min", "agree_image_spearman", "agree_box_top1", "agree_box_f1",
    "agree_box_recall", "max_rel_error_inputs",
    "cer", "line_accuracy", "accuracy_lines", "quantizer", "calibration", "int8_ops",
    "compute_ops", "scenario", "inferences_per_s", "batch", "streams", "twin_settings",
    "weights", "unstable",
]
# The many-input agreement metrics (Row.agreement), as frame columns `agree_<name>`.
AGREEMENT_METRIC_COLUMNS = (
    "snr_db", "top1", "top5", "cosine_mean", "cosine_min", "spearman_mean", "spearman_min",
    "image_spearman", "box_top1", "box_f1", "box_recall",
)
_FLOAT_COLUMNS = [
    "p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "throughput", "peak_fraction",
    "achieved_flops", "peak_flops", "session_create_s", "first_inference_s", "max_abs_error",
    "max_rel_error", "process_spread", "max_rel_error_inputs", "cer", "line_accuracy",
    "inferences_per_s", *(f"agree_{m}" for m in AGREEMENT_METRIC_COLUMNS),
]
# fmt: on
_INT_COLUMNS = [
    "n",
    "peak_rss_bytes",
    "model_file_bytes",
    "parameters",
    "macs",
    "processes",
    "agree_inputs",
    "accuracy_lines",
    "int8_ops",
    "compute_ops",
    "batch",
    "streams",
]  # fmt: skip
_BOOL_COLUMNS = ["converged", "top1_agree", "unstable"]
_LATENCY_KEYS = ("p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "n", "converged")
_ROW_KEYS = (
    "session_create_s",
    "first_inference_s",
    "peak_rss_bytes",
    "model_file_bytes",
    "parameters",
    "macs",
    "precision",
)
_AGREEMENT_KEYS = ("max_abs_error", "max_rel_error", "top1_agree")


_PRECISIONS = {"f32": "fp32", "fp32": "fp32", "float32": "fp32", "f16": "fp16", "fp16": "fp16",
               "float16": "fp16", "bf16": "bf16", "bfloat16": "bf16", "i8": "int8",
               "int8": "int8", "u8": "int8", "uint8": "int8"}  # fmt: skip


def precision_name(value: Any) -> str | None:
    """A runtime's precision as one spelling: OpenVINO says "f32" and "bf16", others "fp32".
    The frame holds it so (results_frame), and so every page and download shows it."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return _PRECISIONS.get(text.lower(), text)


def is_unstable(spread: Any) -> bool:
    """Whether a row's process spread marks it unstable (a missing spread never does)."""
    try:
        value = float(spread)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and value > UNSTABLE_SPREAD


def positive(value: Any) -> float | None:
    """`value` as a float when it is a finite number above zero, else None: a safe divisor."""
    if value is None or isinstance(value, bool) or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def ratio(numerator: Any, denominator: Any) -> float | None:
    """numerator / denominator, or None when either is missing or the result is not finite."""
    den = positive(denominator)
    if den is None or numerator is None or numerator is pd.NA:
        return None
    try:
        value = float(numerator) / den
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def settings_key(settings: Mapping[str, Any] | None) -> str:
    """A stable one-line form of a row's runtime settings: `a=1, b=x`, keys sorted."""
    if not settings:
        return ""
    return ", ".join(f"{k}={_value(settings[k])}" for k in sorted(settings))


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def usual_settings(results: Iterable[ResultsFile]) -> dict[str, Json]:
    """Each runtime's usual settings: the settings most of its rows were measured with.

    Pages show a row's settings as its difference from these (`settings_difference`); the
    methodology page lists them in full. Ties (a runtime measured once per variant) go to the
    variant with the fewest settings: adapters add keys to their default settings to make one.
    """
    counts: dict[str, Counter[str]] = {}
    for results_file in results:
        for row in results_file.rows:
            if row.scenario != LATENCY:  # a throughput twin is its latency row's variant
                continue
            text = json.dumps(row.settings, sort_keys=True)
            counts.setdefault(row.runtime, Counter())[text] += 1
    return {
        runtime: json.loads(
            min(c.items(), key=lambda kv: (-kv[1], len(json.loads(kv[0])), kv[0]))[0]
        )
        for runtime, c in sorted(counts.items())
    }


def difference_parts(settings: Mapping[str, Any], usual: Mapping[str, Any]) -> list[str]:
    """`k=v` for each setting that differs from the runtime's usual ones."""
    return [
        f"{key}={_value(settings.get(key, 'unset'))}"
        for key in sorted(set(settings) | set(usual))
        if settings.get(key) != usual.get(key)
    ]


def settings_difference(settings: Mapping[str, Any], usual: Mapping[str, Any]) -> str:
    """`k=v` for each setting that differs from the runtime's usual ones; '' if none."""
    return ", ".join(difference_parts(settings, usual))


def results_frame(results: Iterable[ResultsFile]) -> pd.DataFrame:
    """One row per result row of every results file, sorted by machine, model, runtime, settings.

    Columns are RESULT_COLUMNS: `scenario` is "latency" or "throughput" (Row.scenario); a
    throughput row has `inferences_per_s`, `batch` and `streams` (NaN/NA on latency rows) and
    its latency columns are per request under that load; `twin_settings` is the settings key
    without the scenario, the same for a throughput row and its latency twin. Every view of
    latency uses `latency_rows`. `throughput` is 1 / p50 (single-stream inferences per second),
    `achieved_flops` 2 x MACs / p50, `peak_flops` the machine's measured FP32 peak and
    `peak_fraction` achieved / peak; `settings_difference` is the row's settings where they
    differ from its runtime's usual ones. Missing numbers are NaN/NA.
    """
    files = list(results)
    usual = usual_settings(files)
    records = []
    for results_file in files:
        machine = results_file.machine
        peak = positive(machine.peak.fp32_flops if machine.peak else None)
        for row in results_file.rows:
            records.append(_record(results_file, row, peak, usual.get(row.runtime, {})))
    frame = pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)
    for col in _FLOAT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in _INT_COLUMNS:
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    for col in _BOOL_COLUMNS:
        frame[col] = pd.array(frame[col].tolist(), dtype="boolean")
    frame = frame.sort_values(["machine", "model", "runtime", "settings"], kind="stable")
    return frame.reset_index(drop=True)


def _record(
    results_file: ResultsFile, row: Row, peak: float | None, usual: Mapping[str, Any]
) -> Json:
    machine = results_file.machine
    latency = row.latency
    p50 = latency.p50 if latency else None
    macs = positive(row.macs)
    achieved = ratio(2.0 * macs, p50) if macs else None
    return {
        "machine": machine.id,
        "machine_label": machine_label(machine),
        "hardware": machine.hardware_class,
        "model": row.model,
        "runtime": row.runtime,
        "runtime_version": row.runtime_version,
        "settings": settings_key(row.settings),
        "status": row.status,
        "reason": row.reason,
        **{k: getattr(latency, k) if latency else None for k in _LATENCY_KEYS},
        "throughput": ratio(1.0, p50),
        "peak_fraction": ratio(achieved, peak),
        "achieved_flops": achieved,
        "peak_flops": peak,
        **{k: getattr(row, k) for k in _ROW_KEYS},
        "precision": precision_name(row.precision),
        **{k: getattr(row.agreement, k) if row.agreement else None for k in _AGREEMENT_KEYS},
        "measured_at": row.measured_at,
        # Worker processes that measured the row (the latency is the faster's).
        "processes": sum(p.measured for p in row.processes or ()) or None,
        "process_spread": row.process_spread,
        "settings_difference": settings_difference(row.settings, usual),
        # The machine's instruction sets, to say what a reduced-precision row relied on.
        "arch": machine.hardware.arch,
        "isa_features": ";".join(sorted(machine.hardware.isa_features)),
        **_quality(row),
        "scenario": row.scenario,
        "inferences_per_s": row.throughput.inferences_per_s if row.throughput else None,
        "batch": row.throughput.batch if row.throughput else None,
        "streams": row.throughput.streams if row.throughput else None,
        "twin_settings": settings_key({k: v for k, v in row.settings.items() if k != "scenario"}),
        "weights": row.weights,  # "pretrained", "random" (architecture only), None: unknown
        "unstable": is_unstable(row.process_spread),
    }


def _quality(row: Row) -> Json:
    """The many-input agreement, the task accuracy, the quantiser and the int8 share."""
    agreement = row.agreement if row.agreement and row.agreement.measured else None
    accuracy, quantization, ops = row.accuracy, row.quantization, row.compute_ops
    return {
        "agree_kind": agreement.kind if agreement else None,
        "agree_inputs": agreement.inputs if agreement else None,
        **{
            f"agree_{m}": getattr(agreement, m) if agreement else None
            for m in AGREEMENT_METRIC_COLUMNS
        },
        "max_rel_error_inputs": agreement.max_rel_error_inputs if agreement else None,
        "cer": accuracy.cer if accuracy else None,
        "line_accuracy": accuracy.line_accuracy if accuracy else None,
        "accuracy_lines": accuracy.lines if accuracy else None,
        "quantizer": quantization.quantizer if quantization else None,
        "calibration": quantization.calibration if quantization else None,
        "int8_ops": ops.int8 if ops else None,
        "compute_ops": ops.total if ops else None,
    }


def machines(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(id, label) of every machine in the frame, sorted by id."""
    pairs = frame[["machine", "machine_label"]].drop_duplicates("machine")
    return sorted(pairs.itertuples(index=False, name=None))


def latency_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latency scenario: what every latency view (rankings, speed-ups,
    efficiency, tables, charts) is made of, so that a throughput row never enters one."""
    if "scenario" not in frame.columns:
        return frame
    return frame[frame["scenario"] == LATENCY]


def fastest_ok(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The fastest ok latency row per `keys` group (ties: p90, runtime, settings), in the
    order of `keys`, each keeping its index in `frame` (to look up what was said of it)."""
    frame = latency_rows(frame)
    ok = frame[(frame["status"] == OK) & frame["p50"].notna()]
    order = ok.sort_values(keys + ["p50", "p90", "runtime", "settings"], kind="stable")
    return order.drop_duplicates(keys, keep="first")


def best_ok(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The fastest ok latency row per `keys` group (ties: p90, runtime, settings)."""
    return fastest_ok(frame, keys).reset_index(drop=True)
