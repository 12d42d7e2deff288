"""Two `nnkb bench` runs on the same results file at once: the second waits for the first's
lock and says so, and the file ends with both runs' rows and every earlier one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from faultkit import FIXTURES, assert_intact, seeded
from filelock import FileLock, Timeout

from nnkb import results

ROOT = Path(__file__).resolve().parents[2]


def _start(kb: Path, out: Path, model: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nnkb", "bench", "--kb", str(kb), "--results", str(out),
         "--row-budget", "0.2", "--models", model, "--runtimes", "test-phased"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _held_by_another(lock: Path) -> bool:
    try:
        with FileLock(lock).acquire(timeout=0):
            return False
    except Timeout:
        return True


def test_two_benches_at_once_lose_no_row_and_the_second_says_it_waits(bench_env, capsys):
    kb, out, earlier = seeded(bench_env)  # the machine section (and its peak) is stored
    capsys.readouterr()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(FIXTURES)]),
        "NNKB_EXTRA_ADAPTERS": os.environ["NNKB_EXTRA_ADAPTERS"],
        "NNKB_CACHE": os.environ["NNKB_CACHE"],
    }
    first = _start(kb, out, "a", env)
    lock = results.lock_path(out)
    deadline = time.monotonic() + 60
    while not _held_by_another(lock) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = _start(kb, out, "b", env)
    out_first, err_first = first.communicate(timeout=300)
    out_second, err_second = second.communicate(timeout=300)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    assert "is being written by another `nnkb bench`" in err_second
    assert "waiting for it to finish" in err_second
    assert "written" in out_first and "written" in out_second

    stored = results.read(out, named=False).by_identity()
    phased = {i[0] for i, r in stored.items() if i[1] == "test-phased" and r.ok}
    assert phased == {"a", "b"}
    assert_intact(out, earlier)
