"""`nnkb bench`: run the rows whose stored row is not current in this machine's results file.

Take the results file's lock (one writer at a time; a second run waits and says so), plan the
matrix (plan.py), then run each row that is not current in its own worker subprocess
(isolate.py), storing every finished row at once as a read-modify-write of the file under the
lock, so a killed run loses at most the row in flight. A failing row is a row with a status,
never an abort.

Then the verification pass: every ok row gets HARNESS["processes_per_row"] processes in all,
the later ones after the rest of the matrix, so two processes of a row sit in different
phases of a machine whose speed drifts over minutes. The row keeps the faster process's
latency and records each process in `processes`. A row whose verification is missing (an
interrupted run, a spent --budget) gets only that on the next run.

Exit status: 0 when every planned row has a stored outcome (ok, or not ok with its reason);
1 when the KB, the plan or the results file is wrong or the results cannot be written;
3 when --budget stopped the run before every planned row ran; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from ..kb import KB, KBError, Model, load_kb, output_kind
from ..results import (
    THROUGHPUT,
    HardwarePart,
    Identity,
    Machine,
    ResultsError,
    ResultsFile,
    Row,
    locked,
    read,
    write_atomic,
)
from . import reference as ref
from .derived import OCR_TASK
from .isolate import WorkerSettingError, memory_cap, run_worker
from .machine import hardware_part, machine_id, machine_of, measure_peak, now_iso, software_part
from .measure import WorkerResult
from .plan import (
    PlanError,
    PlannedRow,
    build_plan,
    cache_root,
    missing_files_line,
    print_plan,
    select_models,
    select_runtimes,
)
from .prepare import RowFiles
from .protocol import RowJob
from .rows import (
    NOT_OK,
    base_row,
    describe,
    describe_process,
    needs_verification,
    verification_skipped,
    with_process,
    with_result,
)
from .runtimes import Adapter, load_adapters, reference_adapter
from .settings import HARNESS

BUDGET_SPENT = 3
clock = time.monotonic  # the --budget clock (a module attribute so tests can move it)


class Run(RowFiles):
    """The state of one `nnkb bench` invocation: settings, machine, rows, memo caches."""

    def __init__(
        self,
        args: argparse.Namespace,
        versions: dict[str, str | None],
        machine: Machine | None,
        stored: dict[Identity, Row],
        path: Path,
        kb: KB,
        reference: tuple[Adapter, str] | None = None,
    ):
        super().__init__()
        self.reference = reference  # the adapter with the FP32 reference role, and its version
        self.row_budget: float = args.row_budget or HARNESS["row_budget_seconds"]
        self.timeout: float = args.timeout or HARNESS["row_timeout_seconds"]
        self.cache_dir = cache_root(args.kb)
        self.versions = versions
        self.machine = machine
        self.rows = stored  # the file's rows as this run sees them
        self.changed: dict[Identity, Row] = {}  # rows this run measured or changed
        self.dropped: set[Identity] = set()  # rows whose settings are no longer measured
        self.models = set(kb.models)
        self.path = path
        self.named = not args.results  # a --results file may have any name
        self.written = False

    def budget_for(self, budget_left: float | None) -> float:
        return self.row_budget if budget_left is None else min(self.row_budget, budget_left)

    def execute(self, p: PlannedRow, budget_left: float | None) -> Row:
        """The row measured in its first worker process, with the phases it cost."""
        row, result, process_s = self._execute(p, budget_left)
        worker = result.phases if result else None
        return replace(row, phases=self.phases_of(p, worker, process_s))

    def _execute(
        self, p: PlannedRow, budget_left: float | None
    ) -> tuple[Row, WorkerResult | None, float | None]:
        row_budget = self.budget_for(budget_left)
        row = base_row(p, now_iso(), row_budget, self.graph_stats(p))
        if p.problem:
            return replace(row, status="failed", reason=f"model file: {p.problem}"), None, None
        if p.runtime_version is None:
            why = f"runtime '{p.runtime}' is not installed (cannot be imported)"
            return replace(row, status="unavailable", reason=why), None, None
        if p.unavailable:
            return replace(row, status="unavailable", reason=p.unavailable), None, None
        if p.quantization is not None:
            row = replace(row, quantization=p.quantization)
            derived = self.model_file(p)
            if derived is None:
                why = f"quantise: {self.derived[p.key][1]}"
                return replace(row, status="failed", reason=why), None, None
            # The file the row runs: model.onnx, or model.xml with its model.bin.
            size = sum(f.stat().st_size for f in derived.parent.glob("model.*"))
            row = replace(row, model_file_bytes=size)
        if p.scenario == THROUGHPUT:  # no agreement or accuracy: its latency twin has them
            job = self.job(p, row_budget, None)
        else:
            job = replace(
                self.job(p, row_budget, self.reference_for(p)),
                inputs_reference=self.inputs_reference_for(p),
                output_kind=output_kind(p.task),
                task=p.task,
                accuracy="ocr" if p.task == OCR_TASK else None,
            )
        start = time.perf_counter()
        result = WorkerResult.from_json(run_worker(job, self.timeout))
        return with_result(row, result), result, time.perf_counter() - start

    def job(self, p: PlannedRow, row_budget: float, reference: Path | None) -> RowJob:
        return RowJob(
            runtime=p.runtime,
            model_path=str(self.model_file(p)),
            source_model_path=str(p.model_path),
            inputs={k: list(v) for k, v in p.spec.inputs.items()},
            settings=p.settings,
            harness=HARNESS,
            row_budget_s=row_budget,
            classifier=bool(p.spec.classifier),
            preprocess=p.spec.preprocess,
            postprocess=p.spec.postprocess,
            reference=str(reference) if reference else None,
            reference_label=(
                self.reference[0].reference_label(self.reference[1]) if self.reference else ""
            ),
        )

    def verify(self, p: PlannedRow, row: Row, budget_left: float | None) -> Row:
        """The row with one more process: the same job in a fresh worker, latency only (the
        first process already checked the outputs and profiled the operators)."""
        started_at = now_iso()
        job = replace(self.job(p, self.budget_for(budget_left), None), profile=False)
        start = time.perf_counter()
        result = WorkerResult.from_json(run_worker(job, self.timeout))
        phases = dict(row.phases or {})
        phases["verification"] = round(
            phases.get("verification", 0.0) + time.perf_counter() - start, 3
        )
        return replace(with_process(row, result, started_at), phases=phases)

    def store(self, row: Row, flush: bool = True) -> None:
        """Replace the row's predecessor (same identity) and write the file."""
        self.rows[row.identity] = row
        self.changed[row.identity] = row
        if flush:
            self.flush()

    def drop(self, identity: Identity) -> None:
        self.rows.pop(identity, None)
        self.dropped.add(identity)

    def flush(self) -> None:
        """Read-modify-write under the lock: the file as it is on disk now, with this run's
        rows put in and the rows of deleted models and dropped settings taken out."""
        on_disk = read(self.path, self.named) if self.path.exists() else None
        rows = on_disk.by_identity() if on_disk else {}
        for identity in self.dropped:
            rows.pop(identity, None)
        rows.update(self.changed)
        rows = {i: r for i, r in rows.items() if r.model in self.models}
        # The machine section is rewritten only with new measurements: a no-op run after an
        # OS or Python update leaves the file as it was.
        machine = self.machine if self.changed or on_disk is None else on_disk.machine
        if machine is None or machine.peak is None:
            return
        harness = dict(HARNESS) if self.changed or on_disk is None else on_disk.harness
        document = ResultsFile(machine=machine, rows=list(rows.values()), harness=harness)
        if write_atomic(self.path, document):
            self.written = True


