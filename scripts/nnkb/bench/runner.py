"""`nnkb bench`: run the rows whose key is missing from this machine's results file.

Plan the matrix (plan.py), then run each missing row in its own worker subprocess
(isolate.py), writing the results file atomically after every row so a killed run loses at
most the row in flight. A failing row is a row with a status, never an abort.

Then the verification pass: every ok row gets HARNESS["processes_per_row"] processes in all,
the later ones after the rest of the matrix, so two processes of a row sit in different
phases of a machine whose speed drifts over minutes. The row keeps the faster process's
latency and records each process in `processes`. A row whose verification is missing (an
interrupted run, a spent --budget) gets only that on the next run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..kb import KBError, load_kb
from ..results import ResultsError, document, read, row_identity, write_atomic
from . import reference as ref
from .isolate import run_worker
from .machine import fingerprint, machine_id, machine_section, measure_peak, now_iso
from .plan import PlanError, PlannedRow, build_plan, cache_root, select_models, select_runtimes
from .runtimes import load_adapters
from .settings import HARNESS, HARNESS_VERSION

NOT_OK = ("failed", "crashed", "timeout", "mismatch")
clock = time.monotonic  # the --budget clock (a module attribute so tests can move it)


class Run:
    """The state of one `nnkb bench` invocation: settings, machine, rows, memo caches."""

    def __init__(
        self,
        args: argparse.Namespace,
        versions: dict[str, str | None],
        machine: dict[str, Any],
        rows: dict[tuple, dict[str, Any]],
        path: Path,
    ):
        self.row_budget = args.row_budget or HARNESS["row_budget_seconds"]
        self.timeout = args.timeout or HARNESS["row_timeout_seconds"]
        self.cache_dir = cache_root(args.kb)
        self.versions = versions
        self.machine = machine
        self.rows = rows
        self.path = path
        self.references: dict[str, Path | None] = {}
        self.graph: dict[str, tuple[int | None, int | None]] = {}
        self.written = False

    def reference_for(self, p: PlannedRow) -> Path | None:
        """The cached reference outputs of the row's model, computed on first need."""
        ort = self.versions.get("onnxruntime")
        if ort is None or p.model_path is None or p.model_sha256 is None:
            return None
        if p.model_sha256 not in self.references:
            out = ref.reference_path(
                self.cache_dir, p.model_sha256, p.spec.inputs, HARNESS["input_seed"], ort
            )
            if not out.exists():
                job = {
                    "kind": "reference",
                    "model_path": str(p.model_path),
                    "inputs": {k: list(v) for k, v in p.spec.inputs.items()},
                    "seed": HARNESS["input_seed"],
                    "out": str(out),
                }
                result = run_worker(job, self.timeout)
                if result.get("status") != "ok":
                    tqdm.write(
                        f"  {p.model_id}: no reference outputs ({result.get('reason')})",
                        file=sys.stderr,
                    )
            self.references[p.model_sha256] = out if out.exists() else None
        return self.references[p.model_sha256]

    def graph_stats(self, p: PlannedRow) -> dict[str, Any]:
        """Counts from the graph, the same for every runtime: parameters, macs, opset and
        operator histogram (the site shows them without opening the model file)."""
        unknown = {"parameters": None, "macs": None, "opset": None, "op_histogram": None}
        if p.model_path is None or p.model_sha256 is None:
            return unknown
        if p.model_sha256 not in self.graph:
            try:
                from ..models.graphstats import graph_stats

                stats = graph_stats(p.model_path, p.spec.inputs)
                self.graph[p.model_sha256] = {
                    "parameters": int(stats.parameters),
                    "macs": int(stats.macs),
                    "opset": int(stats.opset),
                    "op_histogram": {k: int(v) for k, v in sorted(stats.op_histogram.items())},
                }
            except Exception:  # noqa: BLE001 - a file it cannot parse: the row says why
                self.graph[p.model_sha256] = unknown
        return self.graph[p.model_sha256]

    def execute(self, p: PlannedRow, budget_left: float | None) -> dict[str, Any]:
        row_budget = (
            self.row_budget if budget_left is None else min(self.row_budget, max(budget_left, 0.0))
        )
        graph = self.graph_stats(p)
        row: dict[str, Any] = {
            "key": p.key,
            "model": p.model_id,
            "model_sha256": p.model_sha256,
            "runtime": p.runtime,
            "runtime_version": p.runtime_version,
            "settings": p.settings,
            "harness_version": HARNESS_VERSION,
            "measured_at": now_iso(),
            "inputs": {k: list(v) for k, v in p.spec.inputs.items()},
            "budget_s": row_budget,
            "model_file_bytes": p.model_path.stat().st_size if p.model_path else None,
            **graph,
            "status": "ok",
            "reason": None,
            "latency": None,
            "session_create_s": None,
            "first_inference_s": None,
            "peak_rss_bytes": None,
            "precision": None,
            "agreement": None,
            "achieved_flops": None,
            "peak_fraction": None,
            "op_profile": None,
            "op_profile_source": None,
            "op_profile_runs": None,
            "op_profile_kernels": None,
            "processes": None,
            "process_spread": None,
            "verification": None,
        }
        if p.problem:
            return {**row, "status": "failed", "reason": f"model file: {p.problem}"}
        if p.runtime_version is None:
            return {
                **row,
                "status": "unavailable",
                "reason": f"runtime '{p.runtime}' is not installed (cannot be imported)",
            }
        reference = self.reference_for(p)
        job = self.job(p, row_budget, reference)
        result = run_worker(job, self.timeout)
        for field in (
            "status",
            "reason",
            "latency",
            "session_create_s",
            "first_inference_s",
            "peak_rss_bytes",
            "precision",
            "agreement",
            "op_profile",
            "op_profile_source",
            "op_profile_runs",
            "op_profile_kernels",
        ):
            if field in result:
                row[field] = result[field]
        if row["status"] == "ok" and row["latency"]:
            row["processes"] = [process_entry(row["latency"], row["measured_at"])]
        self.rate(row)
        return row

    def job(self, p: PlannedRow, row_budget: float, reference: Path | None) -> dict[str, Any]:
        return {
            "kind": "row",
            "runtime": p.runtime,
            "model_path": str(p.model_path),
            "inputs": {k: list(v) for k, v in p.spec.inputs.items()},
            "settings": p.settings,
            "harness": HARNESS,
            "row_budget_s": row_budget,
            "classifier": bool(p.spec.classifier),
            "reference": str(reference) if reference else None,
            "reference_label": ref.reference_label(self.versions.get("onnxruntime") or ""),
        }

    def rate(self, row: dict[str, Any]) -> None:
        """achieved_flops and peak_fraction of the row's (reported) latency."""
        if row["latency"] and row.get("macs"):
            row["achieved_flops"] = 2.0 * row["macs"] / row["latency"]["p50"]
            row["peak_fraction"] = row["achieved_flops"] / self.machine["peak"]["fp32_flops"]

    def verify(
        self, p: PlannedRow, row: dict[str, Any], budget_left: float | None
    ) -> dict[str, Any]:
        """The row with one more process: the same job in a fresh worker, latency only (the
        first process already checked the outputs and profiled the operators)."""
        row_budget = (
            self.row_budget if budget_left is None else min(self.row_budget, max(budget_left, 0.0))
        )
        # A row stored without its first process (written by hand) gets it from its latency.
        earlier = row.get("processes") or [process_entry(row["latency"], row["measured_at"])]
        started_at = now_iso()
        result = run_worker({**self.job(p, row_budget, None), "profile": False}, self.timeout)
        row = {**row, "verification": None}
        latency = result.get("latency")
        if result.get("status") == "ok" and latency:
            entry = process_entry(latency, started_at)
            if latency["p50"] < row["latency"]["p50"]:
                row["latency"] = latency
                self.rate(row)
        else:
            # The first process measured the row; a crash of the second is recorded, and
            # the row stays ok with the first measurement.
            entry = {
                "status": result.get("status") or "failed",
                "reason": result.get("reason") or "no latency measured",
                "measured_at": started_at,
            }
        row["processes"] = [*earlier, entry]
        row["process_spread"] = process_spread(row["processes"])
        return row

    def store(self, row: dict[str, Any]) -> None:
        """Replace the row's predecessor (same model, runtime and settings); rewrite the file."""
        self.rows[row_identity(row)] = row
        self.flush()

    def flush(self) -> None:
        if self.machine and write_atomic(
            self.path, document(self.machine, list(self.rows.values()), HARNESS)
        ):
            self.written = True


