"""What a build costs: each step of a no-change rebuild, and the cold benchmark matrix.

By default, without benchmarking anything:

1. The no-change rebuild, step by step, as `make site` runs it on a machine whose results are
   all cached: make's checks of its stamps (`make -q`), validate and the mkdocs build (which
   make skips when none of their inputs changed since they last passed; both are timed
   anyway, the build into a temp folder with the repository's build cache, showing from the
   hook's log what its notebook and generated-pages steps cost when only docs/ changed), and
   bench planning (`nnkb bench --dry-run`: the same planning, nothing to run). One build
   first fills the caches (set-up). Wall and CPU time (user + sys) of every step, and the
   load average, since a busy machine stretches wall time but not CPU time.
2. The cold time per row kind, estimated from the committed results' own timings: a latency
   row's process (start, session_create_s, first_inference_s, the harness's warm-up, n x p50
   of the process, the operator profile) and a verification process (the same without the
   profile), beside what the rows' measured_at times show the run took. Calibration and
   throughput rows have no kind of their own in the results yet.
3. The projected cold time of the full default matrix: the rows `nnkb bench --dry-run` plans
   for an empty results file, each at its own committed row's cost, or its runtime's mean.

`--measure` runs the real cold bench instead, in a temp copy of the KB with an empty cache
and results file, then again with nothing changed (minutes; not on a shared machine).

    .venv/bin/python benchmarks/cost.py [--kb kb] [--process-start S]
    .venv/bin/python benchmarks/cost.py --measure [--save FILE] [-- nnkb bench arguments]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"ran (\d+) \(failed (\d+), unavailable (\d+)\), cached (\d+), skipped (\d+)")
PLANNED = re.compile(r"^\s+(\S+) × (\S+)(?: \((.*?)\))?\s+(\w+)\s*$")
HOOK_LOG = re.compile(r"nnkb: (notebook \S+|generated pages) (.*?) \(([\d.]+) s\)")
# Not recorded in a row: starting the worker's Python and importing the runtime. An
# assumption, shown as one; the measured_at times show whether the estimate falls short.
PROCESS_START_S = 1.0
# What the Makefile's install stamp depends on.
INSTALL_INPUTS = ("requirements.lock", "requirements-models.txt", "pyproject.toml")
# Consecutive measured_at times further apart than this are separate bench sessions.
SESSION_GAP_S = 600.0


def cpu_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `cmd`: its wall time, its CPU time (user + sys) and its stderr.

    CPU time is the growth of RUSAGE_CHILDREN, which counts the grandchildren the command
    waited for too (the notebook's kernel)."""
    before = cpu_children()
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"cost: {' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, cpu_children() - before, proc.stderr


def make_targets_current(kb: Path, tmp: Path) -> tuple[dict[str, bool], float, float]:
    """Which of make's stamps (validate, site) are current, as `make -q` sees them; its times."""
    installed = ROOT / ".venv" / ".installed"
    if not installed.is_file():  # no .venv here: as if installed right after its inputs changed
        installed = tmp / "installed"
        installed.touch()
        when = max((ROOT / f).stat().st_mtime for f in INSTALL_INPUTS)
        os.utime(installed, (when, when))
    current = {}
    wall = cpu = 0.0
    stamps = {"validate": f".cache/nnkb/validated-{str(kb).replace('/', '_')}",
              "mkdocs build": "site/.nnkb-built"}  # fmt: skip
    for label, target in stamps.items():
        before = cpu_children()
        start = time.monotonic()
        cmd = ["make", "-s", "-q", target, f"KB={kb}", f"BIN={Path(sys.executable).parent}",
               f"STAMP={installed}"]  # fmt: skip
        code = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False).returncode
        wall += time.monotonic() - start
        cpu += cpu_children() - before
        current[label] = code == 0
    return current, wall, cpu


