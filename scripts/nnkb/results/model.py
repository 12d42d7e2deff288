"""The results file as types: one dataclass per object of results.schema.json (format 2).

Each type reads its JSON object (`from_json`, on data the schema has accepted) and writes it
back (`to_json`) through the one codec (codec.py), so that a file written by
`ResultsFile.dumps` and read again gives the same bytes. A field's metadata says when it is
written: always, only when set (fields added after files were written), or with another.

Only measurements and what identifies them are stored; derived figures (achieved FLOP/s,
percent of peak, speed-ups) are computed by the analysis stage from these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..codec import Json, Record, decode, encode, not_written, when_set
from .machine import HardwarePart, Machine, Peak, SoftwarePart
from .quality import Agreement, ComputeOps, Quantization, TaskAccuracy
from .throughput import Throughput, scenario_of

FORMAT_VERSION = 2
GENERATED_BY = "nnkb bench"

Identity = tuple[str, str, str]
__all__ = ["HardwarePart", "Machine", "Peak", "SoftwarePart"]  # defined in machine.py


def canonical_json(value: Any) -> str:
    """The one spelling of a JSON value used in identities and keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Stats(Record):
    """Latency statistics of one process's repetitions, seconds."""

    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    min: float
    stdev: float
    ci95_low: float
    ci95_high: float
    converged: bool | None  # whether the interval reached ±ci_target within the row budget


@dataclass(frozen=True)
class ProcessSummary(Record):
    """One worker process that measured a row: its median and interval, or why it failed;
    a throughput row's process also its inferences per second."""

    # A measured process has p50, ci95_low, ci95_high and n; a failed one status and reason.
    measured_at: str
    p50: float | None = when_set()
    ci95_low: float | None = when_set()
    ci95_high: float | None = when_set()
    n: int | None = when_set()
    status: str | None = when_set()
    reason: str | None = when_set()
    inferences_per_s: float | None = when_set()  # throughput rows only

    @property
    def measured(self) -> bool:
        return self.p50 is not None

    @classmethod
    def of(
        cls, latency: Stats, measured_at: str, throughput: Throughput | None = None
    ) -> ProcessSummary:
        return cls(
            measured_at,
            latency.p50,
            latency.ci95_low,
            latency.ci95_high,
            latency.n,
            inferences_per_s=None if throughput is None else throughput.inferences_per_s,
        )

    @classmethod
    def failure(cls, status: str, reason: str, measured_at: str) -> ProcessSummary:
        return cls(measured_at, status=status, reason=reason)


@dataclass(frozen=True)
class Verification:
    """A row's processes: the first from the main pass, the later ones from the verification
    pass; `spread` = max p50 / min p50 - 1 of the measured ones (a throughput row's: max /
    min - 1 of their inferences per second); `note` says why there are fewer processes than
    the harness asks for. Stored flat in the row (`processes`, `process_spread`,
    `verification`)."""

    processes: tuple[ProcessSummary, ...] | None
    spread: float | None
    note: str | None

    @staticmethod
    def spread_of(processes: tuple[ProcessSummary, ...]) -> float | None:
        rates = [p.inferences_per_s for p in processes if p.inferences_per_s is not None]
        if rates:  # a throughput row's processes: their rates are what the row reports
            return max(rates) / min(rates) - 1.0 if len(rates) >= 2 else None
        medians = [p.p50 for p in processes if p.p50 is not None]
        return max(medians) / min(medians) - 1.0 if len(medians) >= 2 else None


@dataclass(frozen=True)
class Row(Record):
    """One (model, runtime, settings) measurement on one machine."""

    key: str
    model: str
    model_sha256: str | None
    runtime: str
    runtime_version: str | None
    settings: Json
    harness_version: str | None
    budget_s: float | None
    status: str  # ok, failed, unavailable, crashed, timeout, mismatch
    reason: str | None
    measured_at: str
    inputs: dict[str, tuple[int, ...]] | None
    latency: Stats | None
    session_create_s: float | None
    first_inference_s: float | None
    peak_rss_bytes: int | None
    model_file_bytes: int | None
    parameters: int | None
    macs: int | None
    opset: int | None
    op_histogram: dict[str, int] | None
    precision: str | None
    op_profile: dict[str, float] | None
    op_profile_source: str | None
    op_profile_runs: int | None
    op_profile_kernels: dict[str, str] | None
    agreement: Agreement | None
    processes: tuple[ProcessSummary, ...] | None
    process_spread: float | None
    verification: str | None
    # Harness 5 and later; absent from older rows (and written only when set, so an older
    # file reads and writes back byte for byte).
    quantization: Quantization | None = when_set()
    compute_ops: ComputeOps | None = when_set()
    accuracy: TaskAccuracy | None = when_set()
    # Wall seconds of each step the bench spent on the row (benchmarks/cost.py reads them);
    # what a build costs, not a measurement of the model.
    phases: dict[str, float] | None = when_set()
    throughput: Throughput | None = when_set()  # throughput rows ("scenario": "throughput")
    # "pretrained" or "random" (kb.OnnxSpec.weights); None on rows from before the field.
    weights: str | None = when_set()

    @property
    def identity(self) -> Identity:
        """(model, runtime, settings as canonical JSON): one row per identity in a file, and
        the order of rows in it."""
        return self.model, self.runtime, canonical_json(self.settings)

    @property
    def scenario(self) -> str:
        """The row's scenario: "latency" (one request at a time, the default) or
        "throughput" (all cores, many requests in flight)."""
        return scenario_of(self.settings)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.latency is not None

    @property
    def verification_state(self) -> Verification:
        return Verification(self.processes, self.process_spread, self.verification)


@dataclass
class ResultsFile:
    """One machine's results file, kb/results/<machine-id>.json."""

    machine: Machine
    rows: list[Row] = field(default_factory=list)
    harness: Json | None = None
    format_version: int = FORMAT_VERSION
    generated_by: str = GENERATED_BY
    path: Path | None = not_written()

    @property
    def machine_id(self) -> str:
        return self.machine.id

    def sorted_rows(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: r.identity)

    def by_identity(self) -> dict[Identity, Row]:
        return {row.identity: row for row in self.rows}

    @classmethod
    def from_json(cls, obj: Json, path: Path | None = None) -> ResultsFile:
        return replace(decode(cls, obj), path=path)

    def to_json(self) -> Json:
        """The file's object, its rows in identity order."""
        return encode(replace(self, rows=self.sorted_rows()))

    def dumps(self) -> str:
        """The file's text: sorted keys, rows in identity order, indent 1, trailing newline.
        allow_nan=False: a non-finite number is not JSON and is refused, never written."""
        return (
            json.dumps(
                self.to_json(), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False
            )
            + "\n"
        )
