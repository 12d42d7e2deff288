"""What the runtime comparison points out, decided here once: slow runtimes and where their
time goes, each variant's speed-up over the reference runtime, FP32 outputs that disagree with
the reference, and what a model a runtime could not run has that the models it ran lack.

Everything is computed from the results rows and the KB; `nnkb.render` words it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..kb import KB
from ..results import ResultsFile
from .frame import OK, latency_rows, ratio
from .precision import is_reduced, precision_name
from .profiles import (
    NOTABLE_SHARE,
    OWN_TYPE_SHARE,
    SLOW_FACTOR,
    Profile,
    Profiles,
    from_graph,
    has_entry,
    in_graph,
)
from .runtimes import runtime_speedups

# FP32 outputs that differ from the reference by more than this (relative) are a finding;
# FP32 runtimes that only reorder sums stay far below it.
NOTABLE_REL_ERROR = 1e-3
# How many of a slow runtime's largest operator types a finding names.
SLOW_TOP_SHARES = 3


# --- slow runtimes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowRuntime:
    """An ok row more than SLOW_FACTOR times slower than the fastest FP32 row of its model on
    its machine, with its largest shares of kernel time and what sets them apart."""

    machine: str
    model: str
    runtime: str
    settings: str
    precision: str | None
    p50: float
    fastest_runtime: str
    fastest_settings: str
    fastest_p50: float
    profile: Profile | None
    fastest_profile: Profile | None
    unprofiled_why: str | None
    # Its largest operator types (never "other"), largest first.
    top: tuple[tuple[str, float], ...]
    # Of those, ONNX operators of the graph that the fastest runtime's profile has no entry for.
    absent_in_fastest: tuple[str, ...]
    # Of those, notable operator types of the runtime's own, not ONNX operators of the graph.
    own_types: tuple[str, ...]
    # Whether any row of this model on this machine has a profile (the model page shows them).
    model_profiled: bool

    @property
    def ratio(self) -> float:
        return self.p50 / self.fastest_p50


def slow_runtimes(frame: pd.DataFrame, profiles: Profiles) -> list[SlowRuntime]:
    """Each ok latency row more than SLOW_FACTOR times slower than its model's fastest FP32
    row on the same machine, by machine and model, fastest first."""
    by_key = profiles.by_key()
    why = {(u.machine, u.model, u.runtime, u.settings_key): u.why for u in profiles.unprofiled}
    frame = latency_rows(frame)
    ok = frame[(frame["status"] == OK) & frame["p50"].notna()]
    found = []
    for (machine, model), rows in ok.groupby(["machine", "model"], sort=True):
        fp32 = rows[rows["precision"].map(precision_name) == "fp32"]
        if fp32.empty:
            continue
        fastest = fp32.sort_values(["p50", "runtime", "settings"]).iloc[0]
        fast_profile = by_key.get((machine, model, fastest.runtime, fastest.settings))
        profiled = any(p.machine == machine and p.model == model for p in profiles.profiled)
        for slow in rows.sort_values(["p50", "runtime", "settings"]).itertuples():
            if slow.p50 <= SLOW_FACTOR * fastest.p50:
                continue
            key = (machine, model, slow.runtime, slow.settings)
            profile = by_key.get(key)
            top = tuple(profile.top_shares(SLOW_TOP_SHARES)) if profile else ()
            absent: tuple[str, ...] = ()
            own: tuple[str, ...] = ()
            if profile is not None:
                if fast_profile is not None:
                    absent = tuple(
                        op
                        for op, _ in top
                        if in_graph(op, profile.histogram)
                        and not has_entry(op, fast_profile.shares)
                    )
                if profile.histogram:
                    own = tuple(
                        op
                        for op, s in top
                        if s >= NOTABLE_SHARE and not from_graph(op, profile.histogram)
                    )
            found.append(
                SlowRuntime(
                    machine=str(machine),
                    model=str(model),
                    runtime=slow.runtime,
                    settings=slow.settings,
                    precision=precision_name(slow.precision),
                    p50=float(slow.p50),
                    fastest_runtime=fastest.runtime,
                    fastest_settings=fastest.settings,
                    fastest_p50=float(fastest.p50),
                    profile=profile,
                    fastest_profile=fast_profile,
                    unprofiled_why=why.get(key),
                    top=top,
                    absent_in_fastest=absent,
                    own_types=own,
                    model_profiled=profiled,
                )
            )
    return found


# --- reduced precisions slower than FP32 ---------------------------------------------------------

# A reduced-precision row this much slower than its runtime's FP32 row is a finding: a reduced
# precision is chosen for speed, so a slower one needs its reason shown.
REDUCED_SLOWER_FACTOR = 1.1


@dataclass(frozen=True)
class ReducedSlower:
    """An ok INT8 (or BF16, FP16) row slower than the same runtime's FP32 row of its model on
    its machine, with the operator type that takes the largest share of its kernel time."""

    machine: str
    model: str
    runtime: str
    settings: str
    precision: str
    p50: float
    fp32_settings: str
    fp32_p50: float
    largest: tuple[str, float] | None  # (operator type, share) of the reduced row's profile
    fp32_largest: tuple[str, float] | None
    # Operator types of the reduced row (OWN_TYPE_SHARE or more each) that the FP32 row's
    # profile has no entry for, under that name or a related one: conversions, for one.
    not_in_fp32: tuple[tuple[str, float], ...] = ()

    @property
    def ratio(self) -> float:
        return self.p50 / self.fp32_p50


def reduced_slower(frame: pd.DataFrame, profiles: Profiles) -> list[ReducedSlower]:
    by_key = profiles.by_key()
    frame = latency_rows(frame)
    ok = frame[(frame["status"] == OK) & frame["p50"].notna()]
    ok = ok.assign(precision_name=ok["precision"].map(precision_name))
    found = []
    for (machine, model, runtime), rows in ok.groupby(["machine", "model", "runtime"], sort=True):
        fp32 = rows[rows["precision_name"] == "fp32"].sort_values(["p50", "settings"])
        if fp32.empty:
            continue
        base = fp32.iloc[0]
        for row in rows[rows["precision_name"] != "fp32"].sort_values("settings").itertuples():
            if row.precision_name is None or row.p50 <= REDUCED_SLOWER_FACTOR * base.p50:
                continue
            mine = by_key.get((machine, model, runtime, row.settings))
            theirs = by_key.get((machine, model, runtime, base.settings))
            extra: tuple[tuple[str, float], ...] = ()
            if mine is not None and theirs is not None:
                extra = tuple(
                    (op, share)
                    for op, share in mine.top_shares(len(mine.shares))
                    if share >= OWN_TYPE_SHARE and not has_entry(op, theirs.shares)
                )
            found.append(
                ReducedSlower(
                    machine=str(machine),
                    model=str(model),
                    runtime=str(runtime),
                    settings=row.settings,
                    precision=str(row.precision_name),
                    p50=float(row.p50),
                    fp32_settings=base.settings,
                    fp32_p50=float(base.p50),
                    largest=mine.largest_share() if mine else None,
                    fp32_largest=theirs.largest_share() if theirs else None,
                    not_in_fp32=extra,
                )
            )
    return found


# --- speed-ups of every variant -----------------------------------------------------------------

# fmt: off
VARIANT_COLUMNS = [
    "machine", "machine_label", "model", "runtime", "settings", "status", "p50", "baseline_p50",
    "speedup", "precision", "max_abs_error", "max_rel_error", "top1_agree",
]
# fmt: on


def variant_speedups(frame: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Every latency row against the baseline runtime's best median for the same model and
    machine.

    analysis.runtime_speedups keeps each runtime's fastest settings; a runtime measured with
    several settings (OpenVINO at its default precision and with the f32 hint) gets a row per
    setting here, so a reader sees the speed-up at equal precision too. The baseline's fastest
    row is the reference (speed-up 1) and is left out, as are its failures; rows that did not
    run keep their status and have no p50 or speed-up.
    """
    frame = latency_rows(frame)
    best = runtime_speedups(frame, baseline)
    base = best[best["runtime"] == baseline].set_index(["machine", "model"])
    records = []
    for row in frame.itertuples():
        key = (row.machine, row.model)
        base_p50 = float(base.loc[key, "p50"]) if key in base.index else None
        if row.runtime == baseline and (
            row.settings_difference == ""
            or (key in base.index and row.settings == base.loc[key, "settings"])
        ):
            continue  # the reference (or its failure) has its own column
        ok = row.status == OK and not pd.isna(row.p50)
        records.append(
            {
                "machine": row.machine,
                "machine_label": row.machine_label,
                "model": row.model,
                "runtime": row.runtime,
                "settings": row.settings,
                "status": row.status,
                "p50": row.p50 if ok else None,
                "baseline_p50": base_p50,
                "speedup": ratio(base_p50, row.p50) if ok else None,
                "precision": row.precision,
                "max_abs_error": row.max_abs_error,
                "max_rel_error": row.max_rel_error,
                "top1_agree": row.top1_agree,
            }
        )
    out = pd.DataFrame.from_records(records, columns=VARIANT_COLUMNS)
    for column in ("p50", "baseline_p50", "speedup"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    out.attrs["baseline"] = baseline
    return out


# --- agreement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """An ok FP32 row whose outputs differ from the reference run's: a different top-1 class,
    or a maximum relative error over NOTABLE_REL_ERROR."""

    machine: str
    model: str
    runtime: str
    max_rel_error: float | None
    top1_differs: bool


def disagreements(frame: pd.DataFrame, reference: str) -> list[Disagreement]:
    frame = latency_rows(frame)
    ok = frame[frame["status"] == OK]
    fp32 = ok[~ok["precision"].map(is_reduced).astype(bool)]
    found = []
    for row in fp32.itertuples():
        error = None if pd.isna(row.max_rel_error) else float(row.max_rel_error)
        if row.runtime == reference and not error:
            continue
        top1_differs = not pd.isna(row.top1_agree) and not bool(row.top1_agree)
        if top1_differs or (error is not None and error > NOTABLE_REL_ERROR):
            found.append(Disagreement(row.machine, row.model, row.runtime, error, top1_differs))
    return found


# --- what sets a failed model apart -------------------------------------------------------------


def recorded_histogram(
    results_files: Iterable[ResultsFile], model: str
) -> tuple[int, dict[str, int]] | None:
    """Opset and ONNX operator counts as `nnkb bench` recorded them for the model's newest
    file, or None when no row recorded them."""
    recorded = [
        r for f in results_files for r in f.rows if r.model == model and r.opset and r.op_histogram
    ]
    if not recorded:
        return None
    newest = max(recorded, key=lambda r: (r.measured_at, r.model_sha256 or ""))
    assert newest.opset is not None and newest.op_histogram is not None
    return int(newest.opset), dict(newest.op_histogram)


@dataclass(frozen=True)
class FailureHint:
    """What a model a runtime could not run has that every model it ran ok lacks: an input
    rank none of them has, operator types none of them uses. A hint where to look."""

    model: str
    runtime: str
    new_ranks: tuple[int, ...]
    ran_ranks: tuple[int, ...]
    new_operators: tuple[str, ...]
    ran_models: int


def _input_ranks(kb: KB, model_id: str) -> set[int]:
    model = kb.models.get(model_id)
    return {len(shape) for shape in model.onnx.inputs.values()} if model and model.onnx else set()


def failure_hints(
    kb: KB, frame: pd.DataFrame, results_files: list[ResultsFile], runtime: str, failed: list[str]
) -> list[FailureHint]:
    frame = latency_rows(frame)
    ran = sorted(
        frame.loc[(frame["runtime"] == runtime) & (frame["status"] == OK), "model"].unique()
    )
    if not ran:
        return []
    ran_ranks = set().union(*(_input_ranks(kb, m) for m in ran))

    def operators(model_id: str) -> set[str] | None:
        recorded = recorded_histogram(results_files, model_id)
        return set(recorded[1]) if recorded else None

    ran_ops = [operators(m) for m in ran]
    known_ops: set[str] | None = None
    if all(o is not None for o in ran_ops):
        known_ops = set().union(*(o for o in ran_ops if o is not None))
    hints = []
    for model_id in failed:
        ranks = _input_ranks(kb, model_id) - ran_ranks
        ops = operators(model_id)
        new_ops = ops - known_ops if ops is not None and known_ops is not None else set()
        if ranks or new_ops:
            hints.append(
                FailureHint(
                    model=model_id,
                    runtime=runtime,
                    new_ranks=tuple(sorted(ranks)),
                    ran_ranks=tuple(sorted(ran_ranks)),
                    new_operators=tuple(sorted(new_ops)),
                    ran_models=len(ran),
                )
            )
    return hints
