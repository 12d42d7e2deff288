"""The files a row needs besides its model, made once per run in worker subprocesses (a
runtime that crashes on a model must not take the run down): the reference outputs for the
first-inference check, the reference outputs over the agreement inputs, the quantised
derived file, and the graph counts. `Run` (runner.py) holds the memo dictionaries."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from . import reference as ref
from .derived import ensure_derived, ensure_inputs_reference
from .isolate import run_worker
from .plan import PlannedRow
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

    def reference_for(self, p: PlannedRow) -> Path | None:
        """The cached reference outputs of the row's model, computed on first need."""
        if self.reference is None or p.model_path is None or p.model_sha256 is None:
            return None
        _, version = self.reference
        if p.model_sha256 not in self.references:
            out = ref.reference_path(
                self.cache_dir, p.model_sha256, p.spec.inputs, HARNESS["input_seed"], version
            )
            if not out.exists():
                job = {
                    "kind": "reference",
                    "model_path": str(p.model_path),
                    "inputs": {k: list(v) for k, v in p.spec.inputs.items()},
                    "seed": HARNESS["input_seed"],
                    "out": str(out),
                }
                result = run_worker(job, self.timeout)
                if result.get("status") != "ok":
                    tqdm.write(
                        f"  {p.model_id}: no reference outputs ({result.get('reason')})",
                        file=sys.stderr,
                    )
            self.references[p.model_sha256] = out if out.exists() else None
        return self.references[p.model_sha256]

    def graph_stats(self, p: PlannedRow) -> GraphCounts:
        """Counts from the graph, the same for every runtime: parameters, macs, opset and
        operator histogram (the site shows them without opening the model file)."""
        if p.model_path is None or p.model_sha256 is None:
            return None, None, None, None
        if p.model_sha256 not in self.graph:
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
        return self.graph[p.model_sha256]

    def model_file(self, p: PlannedRow) -> Path | None:
        """The file the row runs: the model's, or its quantised derived file (built once)."""
        if p.quantization is None or p.model_path is None:
            return p.model_path
        if p.key not in self.derived:
            q = p.quantization
            self.derived[p.key] = ensure_derived(
                p.model_path, p.task, p.spec.inputs, q.quantizer, q.key, self.cache_dir,
                self.timeout,
            )  # fmt: skip
        return self.derived[p.key][0]

    def inputs_reference_for(self, p: PlannedRow) -> str | None:
        """The cached reference outputs over the agreement inputs, computed on first need."""
        if self.reference is None or p.model_path is None or p.model_sha256 is None:
            return None
        if p.model_sha256 not in self.inputs_references:
            out, why = ensure_inputs_reference(
                p.model_path, p.model_sha256, p.spec.inputs, self.reference[1], self.cache_dir,
                self.timeout,
            )  # fmt: skip
            if why:
                tqdm.write(f"  {p.model_id}: no agreement reference ({why})", file=sys.stderr)
            self.inputs_references[p.model_sha256] = out
        out = self.inputs_references[p.model_sha256]
        return str(out) if out else None