def _load(args: argparse.Namespace) -> tuple[KB, dict[str, Adapter]]:
    kb_root = Path(args.kb)
    if not kb_root.is_dir():
        raise PlanError(f"{kb_root}: no such knowledge base folder")
    kb = load_kb(kb_root)
    try:
        adapters = load_adapters()
        reference_adapter(adapters)  # two adapters claiming the reference role: an error
    except Exception as exc:  # noqa: BLE001 - a broken extra adapter module named in the env
        raise PlanError(f"cannot load the runtime adapters: {exc}") from None
    return kb, adapters


def run(args: argparse.Namespace) -> int:
    try:
        memory_cap()  # a bad NNKB_WORKER_MEMORY_FRACTION is a usage error before any row
    except WorkerSettingError as exc:
        print(f"nnkb bench: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args)
    except (PlanError, KBError, ResultsError) as exc:
        print(f"nnkb bench: {exc}", file=sys.stderr)
        return 1


def _stored(path: Path, named: bool) -> tuple[ResultsFile | None, dict[Identity, Row]]:
    existing = read(path, named) if path.exists() else None
    return existing, existing.by_identity() if existing else {}


def _run(args: argparse.Namespace) -> int:
    matrix = getattr(args, "matrix", "default")  # tests build their own Namespace
    kb, adapters = _load(args)
    models = select_models(kb, args.models)
    runtimes = select_runtimes(adapters, args.runtimes)
    versions = {name: adapter.version() for name, adapter in sorted(adapters.items())}
    hardware = hardware_part()
    default = Path(args.kb) / "results" / f"{machine_id(hardware)}.json"
    path = Path(args.results) if args.results else default
    if args.dry_run:
        _, stored = _stored(path, not args.results)
        plan = build_plan(
            models, runtimes, versions, cache_root(args.kb), stored, args.force, matrix=matrix,
            named=bool(args.models),
        )  # fmt: skip
        unverified = {p.key for p in plan if p.cached and needs_verification(p.current(stored))}
        return print_plan(plan, path, unverified)
    if args.results and not path.parent.is_dir():
        raise ResultsError(f"{path}: cannot write: the folder {path.parent} does not exist")
    if not args.results:
        try:  # a new KB has no results folder yet; --results names an existing folder
            default.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"{default.parent}: cannot create: {exc.strerror or exc}") from None
    reference = ref.reference_of(adapters, versions)
    with locked(path):
        return _run_locked(args, kb, models, runtimes, versions, hardware, path, reference)


