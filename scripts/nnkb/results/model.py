"""The results file as types: one dataclass per object of results.schema.json (format 2).

Each type reads its JSON object (`from_json`, on data the schema has accepted) and writes it
back (`to_json`) with every field present, so that a file written by `ResultsFile.dumps` and
read again gives the same bytes. Integers stay integers and floats stay floats: nothing is
coerced, because a coerced `8` -> `8.0` would change the bytes.

Only measurements and what identifies them are stored; derived figures (achieved FLOP/s,
percent of peak, speed-ups) are computed by the analysis stage from these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .machine import HardwarePart, Json, Machine, Peak, SoftwarePart
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
class Stats:
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

    @classmethod
    def from_json(cls, obj: Json) -> Stats:
        return cls(
            n=obj["n"],
            p50=obj["p50"],
            p90=obj["p90"],
            p99=obj["p99"],
            mean=obj["mean"],
            min=obj["min"],
            stdev=obj["stdev"],
            ci95_low=obj["ci95_low"],
            ci95_high=obj["ci95_high"],
            converged=obj.get("converged"),
        )

    def to_json(self) -> Json:
        return {
            "n": self.n,
            "p50": self.p50,
            "p90": self.p90,
            "p99": self.p99,
            "mean": self.mean,
            "min": self.min,
            "stdev": self.stdev,
            "ci95_low": self.ci95_low,
            "ci95_high": self.ci95_high,
            "converged": self.converged,
        }


@dataclass(frozen=True)
class ProcessSummary:
    """One worker process that measured a row: its median and interval, or why it failed;
    a throughput row's process also its inferences per second."""

    measured_at: str
    p50: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    n: int | None = None
    status: str | None = None  # set only for a process that failed
    reason: str | None = None
    inferences_per_s: float | None = None  # throughput rows only; written only when set

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

    @classmethod
    def from_json(cls, obj: Json) -> ProcessSummary:
        if "p50" in obj:
            return cls(
                obj["measured_at"],
                obj["p50"],
                obj["ci95_low"],
                obj["ci95_high"],
                obj["n"],
                inferences_per_s=obj.get("inferences_per_s"),
            )
        return cls(obj["measured_at"], status=obj["status"], reason=obj["reason"])

    def to_json(self) -> Json:
        if self.measured:
            data: Json = {
                "p50": self.p50,
                "ci95_low": self.ci95_low,
                "ci95_high": self.ci95_high,
                "n": self.n,
                "measured_at": self.measured_at,
            }
            if self.inferences_per_s is not None:
                data["inferences_per_s"] = self.inferences_per_s
            return data
        return {"status": self.status, "reason": self.reason, "measured_at": self.measured_at}


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
class Row:
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
    quantization: Quantization | None = None
    compute_ops: ComputeOps | None = None
    accuracy: TaskAccuracy | None = None
    # Wall seconds of each step the bench spent on the row (benchmarks/cost.py reads them);
    # what a build costs, not a measurement of the model.
    phases: dict[str, float] | None = None
    throughput: Throughput | None = None  # throughput rows (settings "scenario": "throughput")
    # "pretrained" or "random" (kb.OnnxSpec.weights); None on rows from before the field.
    weights: str | None = None

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

    @classmethod
    def from_json(cls, obj: Json) -> Row:
        latency = obj.get("latency")
        agreement = obj.get("agreement")
        processes = obj.get("processes")
        inputs = obj.get("inputs")
        return cls(
            key=obj["key"],
            model=obj["model"],
            model_sha256=obj.get("model_sha256"),
            runtime=obj["runtime"],
            runtime_version=obj.get("runtime_version"),
            settings=dict(obj["settings"]),
            harness_version=obj.get("harness_version"),
            budget_s=obj.get("budget_s"),
            status=obj["status"],
            reason=obj.get("reason"),
            measured_at=obj["measured_at"],
            inputs=None if inputs is None else {k: tuple(v) for k, v in inputs.items()},
            latency=None if latency is None else Stats.from_json(latency),
            session_create_s=obj.get("session_create_s"),
            first_inference_s=obj.get("first_inference_s"),
            peak_rss_bytes=obj.get("peak_rss_bytes"),
            model_file_bytes=obj.get("model_file_bytes"),
            parameters=obj.get("parameters"),
            macs=obj.get("macs"),
            opset=obj.get("opset"),
            op_histogram=obj.get("op_histogram"),
            precision=obj.get("precision"),
            op_profile=obj.get("op_profile"),
            op_profile_source=obj.get("op_profile_source"),
            op_profile_runs=obj.get("op_profile_runs"),
            op_profile_kernels=obj.get("op_profile_kernels"),
            agreement=None if agreement is None else Agreement.from_json(agreement),
            processes=None
            if processes is None
            else tuple(ProcessSummary.from_json(p) for p in processes),
            process_spread=obj.get("process_spread"),
            verification=obj.get("verification"),
            quantization=_optional(Quantization, obj.get("quantization")),
            compute_ops=_optional(ComputeOps, obj.get("compute_ops")),
            accuracy=_optional(TaskAccuracy, obj.get("accuracy")),
            phases=obj.get("phases"),
            throughput=_optional(Throughput, obj.get("throughput")),
            weights=obj.get("weights"),
        )

    def to_json(self) -> Json:
        data = {
            "key": self.key,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "runtime": self.runtime,
            "runtime_version": self.runtime_version,
            "settings": self.settings,
            "harness_version": self.harness_version,
            "budget_s": self.budget_s,
            "status": self.status,
            "reason": self.reason,
            "measured_at": self.measured_at,
            "inputs": None if self.inputs is None else {k: list(v) for k, v in self.inputs.items()},
            "latency": None if self.latency is None else self.latency.to_json(),
            "session_create_s": self.session_create_s,
            "first_inference_s": self.first_inference_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "model_file_bytes": self.model_file_bytes,
            "parameters": self.parameters,
            "macs": self.macs,
            "opset": self.opset,
            "op_histogram": self.op_histogram,
            "precision": self.precision,
            "op_profile": self.op_profile,
            "op_profile_source": self.op_profile_source,
            "op_profile_runs": self.op_profile_runs,
            "op_profile_kernels": self.op_profile_kernels,
            "agreement": None if self.agreement is None else self.agreement.to_json(),
            "processes": None if self.processes is None else [p.to_json() for p in self.processes],
            "process_spread": self.process_spread,
            "verification": self.verification,
        }
        for name in OPTIONAL_ROW_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = value.to_json()
        if self.phases is not None:
            data["phases"] = self.phases
        if self.weights is not None:
            data["weights"] = self.weights
        return data


