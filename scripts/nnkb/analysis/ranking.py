"""Ranking a use case's candidate models per machine, and the accuracy-latency Pareto front.

The rules, stated once:
- a use case's candidates are the models of one of its tasks listed under it
  (`KB.candidates_for`): a backbone or a classifier is never an anomaly or object detector;
- a model's time on a machine is its best eligible ok row (`precision`: FP32, or a reduced
  precision measured within the use case's tolerance): lowest median (p50) over runtimes and
  settings, ties broken by lower p90, then runtime name, then settings; where the use case
  states the throughput scenario (`scenario`), its highest inferences per second instead,
  with the verdicts of each row's latency twin;
- a model qualifies when its cited accuracy for the use case's metric and dataset meets the
  use case's floor (>= when higher is better, <= otherwise); uncited models never qualify;
- on equal medians the better cited accuracy ranks first, then the lower p90, then the model id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from nnkb.kb import KB, Accuracy, Framework, Model, UseCase

from ..codec import Json
from ..results import LATENCY, THROUGHPUT
from .frame import OK, best_ok, latency_rows, machines
from .precision import precision_frame
from .scenario import (
    best_throughput,
    paired_frame,
    ranked_scenario,
    throughput_rows,
    with_twin_rates,
)

# fmt: off
RANKING_COLUMNS = [
    "machine", "machine_label", "model", "model_name", "rank", "runtime", "runtime_version",
    "settings", "status", "reason", "p50", "p90", "ci95_low", "ci95_high", "process_spread",
    "unstable", "accuracy", "accuracy_unit", "meets_floor", "precision", "needs", "tolerance_value",
    "scenario", "inferences_per_s", "batch", "streams", "load_p50",
]
# fmt: on


def adapters_of(framework: Framework) -> list[str]:
    """The benchmark adapters that measure a framework entry's runtime (empty: none)."""
    return list(framework.benchmark_adapters)


def candidates_of(kb: KB, use_case_id: str) -> list[Model]:
    """The use case's candidates (`KB.candidates_for`), never a model that is only a
    backbone there (`Model.backbone_for`), even where the use case names no tasks."""
    return [m for m in kb.candidates_for(use_case_id) if use_case_id not in m.backbone_for]


def use_case_of(kb: KB, use_case_id: str) -> UseCase:
    try:
        return kb.use_cases[use_case_id]
    except KeyError:
        valid = ", ".join(sorted(kb.use_cases)) or "none"
        raise KeyError(f"unknown use case {use_case_id!r}; the KB has: {valid}") from None


def cited_accuracy(model: Model, use_case: UseCase) -> Accuracy | None:
    """The model's first accuracy entry for the use case's metric and dataset, if any.

    Metric and dataset match case-insensitively, ignoring surrounding spaces.
    """
    want = use_case.accuracy_metric
    key = (want["metric"].strip().lower(), want["dataset"].strip().lower())
    for acc in model.accuracy:
        if (acc.metric.strip().lower(), acc.dataset.strip().lower()) == key:
            return acc
    return None


def _convert(value: float, unit: str | None, target: str | None) -> float:
    # Percent and ratio are the only units the model schema allows; anything else is left alone.
    if unit == "%" and target == "ratio":
        return value / 100.0
    if unit == "ratio" and target == "%":
        return value * 100.0
    return value


def _target_unit(use_case: UseCase, cited: Iterable[Accuracy | None]) -> str | None:
    floor = use_case.accuracy_floor
    if floor is not None and floor.unit:
        return floor.unit
    return next((a.unit for a in cited if a is not None and a.unit), None)


def _meets(value: float | None, floor: float | None, higher_is_better: bool) -> bool | None:
    if value is None or floor is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value >= floor if higher_is_better else value <= floor


# --- ranking and Pareto front -----------------------------------------------------------------


