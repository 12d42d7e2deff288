"""What a build costs: each step of a no-change rebuild, the cold time per row kind, and the
projected cold time of the default and the full benchmark matrix.

By default, without benchmarking anything:

1. The no-change rebuild, step by step, as `make site` runs it: make's checks of its stamps
   (`make -q`), then validate, the bench (`nnkb bench`, which plans and finds every row
   cached) and the mkdocs build, each of which make skips when none of its inputs changed
   since it last passed. Every step is timed anyway (the bench as `--dry-run`, the same
   planning; the build into a temp folder with the repository's build cache, showing from
   the hook's log what its notebook and generated-pages steps cost), but the total counts only
   the steps make would run. When every stamp is current, `make site` itself is timed: that
   is the no-change rebuild. Wall and CPU time, and the load average.
2. The cold time per row kind, from what the bench recorded: each row's `phases` (wall
   seconds of its model build, calibration and quantisation, reference outputs, worker
   start-up, session load, timed repetitions, precision read-back, agreement, task accuracy,
   operator profile and verification processes). Rows measured before the bench recorded
   phases are costed from their processes' measured_at times instead: the gap from a
   process's start to the next one's, which holds the row's unrecorded work too.
3. The projected cold time of the default matrix and of the full one (`nnkb bench --matrix
   full`): the rows the planner plans for an empty results file, each at its committed row's
   cost, an INT8 row without one at its FP32 twin's cost times the measured INT8/FP32 ratio,
   and each throughput twin without a committed row (the planned ones, or, while the planner
   plans none, one per FP32 and INT8 row of ONNX Runtime, OpenVINO and OpenCV DNN) from its
   latency twin: two processes, each with the latency twin's start-up and load, the harness's
   throughput trials, warm-up and window, and --throughput-extra seconds; plus the run's start.

`--measure` runs the real cold bench instead, in a temp copy of the KB with an empty cache
and results file, then again with nothing changed (minutes; not on a shared machine).

    .venv/bin/python benchmarks/cost.py [--kb kb] [--throughput-extra S]
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"ran (\d+) \(failed (\d+), unavailable (\d+)\), cached (\d+), skipped (\d+)")
HOOK_LOG = re.compile(r"nnkb: (notebook \S+|generated pages) (.*?) \(([\d.]+) s\)")
# Not recorded in rows without phases: starting the worker's Python and importing the runtime.
PROCESS_START_S = 1.0
# The run's own start before its first row: planning, the peak measurement (the committed
# cold run: 987.6 s of wall time, 982 s from its first process to its last).
RUN_START_S = 5.0
# What a throughput twin's process costs besides the harness's trials, warm-up and window: the
# sessions its trials create (an assumption, shown as one).
THROUGHPUT_EXTRA_S = 0.5
# The throughput procedure's settings where the harness has none yet (the throughput
# scenario's HARNESS keys).
THROUGHPUT_DEFAULTS = {"throughput_batches": [1, 2, 4], "throughput_trial_seconds": 0.3,
                       "throughput_warmup_seconds": 0.3, "throughput_window_seconds": 2.0}  # fmt: skip
# The variants that get a throughput twin (the throughput contract: FP32 and INT8).
TWIN_LABELS = ("FP32", "INT8")
INSTALL_INPUTS = ("requirements.lock", "requirements-models.txt", "pyproject.toml")
# Consecutive measured_at times further apart than this are separate bench sessions.
SESSION_GAP_S = 600.0
LIMIT_S = 600.0  # the limit for the cold default matrix on 2 cores

KINDS = ("latency", "throughput", "verification", "calibration/quantisation",
         "reference outputs", "agreement", "accuracy", "profile", "model build")  # fmt: skip
PROCESS_PHASES = ("start", "load", "measure", "readback")
KIND_OF_PHASE = {
    "build": "model build",
    "graph": "model build",
    "quantize": "calibration/quantisation",
    "reference": "reference outputs",
    "agreement": "agreement",
    "accuracy": "accuracy",
    "profile": "profile",
    "verification": "verification",
}

Identity = tuple[str, str, str]


def identity(row: dict[str, Any]) -> Identity:
    settings = json.dumps(row["settings"], sort_keys=True, separators=(",", ":"))
    return row["model"], row["runtime"], settings


def scenario(settings: dict[str, Any]) -> str:
    return str(settings.get("scenario", "latency"))


# --- the no-change rebuild -------------------------------------------------------------------


def cpu_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `cmd`: its wall time, its CPU time (user + sys, the notebook's kernel included:
    RUSAGE_CHILDREN counts the grandchildren waited for) and its stderr."""
    before = cpu_children()
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"cost: {' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, cpu_children() - before, proc.stderr


