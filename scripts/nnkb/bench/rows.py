"""Typed rows from planned rows and worker results: a new row, a verified row, a skipped
verification, and the one-line descriptions the bench prints."""

from __future__ import annotations

from dataclasses import replace

from ..results import ProcessSummary, Row, Verification
from .measure import ROW_FIELDS, WorkerResult
from .plan import PlannedRow
from .settings import HARNESS, HARNESS_VERSION

NOT_OK = ("failed", "crashed", "timeout", "mismatch")


def base_row(
    p: PlannedRow,
    measured_at: str,
    budget_s: float,
    graph: tuple[int | None, int | None, int | None, dict[str, int] | None],
) -> Row:
    """The planned row before any measurement: identity, key, model file and graph counts."""
    parameters, macs, opset, op_histogram = graph
    return Row(
        key=p.key,
        model=p.model_id,
        model_sha256=p.model_sha256,
        runtime=p.runtime,
        runtime_version=p.runtime_version,
        settings=p.settings,
        harness_version=HARNESS_VERSION,
        budget_s=budget_s,
        status="ok",
        reason=None,
        measured_at=measured_at,
        inputs=dict(p.spec.inputs),
        latency=None,
        session_create_s=None,
        first_inference_s=None,
        peak_rss_bytes=None,
        model_file_bytes=p.model_path.stat().st_size if p.model_path else None,
        parameters=parameters,
        macs=macs,
        opset=opset,
        op_histogram=op_histogram,
        precision=None,
        op_profile=None,
        op_profile_source=None,
        op_profile_runs=None,
        op_profile_kernels=None,
        agreement=None,
        processes=None,
        process_spread=None,
        verification=None,
        weights=p.spec.weights,
    )


def with_result(row: Row, result: WorkerResult) -> Row:
    """The row with what its first worker process measured (or why it could not)."""
    row = replace(row, **{name: getattr(result, name) for name in ROW_FIELDS})
    if row.status == "ok" and row.latency is not None:
        first = ProcessSummary.of(row.latency, row.measured_at, row.throughput)
        row = replace(row, processes=(first,))
    elif row.status == "ok":  # a worker that said ok without statistics did not measure
        row = replace(row, status="failed", reason=row.reason or "no latency measured")
    return row


def with_process(row: Row, result: WorkerResult, started_at: str) -> Row:
    """The row with one more process. The row keeps the faster process's latency (a
    throughput row: the latency and throughput of the process with more inferences per
    second); a process that failed is recorded, and the row stays ok with the measurements
    it has."""
    assert row.latency is not None
    # A row stored without its first process (written by hand) gets it from its latency.
    earlier = row.processes or (ProcessSummary.of(row.latency, row.measured_at, row.throughput),)
    latency, throughput = row.latency, row.throughput
    if result.status == "ok" and result.latency is not None:
        entry = ProcessSummary.of(result.latency, started_at, result.throughput)
        if throughput is not None and result.throughput is not None:
            if result.throughput.inferences_per_s > throughput.inferences_per_s:
                latency, throughput = result.latency, result.throughput
        elif result.latency.p50 < latency.p50:
            latency = result.latency
    else:
        entry = ProcessSummary.failure(
            result.status if result.status != "ok" else "failed",
            result.reason or "no latency measured",
            started_at,
        )
    processes = (*earlier, entry)
    return replace(
        row,
        latency=latency,
        throughput=throughput,
        processes=processes,
        process_spread=Verification.spread_of(processes),
        verification=None,
    )


def verification_skipped(row: Row) -> Row:
    return replace(
        row,
        verification="skipped: the --budget ran out before this row's verification process",
    )


def needs_verification(row: Row | None) -> bool:
    """An ok row with fewer processes than the harness asks for."""
    if row is None or not row.ok:
        return False
    return len(row.processes or ()) < HARNESS["processes_per_row"]


def describe(row: Row) -> str:
    if row.status != "ok" or row.latency is None:
        return f"{row.status}: {row.reason}"
    lat = row.latency
    if row.throughput is not None:
        t = row.throughput
        return (
            f"ok  {t.inferences_per_s:.1f} inferences/s  batch {t.batch}  streams {t.streams}"
            f"  request p50 {lat.p50 * 1e3:.3f} ms  n={lat.n}"
        )
    half_width = (lat.ci95_high - lat.ci95_low) / 2 / lat.p50 * 100
    budget_note = "" if lat.converged else " (budget ran out)"
    return f"ok  p50 {lat.p50 * 1e3:.3f} ms  ±{half_width:.2g}%  n={lat.n}{budget_note}"


def describe_process(row: Row) -> str:
    assert row.processes
    last = row.processes[-1]
    if last.p50 is None:
        return f"second process {last.status}: {last.reason} (the row keeps the first)"
    spread = row.process_spread
    spread_note = f"  spread {spread * 100:+.1f}%" if spread is not None else ""
    if last.inferences_per_s is not None:
        return f"process {last.inferences_per_s:.1f} inferences/s{spread_note}"
    return f"process p50 {last.p50 * 1e3:.3f} ms{spread_note}"
