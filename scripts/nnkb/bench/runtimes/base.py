"""What a runtime adapter provides. A new runtime is one module in this folder that defines
`ADAPTER` (found by `runtimes.load_adapters`, no registration line).

An adapter carries everything the rest of nnkb knows about its runtime: its name in results
rows, its display name and the labels of its settings variants (for pages), what the
methodology page says about it, and whether it computes the FP32 reference outputs.

The parent process only calls `version()`, `settings()`, `variants()`,
`throughput_variants()` and the labelling methods; `load()`, `profile()`,
`measure_throughput()` and everything on the session run in the row's worker
subprocess, so an adapter must not import its runtime at module level (the parent imports
every adapter module to discover them).
"""

from __future__ import annotations

import importlib
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import psutil

from ...codec import Settings
from ...results import SCENARIO, THROUGHPUT, ComputeOps

if TYPE_CHECKING:  # the worker side of the throughput scenario; imported where it runs
    from ..throughput import Measured, Plan

Shapes = dict[str, tuple[int, ...]]
# The settings key of a variant that runs a quantised derived file (its value: the quantiser).
QUANTIZER = "quantizer"
# The precisions whose variants get a throughput twin (the first part of a variant label).
THROUGHPUT_PRECISIONS = ("FP32", "INT8")


def physical_cores() -> int:
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