def _run_locked(
    args: argparse.Namespace,
    kb: KB,
    models: list[Model],
    runtimes: list[Adapter],
    versions: dict[str, str | None],
    hardware: HardwarePart,
    path: Path,
    reference: tuple[Adapter, str] | None,
) -> int:
    matrix = getattr(args, "matrix", "default")
    started = clock()
    existing, stored = _stored(path, not args.results)
    # Rows of models deleted from the KB go at the next write; filtered-out models stay.
    stored = {i: r for i, r in stored.items() if r.model in kb.models}
    plan = build_plan(
        models, runtimes, versions, cache_root(args.kb), stored, args.force, matrix=matrix,
        named=bool(args.models),
    )  # fmt: skip
    to_run = [p for p in plan if not p.cached and not p.outside]
    # Current rows whose verification an interrupted run or a spent budget left missing.
    unverified = [p for p in plan if p.cached and needs_verification(p.current(stored))]

    if existing and not existing.machine.hardware.same_hardware(hardware):
        # Rows measured here would sit beside rows of other hardware under one peak.
        raise ResultsError(
            f"{path}: holds results of machine '{existing.machine.id}', and this machine is "
            f"'{machine_id(hardware)}' (other hardware); write to its own file instead"
        )
    peak = existing.machine.peak if existing else None  # measured once per hardware
    if peak is None and (to_run or unverified):
        peak = measure_peak()
    machine = machine_of(replace(hardware, peak=peak), software_part(versions)) if peak else None
    state = Run(args, versions, machine, stored, path, kb, reference)
    # Rows of a selected model and runtime whose settings the adapter no longer measures
    # (a changed default, a dropped variant) are stale: they go at the next write.
    planned = {p.identity for p in plan}
    selected = {(p.model_id, p.runtime) for p in plan}
    for identity in [i for i in stored if i[:2] in selected and i not in planned]:
        state.drop(identity)

    done: list[Row] = []
    skipped = 0
    bar = tqdm(total=len(to_run), unit="row", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        for index, p in enumerate(to_run, 1):
            budget_left = None if args.budget is None else args.budget - (clock() - started)
            if budget_left is not None and budget_left <= 0:
                skipped = len(to_run) - index + 1
                break
            bar.set_description(p.label)
            row = state.execute(p, budget_left)
            state.store(row)
            done.append(row)
            bar.update(1)
            tqdm.write(f"[{index}/{len(to_run)}] {p.label}: {describe(row)}", file=sys.stderr)
    finally:
        bar.close()
    verified, verify_failed, verify_skipped = verify_all(state, plan, args.budget, started)
    if existing is not None:
        state.flush()  # drops rows of deleted models and stale settings even when no row ran

    failed = sum(r.status in NOT_OK for r in done)
    unavailable = sum(r.status == "unavailable" for r in done)
    print(
        f"nnkb bench: ran {len(done)} (failed {failed}, unavailable {unavailable}), "
        f"cached {sum(p.cached for p in plan)}, skipped {skipped}; "
        f"verified {verified} (second process failed {verify_failed}), "
        f"verification skipped {verify_skipped}; "
        f"wall {clock() - started:.1f} s; "
        f"{path} {'written' if state.written else 'unchanged'}"
    )
    missing = sorted({p.model_id for p in plan if p.missing})
    if missing:
        print(missing_files_line(missing), file=sys.stderr)
    if skipped:
        print(
            f"nnkb bench: --budget ran out with {skipped} row(s) not run; "
            "run again to measure them",
            file=sys.stderr,
        )
        return BUDGET_SPENT
    return 0


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
        todo = [p for p in todo if needs_verification(p.current(state.rows))]
        bar = tqdm(total=len(todo), unit="row", file=sys.stderr, disable=not tty)
        try:
            for index, p in enumerate(todo, 1):
                row = state.rows[p.identity]
                budget_left = None if budget is None else budget - (clock() - started)
                if budget_left is not None and budget_left <= 0:
                    # The row stays valid with the processes it has, and says so; the next
                    # run without a spent budget adds the missing ones.
                    for q in todo[index - 1 :]:
                        state.store(verification_skipped(state.rows[q.identity]), flush=False)
                        skipped.add(q.key)
                    state.flush()
                    return verified, failed, len(skipped)
                bar.set_description(f"verify {p.label}")
                row = state.verify(p, row, budget_left)
                state.store(row)
                verified += 1
                failed += row.processes is not None and not row.processes[-1].measured
                bar.update(1)
                tqdm.write(
                    f"[verify {index}/{len(todo)}] {p.label}: {describe_process(row)}",
                    file=sys.stderr,
                )
        finally:
            bar.close()
    return verified, failed, len(skipped)
