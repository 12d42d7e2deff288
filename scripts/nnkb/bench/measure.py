"""The timing method of one row, run inside its worker subprocess.

create session (timed) -> bind inputs -> first inference (timed, checked against the
reference) -> warm-up -> repetitions until the median's 95% interval is within ±ci_target
or the row budget is spent (never fewer than min_repetitions). Only `session.run()` sits
between the two perf_counter_ns() calls.

Then (unless the job says `"profile": false`, as a row's verification process does),
outside the timed region, an operator profile from the runtime's own profiler: which
operator types the inference time goes to. A profile that fails leaves the row ok.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ..codec import Json, Record, Settings, decode
from ..results import (
    THROUGHPUT,
    Agreement,
    ComputeOps,
    Stats,
    TaskAccuracy,
    Throughput,
    scenario_of,
)
from . import reference as ref
from .inputs import input_dtypes, make_inputs
from .protocol import RowJob
from .runtimes.base import Adapter, ProfileBudget, Session
from .stats import ci_within, summarize
from .throughput import Plan


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
    try:
        import resource
    except ImportError:  # Windows: the peak working set is the peak resident memory
        import psutil

        info = psutil.Process().memory_info()
        return int(getattr(info, "peak_wset", info.rss))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # Linux reports KiB


def repeat_until_converged(run, harness: Json, budget_s: float) -> tuple[np.ndarray, bool]:
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


def profile_shares(seconds: dict[str, float], top: int) -> dict[str, float] | None:
    """Each operator type's share of the total kernel time: the `top` largest, the rest summed
    as "other"; types that took no time (fused away) are left out. None if nothing took time."""
    spent = {op: t for op, t in seconds.items() if t > 0}
    total = sum(spent.values())
    if total <= 0:
        return None
    ordered = sorted(spent.items(), key=lambda kv: (-kv[1], kv[0]))
    shares = {op: round(t / total, 4) for op, t in ordered[:top]}
    rest = sum(t for _, t in ordered[top:])
    if rest > 0:
        shares["other"] = round(rest / total, 4)
    return shares


class Laps:
    """Wall seconds of the worker's steps (load, measure, readback, ...): what a build costs,
    recorded in the row's `phases`; never part of a latency."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, name: str) -> None:
        """Charge the time since the previous lap to `name`."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._mark, 3)
        self._mark = now


@dataclass(frozen=True)
class OpProfile:
    """Where a row's kernel time goes, from the runtime's own profiler; `source` says which
    profiler, or why there is no profile."""

    shares: dict[str, float] | None = None
    source: str | None = None
    runs: int | None = None
    kernels: dict[str, str] | None = None


@dataclass(frozen=True)
class WorkerResult(Record):
    """What a worker process reports about one row: the fields of the row it measured (named
    as in the row), with the runtime's version and the worker's own step times. It crosses
    the process boundary as JSON through the results codec (`to_json` in the worker,
    `from_json` in the parent); the parent copies `ROW_FIELDS` into the row."""

    status: str
    reason: str | None = None
    latency: Stats | None = None
    session_create_s: float | None = None
    first_inference_s: float | None = None
    peak_rss_bytes: int | None = None
    precision: str | None = None
    agreement: Agreement | None = None
    op_profile: dict[str, float] | None = None
    op_profile_source: str | None = None
    op_profile_runs: int | None = None
    op_profile_kernels: dict[str, str] | None = None
    runtime_version: str | None = None
    compute_ops: ComputeOps | None = None
    accuracy: TaskAccuracy | None = None
    phases: dict[str, float] | None = None  # wall seconds of each step in the worker
    throughput: Throughput | None = None

    @classmethod
    def from_json(cls, obj: Json) -> WorkerResult:
        """A result as the worker (or the parent, for a worker that crashed) wrote it; one
        that names no status failed."""
        return decode(cls, {**obj, "status": obj.get("status") or "failed"})

    def with_profile(self, profile: OpProfile) -> WorkerResult:
        return replace(
            self,
            op_profile=profile.shares,
            op_profile_source=profile.source,
            op_profile_runs=profile.runs,
            op_profile_kernels=profile.kernels,
        )


#: The fields of a worker result that are the row's: all but the runtime's version and the
#: step times, which the parent merges with its own.
ROW_FIELDS = tuple(
    f.name for f in fields(WorkerResult) if f.name not in ("runtime_version", "phases")
)


def profile_row(
    adapter: Adapter,
    session: Session,
    path: Path,
    settings: Settings,
    shapes: dict[str, tuple[int, ...]],
    inputs: dict[str, np.ndarray],
    harness: Json,
) -> OpProfile:
    """The operator profile of an ok row. Never raises: a profiler that fails costs the row
    its profile, not its measurement; the profile's source then says why there is none."""
    budget = ProfileBudget(
        harness["profile_min_runs"], harness["profile_max_runs"], harness["profile_seconds"]
    )
    try:
        times = adapter.profile(session, path, settings, shapes, inputs, budget)
    except Exception as exc:  # noqa: BLE001 - any profiler error: no profile, row stays ok
        return OpProfile(source=f"not profiled: {one_line(exc)}")
    if times is None:
        return OpProfile(source=f"not profiled: the {adapter.name} adapter reads no profiler")
    shares = profile_shares(times.seconds, harness["profile_top"])
    if shares is None:
        return OpProfile(source=f"not profiled: {times.source} reported no kernel time")
    kernels = {op: times.kernels[op] for op in shares if op in times.kernels}
    return OpProfile(shares, times.source, times.runs, kernels or None)


