"""Run one worker job in its own process group, with a timeout and a memory cap, and say how
it ended.

A segfault, an abort, a hang, an exception or running out of memory in a runtime becomes a
result with a status and a reason; the run goes on.

The memory cap is an address-space limit (RLIMIT_AS) the worker sets on itself before it
loads any runtime: WORKER_MEMORY_FRACTION (bench/settings.py) of the machine's memory, or
the fraction in NNKB_WORKER_MEMORY_FRACTION. A model that needs more fails its row with
"out of memory under the worker memory cap". Where the `resource` module does not exist
(Windows) there is no cap: a huge model there is limited only by the machine.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from .settings import WORKER_MEMORY_FRACTION

MEMORY_FRACTION_ENV = "NNKB_WORKER_MEMORY_FRACTION"
# How runtimes word a failed allocation: numpy's and Python's MemoryError, ONNX Runtime's and
# OpenVINO's "Failed to allocate", OpenCV's "Insufficient memory", C++'s std::bad_alloc,
# and ENOMEM's strerror.
OUT_OF_MEMORY = re.compile(
    r"MemoryError|out of memory|bad[_ ]alloc|(failed|unable) to allocate|insufficient memory|"
    r"cannot allocate memory",
    re.IGNORECASE,
)
_STDERR_TAIL = 64 * 1024
# An absolute POSIX path inside a message (not part of a URL or a relative path); runtimes
# name the model file, the cache and their own libraries by absolute path.
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~-])/(?:[^\s/'\"`<>|:;,()\[\]{}]+/)+([^\s/'\"`<>|:;,()\[\]{}]*)"
)


class WorkerSettingError(ValueError):
    """A worker setting from the environment that cannot be used; no row can run with it."""


@dataclass(frozen=True)
class MemoryCap:
    """The address space a worker may use, and where the number comes from."""

    bytes: int
    fraction: float
    total: int

    def describe(self) -> str:
        return (
            f"{self.bytes / 2**30:.1f} GiB, {self.fraction:g} of the machine's "
            f"{self.total / 2**30:.1f} GiB; {MEMORY_FRACTION_ENV} sets the fraction"
        )


def memory_fraction() -> float:
    """The fraction of the machine's memory a worker may use; WorkerSettingError for a bad
    NNKB_WORKER_MEMORY_FRACTION (`nnkb bench` checks it before the first row)."""
    text = os.environ.get(MEMORY_FRACTION_ENV, "").strip()
    if not text:
        return WORKER_MEMORY_FRACTION
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 1):
        raise WorkerSettingError(
            f"{MEMORY_FRACTION_ENV}={text!r}: expected a number greater than 0 and at most 1 "
            "(the fraction of the machine's memory a benchmark worker may use)"
        )
    return value


def memory_cap() -> MemoryCap | None:
    """The worker memory cap on this machine; None where processes cannot be capped."""
    try:
        import resource  # noqa: F401 - only its presence matters here
    except ImportError:  # Windows: no RLIMIT_AS
        return None
    fraction = memory_fraction()
    total = psutil.virtual_memory().total
    return MemoryCap(int(total * fraction), fraction, total)


def apply_memory_cap(cap_bytes: int | None) -> None:
    """Limit this process's address space (called by the worker before any runtime loads)."""
    if not cap_bytes:
        return
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = cap_bytes if hard == resource.RLIM_INFINITY else min(cap_bytes, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)  # never loosen a limit the machine already sets
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - _STDERR_TAIL))
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _last_line(text: str, limit: int = 200) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def without_paths(text: str) -> str:
    """A runtime's message with every absolute path cut to its last part ("…/model.onnx"):
    results are published, and the folders of the machine that measured them are not."""
    return ABSOLUTE_PATH.sub(lambda m: f"…/{m.group(1)}", text)


def published(result: dict[str, Any]) -> dict[str, Any]:
    """The result with its free-text fields cleared of absolute paths."""
    cleaned = dict(result)
    for field in ("reason", "op_profile_source"):
        if isinstance(cleaned.get(field), str):
            cleaned[field] = without_paths(cleaned[field])
    return cleaned


def out_of_memory(result: dict[str, Any], stderr: str, cap: MemoryCap | None) -> dict[str, Any]:
    """A failed or crashed result that ran out of memory under the cap, as a failed result
    that says so; any other result unchanged."""
    if cap is None or result.get("status") not in ("failed", "crashed"):
        return result
    reason = str(result.get("reason") or "")
    if not (OUT_OF_MEMORY.search(reason) or OUT_OF_MEMORY.search(stderr)):
        return result
    return {
        **result,
        "status": "failed",
        "reason": f"out of memory under the worker memory cap ({cap.describe()}): {reason}",
    }


def run_worker(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The worker's result dict, or a crashed/timeout/failed one built from how it ended;
    its reason never names an absolute path."""
    return published(_run(job, timeout))


def _run(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    cap = memory_cap()
    with tempfile.TemporaryDirectory(prefix="nnkb-row-") as tmp:
        result_path = Path(tmp) / "result.json"
        stderr_path = Path(tmp) / "stderr.txt"
        job = {
            **job,
            "result_path": str(result_path),
            "parent_pid": os.getpid(),
            "memory_cap_bytes": cap.bytes if cap else None,
        }
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "nnkb.bench.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # own process group: a hang is killed with its children
            )
            try:
                proc.communicate(json.dumps(job).encode(), timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.wait()
                timed_out = True
            finally:
                if proc.poll() is None:  # interrupted: do not leave the row running
                    _kill_group(proc)
                    proc.wait()
        stderr_text = _tail(stderr_path)
        # A result on disk is a finished measurement even if the worker then timed out or
        # crashed (in the operator profile, which comes after it): keep it.
        if result_path.exists():
            try:
                return out_of_memory(json.loads(result_path.read_text()), stderr_text, cap)
            except json.JSONDecodeError:
                pass
        if timed_out:
            return {
                "status": "timeout",
                "reason": f"no result after {timeout:g} s; worker process group killed",
            }
        code = proc.returncode
        detail = _last_line(stderr_text)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            reason = f"worker killed by {name}"
        else:
            reason = f"worker exited with status {code} and no result"
        crashed = {"status": "crashed", "reason": f"{reason}: {detail}" if detail else reason}
        return out_of_memory(crashed, stderr_text, cap)
