"""Run one worker job in its own process group, with a timeout, and say how it ended.

A segfault, an abort, a hang or an exception in a runtime becomes a result with a status
and a reason; the run goes on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _last_line(path: Path, limit: int = 200) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_worker(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The worker's result dict, or a crashed/timeout/failed one built from how it ended."""
    with tempfile.TemporaryDirectory(prefix="nnkb-row-") as tmp:
        result_path = Path(tmp) / "result.json"
        stderr_path = Path(tmp) / "stderr.txt"
        job = {**job, "result_path": str(result_path), "parent_pid": os.getpid()}
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
        # A result on disk is a finished measurement even if the worker then timed out or
        # crashed (in the operator profile, which comes after it): keep it.
        if result_path.exists():
            try:
                return json.loads(result_path.read_text())
            except json.JSONDecodeError:
                pass
        if timed_out:
            return {
                "status": "timeout",
                "reason": f"no result after {timeout:g} s; worker process group killed",
            }
        code = proc.returncode
        detail = _last_line(stderr_path)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            reason = f"worker killed by {name}"
        else:
            reason = f"worker exited with status {code} and no result"
        return {"status": "crashed", "reason": f"{reason}: {detail}" if detail else reason}
