"""Runtimes and machines compared: speed-ups over the reference runtime, the rows that did not
run, and how much of a machine's measured FP32 peak each model reaches.
"""

from __future__ import annotations

import pandas as pd

from .frame import OK, best_ok, latency_rows, precision_name

# fmt: off
SPEEDUP_COLUMNS = [
    "machine", "machine_label", "model", "runtime", "runtime_version", "settings", "p50",
    "baseline_p50", "speedup", "precision", "max_abs_error", "max_rel_error", "top1_agree",
]
FAILURE_COLUMNS = [
    "runtime", "runtime_version", "machine", "machine_label", "model", "settings", "status",
    "reason", "measured_at",
]
EFFICIENCY_COLUMNS = [
    "machine", "model", "runtime", "settings", "p50", "parameters", "macs", "flops",
    "achieved_flops", "achieved_gflops", "peak_flops", "peak_fraction", "peak_percent",
    "flops_per_weight_byte", "precision", "above_fp32_peak",
]
# fmt: on


def runtime_speedups(frame: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per machine, model and runtime (best ok row), the speed-up over the `baseline` runtime.

    `speedup` = baseline_p50 / p50 (above 1: faster than the baseline), NaN when the baseline
    has no ok row for that model on that machine. The baseline's own rows are kept (1.0) so a
    chart shows the reference. Agreement columns compare outputs with the reference run.
    """
    best = best_ok(frame, ["machine", "model", "runtime"])
    base = best[best["runtime"] == baseline][["machine", "model", "p50"]]
    out = best.merge(
        base.rename(columns={"p50": "baseline_p50"}), on=["machine", "model"], how="left"
    )
    p50 = out["p50"].where(out["p50"] > 0)
    out["speedup"] = out["baseline_p50"] / p50
    out = out.sort_values(["machine", "model", "runtime"], kind="stable")
    out = out[SPEEDUP_COLUMNS].reset_index(drop=True)
    out.attrs["baseline"] = baseline
    return out


# A row with one of these statuses never ran because it does not apply on its machine (the
# runtime is not installed, or the variant needs instructions the CPU lacks): not a failure.
NOT_APPLICABLE = frozenset({"unavailable", "not-applicable"})


def load_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Every row that failed: which models each runtime could not load or run, and why. Rows
    that do not apply on their machine (NOT_APPLICABLE) are not failures and are left out."""
    frame = latency_rows(frame)  # a throughput twin's failure is on its own page section
    failed = frame[(frame["status"] != OK) & ~frame["status"].isin(NOT_APPLICABLE)]
    failed = failed.sort_values(["runtime", "machine", "model", "settings"], kind="stable")
    return failed[FAILURE_COLUMNS].reset_index(drop=True)


def machine_efficiency(frame: pd.DataFrame, machine_id: str) -> pd.DataFrame:
    """Per model and runtime on one machine (best ok row), how much of the measured peak it uses.

    `flops` = 2 x MACs per inference; `achieved_flops` = flops / p50 (FLOP/s) and
    `peak_fraction` = achieved / measured FP32 peak, both computed in the results frame;
    `peak_percent` = 100 x peak_fraction; `above_fp32_peak`: an FP32 row past the measured
    FP32 peak (a runtime's own kernels can beat numpy's matrix product; a reduced-precision
    row past it is expected and not flagged). `flops_per_weight_byte` = flops / (4 x parameters):
    FLOPs per byte of FP32 weights. It counts weight traffic only, not activations, so it is an
    upper bound on the real arithmetic intensity; it is what the roofline chart's x axis shows.
    """
    rows = latency_rows(frame)
    rows = rows[rows["machine"] == machine_id]
    if rows.empty:
        valid = ", ".join(sorted(frame["machine"].unique())) or "none"
        raise KeyError(f"no results for machine {machine_id!r}; machines with results: {valid}")
    best = best_ok(rows, ["model", "runtime"])
    out = best.assign(flops=2.0 * best["macs"].astype("float64"))
    out["achieved_gflops"] = out["achieved_flops"] / 1e9
    out["peak_percent"] = 100.0 * out["peak_fraction"]
    weight_bytes = 4.0 * out["parameters"].astype("float64")
    out["flops_per_weight_byte"] = (out["flops"] / weight_bytes).where(weight_bytes > 0)
    reduced = out["precision"].map(lambda p: precision_name(p) not in (None, "fp32")).astype(bool)
    out["above_fp32_peak"] = (out["peak_fraction"] > 1.0).fillna(False).astype(bool) & ~reduced
    out = out.sort_values(["model", "runtime"], kind="stable")[EFFICIENCY_COLUMNS]
    out = out.reset_index(drop=True)
    peak = rows["peak_flops"].iloc[0]
    out.attrs.update(machine=machine_id, peak_flops=None if pd.isna(peak) else float(peak))
    return out


def not_applicable(frame: pd.DataFrame) -> pd.DataFrame:
    """Latency rows that did not run because they do not apply on their machine."""
    frame = latency_rows(frame)
    rows = frame[frame["status"].isin(NOT_APPLICABLE)]
    rows = rows.sort_values(["runtime", "machine", "model", "settings"], kind="stable")
    return rows[FAILURE_COLUMNS].reset_index(drop=True)
