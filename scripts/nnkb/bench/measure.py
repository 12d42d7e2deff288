"""The timing method of one row, run inside its worker subprocess.

create session (timed) -> bind inputs -> first inference (timed, checked against the
reference) -> warm-up -> repetitions until the median's 95% interval is within ±ci_target
or the row budget is spent (never fewer than min_repetitions). Only `session.run()` sits
between the two perf_counter_ns() calls.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import reference as ref
from .inputs import input_dtypes, make_inputs
from .runtimes.base import Adapter
from .stats import ci_within, summarize


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one trimmed line: runtimes raise multi-line C++ messages."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def peak_rss_bytes() -> int:
    """Peak resident memory of this worker process, bytes."""
    try:
        # VmHWM belongs to this process image; Linux's ru_maxrss carries the parent's peak
        # over fork + exec, which would credit every row with `nnkb bench`'s own memory.
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # Linux reports KiB


def repeat_until_converged(
    run, harness: dict[str, Any], budget_s: float
) -> tuple[np.ndarray, bool]:
    """Latencies in seconds of repeated `run()` calls, and whether the interval converged."""
    min_reps = harness["min_repetitions"]
    max_reps = harness["max_repetitions"]
    times = np.empty(max_reps, dtype=np.int64)
    n = 0
    next_check = min_reps
    converged = False
    clock = time.perf_counter_ns
    first = clock()
    earliest_stop = first + int(min(harness["min_measure_seconds"], budget_s) * 1e9)
    deadline = first + int(budget_s * 1e9)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside the loop would land in one sample
    try:
        while n < max_reps:
            start = clock()
            run()
            end = clock()
            times[n] = end - start
            n += 1
            if n >= next_check and end >= earliest_stop:
                # Checking costs a sort; do it on a geometric schedule, not every repetition.
                if ci_within(times[:n], harness["ci_target"], harness["ci_level"]):
                    converged = True
                    break
                next_check = n + max(1, n // 10)
            if n >= min_reps and end >= deadline:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return times[:n] / 1e9, converged


def measure_row(adapter: Adapter, job: dict[str, Any]) -> dict[str, Any]:
    """Result fields of one row; exceptions propagate to the worker, which reports them."""
    harness = job["harness"]
    path = Path(job["model_path"])
    shapes = {k: tuple(v) for k, v in job["inputs"].items()}
    result: dict[str, Any] = {
        "status": "ok",
        "reason": None,
        "latency": None,
        "precision": None,
        "agreement": None,
    }
    inputs = make_inputs(shapes, harness["input_seed"], input_dtypes(path))

    start = time.perf_counter_ns()
    try:
        session = adapter.load(path, job["settings"], shapes)
    except Exception as exc:  # noqa: BLE001 - the runtime's own message is the row's reason
        return {
            **result,
            "status": "failed",
            "reason": f"load: {one_line(exc)}",
            "peak_rss_bytes": peak_rss_bytes(),
        }
    result["session_create_s"] = (time.perf_counter_ns() - start) / 1e9
    result["precision"] = session.precision
    try:
        session.bind(inputs)
        start = time.perf_counter_ns()
        session.run()
        result["first_inference_s"] = (time.perf_counter_ns() - start) / 1e9
        outputs = session.outputs()
    except Exception as exc:  # noqa: BLE001 - e.g. an operator the runtime cannot execute
        return {
            **result,
            "status": "failed",
            "reason": f"inference: {one_line(exc)}",
            "peak_rss_bytes": peak_rss_bytes(),
        }

    reference = None
    if job.get("reference") and Path(job["reference"]).exists():
        reference = ref.load_reference(Path(job["reference"]))
        result["agreement"], reason = ref.compare(
            outputs, reference, job.get("classifier", False), job["reference_label"]
        )
        if reason:
            return {
                **result,
                "status": "mismatch",
                "reason": reason,
                "peak_rss_bytes": peak_rss_bytes(),
            }
    reason = ref.non_finite(outputs, reference)
    if reason:  # timings of garbage outputs would be misleading: stop here
        return {
            **result,
            "status": "mismatch",
            "reason": reason,
            "peak_rss_bytes": peak_rss_bytes(),
        }

    warm_end = time.perf_counter_ns() + int(harness["warmup_seconds"] * 1e9)
    runs = 0
    while runs < harness["warmup_min_runs"] or time.perf_counter_ns() < warm_end:
        session.run()
        runs += 1

    times, converged = repeat_until_converged(session.run, harness, job["row_budget_s"])
    result["latency"] = summarize(times, converged, harness["ci_level"])
    result["peak_rss_bytes"] = peak_rss_bytes()
    return result