def after_timing(
    adapter: Adapter,
    session: Session,
    job: RowJob,
    path: Path,
    shapes: dict[str, tuple[int, ...]],
    result: WorkerResult,
    laps: Laps,
) -> WorkerResult:
    """The precision read back, the agreement over many inputs and the task accuracy, each
    outside the timed region. A pass that fails leaves the row ok (its latency stands) and
    says in the row's reason what is missing."""
    from . import quality

    missing = []
    try:
        precision, ops = adapter.read_precision(session, path, job.settings, shapes)
        result = replace(result, precision=precision, compute_ops=ops)
    except Exception as exc:  # noqa: BLE001 - the row keeps the precision the session reports
        missing.append(f"precision not read back: {one_line(exc, 150)}")
    laps.lap("readback")
    if job.inputs_reference and Path(job.inputs_reference).exists():
        try:
            measured = quality.agreement_over_inputs(session, job, shapes, path)
            base = result.agreement.to_json() if result.agreement else {"reference": None}
            result = replace(result, agreement=Agreement.from_json({**base, **measured}))
        except Exception as exc:  # noqa: BLE001 - the latency stands; the reason says why
            missing.append(f"agreement not measured: {one_line(exc, 150)}")
        laps.lap("agreement")
    if job.accuracy == "ocr":
        try:
            accuracy = quality.ocr_accuracy(adapter, job, shapes, path)
            result = replace(result, accuracy=TaskAccuracy.from_json(accuracy))
        except Exception as exc:  # noqa: BLE001
            missing.append(f"accuracy not measured: {one_line(exc, 150)}")
        laps.lap("accuracy")
    return replace(result, reason="; ".join(missing)) if missing else result


def measure_row(
    adapter: Adapter,
    job: RowJob,
    checkpoint: Callable[[WorkerResult], None] | None = None,
) -> WorkerResult:
    """The result of one row; exceptions propagate to the worker, which reports them.

    `checkpoint` receives the measured result before the operator profile runs, so a
    profiler that crashes the process or hangs until the row timeout loses only the profile.
    The result's `phases` says how long each step took.
    """
    if scenario_of(job.settings) == THROUGHPUT:  # its own procedure (throughput.py)
        return measure_throughput_row(adapter, job)
    laps = Laps()
    result = _measure(adapter, job, laps, checkpoint)
    return replace(result, phases=dict(laps.seconds))