def process_entry(latency: dict[str, Any], measured_at: str) -> dict[str, Any]:
    """One process's summary in a row's `processes` list."""
    return {
        "p50": latency["p50"],
        "ci95_low": latency["ci95_low"],
        "ci95_high": latency["ci95_high"],
        "n": latency["n"],
        "measured_at": measured_at,
    }


def process_spread(processes: list[dict[str, Any]]) -> float | None:
    """max p50 / min p50 - 1 over the processes that measured; None with fewer than two."""
    medians = [e["p50"] for e in processes if "p50" in e]
    return max(medians) / min(medians) - 1.0 if len(medians) >= 2 else None


def needs_verification(row: dict[str, Any] | None) -> bool:
    """An ok row with fewer processes than the harness asks for."""
    if row is None or row.get("status") != "ok" or not row.get("latency"):
        return False
    return len(row.get("processes") or []) < HARNESS["processes_per_row"]


def describe(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['status']}: {row['reason']}"
    lat = row["latency"]
    half_width = (lat["ci95_high"] - lat["ci95_low"]) / 2 / lat["p50"] * 100
    budget_note = "" if lat["converged"] else " (budget ran out)"
    return f"ok  p50 {lat['p50'] * 1e3:.3f} ms  ±{half_width:.2g}%  n={lat['n']}{budget_note}"


