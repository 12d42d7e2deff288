"""How long `nnkb validate` takes on the worst results file a pull request can add: a file
of the size limit (1 MB) holding only empty rows, about 330,000 of them, each missing every
field. The validator's cost is linear in the file's size; the target is under 10 s on two
cores, startup included.

    .venv/bin/python benchmarks/validate_cost.py [--kb kb] [--size BYTES] [--repeat N]

The KB is copied to a temp folder and the file added there beside the KB's own results; the
time is the wall time of `nnkb validate` as a fresh process, best of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def write_empty_rows(path: Path, size: int = 1_000_000) -> int:
    """A format-2 results file of at most `size` bytes named after its machine: a valid
    machine part and as many empty rows (`{}`) as fit. Returns the number of rows."""
    machine = {
        "id": path.stem,
        "label": None,
        "hardware_class": "x86-cpu",
        "hardware": {
            "cpu_model": "AMD EPYC",
            "arch": "x86_64",
            "physical_cores": 2,
            "logical_cpus": 2,
            "isa_features": ["avx2"],
            "memory_bytes": 8 << 30,
            "peak": None,
        },
        "software": {"os": "Linux", "python": "3.11", "runtimes": {}},
    }
    head = (
        json.dumps(
            {"format_version": 2, "generated_by": "nnkb bench", "harness": None, "machine": machine}
        )[:-1]
        + ', "rows": ['
    )
    tail = "]}\n"
    rows = (size - len(head) - len(tail) + 1) // 3  # "{}," per row, the last without comma
    path.write_text(head + ",".join(["{}"] * rows) + tail, encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "kb")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(args.kb, kb, symlinks=True)
        path = kb / "results" / "empty-rows-2c-00000000.json"
        path.parent.mkdir(exist_ok=True)
        rows = write_empty_rows(path, args.size)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "nnkb", "validate", "--kb", str(kb)],
                capture_output=True,
                text=True,
                check=False,
            )
            best = min(best, time.perf_counter() - start)
        lines = done.stdout.count("\n")
        print(
            f"nnkb validate on {path.stat().st_size:,} bytes of {rows:,} empty rows: "
            f"{best:.2f} s wall (target < {TARGET_S:g} s), exit status {done.returncode}, "
            f"{lines} lines printed; {done.stderr.strip()}"
        )
    return 0 if best < TARGET_S and done.returncode == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