class Session(ABC):
    """A loaded model. `bind` happens before timing; only `run` is timed."""

    #: inference precision the runtime reports (or is configured) to use, e.g. "f32", "bf16"
    precision: str | None = None

    @abstractmethod
    def bind(self, inputs: dict[str, np.ndarray]) -> None:
        """Hand the inputs to the runtime once; later `run` calls reuse them."""

    @abstractmethod
    def run(self) -> Any:
        """One inference on the bound inputs. Timed: do nothing else here."""

    @abstractmethod
    def outputs(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) of every output of the last `run`, as numpy copies. Not timed."""


@dataclass
class OpTimes:
    """What a runtime's profiler says about some inferences: kernel time per operator type.

    Operator types are the runtime's own names (its fused or inserted operators included),
    so they differ between runtimes. `kernels` names, per operator type, the implementation
    that took most of its time where the profiler reports one (OpenVINO's exec_type, e.g.
    "brgconv_avx512_1x1_bf16", which shows the precision each operator ran in).
    """

    seconds: dict[str, float]
    runs: int
    source: str
    kernels: dict[str, str] = field(default_factory=dict)


class ProfileBudget:
    """How many profiled inferences to run: at least `min_runs`, then more while fewer than
    `seconds` have passed since the first, never more than `max_runs`."""

    def __init__(self, min_runs: int, max_runs: int, seconds: float):
        self.min_runs = min_runs
        self.max_runs = max_runs
        self.seconds = seconds
        self.started: float | None = None

    def more(self, runs: int) -> bool:
        """Whether to run another profiled inference after `runs` of them."""
        now = time.perf_counter()
        if self.started is None:
            self.started = now
        if runs >= self.max_runs:
            return False
        return runs < self.min_runs or now - self.started < self.seconds


class Adapter(ABC):
    #: adapter name used in results rows, on the command line and in framework entries'
    #: `benchmark_adapters`
    name: str
    #: importable module of the runtime; `version()` is None when it cannot be imported
    module: str
    #: how pages name the runtime ("ONNX Runtime"); the adapter name when empty
    display_name: str = ""
    #: what the methodology page says about this runtime: Markdown sentences (settings,
    #: precision, what its profiler's operator names mean)
    methodology: str = ""
    #: True for the one runtime whose FP32 run with `reference_settings()` gives the outputs
    #: every row is compared with (`runtimes.reference_adapter`). Subclassing the reference
    #: adapter inherits the role: a subclass that is another runtime sets it back to False.
    reference: bool = False
    #: settings that follow the machine rather than choose a variant (thread counts): a
    #: variant label leaves them out
    machine_settings: tuple[str, ...] = ()

    def version(self) -> str | None:
        try:
            runtime = importlib.import_module(self.module)
        except Exception:  # noqa: BLE001 - a broken install is as unavailable as a missing one
            return None
        return self.version_of(runtime)

    def version_of(self, runtime: Any) -> str | None:
        version = getattr(runtime, "__version__", None)
        return str(version) if version is not None else None

    @abstractmethod
    def settings(self) -> Settings:
        """The runtime settings of a row: part of its cache key and recorded in it."""

    def variants(self) -> list[Settings]:
        """Every setting the default matrix measures; one row per model and variant.

        The first is the runtime's default configuration; an adapter adds more when a
        setting changes results enough that readers need both (OpenVINO's precision)."""
        return [self.settings()]

    def throughput_variants(self) -> list[Settings]:
        """The throughput twins the default matrix measures: each variant whose declared
        precision is FP32 or INT8 plus `"scenario": "throughput"`."""
        return [
            {**settings, SCENARIO: THROUGHPUT}
            for settings in self.variants()
            if self.declared_precision(settings) in THROUGHPUT_PRECISIONS
        ]

    def declared_precision(self, settings: Settings) -> str | None:
        """The precision a settings variant asks for, as pages name it ("FP32", "INT8",
        "BF16"), or None where the runtime chooses (OpenVINO's default). Declared here, once:
        the variant's label is made from it, never read back."""
        return None

    # The settings that choose a variant's precision (named by declared_precision, so never
    # listed as `key=value`), and how a label names a precision the runtime chooses itself.
    precision_settings: tuple[str, ...] = ()
    runtime_chooses: str | None = None

    def variant_extras(self, settings: Settings) -> list[str]:
        """The settings that differ from `settings()` as `key=value`, apart from the precision
        settings, machine settings and the scenario (pages show it as its own column)."""
        default = self.settings()
        skipped = (*self.machine_settings, *self.precision_settings, SCENARIO)
        parts = []
        for key in sorted(set(settings) | set(default)):
            if key in skipped or settings.get(key) == default.get(key):
                continue
            value = settings.get(key, "unset")
            parts.append(f"{key}={value if isinstance(value, str) else json.dumps(value)}")
        return parts

    def variant_label(self, settings: Settings) -> str:
        """The short label of a settings variant, made from its declared parts: the precision
        ("FP32", "INT8", or `runtime_chooses`), then `variant_extras`; "" when the adapter
        names no precision and nothing differs."""
        precision = self.declared_precision(settings) or self.runtime_chooses
        return ", ".join(p for p in (precision, *self.variant_extras(settings)) if p)

    def label(self, settings: Settings) -> str:
        """The display name and the variant label: "ONNX Runtime · INT8"."""
        name = self.display_name or self.name
        variant = self.variant_label(settings)
        return f"{name} · {variant}" if variant else name

    def quantizer(self, settings: Settings) -> str | None:
        """The quantiser (nnkb.models.quantize.QUANTIZERS) whose derived INT8 file the row
        runs instead of the model file, or None for the model file itself."""
        value = settings.get(QUANTIZER)
        return str(value) if value else None

    def unavailable(self, settings: Settings, cpu_flags: set[str]) -> str | None:
        """Why a variant cannot run on a CPU with these instruction-set flags (the row is then
        "unavailable" with this reason), or None. Called in the parent process."""
        return None

    def accuracy_settings(self, settings: Settings) -> Settings:
        """The settings of a session that accepts inputs of any size of the model's dynamic
        dimensions (a task-accuracy pass feeds text lines of every width); the computation
        is the row's."""
        return settings

    def read_precision(
        self, session: Session, path: Path, settings: Settings, shapes: Shapes
    ) -> tuple[str | None, ComputeOps | None]:
        """The precision the runtime executed in and its int8 share of convolutions and
        matrix products, read back after the timed repetitions (outside them). By default
        what the session reports, with no operator count."""
        return session.precision, None

    def reference_settings(self) -> Settings:
        """The settings of the FP32 reference run (used only when `reference` is True)."""
        return self.settings()

    def reference_label(self, version: str) -> str:
        """How a row's `agreement.reference` names the reference run."""
        settings = " ".join(str(v) for v in self.reference_settings().values())
        return f"{self.name} {version} {settings}"

    @abstractmethod
    def load(self, path: Path, settings: Settings, shapes: Shapes) -> Session:
        """Create a session for the ONNX file at `path` (timed as session creation)."""

    def profile(
        self,
        session: Session,
        path: Path,
        settings: Settings,
        shapes: Shapes,
        inputs: dict[str, np.ndarray],
        budget: ProfileBudget,
    ) -> OpTimes | None:
        """Kernel time by operator type over extra inferences, after the timed repetitions.

        The adapter may profile `session` itself or a second session created from `path`
        with the same `settings` plus its profiler switched on; it runs inferences while
        `budget.more(runs)` says so, leaving out a first one of a new session (allocations).
        None when the runtime has no profiler this adapter can read (the default)."""
        return None

    def measure_throughput(
        self, path: Path, settings: Settings, shapes: Shapes, plan: Plan
    ) -> Measured:
        """The throughput scenario in the row's worker: the highest sustained inferences per
        second on all cores, this runtime's own way (`plan`: windows, batch sizes, seeded
        inputs). By default one session sending one request at a time, trying the batch
        sizes the graph accepts."""
        from ..throughput import one_session

        how = "one session, one request at a time (the adapter has no throughput mode)"
        return one_session(self, path, settings, shapes, plan, None, how)