def rebuild(kb: Path) -> float:
    """Print each step of a no-change `make site`; return its total wall time."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT / "scripts"), env.get("PYTHONPATH")])
    )
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="nnkb-cost-") as tmp:
        build = [py, "-m", "mkdocs", "build", "--strict", "-d", str(Path(tmp) / "site")]
        print(
            "No-change rebuild, step by step (a first build fills the caches; the second is timed)"
        )
        step(build, env)
        load = os.getloadavg()
        current, make_wall, make_cpu = make_targets_current(kb, Path(tmp))
        print(f"  {'make -q checks':<15} wall {make_wall:5.2f} s  cpu {make_cpu:5.2f} s"
              "  (which stamps are newer than every input)")  # fmt: skip
        total_wall, total_cpu = make_wall, make_cpu
        steps = [
            ("validate", [py, "-m", "nnkb.cli", "validate", "--kb", str(kb)]),
            ("bench planning", [py, "-m", "nnkb.cli", "bench", "--kb", str(kb), "--dry-run"]),
            ("mkdocs build", build),
        ]
        hook = ""
        for label, cmd in steps:
            wall, cpu, err = step(cmd, env)
            if current.get(label):
                note = "  skipped by make: no input changed since it last passed"
            elif label in current:
                note = "  run by make: an input is newer than its stamp"
                total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            else:
                note = "  (--dry-run: the planning of a run with every row cached)"
                total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"  {label:<15} wall {wall:5.2f} s  cpu {cpu:5.2f} s{note}")
            if label == "mkdocs build":
                hook = err
        for found in HOOK_LOG.finditer(hook):
            print(f"    {found.group(1):<36} {found.group(2):<22} {float(found.group(3)):5.2f} s")
        print(
            f"  total           wall {total_wall:5.2f} s  cpu {total_cpu:5.2f} s"
            f"  (target: at most 5 s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            f" on {os.cpu_count()} cores)"
        )
    return total_wall


# --- the cold matrix, estimated from the committed results ---------------------------------


def process_cost(row: dict, process: dict, harness: dict, start_s: float, first: bool) -> float:
    measured = process["n"] * process["p50"]
    measure_s = min(max(measured, harness.get("min_measure_seconds", 1.0)), row["budget_s"])
    cost = start_s + (row.get("session_create_s") or 0.0) + (row.get("first_inference_s") or 0.0)
    cost += harness.get("warmup_seconds", 0.5) + measure_s
    if first and row.get("op_profile"):
        runs = row.get("op_profile_runs") or 0
        cost += max(harness.get("profile_seconds", 1.0), runs * process["p50"])
    return cost


def row_costs(row: dict, harness: dict, start_s: float) -> tuple[float, float]:
    """(latency process, verification process) estimated seconds of one committed row."""
    processes = row.get("processes") or []
    if not processes:  # failed or unavailable: one process that stopped after loading
        return start_s + (row.get("session_create_s") or 0.0), 0.0
    latency = process_cost(row, processes[0], harness, start_s, first=True)
    verify = sum(process_cost(row, p, harness, start_s, first=False) for p in processes[1:])
    return latency, verify


def observed(rows: list[dict]) -> dict[str, tuple[float, int]]:
    """{kind: (seconds, processes)} from the measured_at times of one bench session."""
    events = sorted(
        (datetime.fromisoformat(p["measured_at"]).timestamp(), i)
        for r in rows
        for i, p in enumerate(r.get("processes") or [])
    )
    if len(events) < 2 or any(b[0] - a[0] > SESSION_GAP_S for a, b in itertools.pairwise(events)):
        return {}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for (t, i), (t_next, _) in itertools.pairwise(events):
        by_kind["latency" if i == 0 else "verification"].append(t_next - t)
    return {kind: (sum(gaps), len(gaps)) for kind, gaps in by_kind.items()}


def planned_rows(kb: Path) -> list[tuple[str, str, str]]:
    """(model, runtime, variant) of every row of the default matrix on a fresh clone."""
    with tempfile.TemporaryDirectory(prefix="nnkb-cost-") as tmp:
        cmd = [sys.executable, "-m", "nnkb.cli", "bench", "--kb", str(kb), "--dry-run",
               "--results", str(Path(tmp) / "empty.json")]  # fmt: skip
        env = {**os.environ}
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "scripts"), env.get("PYTHONPATH")])
        )
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"cost: nnkb bench --dry-run failed:\n{proc.stderr[-3000:]}")
    return [
        (m.group(1), m.group(2), m.group(3) or "")
        for line in proc.stdout.splitlines()
        if (m := PLANNED.match(line))
    ]


def cold_matrix(kb: Path, start_s: float) -> None:
    files = sorted((ROOT / kb / "results").glob("*.json"))
    costs: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_runtime: dict[str, list[float]] = defaultdict(list)
    print(
        f"\nCold time per row kind, from the committed results (process start {start_s:.1f} s assumed)"
    )
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        harness, rows = data.get("harness", {}), data.get("rows", [])
        latency = [row_costs(r, harness, start_s) for r in rows]
        n_verify = sum(max(len(r.get("processes") or []) - 1, 0) for r in rows)
        lat_total = sum(c[0] for c in latency)
        ver_total = sum(c[1] for c in latency)
        print(f"  {path.name}: {len(rows)} rows")
        seen = observed(rows)
        for kind, total, count in (
            ("latency", lat_total, len(rows)),
            ("verification", ver_total, n_verify),
        ):
            line = f"    {kind:<13} estimate {total / 60:5.1f} min, {total / max(count, 1):4.1f} s a process"
            if kind in seen:
                o_total, o_count = seen[kind]
                line += f"; measured_at shows {o_total / 60:5.1f} min, {o_total / o_count:4.1f} s a process"
            print(line)
        print("    calibration   not in the results yet (added with the precision variants)")
        print("    throughput    not in the results yet")
        for r, (lat, ver) in zip(rows, latency):
            costs[(r["model"], r["runtime"])].append(lat + ver)
            by_runtime[r["runtime"]].append(lat + ver)
    if not by_runtime:
        print("  no committed results: nothing to estimate from (try --measure)")
        return
    plan = planned_rows(kb)
    overall = mean(c for cs in by_runtime.values() for c in cs)
    projected = 0.0
    guessed = 0
    for model, runtime, _variant in plan:
        own = costs.get((model, runtime)) or by_runtime.get(runtime)
        guessed += (model, runtime) not in costs
        projected += mean(own) if own else overall
    note = f", {guessed} of them at their runtime's mean" if guessed else ""
    print(
        f"\nProjected cold default matrix: {len(plan)} rows{note}: {projected / 60:.1f} min"
        " (latency and verification processes; model builds and reference outputs come on top;"
        " the issue's limit: 10 min on 2 cores)"
    )


# --- --measure: the real cold bench ------------------------------------------------------------


def bench(kb: Path, results: Path, env: dict[str, str], extra: list[str]) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "nnkb.cli", "bench", "--kb", str(kb), "--results", str(results),
           *extra]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"cost: nnkb bench failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    sys.stderr.write(proc.stderr)
    return wall, proc.stdout.strip().splitlines()[-1]


def measure(kb: Path, save: Path | None, extra: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="nnkb-cost-") as tmp:
        copy = Path(tmp) / "kb"
        shutil.copytree(kb, copy, ignore=shutil.ignore_patterns("results"))
        (copy / "results").mkdir()
        results = Path(tmp) / "results.json"
        env = {**os.environ, "NNKB_CACHE": str(Path(tmp) / "cache")}
        walls = []
        for label in ("cold", "no change"):
            wall, summary = bench(copy, results, env, extra)
            walls.append(wall)
            counts = SUMMARY.search(summary)
            print(f"{label:>9}: wall {wall:7.1f} s  {summary}")
            if label == "cold" and save:
                shutil.copyfile(results, save)
            if label == "no change" and counts and int(counts.group(1)) != 0:
                print("FAIL: the second run ran rows although nothing changed")
                return 1
        print(f"cold {walls[0]:.1f} s, no-change {walls[1]:.1f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=Path("kb"))
    parser.add_argument("--process-start", type=float, default=PROCESS_START_S, metavar="S",
                        help="assumed seconds to start a worker process (not recorded in rows)")  # fmt: skip
    parser.add_argument("--measure", action="store_true", help="run the real cold bench (minutes)")
    parser.add_argument("--save", type=Path, help="with --measure: copy the cold results file here")
    parser.add_argument("extra", nargs="*", help="with --measure: more `nnkb bench` arguments")
    args = parser.parse_args()
    if args.measure:
        return measure(args.kb, args.save, args.extra)
    rebuild(args.kb)
    cold_matrix(args.kb, args.process_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