OPTIONAL_ROW_FIELDS = ("quantization", "compute_ops", "accuracy", "throughput")


def _optional(kind: Any, obj: Json | None) -> Any:
    return None if obj is None else kind.from_json(obj)


@dataclass
class ResultsFile:
    """One machine's results file, kb/results/<machine-id>.json."""

    machine: Machine
    rows: list[Row] = field(default_factory=list)
    harness: Json | None = None
    format_version: int = FORMAT_VERSION
    generated_by: str = GENERATED_BY
    path: Path | None = None

    @property
    def machine_id(self) -> str:
        return self.machine.id

    def sorted_rows(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: r.identity)

    def by_identity(self) -> dict[Identity, Row]:
        return {row.identity: row for row in self.rows}

    @classmethod
    def from_json(cls, obj: Json, path: Path | None = None) -> ResultsFile:
        return cls(
            machine=Machine.from_json(obj["machine"]),
            rows=[Row.from_json(r) for r in obj["rows"]],
            harness=obj.get("harness"),
            format_version=obj["format_version"],
            generated_by=obj["generated_by"],
            path=path,
        )

    def to_json(self) -> Json:
        return {
            "format_version": self.format_version,
            "generated_by": self.generated_by,
            "harness": self.harness,
            "machine": self.machine.to_json(),
            "rows": [r.to_json() for r in self.sorted_rows()],
        }

    def dumps(self) -> str:
        """The file's text: sorted keys, rows in identity order, indent 1, trailing newline.
        allow_nan=False: a non-finite number is not JSON and is refused, never written."""
        return (
            json.dumps(
                self.to_json(), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False
            )
            + "\n"
        )
