"""Run one worker job in its own process group, with a timeout and a memory cap, and say how
it ended.

A segfault, an abort, a hang, an exception or running out of memory in a runtime becomes a
result with a status and a reason; the run goes on.

The memory cap is an address-space limit (RLIMIT_AS) the worker sets on itself before it
loads any runtime: WORKER_MEMORY_FRACTION (bench/settings.py) of the machine's memory, or
the fraction in NNKB_WORKER_MEMORY_FRACTION. A model that needs more fails its row with
"out of memory under the worker memory cap". Only Linux enforces RLIMIT_AS: Windows has no
`resource` module and macOS ignores the limit (and an Arm64 process there reserves far more
address space than it uses), so there is no cap and a huge model is limited only by the
machine.

Platforms: on POSIX the worker is its own session and a hang is ended with killpg(SIGKILL);
on Windows it is its own process group and the tree is ended through psutil. A worker killed
by a signal (POSIX) or ended by an exception code (Windows, e.g. 0xC0000005 for an access
violation) is named in the row's reason.
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
from typing import TypedDict

import psutil

from ..codec import Json
from .protocol import Envelope, Job, encode
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
# The same on Windows: a drive letter and backslashes (C:\Users\me\model.onnx).
WINDOWS_PATH = re.compile(
    r"(?<![\w\\])[A-Za-z]:\\(?:[^\s\\/'\"`<>|:;,()\[\]{}]+\\)*([^\s\\/'\"`<>|:;,()\[\]{}]*)"
)
# Windows exception codes a crashed worker exits with (ntstatus.h), by name.
WINDOWS_EXIT_CODES = {
    0xC0000005: "STATUS_ACCESS_VIOLATION",
    0xC000001D: "STATUS_ILLEGAL_INSTRUCTION",
    0xC0000017: "STATUS_NO_MEMORY",
    0xC00000FD: "STATUS_STACK_OVERFLOW",
    0xC0000094: "STATUS_INTEGER_DIVIDE_BY_ZERO",
    0xC0000409: "STATUS_STACK_BUFFER_OVERRUN",
    0x40000015: "STATUS_FATAL_APP_EXIT",
}


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
    """The worker memory cap on this machine; None where processes cannot be capped. A bad
    NNKB_WORKER_MEMORY_FRACTION is an error on every platform, so a typo is never silent."""
    fraction = memory_fraction()
    if not sys.platform.startswith("linux"):
        return None
    try:
        import resource  # noqa: F401 - only its presence matters here
    except ImportError:
        return None
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
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # a kernel that refuses the limit: the row runs uncapped
        pass


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


class GroupArgs(TypedDict, total=False):
    """Popen arguments that start a process in its own group, by system."""

    creationflags: int  # Windows
    start_new_session: bool  # POSIX


def _new_group() -> GroupArgs:
    """Popen arguments that start the worker in its own process group."""
    if os.name == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)}
    return {"start_new_session": True}


def _kill_group(proc: subprocess.Popen) -> None:
    """End the worker and every process it started."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return
    try:  # Windows: no process groups to signal; end the tree, children first
        parent = psutil.Process(proc.pid)
        tree = parent.children(recursive=True) + [parent]
    except psutil.Error:
        return
    for process in tree:
        try:
            process.kill()
        except psutil.Error:
            pass


def exit_reason(code: int) -> str:
    """How a worker that left no result ended, from its exit status."""
    # POSIX exit statuses stop at 255 and signals at 64, so these codes only come from Windows.
    name = WINDOWS_EXIT_CODES.get(code & 0xFFFFFFFF)
    if name:
        return f"worker ended by {name} (0x{code & 0xFFFFFFFF:08X})"
    if code < 0:  # POSIX: killed by a signal
        try:
            return f"worker killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with status {code} and no result"


def without_paths(text: str) -> str:
    """A runtime's message with every absolute path cut to its last part ("…/model.onnx"):
    results are published, and the folders of the machine that measured them are not."""
    text = ABSOLUTE_PATH.sub(lambda m: f"…/{m.group(1)}", text)
    return WINDOWS_PATH.sub(lambda m: f"…\\{m.group(1)}", text)


def published(result: Json) -> Json:
    """The result with its free-text fields cleared of absolute paths."""
    cleaned = dict(result)
    for field in ("reason", "op_profile_source"):
        if isinstance(cleaned.get(field), str):
            cleaned[field] = without_paths(cleaned[field])
    return cleaned


def out_of_memory(result: Json, stderr: str, cap: MemoryCap | None) -> Json:
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


def run_worker(job: Job, timeout: float) -> Json:
    """The worker's result dict, or a crashed/timeout/failed one built from how it ended;
    its reason never names an absolute path."""
    return published(_run(job, timeout))


def _run(job: Job, timeout: float) -> Json:
    cap = memory_cap()
    # A file a killed process still holds cannot be removed on Windows: not a row's failure.
    with tempfile.TemporaryDirectory(prefix="nnkb-row-", ignore_cleanup_errors=True) as tmp:
        result_path = Path(tmp) / "result.json"
        stderr_path = Path(tmp) / "stderr.txt"
        envelope = Envelope(str(result_path), os.getpid(), cap.bytes if cap else None)
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "nnkb.bench.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                **_new_group(),  # own process group: a hang is killed with its children
            )
            try:
                message = json.dumps(encode(job, envelope)).encode()
                proc.communicate(message, timeout=timeout)
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
        detail = _last_line(stderr_text)
        reason = exit_reason(proc.returncode)
        crashed = {"status": "crashed", "reason": f"{reason}: {detail}" if detail else reason}
        return out_of_memory(crashed, stderr_text, cap)