def make_overrides(kb: Path, tmp: Path) -> list[str]:
    """make variables that run this Python's tools, with the install stamp as make sees it."""
    installed = ROOT / ".venv" / ".installed"
    if not installed.is_file():  # no .venv here: as if installed right after its inputs changed
        installed = tmp / "installed"
        installed.touch()
        when = max((ROOT / f).stat().st_mtime for f in INSTALL_INPUTS)
        os.utime(installed, (when, when))
    return [f"KB={kb}", f"BIN={Path(sys.executable).parent}", f"STAMP={installed}"]


def stamps(kb: Path) -> dict[str, str]:
    """The Makefile's stamp of each step `make site` may skip."""
    name = str(kb).replace("/", "_")
    return {"validate": f".cache/nnkb/validated-{name}",
            "bench": f".cache/nnkb/benched-default-{name}",
            "mkdocs build": "site/.nnkb-built"}  # fmt: skip


def make_targets_current(
    kb: Path, overrides: list[str], env: dict[str, str]
) -> tuple[dict[str, bool], float, float]:
    """Which stamps are current, as `make -q` sees them, and what the checks cost."""
    current = {}
    wall = cpu = 0.0
    for label, target in stamps(kb).items():
        before = cpu_children()
        start = time.monotonic()
        cmd = ["make", "-s", "-q", target, *overrides]
        code = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False).returncode
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
        print("No-change rebuild, step by step (a first build fills the caches; then timed)")
        step(build, env)
        load = os.getloadavg()
        overrides = make_overrides(kb, Path(tmp))
        current, total_wall, total_cpu = make_targets_current(kb, overrides, env)
        print(f"  {'make -q checks':<15} wall {total_wall:5.2f} s  cpu {total_cpu:5.2f} s"
              "  (which stamps are newer than every input)")  # fmt: skip
        steps = [
            ("validate", [py, "-m", "nnkb.cli", "validate", "--kb", str(kb)]),
            ("bench", [py, "-m", "nnkb.cli", "bench", "--kb", str(kb), "--dry-run"]),
            ("mkdocs build", build),
        ]
        hook = ""
        for label, cmd in steps:
            wall, cpu, err = step(cmd, env)
            if current[label]:
                note = "skipped by make: no input changed since it last passed"
            else:
                note = "run by make: an input is newer than its stamp"
                total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"  {label:<15} wall {wall:5.2f} s  cpu {cpu:5.2f} s  {note}")
            if label == "mkdocs build":
                hook = err
        for found in HOOK_LOG.finditer(hook):
            print(f"    {found.group(1):<36} {found.group(2):<22} {float(found.group(3)):5.2f} s")
        how = "the steps make would run"
        if all(current.values()):  # nothing to do: `make site` itself is the rebuild
            total_wall, total_cpu, _ = step(["make", "-s", "site", *overrides], env)
            how = "`make site` itself, every stamp current"
        print(
            f"  total           wall {total_wall:5.2f} s  cpu {total_cpu:5.2f} s  ({how};"
            f" target: at most 5 s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            f" on {os.cpu_count()} cores)"
        )
    return total_wall


# --- the cold time of rows, from what the bench recorded ------------------------------------


def process_cost(row: dict, process: dict, harness: dict, start_s: float, first: bool) -> float:
    """An estimate of one process from its own timings (rows measured without phases, at the
    end of a session where no later process shows when it ended)."""
    measured = process["n"] * process["p50"]
    measure_s = min(max(measured, harness.get("min_measure_seconds", 1.0)), row["budget_s"])
    cost = start_s + (row.get("session_create_s") or 0.0) + (row.get("first_inference_s") or 0.0)
    cost += harness.get("warmup_seconds", 0.5) + measure_s
    if first and row.get("op_profile"):
        runs = row.get("op_profile_runs") or 0
        cost += max(harness.get("profile_seconds", 1.0), runs * process["p50"])
    return cost


