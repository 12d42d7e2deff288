"""One benchmark row (or one reference computation) in its own process.

    python -m nnkb.bench.worker < job.json

The job is JSON on stdin; the result is JSON written to job["result_path"] (stdout is left
to the runtimes, which print what they like). The worker first caps its own address space
at job["memory_cap_bytes"] (isolate.py). A Python exception becomes a `failed` result;
a crash or hang leaves no result file and the parent turns the exit status into the row,
unless it happens in the operator profile: the measured result is written before it.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil

from ..codec import Json
from .isolate import apply_memory_cap
from .measure import WorkerResult, measure_row, one_line
from .protocol import Job, JobError, QuantizeJob, ReferenceInputsJob, ReferenceJob, decode
from .runtimes import load_adapters

WATCH_PARENT_SECONDS = 1.0


def die_with_parent(parent_pid: int | None) -> None:
    """Exit when the parent dies (kill -9 of `nnkb bench` must not leave rows running):
    the kernel's parent-death signal on Linux, a watchdog thread elsewhere."""
    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        try:
            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        else:
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def parent_alive(parent_pid: int) -> bool:
    # On POSIX an orphan is re-parented, so getppid() changes; Windows keeps the old id,
    # so ask whether that process still exists.
    if os.name != "nt" and os.getppid() != parent_pid:
        return False
    return psutil.pid_exists(parent_pid)


def _watch_parent(parent_pid: int) -> None:
    while parent_alive(parent_pid):
        time.sleep(WATCH_PARENT_SECONDS)
    os._exit(1)


def run_job(job: Job, result_path: Path) -> Json:
    """Do the job; a row's checkpoint writes its measured result to `result_path` before the
    operator profile, which may crash."""
    if isinstance(job, ReferenceJob):
        from .reference import compute_inputs_reference, compute_reference

        shapes = {k: tuple(v) for k, v in job.inputs.items()}
        compute_reference(Path(job.model_path), shapes, job.seed, Path(job.out))
        if job.inputs_out and job.count:  # the outputs over the agreement inputs as well
            compute_inputs_reference(
                Path(job.model_path), shapes, job.count, Path(job.inputs_out),
                job.preprocess, job.task,
            )  # fmt: skip
        return {"status": "ok", "reason": None}
    if isinstance(job, ReferenceInputsJob):
        from .reference import compute_inputs_reference

        shapes = {k: tuple(v) for k, v in job.inputs.items()}
        compute_inputs_reference(
            Path(job.model_path), shapes, job.count, Path(job.out), job.preprocess, job.task
        )
        return {"status": "ok", "reason": None}
    if isinstance(job, QuantizeJob):
        from .derived import build_derived

        return build_derived(job)
    adapter = load_adapters()[job.runtime]
    version = adapter.version()
    if version is None:
        return {
            "status": "unavailable",
            "reason": f"python module '{adapter.module}' cannot be imported",
            "runtime_version": None,
        }

    def checkpoint(result: WorkerResult) -> None:
        write_result(result_path, {**result.to_json(), "runtime_version": version})

    return {**measure_row(adapter, job, checkpoint).to_json(), "runtime_version": version}


def write_result(path: Path, result: Json) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, allow_nan=False))
    os.replace(tmp, path)


def main() -> int:
    raw = json.load(sys.stdin)
    try:
        job, envelope = decode(raw)
    except JobError as exc:  # a parent of another version: say so as the row's reason
        write_result(
            Path(str(raw.get("result_path", ""))), {"status": "failed", "reason": str(exc)}
        )
        return 0
    die_with_parent(envelope.parent_pid)
    # Before any runtime is imported: a model too big for the cap fails its own row.
    apply_memory_cap(envelope.memory_cap_bytes)
    try:
        result = run_job(job, Path(envelope.result_path))
    except MemoryError as exc:  # the parent adds the cap to the reason
        result = {"status": "failed", "reason": f"MemoryError: {one_line(exc)}"}
    except Exception as exc:  # noqa: BLE001 - every failure is a row, not a traceback
        result = {"status": "failed", "reason": one_line(exc)}
    write_result(Path(envelope.result_path), result)
    return 0


if __name__ == "__main__":
    status = main()
    # The result is on disk: leave without tearing down the runtime's sessions and the
    # inputs (a fraction of a second of every process of a cold matrix, for nothing).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