def _measure(
    adapter: Adapter,
    job: RowJob,
    laps: Laps,
    checkpoint: Callable[[WorkerResult], None] | None,
) -> WorkerResult:
    harness = job.harness
    path = Path(job.model_path)
    shapes = {k: tuple(v) for k, v in job.inputs.items()}
    inputs = make_inputs(shapes, harness["input_seed"], input_dtypes(path))

    start = time.perf_counter_ns()
    try:
        session = adapter.load(path, job.settings, shapes)
    except Exception as exc:  # noqa: BLE001 - the runtime's own message is the row's reason
        return WorkerResult("failed", f"load: {one_line(exc)}", peak_rss_bytes=peak_rss_bytes())
    result = WorkerResult(
        "ok",
        session_create_s=(time.perf_counter_ns() - start) / 1e9,
        precision=session.precision,
    )
    laps.lap("load")
    try:
        session.bind(inputs)
        start = time.perf_counter_ns()
        session.run()
        result = replace(result, first_inference_s=(time.perf_counter_ns() - start) / 1e9)
        outputs = session.outputs()
    except Exception as exc:  # noqa: BLE001 - e.g. an operator the runtime cannot execute
        return replace(
            result,
            status="failed",
            reason=f"inference: {one_line(exc)}",
            peak_rss_bytes=peak_rss_bytes(),
        )

    reference = None
    if job.reference and Path(job.reference).exists():
        reference = ref.load_reference(Path(job.reference))
        agreement, reason = ref.compare(outputs, reference, job.classifier, job.reference_label)
        result = replace(result, agreement=Agreement.from_json(agreement))
        if reason:
            return replace(
                result, status="mismatch", reason=reason, peak_rss_bytes=peak_rss_bytes()
            )
    reason = ref.non_finite(outputs, reference)
    if reason:  # timings of garbage outputs would be misleading: stop here
        return replace(result, status="mismatch", reason=reason, peak_rss_bytes=peak_rss_bytes())

    warm_end = time.perf_counter_ns() + int(harness["warmup_seconds"] * 1e9)
    runs = 0
    while runs < harness["warmup_min_runs"] or time.perf_counter_ns() < warm_end:
        session.run()
        runs += 1

    times, converged = repeat_until_converged(session.run, harness, job.row_budget_s)
    # Memory before profiling: a profiled second session must not count as the row's memory.
    result = replace(
        result,
        latency=summarize(times, converged, harness["ci_level"]),
        peak_rss_bytes=peak_rss_bytes(),
    )
    laps.lap("measure")
    if not job.profile:  # a verification process: the latency is all it adds
        return result
    result = after_timing(adapter, session, job, path, shapes, result, laps)
    session.bind(inputs)  # the agreement and accuracy passes bound other inputs
    if checkpoint is not None:
        why = "not profiled: the worker crashed or timed out while profiling"
        checkpoint(replace(result.with_profile(OpProfile(source=why)), phases=dict(laps.seconds)))
    profile = profile_row(adapter, session, path, job.settings, shapes, inputs, harness)
    laps.lap("profile")
    return result.with_profile(profile)


def measure_throughput_row(adapter: Adapter, job: RowJob) -> WorkerResult:
    """The WorkerResult of a throughput row; exceptions of the runtime become a failed row."""
    path = Path(job.model_path)
    shapes = {k: tuple(v) for k, v in job.inputs.items()}
    plan = Plan.of(job.harness, job.row_budget_s)
    try:
        measured = adapter.measure_throughput(path, job.settings, shapes, plan)
    except Exception as exc:  # noqa: BLE001 - the runtime's own message is the row's reason
        why = f"throughput: {one_line(exc)}"
        return WorkerResult("failed", why, peak_rss_bytes=peak_rss_bytes())
    rss = peak_rss_bytes()
    garbage = ref.non_finite(measured.outputs, None)
    if garbage:  # rates of garbage outputs would be misleading
        return WorkerResult("mismatch", garbage, peak_rss_bytes=rss)
    # No stopping rule decides the window's length: "converged" does not apply.
    latency = replace(summarize(measured.window.latencies, False), converged=None)
    result = WorkerResult(
        "ok",
        latency=latency,
        peak_rss_bytes=rss,
        precision=measured.session.precision if measured.session else None,
        throughput=measured.throughput(),
    )
    if measured.session is not None and job.profile:
        try:  # outside the window; the verification process only adds its rate
            session, settings = measured.session, job.settings
            precision, ops = adapter.read_precision(session, path, settings, shapes)
            result = replace(result, precision=precision, compute_ops=ops)
        except Exception as exc:  # noqa: BLE001 - the row keeps the precision the session reports
            result = replace(result, reason=f"precision not read back: {one_line(exc, 150)}")
    return result
