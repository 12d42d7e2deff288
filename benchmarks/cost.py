"""What `nnkb bench` costs: a cold run of the default matrix, then a run with nothing changed.

The KB is copied to a temp folder and the cache (model files, reference outputs) and the
results file start empty there, so the first run does everything a fresh clone would; the
second run should run zero rows and only pay for planning (loading the KB, building or
hashing the model files, the machine fingerprint).

    .venv/bin/python benchmarks/cost.py [--kb kb] [--save FILE] [-- nnkb bench arguments]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = re.compile(r"ran (\d+) \(failed (\d+), unavailable (\d+)\), cached (\d+), skipped (\d+)")


def bench(kb: Path, results: Path, env: dict[str, str], extra: list[str]) -> tuple[float, str]:
    cmd = [
        sys.executable,
        "-m",
        "nnkb.cli",
        "bench",
        "--kb",
        str(kb),
        "--results",
        str(results),
        *extra,
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"cost: nnkb bench failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    sys.stderr.write(proc.stderr)
    return wall, proc.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=Path("kb"))
    parser.add_argument("--save", type=Path, help="copy the cold run's results file here")
    parser.add_argument("extra", nargs="*", help="more `nnkb bench` arguments (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnkb-cost-") as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(args.kb, kb, ignore=shutil.ignore_patterns("results"))
        (kb / "results").mkdir()
        results = Path(tmp) / "results.json"
        env = {**os.environ, "NNKB_CACHE": str(Path(tmp) / "cache")}
        walls = []
        for label in ("cold", "no change"):
            wall, summary = bench(kb, results, env, args.extra)
            walls.append(wall)
            counts = SUMMARY.search(summary)
            print(f"{label:>9}: wall {wall:7.1f} s  {summary}")
            if label == "cold" and args.save:
                shutil.copyfile(results, args.save)
            if label == "no change" and counts and int(counts.group(1)) != 0:
                print("FAIL: the second run ran rows although nothing changed")
                return 1
        print(f"cold {walls[0]:.1f} s, no-change {walls[1]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