def describe_process(row: dict[str, Any]) -> str:
    last = row["processes"][-1]
    if "p50" not in last:
        return f"second process {last['status']}: {last['reason']} (the row keeps the first)"
    spread = row["process_spread"]
    spread_note = f"  spread {spread * 100:+.1f}%" if spread is not None else ""
    return f"process p50 {last['p50'] * 1e3:.3f} ms{spread_note}"


def _load(args: argparse.Namespace):
    kb_root = Path(args.kb)
    if not kb_root.is_dir():
        raise PlanError(f"{kb_root}: no such knowledge base folder")
    kb = load_kb(kb_root)
    try:
        adapters = load_adapters()
    except Exception as exc:  # noqa: BLE001 - a broken extra adapter module named in the env
        raise PlanError(f"cannot load the runtime adapters: {exc}") from None
    return kb, adapters


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (PlanError, KBError, ResultsError) as exc:
        print(f"nnkb bench: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    started = clock()
    kb, adapters = _load(args)
    models = select_models(kb, args.models)
    runtimes = select_runtimes(adapters, args.runtimes)
    versions = {name: adapter.version() for name, adapter in sorted(adapters.items())}
    fp = fingerprint(versions)
    path = (
        Path(args.results) if args.results else Path(args.kb) / "results" / f"{machine_id(fp)}.json"
    )
    existing = read(path) if path.exists() else None
    # Rows of models deleted from the KB go at the next write; filtered-out models stay.
    rows = {
        row_identity(r): r for r in (existing.rows if existing else []) if r["model"] in kb.models
    }
    plan = build_plan(
        models,
        runtimes,
        versions,
        cache_root(args.kb),
        {r["key"] for r in rows.values()},
        args.force,
    )
    # Rows of a selected model and runtime whose settings the adapter no longer measures
    # (a changed default, a dropped variant) are stale: they go at the next write.
    planned = {(p.model_id, p.runtime, json.dumps(p.settings, sort_keys=True)) for p in plan}
    selected = {(p.model_id, p.runtime) for p in plan}
    for identity in [i for i in rows if i[:2] in selected and i not in planned]:
        del rows[identity]
    to_run = [p for p in plan if not p.cached]
    # Cached rows whose verification an interrupted run or a spent budget left missing.
    unverified = [p for p in plan if p.cached and needs_verification(row_of(rows, p))]
    if args.dry_run:
        return print_plan(plan, path, {p.key for p in unverified})

    peak = None
    if existing and existing.machine.get("fingerprint") == fp:
        peak = existing.machine.get("peak")  # measured once per fingerprint
    if peak is None and (to_run or unverified):
        peak = measure_peak()
    machine = machine_section(fp, peak) if peak else (existing.machine if existing else {})
    state = Run(args, versions, machine, rows, path)

    done: list[dict[str, Any]] = []
    skipped = 0
    tty = sys.stderr.isatty()
    bar = tqdm(total=len(to_run), unit="row", file=sys.stderr, disable=not tty, dynamic_ncols=True)
    try:
        for index, p in enumerate(to_run, 1):
            budget_left = None if args.budget is None else args.budget - (clock() - started)
            if budget_left is not None and budget_left <= 0:
                skipped = len(to_run) - index + 1
                break
            bar.set_description(p.label)
            if budget_left is not None:
                bar.set_postfix_str(f"budget left {budget_left:.0f} s")
            row = state.execute(p, budget_left)
            state.store(row)
            done.append(row)
            bar.update(1)
            tqdm.write(f"[{index}/{len(to_run)}] {p.label}: {describe(row)}", file=sys.stderr)
    finally:
        bar.close()
    verified, verify_failed, verify_skipped = verify_all(state, plan, args.budget, started)
    if existing is not None:
        state.flush()  # drops rows of deleted models even when no row ran

    failed = sum(r["status"] in NOT_OK for r in done)
    unavailable = sum(r["status"] == "unavailable" for r in done)
    print(
        f"nnkb bench: ran {len(done)} (failed {failed}, unavailable {unavailable}), "
        f"cached {len(plan) - len(to_run)}, skipped {skipped}; "
        f"verified {verified} (second process failed {verify_failed}), "
        f"verification skipped {verify_skipped}; "
        f"wall {clock() - started:.1f} s; "
        f"{path} {'written' if state.written else 'unchanged'}"
    )
    return 0


def identity_of(p: PlannedRow) -> tuple[str, str, str]:
    return row_identity({"model": p.model_id, "runtime": p.runtime, "settings": p.settings})


def row_of(rows: dict[tuple, dict[str, Any]], p: PlannedRow) -> dict[str, Any] | None:
    """The stored row of the planned one, if it is current (same cache key)."""
    row = rows.get(identity_of(p))
    return row if row is not None and row["key"] == p.key else None


def verify_all(
    state: Run, candidates: list[PlannedRow], budget: float | None, started: float
) -> tuple[int, int, int]:
    """The verification pass over the current ok rows of the plan that lack processes, in
    plan order, round by round, so a row's processes are a whole matrix apart.
    Returns (verified, second process failed, skipped)."""
    todo = list(candidates)
    verified = failed = 0
    skipped: set[str] = set()
    tty = sys.stderr.isatty()
    for _ in range(HARNESS["processes_per_row"] - 1):
        todo = [p for p in todo if needs_verification(row_of(state.rows, p))]
        bar = tqdm(total=len(todo), unit="row", file=sys.stderr, disable=not tty)
        try:
            for index, p in enumerate(todo, 1):
                row = state.rows[identity_of(p)]
                budget_left = None if budget is None else budget - (clock() - started)
                if budget_left is not None and budget_left <= 0:
                    # The row stays valid with the processes it has, and says so; the next
                    # run without a spent budget adds the missing ones.
                    for q in todo[index - 1 :]:
                        identity = identity_of(q)
                        state.rows[identity] = {
                            **state.rows[identity],
                            "verification": "skipped: the --budget ran out before this "
                            "row's verification process",
                        }
                        skipped.add(q.key)
                    state.flush()
                    return verified, failed, len(skipped)
                bar.set_description(f"verify {p.label}")
                row = state.verify(p, row, budget_left)
                state.store(row)
                verified += 1
                failed += "p50" not in row["processes"][-1]
                bar.update(1)
                tqdm.write(
                    f"[verify {index}/{len(todo)}] {p.label}: {describe_process(row)}",
                    file=sys.stderr,
                )
        finally:
            bar.close()
    return verified, failed, len(skipped)


def print_plan(plan: list[PlannedRow], path: Path, unverified: set[str]) -> int:
    print(f"results file: {path}")
    for p in plan:
        if p.cached and p.key in unverified:
            state = "cached (verification process to run)"
        elif p.cached:
            state = "cached"
        elif p.problem:
            state = f"run (model file: {p.problem})"
        elif p.runtime_version is None:
            state = "run (runtime not installed: row will be 'unavailable')"
        else:
            state = "run"
        print(f"  {p.label:<40} {state}")
    cached = sum(p.cached for p in plan)
    print(f"{len(plan)} rows: {len(plan) - cached} to run, {cached} cached")
    return 0