def use_case_ranking(
    kb: KB,
    frame: pd.DataFrame,
    use_case_id: str,
    portable: bool = False,
    scenario: str | None = None,
) -> pd.DataFrame:
    """Per measured machine, every candidate model of the use case with its best eligible ok
    row (FP32, or a reduced precision within the use case's tolerance); with `portable`, only
    rows that relied on no fast-path instruction set (what a CPU without them can run).

    `scenario` (default: the use case's own, `UseCase.scenario`) is what ranks: "latency"
    (lowest single-stream median) or "throughput" (highest inferences_per_s, each row paired
    with its latency twin, whose single-stream p50 and verdicts the record carries). Column
    `scenario` says which ranked each machine: a use case stating throughput is ranked by
    latency on a machine with no ok throughput row of a candidate (listed in
    `.attrs["fallback_machines"]`). A latency record carries its row's throughput twin's
    inferences_per_s, batch and streams beside; a throughput record its load_p50 (the median
    per request under that load).

    Ok models come first on each machine, fastest first (`rank` 1, 2, ...; equal medians go to
    the better cited accuracy, then lower p90, then model id); then models without an ok row,
    by id, with `status` "not-benchmarked" (no ONNX file), "not-measured" (no rows on this
    machine) or the statuses of their rows joined by "/" and a `reason` per runtime. `accuracy`
    is the cited value for the use case's metric and dataset in `accuracy_unit` (the floor's
    unit), NaN when not cited; `meets_floor` is NA when either side is missing. The use case's
    metric, dataset, direction and floor are in `.attrs`.
    """
    use_case = use_case_of(kb, use_case_id)
    higher = bool(use_case.accuracy_metric["higher_is_better"])
    floor = use_case.accuracy_floor
    candidates = candidates_of(kb, use_case_id)
    cited = {m.id: cited_accuracy(m, use_case) for m in candidates}
    unit = _target_unit(use_case, cited.values())
    stated = scenario or use_case.scenario
    judged = precision_frame(frame, use_case)
    usable = judged[judged["eligible"] & (judged["portable"] | (not portable))]
    best = {LATENCY: _best(frame, usable, LATENCY)}
    if stated == THROUGHPUT:
        paired = precision_frame(paired_frame(frame), use_case, references=frame)
        usable = paired[paired["eligible"] & (paired["portable"] | (not portable))]
        best[THROUGHPUT] = _best(frame, usable, THROUGHPUT)
    ids = {m.id for m in candidates}

    records = []
    fallback = []
    for machine, label in machines(frame):
        ranked_by = scenario or ranked_scenario(frame, machine, stated, ids)
        if ranked_by != stated:
            fallback.append(machine)
        pool = latency_rows(frame) if ranked_by == LATENCY else throughput_rows(frame)
        rows = pool[pool["machine"] == machine]
        chosen = best[ranked_by]
        for model in candidates:
            acc = cited[model.id]
            value = _convert(acc.value, acc.unit, unit) if acc else None
            record = {
                "machine": machine,
                "machine_label": label,
                "model": model.id,
                "model_name": model.display_name,
                "accuracy": value,
                "accuracy_unit": unit,
                "meets_floor": _meets(value, floor.value if floor else None, higher),
                "scenario": ranked_by,
            }
            if (machine, model.id) in chosen.index:
                hit = chosen.loc[(machine, model.id)]
                record.update(
                    {
                        k: hit[k]
                        for k in (
                            "runtime",
                            "runtime_version",
                            "settings",
                            "p50",
                            "p90",
                            "ci95_low",
                            "ci95_high",
                            "process_spread",
                            "unstable",
                            "precision",
                            "needs",
                            "tolerance_value",
                            "inferences_per_s",
                            "batch",
                            "streams",
                            "load_p50",
                        )
                    }
                )
                record.update(status=OK, reason=None)
            else:
                found = _why_not_ok(model, rows[rows["model"] == model.id], portable)
                if found["status"] == "not-measured" and ranked_by == THROUGHPUT:
                    found["reason"] = "no throughput rows for this model on this machine"
                record.update(found)
            records.append(record)

    ranking = pd.DataFrame.from_records(records, columns=RANKING_COLUMNS)
    for col in (
        "p50",
        "p90",
        "ci95_low",
        "ci95_high",
        "process_spread",
        "accuracy",
        "inferences_per_s",
        "load_p50",
    ):
        ranking[col] = pd.to_numeric(ranking[col], errors="coerce").astype("float64")
    ranking["meets_floor"] = pd.array(ranking["meets_floor"].tolist(), dtype="boolean")
    ranking["unstable"] = ranking["unstable"].eq(True)  # a row not ok is never unstable
    ranking = _sort_ranking(ranking, higher)
    ranking.attrs.update(
        use_case=use_case_id,
        metric=use_case.accuracy_metric["metric"],
        dataset=use_case.accuracy_metric["dataset"],
        higher_is_better=higher,
        floor=floor.value if floor else None,
        accuracy_unit=unit,
        stated_scenario=stated,
        fallback_machines=tuple(fallback),
    )
    return ranking


