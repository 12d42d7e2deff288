"""The files a row needs besides its model, made once per run in worker subprocesses (a
runtime that crashes on a model must not take the run down): the reference outputs for the
first-inference check, the reference outputs over the agreement inputs, the quantised
derived file, and the graph counts. `Run` (runner.py) holds the memo dictionaries.

Each of them, and each worker process, is timed: a row's `phases` says where the cold time
of a build goes (benchmarks/cost.py adds them up by kind). A memoised file is charged to the
row that made it, so the first row of a model carries its reference outputs."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from . import reference as ref
from .derived import ensure_derived, ensure_inputs_reference, inputs_reference_path
from .isolate import run_worker
from .plan import PlannedRow
from .protocol import ReferenceJob
from .runtimes import Adapter
from .settings import HARNESS

GraphCounts = tuple[int | None, int | None, int | None, dict[str, int] | None]


class RowFiles:
    """Memoised per model file (and per derived key) within one `nnkb bench` run."""

    reference: tuple[Adapter, str] | None
    cache_dir: Path
    timeout: float

    def __init__(self) -> None:
        self.references: dict[str, Path | None] = {}
        self.inputs_references: dict[str, Path | None] = {}
        self.derived: dict[str, tuple[Path | None, str | None]] = {}
        self.graph: dict[str, GraphCounts] = {}
        self.spent: dict[str, dict[str, float]] = {}  # planned key -> seconds by phase
        self.built: set[str] = set()  # models whose build time a row already carries

    @contextmanager
    def timed(self, p: PlannedRow, phase: str) -> Iterator[None]:
        """Charge the wall time of the block to the row's `phase`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.charge(p, phase, time.perf_counter() - start)

    def charge(self, p: PlannedRow, phase: str, seconds: float) -> None:
        spent = self.spent.setdefault(p.key, {})
        spent[phase] = spent.get(phase, 0.0) + seconds

    def phases_of(
        self, p: PlannedRow, worker: dict[str, float] | None, process_s: float | None
    ) -> dict[str, float]:
        """The row's phases: what the parent spent on it (the model build on the model's
        first row, the derived file, references, graph counts), the worker's own steps, and
        `start`: the rest of the process's wall time (interpreter, imports, exit)."""
        if p.model_sha256 and p.model_sha256 not in self.built and p.build_s:
            self.built.add(p.model_sha256)
            self.charge(p, "build", p.build_s)
        phases = dict(self.spent.pop(p.key, {}))
        if process_s is not None:
            phases["start"] = max(process_s - sum((worker or {}).values()), 0.0)
        phases.update(worker or {})
        return {name: round(seconds, 3) for name, seconds in phases.items()}

    def reference_for(self, p: PlannedRow) -> Path | None:
        """The cached reference outputs of the row's model, computed on first need."""
        if self.reference is None or p.model_path is None or p.model_sha256 is None:
            return None
        _, version = self.reference
        if p.model_sha256 not in self.references:
            with self.timed(p, "reference"):
                self.references[p.model_sha256] = self._reference(p, version)
        return self.references[p.model_sha256]

    def _reference(self, p: PlannedRow, version: str) -> Path | None:
        assert p.model_path is not None and p.model_sha256 is not None
        out = ref.reference_path(
            self.cache_dir, p.model_sha256, p.spec.inputs, HARNESS["input_seed"], version
        )
        if not out.exists():
            job = ReferenceJob(
                model_path=str(p.model_path),
                inputs={k: list(v) for k, v in p.spec.inputs.items()},
                seed=HARNESS["input_seed"],
                out=str(out),
            )
            # The outputs over the agreement inputs too, in the same process: one worker
            # start-up per model instead of two (ensure_inputs_reference then finds them).
            from .agreement import AGREEMENT_COUNT  # scipy: only when a reference is made

            many = inputs_reference_path(
                self.cache_dir, p.model_sha256, p.spec.inputs, AGREEMENT_COUNT, version,
                self.agreement_set(p),
            )  # fmt: skip
            if not many.exists():
                job = replace(
                    job, inputs_out=str(many), count=AGREEMENT_COUNT,
                    preprocess=p.spec.preprocess, task=p.task,
                )  # fmt: skip
            result = run_worker(job, self.timeout)
            if result.get("status") != "ok":
                tqdm.write(
                    f"  {p.model_id}: no reference outputs ({result.get('reason')})",
                    file=sys.stderr,
                )
        return out if out.exists() else None

    def graph_stats(self, p: PlannedRow) -> GraphCounts:
        """Counts from the graph, the same for every runtime: parameters, macs, opset and
        operator histogram (the site shows them without opening the model file)."""
        if p.model_path is None or p.model_sha256 is None:
            return None, None, None, None
        if p.model_sha256 not in self.graph:
            start = time.perf_counter()
            try:
                from ..models.graphstats import graph_stats

                stats = graph_stats(p.model_path, p.spec.inputs)
                histogram = {k: int(v) for k, v in sorted(stats.op_histogram.items())}
                counts: GraphCounts = (
                    int(stats.parameters), int(stats.macs), int(stats.opset), histogram
                )  # fmt: skip
            except Exception:  # noqa: BLE001 - a file it cannot parse: the row says why
                counts = (None, None, None, None)
            self.graph[p.model_sha256] = counts
            self.charge(p, "graph", time.perf_counter() - start)
        return self.graph[p.model_sha256]

    def model_file(self, p: PlannedRow) -> Path | None:
        """The file the row runs: the model's, or its quantised derived file (built once)."""
        if p.quantization is None or p.model_path is None:
            return p.model_path
        if p.key not in self.derived:
            q = p.quantization
            with self.timed(p, "quantize"):
                self.derived[p.key] = ensure_derived(
                    p.model_path, p.task, p.spec.inputs, q.quantizer, q.key, self.cache_dir,
                    self.timeout, p.spec.preprocess,
                )  # fmt: skip
        return self.derived[p.key][0]

    @staticmethod
    def agreement_set(p: PlannedRow) -> str | None:
        """The id of a model's natural agreement inputs (None: the synthetic ones)."""
        if not p.spec.preprocess:
            return None
        from .agreement import agreement_set

        return agreement_set(p.spec.inputs, p.spec.preprocess, p.task)[0]

    def inputs_reference_for(self, p: PlannedRow) -> str | None:
        """The cached reference outputs over the agreement inputs, computed on first need."""
        if self.reference is None or p.model_path is None or p.model_sha256 is None:
            return None
        if p.model_sha256 not in self.inputs_references:
            with self.timed(p, "reference"):
                out, why = ensure_inputs_reference(
                    p.model_path, p.model_sha256, p.spec.inputs, self.reference[1],
                    self.cache_dir, self.timeout, p.spec.preprocess, p.task,
                )  # fmt: skip
            if why:
                tqdm.write(f"  {p.model_id}: no agreement reference ({why})", file=sys.stderr)
            self.inputs_references[p.model_sha256] = out
        out = self.inputs_references[p.model_sha256]
        return str(out) if out else None