def row_costs(row: dict, harness: dict, start_s: float) -> tuple[float, float]:
    """(first process, verification processes) estimated seconds of one row."""
    processes = row.get("processes") or []
    if not processes:  # failed or unavailable: one process that stopped after loading
        return start_s + (row.get("session_create_s") or 0.0), 0.0
    latency = process_cost(row, processes[0], harness, start_s, first=True)
    verify = sum(process_cost(row, p, harness, start_s, first=False) for p in processes[1:])
    return latency, verify


def gaps(rows: list[dict]) -> dict[Identity, list[float | None]]:
    """Each row's processes as seconds from its start to the next process's start in the same
    session (None for the last process of a session). A row that ran no process starts at its
    measured_at."""
    events = []
    for r in rows:
        for i, p in enumerate(r.get("processes") or [{"measured_at": r["measured_at"]}]):
            events.append((datetime.fromisoformat(p["measured_at"]).timestamp(), identity(r), i))
    events.sort()
    out: dict[Identity, list[float | None]] = defaultdict(list)
    for (t, ident, i), after in itertools.zip_longest(events, events[1:]):
        gap = None if after is None or after[0] - t > SESSION_GAP_S else after[0] - t
        slots = out[ident]
        slots.extend([None] * (i + 1 - len(slots)))
        slots[i] = gap
    return dict(out)


def row_kinds(
    row: dict, row_gaps: list[float | None] | None, harness: dict, start_s: float = 1.0
) -> tuple[dict[str, float], bool]:
    """The row's cold seconds by kind, and whether they were recorded (its phases) rather
    than read from measured_at gaps or estimated."""
    process_kind = scenario(row["settings"])
    kinds: dict[str, float] = defaultdict(float)
    if row.get("phases") is not None:
        for phase, seconds in row["phases"].items():
            kind = process_kind if phase in PROCESS_PHASES else KIND_OF_PHASE.get(phase)
            kinds[kind or process_kind] += seconds
        return dict(kinds), True
    first_est, verify_est = row_costs(row, harness, start_s)
    slots = list(row_gaps or [])
    first = slots[0] if slots and slots[0] is not None else first_est
    later = slots[1:]
    if later and all(g is not None for g in later):
        verify = float(sum(g for g in later if g is not None))
    else:
        verify = verify_est
    kinds[process_kind] = first
    if verify:
        kinds["verification"] = verify
    return dict(kinds), False


def committed_costs(
    files: list[Path], start_s: float
) -> tuple[dict[Path, dict[Identity, dict[str, float]]], list[str]]:
    """Each file's rows' cold seconds by kind, and the lines that report them."""
    by_file: dict[Path, dict[Identity, dict[str, float]]] = {}
    lines = []
    for path in files:
        costs = by_file.setdefault(path, {})
        data = json.loads(path.read_text(encoding="utf-8"))
        harness, rows = data.get("harness") or {}, data.get("rows", [])
        by_gap = gaps(rows)
        totals: dict[str, float] = defaultdict(float)
        recorded = 0
        for r in rows:
            kinds, was_recorded = row_kinds(r, by_gap.get(identity(r)), harness, start_s)
            recorded += was_recorded
            costs[identity(r)] = kinds
            for kind, seconds in kinds.items():
                totals[kind] += seconds
        total = sum(totals.values())
        lines.append(f"  {path.name}: {len(rows)} rows, {total / 60:.1f} min")
        for kind in KINDS:
            if totals.get(kind):
                lines.append(f"    {kind:<25} {totals[kind]:7.1f} s")
        if recorded < len(rows):
            lines.append(
                f"    ({len(rows) - recorded} rows measured before the bench recorded phases: "
                "the first process's measured_at gap, which holds its quantisation, "
                "reference outputs, agreement and accuracy too, is counted as latency)"
            )
    return by_file, lines


def this_machines_file(kb: Path, files: list[Path]) -> Path | None:
    """The results file of this machine, else the file with the most rows."""
    from nnkb.bench.machine import hardware_part, machine_id

    own = ROOT / kb / "results" / f"{machine_id(hardware_part())}.json"
    if own in files:
        return own
    sizes = {f: len(json.loads(f.read_text(encoding="utf-8")).get("rows", [])) for f in files}
    return max(sizes, key=lambda f: sizes[f]) if sizes else None


# --- the projected cold matrix ---------------------------------------------------------------


