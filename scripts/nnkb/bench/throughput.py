"""The throughput scenario of one row, run inside its worker subprocess.

A throughput row (settings `"scenario": "throughput"`) asks its adapter for the highest
sustained inferences per second on all cores (`Adapter.measure_throughput`); each runtime
gets there its own way (OpenVINO's THROUGHPUT hint and infer-request queue, ONNX Runtime's
search over batch size and sessions x threads, OpenCV DNN's batch size). The pieces they
share are here: the plan from HARNESS, a closed-loop window over several streams, a
search trial, and the worker's result. No agreement, accuracy or profile: the row's latency
twin has them.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..codec import Json, Settings
from ..results import Throughput, Trial
from ..results.throughput import best_trial
from .inputs import Shapes, input_dtypes, make_inputs

if TYPE_CHECKING:  # types only: the adapters import this module, never the reverse at run time
    from .runtimes.base import Adapter, Session

Runner = Callable[[], Any]


@dataclass(frozen=True)
class Plan:
    """A throughput row's windows and search space (HARNESS, shortened by a small row
    budget) and its seeded inputs."""

    window_s: float
    trial_s: float
    warmup_s: float
    batches: tuple[int, ...]
    seed: int

    @classmethod
    def of(cls, harness: Json, budget_s: float | None = None) -> Plan:
        window = float(harness["throughput_window_seconds"])
        if budget_s is not None:  # `nnkb bench --row-budget` shortens every window
            window = min(window, budget_s)
        return cls(
            window_s=window,
            trial_s=min(float(harness["throughput_trial_seconds"]), window),
            warmup_s=min(float(harness["throughput_warmup_seconds"]), window),
            batches=tuple(int(b) for b in harness["throughput_batches"]),
            seed=int(harness["input_seed"]),
        )

    def batches_for(self, path: Path, shapes: Shapes) -> tuple[int, ...]:
        """The batch sizes to try: all of them where every input's first dimension is a
        batch the graph leaves open and the row's inputs have batch 1, else the row's own
        batch (its inputs' first dimension)."""
        firsts = {s[0] if s else 1 for s in shapes.values()}
        if firsts == {1} and dynamic_batch(path):
            return self.batches
        return (min(firsts, default=1),)

    def inputs(self, path: Path, shapes: Shapes, batch: int) -> dict[str, np.ndarray]:
        """The row's seeded inputs with `batch` as their first dimension (scalars as they
        are): the inputs of the latency row when `batch` is the row's own."""
        batched = {k: (batch, *v[1:]) if v else tuple(v) for k, v in shapes.items()}
        return make_inputs(batched, self.seed, input_dtypes(path))


def dynamic_batch(path: Path) -> bool:
    """Whether every graph input of the ONNX file leaves its first dimension open (a name
    or nothing instead of a number). False for files that are not ONNX (an OpenVINO IR)."""
    try:
        import onnx

        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:  # noqa: BLE001 - not an ONNX file: no batch search
        return False
    initializers = {i.name for i in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    for value in inputs:
        dims = value.type.tensor_type.shape.dim
        if not dims or (dims[0].HasField("dim_value") and dims[0].dim_value > 0):
            return False
    return bool(inputs)


@dataclass(frozen=True)
class Window:
    """Requests completed in a closed-loop window: their latencies (seconds) and the time
    from the window's start to the end of the last of them."""

    latencies: np.ndarray
    duration_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def rate(self, batch: int) -> float:
        """Inferences per second: each item of a batch is one inference."""
        return self.requests * batch / self.duration_s


def closed_loop(runs: Sequence[Runner], seconds: float) -> Window:
    """Every runner in its own thread (one runner: this thread), each sending its next
    request when its last one returned, until `seconds` have passed; every runner completes
    at least one request. The runtimes release the GIL while they compute."""
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(seconds * 1e9)
    per_stream: list[list[tuple[int, int]]] = [[] for _ in runs]
    failures: list[BaseException] = []

    def loop(run: Runner, out: list[tuple[int, int]]) -> None:
        try:
            while True:
                began = clock()
                run()
                ended = clock()
                out.append((ended - began, ended))
                if ended >= deadline:
                    return
        except Exception as exc:  # noqa: BLE001 - raised again in the calling thread
            failures.append(exc)

    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside the window would stall every stream
    try:
        if len(runs) == 1:
            loop(runs[0], per_stream[0])
        else:
            threads = [
                threading.Thread(target=loop, args=(run, out)) for run, out in zip(runs, per_stream)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        if gc_was_enabled:
            gc.enable()
    if failures:  # a stream's request failed: the row fails with the runtime's message
        raise failures[0]
    done = [entry for out in per_stream for entry in out]
    end = max(ended for _, ended in done)
    return Window(np.array([t for t, _ in done], dtype=np.float64) / 1e9, (end - start) / 1e9)


def trial(runs: Sequence[Runner], batch: int, threads: int | None, plan: Plan) -> Trial:
    """One search trial: an untimed request per stream (first-run allocations), then a
    closed-loop window of plan.trial_s."""
    for run in runs:
        run()
    window = closed_loop(runs, plan.trial_s)
    return Trial(batch, len(runs), threads, window.rate(batch))


def full_window(runs: Sequence[Runner], plan: Plan) -> Window:
    """The chosen configuration's measurement: a warm-up, then the full window."""
    closed_loop(runs, plan.warmup_s)
    return closed_loop(runs, plan.window_s)


@dataclass
class Measured:
    """What an adapter's throughput mode returns: the full window of its chosen
    configuration, how it chose it, the outputs of a request and a session (for the
    precision read-back)."""

    window: Window
    batch: int
    streams: int
    threads: int | None
    method: str
    search: list[Trial] | None
    outputs: list[tuple[str, np.ndarray]]
    session: Session | None = None

    def throughput(self) -> Throughput:
        return Throughput(
            inferences_per_s=self.window.rate(self.batch),
            batch=self.batch,
            streams=self.streams,
            threads=self.threads,
            duration_s=self.window.duration_s,
            inferences=self.window.requests * self.batch,
            method=self.method,
            search=None if self.search is None else tuple(self.search),
        )


def one_session(
    adapter: Adapter, path: Path, settings: Settings, shapes: Shapes, plan: Plan,
    threads: int | None, how: str,
) -> Measured:  # fmt: skip
    """One session (`adapter.load`) sending one request at a time, trying the batch sizes
    the graph accepts (a batch whose request fails or whose outputs lack the batch ends the
    search): OpenCV DNN's way, and the default of an adapter without a throughput mode."""
    session = adapter.load(path, settings, shapes)
    batches = plan.batches_for(path, shapes)
    inputs = {batch: plan.inputs(path, shapes, batch) for batch in batches}  # made once
    trials: list[Trial] = []
    if len(batches) > 1:
        for batch in batches:
            try:
                session.bind(inputs[batch])
                session.run()
                accepted = all(a.shape[:1] == (batch,) for _, a in session.outputs())
            except Exception:  # noqa: BLE001 - the graph does not take this batch
                accepted = False
            if not accepted:
                break
            trials.append(trial([session.run], batch, threads, plan))
    best = best_trial(trials)
    batch = best.batch if best else batches[0]
    session.bind(inputs[batch])
    window = full_window([session.run], plan)
    searched = (
        f"batch sizes {', '.join(str(t.batch) for t in trials)} tried for "
        f"{plan.trial_s:g} s each, the fastest measured for {plan.window_s:g} s"
        if trials
        else f"batch {batch} (the graph fixes its batch dimension), {plan.window_s:g} s"
    )
    return Measured(
        window, batch, 1, threads, f"{how}; {searched}", trials or None, session.outputs(),
        session,
    )  # fmt: skip
