"""What a reader's browser measurement is set beside: the same model measured natively on the
site's machines and in committed browser results. Data only; the benchmark page (webbench.js)
puts the reader's median among them and names the closest machine."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .frame import OK, latency_rows
from .precision import precision_name

REFERENCE_RUNTIME = "onnxruntime"  # the runtime ONNX Runtime Web is a build of


@dataclass(frozen=True)
class NativeTime:
    """One machine's single-stream medians of a model: ONNX Runtime FP32 (the same runtime
    the page runs, natively) and the fastest FP32 row of any runtime."""

    machine: str
    onnxruntime_p50: float | None
    fastest_p50: float | None
    fastest_runtime: str | None


def native_times(frame: pd.DataFrame, model: str) -> list[NativeTime]:
    """Per machine with an ok FP32 latency row of `model`, sorted by machine id."""
    rows = latency_rows(frame)
    rows = rows[(rows["model"] == model) & (rows["status"] == OK) & rows["p50"].notna()]
    rows = rows[rows["precision"].map(precision_name) == "fp32"]
    out = []
    for machine, here in rows.groupby("machine", sort=True):
        ort = here[here["runtime"] == REFERENCE_RUNTIME]
        best = here.sort_values(["p50", "runtime", "settings"], kind="stable").iloc[0]
        out.append(
            NativeTime(
                str(machine),
                float(ort["p50"].min()) if not ort.empty else None,
                float(best["p50"]),
                str(best["runtime"]),
            )
        )
    return out