def planned(kb: Path, matrix: str) -> list[tuple[Identity, str, bool]]:
    """(identity, variant label, outside) of every row the planner plans for an empty
    results file under `--matrix <matrix>`: what a cold run on a fresh clone measures."""
    from nnkb.bench.plan import build_plan, cache_root, select_models, select_runtimes
    from nnkb.bench.runtimes import load_adapters
    from nnkb.kb import load_kb

    adapters = load_adapters()
    versions = {name: adapter.version() for name, adapter in adapters.items()}
    models = select_models(load_kb(kb), None)
    plan = build_plan(
        models, select_runtimes(adapters, None), versions, cache_root(kb), {}, False,
        matrix=matrix,
    )  # fmt: skip
    return [(p.identity, p.variant, p.outside) for p in plan]


def current_harness() -> dict[str, Any]:
    from nnkb.bench.settings import HARNESS

    return dict(HARNESS)


def twin(ident: Identity) -> Identity:
    model, runtime, settings = ident
    data = {**json.loads(settings), "scenario": "throughput"}
    return model, runtime, json.dumps(data, sort_keys=True, separators=(",", ":"))


def fp32_of(ident: Identity, costs: dict[Identity, dict[str, float]]) -> dict[str, float] | None:
    """The committed cost of the model's FP32 row on the same runtime as a quantised row: its
    settings without the quantiser (OpenVINO: with the f32 hint, its FP32 row everywhere)."""
    model, runtime, settings = ident
    plain = {k: v for k, v in json.loads(settings).items() if k != "quantizer"}
    found = []
    for data in (plain, {**plain, "inference_precision_hint": "f32"}):
        key = (model, runtime, json.dumps(data, sort_keys=True, separators=(",", ":")))
        if key != ident and sum((costs.get(key) or {}).values()) > 0:
            found.append(costs[key])
    return max(found, key=lambda k: sum(k.values())) if found else None


def int8_ratios(costs: dict[Identity, dict[str, float]]) -> dict[str, float]:
    """Per runtime: the mean ratio of a quantised row's cold cost to its model's FP32 row."""
    ratios: dict[str, list[float]] = defaultdict(list)
    for ident, kinds in costs.items():
        fp32 = fp32_of(ident, costs)
        if "quantizer" in json.loads(ident[2]) and fp32:
            ratios[ident[1]].append(sum(kinds.values()) / sum(fp32.values()))
    return {runtime: mean(values) for runtime, values in ratios.items()}


def twin_seconds(
    runtime: str, latency: dict[str, float], harness: dict[str, Any], extra_s: float
) -> float:
    """Estimated cold seconds of a throughput twin not measured yet, both its processes: each
    pays what its latency twin's verification process pays besides the warm-up and the
    repetitions (start-up, load, exit), then the throughput procedure of the harness: ONNX
    Runtime's trials (every batch size x two splits of the cores, the fastest again), OpenCV
    DNN's (every batch size), the warm-up and the window, and `extra_s` (sessions the trials
    create)."""
    h = {**THROUGHPUT_DEFAULTS, **harness}
    verify = latency.get("verification") or latency.get("latency", 0.0) / 2
    measured = h.get("warmup_seconds", 0.5) + h.get("min_measure_seconds", 1.0)
    overhead = max(verify - measured, PROCESS_START_S)
    batches = len(h["throughput_batches"])
    trials = {"onnxruntime": 2 * batches + 1, "opencv": batches}.get(runtime, 0)
    work = trials * h["throughput_trial_seconds"] + h["throughput_warmup_seconds"]
    return 2 * (overhead + work + h["throughput_window_seconds"] + extra_s)


