"""Typed results files for hand-made test cases: only what a case needs is given, the rest has
values the results schema accepts."""

from __future__ import annotations

import hashlib
from typing import Any

from nnkb.results import (
    Agreement,
    HardwarePart,
    Machine,
    Peak,
    ProcessSummary,
    ResultsFile,
    Row,
    SoftwarePart,
    Stats,
    Throughput,
)

WHEN = "2026-01-10T12:00:00Z"


def stats(p50: float, p90: float | None = None, n: int = 100) -> Stats:
    p90 = p50 if p90 is None else p90
    return Stats(
        n=n,
        p50=p50,
        p90=p90,
        p99=max(p90, p50),
        mean=p50,
        min=p50,
        stdev=0.0,
        ci95_low=p50,
        ci95_high=p50,
        converged=True,
    )


def row(
    model: str,
    runtime: str,
    p50: float | None = None,
    *,
    status: str | None = None,
    reason: str | None = None,
    settings: dict[str, Any] | None = None,
    **fields: Any,
) -> Row:
    """A row; ok with latency `p50` (and p90 = p50) unless a status is given."""
    settings = settings or {}
    status = status or ("ok" if p50 is not None else "failed")
    key = hashlib.sha256(f"{model}/{runtime}/{sorted(settings.items())}".encode()).hexdigest()
    values: dict[str, Any] = {
        "key": key,
        "model": model,
        "model_sha256": None,
        "runtime": runtime,
        "runtime_version": "1.0",
        "settings": settings,
        "harness_version": "4",
        "budget_s": None,
        "status": status,
        "reason": reason if status != "ok" else None,
        "measured_at": WHEN,
        "inputs": None,
        "latency": stats(p50) if status == "ok" and p50 is not None else None,
        "session_create_s": None,
        "first_inference_s": None,
        "peak_rss_bytes": None,
        "model_file_bytes": None,
        "parameters": None,
        "macs": None,
        "opset": None,
        "op_histogram": None,
        "precision": None,
        "op_profile": None,
        "op_profile_source": None,
        "op_profile_runs": None,
        "op_profile_kernels": None,
        "agreement": None,
        "processes": None,
        "process_spread": None,
        "verification": None,
        # Rows built here stand for measurements of published weights, so precision verdicts
        # apply; a test of architecture-only rows passes weights="random".
        "weights": "pretrained",
    }
    if status != "ok" and reason is None:
        values["reason"] = "failed for the test"
    values.update(fields)
    return Row(**values)


def throughput_twin(
    twin: Row, inferences_per_s: float, p50: float, batch: int = 1, streams: int = 2
) -> Row:
    """The throughput row of latency row `twin`: its settings plus the scenario, a rate over
    `batch` x `streams` and a per-request median `p50` under that load; no agreement, accuracy
    or profile (those are the twin's)."""
    from dataclasses import replace

    rate = Throughput(inferences_per_s, batch, streams, 1, 2.0, int(2 * inferences_per_s), "test")
    settings = {**twin.settings, "scenario": "throughput"}
    key = hashlib.sha256(f"{twin.key}/throughput".encode()).hexdigest()
    return replace(
        twin,
        key=key,
        settings=settings,
        latency=stats(p50),
        throughput=rate,
        agreement=None,
        accuracy=None,
        op_profile=None,
        processes=None,
        process_spread=None,
    )


def machine(
    machine_id: str, peak: float | None = 1e11, hardware_class: str | None = None
) -> Machine:
    return Machine(
        id=machine_id,
        label=machine_id.upper(),
        hardware_class=hardware_class,
        hardware=HardwarePart(
            cpu_model="Test CPU",
            arch="x86_64",
            physical_cores=2,
            logical_cpus=2,
            isa_features=("avx2",),
            memory_bytes=8 * 2**30,
            peak=None if peak is None else Peak(peak, "test", WHEN),
        ),
        software=SoftwarePart(os="Linux", python="3.11", runtimes={"onnxruntime": "1.0"}),
    )


def results_file(
    machine_id: str, rows: list[Row | dict[str, Any]], peak: float | None = 1e11
) -> ResultsFile:
    """A results file; a row may be given as the keyword arguments of `row`."""
    typed = [r if isinstance(r, Row) else row(**r) for r in rows]
    return ResultsFile(machine=machine(machine_id, peak), rows=typed)


__all__ = [
    "Agreement",
    "ProcessSummary",
    "machine",
    "results_file",
    "row",
    "stats",
    "throughput_twin",
]
