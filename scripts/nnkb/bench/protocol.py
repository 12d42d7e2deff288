"""What the parent (`nnkb bench`) asks a worker process (`python -m nnkb.bench.worker`) to do:
one typed job per kind, sent as JSON on the worker's stdin. A leaf module: it imports nothing
of nnkb, so the parent and the worker share it without importing each other.

- `RowJob`: measure one row (latency or throughput, by its settings' scenario), check its
  outputs, profile its operators; the worker answers with a WorkerResult (measure.py).
- `ReferenceJob`: the FP32 reference outputs of the first input (and, with `inputs_out`, over
  the agreement inputs too, in the same process).
- `ReferenceInputsJob`: the reference outputs over the agreement inputs only.
- `QuantizeJob`: build (or find) a quantised derived file.

The launcher (isolate.run_worker) adds where to write the result, the parent's process id and
the memory cap (`Envelope`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from ..codec import Json, Settings

Shapes = dict[str, list[int]]


class JobError(ValueError):
    """A job the worker cannot read: an unknown kind or fields it does not know."""


@dataclass(frozen=True)
class RowJob:
    kind: ClassVar[str] = "row"

    runtime: str
    model_path: str
    inputs: Shapes
    settings: Settings
    harness: Json
    row_budget_s: float
    source_model_path: str | None = None  # the model's own file when model_path is derived
    classifier: bool = False
    preprocess: Json | None = None
    postprocess: str | None = None
    reference: str | None = None  # the reference outputs of the first input (a file)
    reference_label: str = ""
    inputs_reference: str | None = None  # the reference outputs over the agreement inputs
    output_kind: str | None = None
    task: str | None = None
    accuracy: str | None = None  # "ocr": the task accuracy over the rendered corpus
    profile: bool = True  # False in a verification process: the latency is all it adds


@dataclass(frozen=True)
class ReferenceJob:
    kind: ClassVar[str] = "reference"

    model_path: str
    inputs: Shapes
    seed: int
    out: str
    # With inputs_out, the outputs over `count` agreement inputs as well.
    inputs_out: str | None = None
    count: int | None = None
    preprocess: Json | None = None
    task: str = ""


@dataclass(frozen=True)
class ReferenceInputsJob:
    kind: ClassVar[str] = "reference_inputs"

    model_path: str
    inputs: Shapes
    count: int
    out: str
    preprocess: Json | None = None
    task: str = ""


@dataclass(frozen=True)
class QuantizeJob:
    kind: ClassVar[str] = "quantize"

    model_path: str
    inputs: Shapes
    task: str
    quantizer: str
    key: str
    cache_dir: str
    preprocess: Json | None = None


Job = RowJob | ReferenceJob | ReferenceInputsJob | QuantizeJob
KINDS: dict[str, type[Job]] = {
    cls.kind: cls for cls in (RowJob, ReferenceJob, ReferenceInputsJob, QuantizeJob)
}


@dataclass(frozen=True)
class Envelope:
    """What the launcher adds to every job."""

    result_path: str
    parent_pid: int | None = None
    memory_cap_bytes: int | None = None


def encode(job: Job, envelope: Envelope | None = None) -> Json:
    """The JSON object sent to the worker: the job's fields, its kind and the envelope."""
    out: Json = {"kind": job.kind, **dataclasses.asdict(job)}
    if envelope is not None:
        out.update(
            result_path=envelope.result_path,
            parent_pid=envelope.parent_pid,
            memory_cap_bytes=envelope.memory_cap_bytes,
        )
    return out


def decode(raw: Json) -> tuple[Job, Envelope]:
    """The job and envelope of a JSON object `encode` made; JobError for anything else."""
    data = dict(raw)
    kind = data.pop("kind", None)
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise JobError(f"unknown job kind {kind!r}; known: {', '.join(KINDS)}")
    envelope = Envelope(
        result_path=str(data.pop("result_path", "")),
        parent_pid=data.pop("parent_pid", None),
        memory_cap_bytes=data.pop("memory_cap_bytes", None),
    )
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise JobError(f"{kind} job: unknown field(s) {', '.join(unknown)}")
    try:
        return cls(**data), envelope
    except TypeError as exc:  # a required field missing
        raise JobError(f"{kind} job: {exc}") from None