def _best(frame: pd.DataFrame, usable: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Per (machine, model), the best usable row of the scenario with the other scenario's
    figures beside it, indexed by (machine, model)."""
    if scenario == LATENCY:
        best = best_ok(usable, ["machine", "model"])
        best = with_twin_rates(frame, best).assign(load_p50=float("nan"))
    else:
        best = best_throughput(usable, ["machine", "model"])
    return best.set_index(["machine", "model"])


def _why_not_ok(model: Model, rows: pd.DataFrame, portable: bool) -> Json:
    if (rows["status"] == OK).any():
        # It ran, but no row may be recommended: reduced precision only, not within the
        # tolerance or not measured, or (portable) every row relied on a fast path.
        why = (
            "every ok row relied on instruction sets a CPU without them lacks"
            if portable
            else "every ok row ran in a reduced precision not measured within the tolerance"
        )
        return {"status": "not-eligible", "reason": why}
    if rows.empty:
        spec = model.onnx
        if spec is None or not spec.benchmark:
            why = model.not_benchmarked_reason or "no ONNX file to benchmark"
            return {"status": "not-benchmarked", "reason": why}
        return {"status": "not-measured", "reason": "no results for this model on this machine"}
    statuses = sorted(set(rows["status"]))
    said = {(r.status, r.reason if isinstance(r.reason, str) else None) for r in rows.itertuples()}
    if len(said) == 1 and len(rows) > 1:  # every runtime for one reason (a missing file): once
        ((status, reason),) = said
        return {
            "status": status,
            "reason": f"{status} on every runtime" + (f": {reason}" if reason else ""),
        }
    parts = [
        f"{r.runtime} {r.status}" + (f": {r.reason}" if isinstance(r.reason, str) else "")
        for r in rows.itertuples()
    ]
    return {"status": "/".join(statuses), "reason": "; ".join(parts)}


def _sort_ranking(ranking: pd.DataFrame, higher: bool) -> pd.DataFrame:
    ok = ranking["status"] == OK
    acc_key = -ranking["accuracy"] if higher else ranking["accuracy"]
    # Lower is better: the median, or the rate negated where throughput ranked the machine.
    speed = ranking["p50"].where(ranking["scenario"] == LATENCY, -ranking["inferences_per_s"])
    ordered = ranking.assign(
        _not_ok=~ok,
        _acc=acc_key.where(ok, 0.0).fillna(math.inf),
        _p50=speed.where(ok, math.inf).fillna(math.inf),
        _p90=ranking["p90"].fillna(math.inf),
    )
    ordered = ordered.sort_values(
        ["machine", "_not_ok", "_p50", "_acc", "_p90", "model"], kind="stable"
    )
    rank = ordered[~ordered["_not_ok"]].groupby("machine").cumcount() + 1
    ordered["rank"] = rank.reindex(ordered.index).astype("Int64")
    return ordered[RANKING_COLUMNS].reset_index(drop=True)


def pareto_front(ranking: pd.DataFrame, higher_is_better: bool | None = None) -> pd.DataFrame:
    """Per machine, the ok ranking rows with a cited accuracy that no other row dominates.

    A row is dominated when another is at least as fast and at least as accurate, and strictly
    better in one of the two. `higher_is_better` defaults to the ranking's `.attrs` (else True).
    Rows are returned fastest first per machine.
    """
    if higher_is_better is None:
        higher_is_better = ranking.attrs.get("higher_is_better", True)
    sign = 1.0 if higher_is_better else -1.0
    ok = ranking[(ranking["status"] == OK) & ranking["p50"].notna() & ranking["accuracy"].notna()]
    keep = []
    for _, group in ok.groupby("machine", sort=True):
        points = [
            (i, p50, sign * acc)
            for i, p50, acc in zip(group.index, group["p50"], group["accuracy"])
        ]
        for i, p50, acc in points:
            dominated = any(
                q_p50 <= p50 and q_acc >= acc and (q_p50 < p50 or q_acc > acc)
                for _, q_p50, q_acc in points
            )
            if not dominated:
                keep.append(i)
    front = ok.loc[keep].sort_values(["machine", "p50", "model"], kind="stable")
    front = front.reset_index(drop=True)
    front.attrs.update(ranking.attrs)
    return front