def project(
    plan: list[tuple[Identity, str, bool]],
    costs: dict[Identity, dict[str, float]],
    extra_s: float,
    harness: dict[str, Any] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """{model: {kind: seconds}} of the rows of the plan that run, and counts of how each
    row was costed: its committed row, an INT8 row from its FP32 row, a throughput twin
    from its latency twin (the planned twins, or one per FP32 and INT8 row while the plan has
    none)."""
    ratios = int8_ratios(costs)
    by_model: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts = {"committed": 0, "int8 estimated": 0, "twins estimated": 0, "not costed": 0}
    latency: dict[Identity, dict[str, float]] = {}
    twins: list[Identity] = []
    planned_twins = any(scenario(json.loads(i[2])) == "throughput" for i, _, _ in plan)
    for ident, label, outside in plan:
        if outside:
            continue
        if scenario(json.loads(ident[2])) == "throughput":
            twins.append(ident)
            continue
        kinds = costs.get(ident)
        if kinds is not None:
            counts["committed"] += 1
        elif "quantizer" in json.loads(ident[2]) and (fp32 := fp32_of(ident, costs)):
            kinds = {k: v * ratios.get(ident[1], 1.0) for k, v in fp32.items()}
            counts["int8 estimated"] += 1
        else:
            counts["not costed"] += 1
            kinds = {}
        latency[ident] = kinds
        if not planned_twins and label in TWIN_LABELS:
            twins.append(twin(ident))
    for ident, kinds in latency.items():
        for kind, seconds in kinds.items():
            by_model[ident[0]][kind] += seconds
    for ident in twins:
        model, runtime, settings = ident
        if ident in costs:
            counts["committed"] += 1
            for kind, seconds in costs[ident].items():
                by_model[model][kind] += seconds
            continue
        plain = {k: v for k, v in json.loads(settings).items() if k != "scenario"}
        of = latency.get((model, runtime, json.dumps(plain, sort_keys=True, separators=(",", ":"))))
        if not of:
            counts["not costed"] += 1
            continue
        seconds = twin_seconds(runtime, of, harness or {}, extra_s)
        by_model[model]["throughput"] += seconds / 2
        by_model[model]["verification"] += seconds / 2
        counts["twins estimated"] += 1
    return {m: dict(k) for m, k in by_model.items()}, counts


def cold_matrix(kb: Path, start_s: float, extra_s: float) -> dict[str, float]:
    files = sorted((ROOT / kb / "results").glob("*.json"))
    print("\nCold time per row kind, from the committed results")
    by_file, lines = committed_costs(files, start_s)
    print("\n".join(lines) if lines else "  no committed results")
    source = this_machines_file(kb, files)
    costs = by_file.get(source, {}) if source else {}
    print(f"\nThe projections cost each row as in {source.name if source else 'no file'}")
    totals = {}
    for matrix in ("default", "full"):
        by_model, counts = project(planned(kb, matrix), costs, extra_s, current_harness())
        total = RUN_START_S + sum(sum(k.values()) for k in by_model.values())
        totals[matrix] = total
        print(f"\nProjected cold {matrix} matrix ({len(by_model)} models): {total / 60:.1f} min")
        for model, kinds in sorted(by_model.items()):
            parts = "  ".join(f"{k} {kinds[k]:.0f}" for k in KINDS if kinds.get(k))
            print(f"  {model:<30} {sum(kinds.values()):6.0f} s  ({parts})")
        print(
            f"  rows: {counts['committed']} at their committed cost, {counts['int8 estimated']}"
            f" INT8 rows at their FP32 row's cost times the INT8/FP32 ratio,"
            f" {counts['twins estimated']} throughput twins estimated (two processes of the"
            f" harness's throughput procedure, each with its latency twin's start-up and load,"
            f" + {extra_s:g} s), {counts['not costed']} without any cost;"
            f" the run's start {RUN_START_S:.0f} s"
        )
    print(f"  the issue's limit for the default matrix: {LIMIT_S / 60:.0f} min on 2 cores")
    return totals


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
            if label == "cold":
                _, lines = committed_costs([results], PROCESS_START_S)
                print("\n".join(lines))
                if save:
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
                        help="assumed seconds to start a worker process (rows without phases)")  # fmt: skip
    parser.add_argument("--throughput-extra", type=float, default=THROUGHPUT_EXTRA_S,
                        metavar="S", help="estimated seconds a throughput twin adds beyond two "
                        "latency verification processes (its search and window)")  # fmt: skip
    parser.add_argument("--measure", action="store_true", help="run the real cold bench (minutes)")
    parser.add_argument("--save", type=Path, help="with --measure: copy the cold results file here")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the no-change rebuild")
    parser.add_argument("extra", nargs="*", help="with --measure: more `nnkb bench` arguments")
    args = parser.parse_args()
    if args.measure:
        return measure(args.kb, args.save, args.extra)
    if not args.no_rebuild:
        rebuild(args.kb)
    cold_matrix(args.kb, args.process_start, args.throughput_extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
