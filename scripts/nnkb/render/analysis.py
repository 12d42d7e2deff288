"""Tables and recommendations computed from the KB and the results files.

Pure functions: the typed KB (`nnkb.kb.load_kb`) and parsed results files (dicts as in
`schemas/results.schema.json`) in, pandas DataFrames and dataclasses out. Every frame keeps raw
SI values (seconds, bytes, FLOP/s); strings for people are made only by the `format_*` helpers,
so the renderer decides presentation and tests compare numbers.

The rules the recommendation follows, stated once:
- a model's time on a machine is its best ok row: lowest median (p50) over runtimes and settings,
  ties broken by lower p90, then runtime name, then settings;
- a model qualifies when its cited accuracy for the use case's metric and dataset meets the
  use case's floor (>= when higher is better, <= otherwise); uncited models never qualify;
- the fastest qualifying model wins; equal medians go to the better cited accuracy, then the
  lower p90, then the model id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nnkb.kb import KB, Accuracy, Claim, Model, UseCase

BASELINE_RUNTIME = "onnxruntime"
OK = "ok"

# fmt: off
RESULT_COLUMNS = [
    "machine", "machine_label", "hardware", "model", "runtime", "runtime_version", "settings",
    "status", "reason", "p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "n", "converged",
    "throughput", "peak_fraction", "achieved_flops", "peak_flops", "session_create_s",
    "first_inference_s", "peak_rss_bytes", "model_file_bytes", "parameters", "macs", "precision",
    "max_abs_error", "max_rel_error", "top1_agree", "measured_at", "processes", "process_spread",
]
_FLOAT_COLUMNS = [
    "p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "throughput", "peak_fraction",
    "achieved_flops", "peak_flops", "session_create_s", "first_inference_s", "max_abs_error",
    "max_rel_error", "process_spread",
]
# fmt: on
_INT_COLUMNS = ["n", "peak_rss_bytes", "model_file_bytes", "parameters", "macs", "processes"]
_BOOL_COLUMNS = ["converged", "top1_agree"]

# fmt: off
RANKING_COLUMNS = [
    "machine", "machine_label", "model", "model_name", "rank", "runtime", "runtime_version",
    "settings", "status", "reason", "p50", "p90", "ci95_low", "ci95_high", "process_spread",
    "accuracy", "accuracy_unit", "meets_floor",
]
# fmt: on


# --- loading ---------------------------------------------------------------------------------


def settings_key(settings: Mapping[str, Any] | None) -> str:
    """A stable one-line form of a row's runtime settings: `a=1, b=x`, keys sorted."""
    if not settings:
        return ""

    def value(v: Any) -> str:
        return v if isinstance(v, str) else json.dumps(v, sort_keys=True)

    return ", ".join(f"{k}={value(settings[k])}" for k in sorted(settings))


def _as_mapping(results_file: Any) -> Mapping[str, Any]:
    # The renderer passes parsed dicts; nnkb.results.ResultsFile objects work too.
    if isinstance(results_file, Mapping):
        return results_file
    return {"machine": results_file.machine, "rows": results_file.rows}


def results_frame(results: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per result row of every results file, sorted by machine, model, runtime, settings.

    `results` are parsed results files (dicts as in results.schema.json). Columns are
    RESULT_COLUMNS; `throughput` is 1/p50 (single-stream inferences per second) and
    `peak_flops` the machine's measured FP32 peak. Missing numbers are NaN/NA.
    """
    records = []
    for data in results:
        data = _as_mapping(data)
        machine = data["machine"]
        peak = (machine.get("peak") or {}).get("fp32_flops")
        for row in data.get("rows", []):
            lat = row.get("latency") or {}
            agree = row.get("agreement") or {}
            p50 = lat.get("p50")
            records.append(
                {
                    "machine": machine["id"],
                    "machine_label": machine.get("label") or machine["id"],
                    "hardware": machine.get("hardware"),
                    "model": row["model"],
                    "runtime": row["runtime"],
                    "runtime_version": row.get("runtime_version"),
                    "settings": settings_key(row.get("settings")),
                    "status": row["status"],
                    "reason": row.get("reason"),
                    **{
                        k: lat.get(k)
                        for k in (
                            "p50",
                            "p90",
                            "p99",
                            "mean",
                            "ci95_low",
                            "ci95_high",
                            "n",
                            "converged",
                        )
                    },
                    "throughput": 1.0 / p50 if p50 else None,
                    "peak_fraction": row.get("peak_fraction"),
                    "achieved_flops": row.get("achieved_flops"),
                    "peak_flops": peak,
                    **{
                        k: row.get(k)
                        for k in (
                            "session_create_s",
                            "first_inference_s",
                            "peak_rss_bytes",
                            "model_file_bytes",
                            "parameters",
                            "macs",
                            "precision",
                        )
                    },
                    "max_abs_error": agree.get("max_abs_error"),
                    "max_rel_error": agree.get("max_rel_error"),
                    "top1_agree": agree.get("top1_agree"),
                    "measured_at": row.get("measured_at"),
                    # Worker processes that measured the row (the latency is the faster's).
                    "processes": sum("p50" in e for e in row.get("processes") or []) or None,
                    "process_spread": row.get("process_spread"),
                }
            )
    frame = pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)
    for col in _FLOAT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in _INT_COLUMNS:
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    for col in _BOOL_COLUMNS:
        frame[col] = pd.array(frame[col].tolist(), dtype="boolean")
    frame = frame.sort_values(["machine", "model", "runtime", "settings"], kind="stable")
    return frame.reset_index(drop=True)


def _machines(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(id, label) of every machine in the frame, sorted by id."""
    pairs = frame[["machine", "machine_label"]].drop_duplicates("machine")
    return sorted(pairs.itertuples(index=False, name=None))


def _best_ok(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The fastest ok row per `keys` group (ties: p90, runtime, settings)."""
    ok = frame[(frame["status"] == OK) & frame["p50"].notna()]
    order = ok.sort_values(keys + ["p50", "p90", "runtime", "settings"], kind="stable")
    return order.drop_duplicates(keys, keep="first").reset_index(drop=True)


# --- accuracy ----------------------------------------------------------------------------------


def _use_case(kb: KB, use_case_id: str) -> UseCase:
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


def use_case_ranking(kb: KB, frame: pd.DataFrame, use_case_id: str) -> pd.DataFrame:
    """Per measured machine, every candidate model of the use case with its best ok runtime.

    Ok models come first on each machine, fastest first (`rank` 1, 2, ...; equal medians go to
    the better cited accuracy, then lower p90, then model id); then models without an ok row,
    by id, with `status` "not-benchmarked" (no ONNX file), "not-measured" (no rows on this
    machine) or the statuses of their rows joined by "/" and a `reason` per runtime. `accuracy`
    is the cited value for the use case's metric and dataset in `accuracy_unit` (the floor's
    unit), NaN when not cited; `meets_floor` is NA when either side is missing. The use case's
    metric, dataset, direction and floor are in `.attrs`.
    """
    use_case = _use_case(kb, use_case_id)
    higher = bool(use_case.accuracy_metric["higher_is_better"])
    floor = use_case.accuracy_floor
    candidates = sorted(kb.models_for(use_case_id), key=lambda m: m.id)
    cited = {m.id: cited_accuracy(m, use_case) for m in candidates}
    unit = _target_unit(use_case, cited.values())
    best = _best_ok(frame, ["machine", "model"]).set_index(["machine", "model"])

    records = []
    for machine, label in _machines(frame):
        rows = frame[frame["machine"] == machine]
        for model in candidates:
            acc = cited[model.id]
            value = _convert(acc.value, acc.unit, unit) if acc else None
            record = {
                "machine": machine,
                "machine_label": label,
                "model": model.id,
                "model_name": model.name,
                "accuracy": value,
                "accuracy_unit": unit,
                "meets_floor": _meets(value, floor.value if floor else None, higher),
            }
            if (machine, model.id) in best.index:
                hit = best.loc[(machine, model.id)]
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
                        )
                    }
                )
                record.update(status=OK, reason=None)
            else:
                record.update(_why_not_ok(model, rows[rows["model"] == model.id]))
            records.append(record)

    ranking = pd.DataFrame.from_records(records, columns=RANKING_COLUMNS)
    for col in ("p50", "p90", "ci95_low", "ci95_high", "process_spread", "accuracy"):
        ranking[col] = pd.to_numeric(ranking[col], errors="coerce").astype("float64")
    ranking["meets_floor"] = pd.array(ranking["meets_floor"].tolist(), dtype="boolean")
    ranking = _sort_ranking(ranking, higher)
    ranking.attrs.update(
        use_case=use_case_id,
        metric=use_case.accuracy_metric["metric"],
        dataset=use_case.accuracy_metric["dataset"],
        higher_is_better=higher,
        floor=floor.value if floor else None,
        accuracy_unit=unit,
    )
    return ranking


def _why_not_ok(model: Model, rows: pd.DataFrame) -> dict[str, Any]:
    if rows.empty:
        spec = model.onnx
        if spec is None or not spec.benchmark:
            reason = model.data.get("not_benchmarked_reason") or "no ONNX file to benchmark"
            return {"status": "not-benchmarked", "reason": reason}
        return {"status": "not-measured", "reason": "no results for this model on this machine"}
    statuses = sorted(set(rows["status"]))
    parts = [
        f"{r.runtime} {r.status}" + (f": {r.reason}" if isinstance(r.reason, str) else "")
        for r in rows.itertuples()
    ]
    return {"status": "/".join(statuses), "reason": "; ".join(parts)}


def _sort_ranking(ranking: pd.DataFrame, higher: bool) -> pd.DataFrame:
    ok = ranking["status"] == OK
    acc_key = -ranking["accuracy"] if higher else ranking["accuracy"]
    ordered = ranking.assign(
        _not_ok=~ok,
        _acc=acc_key.where(ok, 0.0).fillna(math.inf),
        _p50=ranking["p50"].where(ok, math.inf),
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


# --- recommendation ---------------------------------------------------------------------------

RECOMMENDED = "recommended"
NO_FLOOR = "no-floor"  # no floor in the KB: the fastest candidate that ran
NONE_MEETS_FLOOR = "none-meets-floor"
NO_CITED_ACCURACY = "no-cited-accuracy"
NOTHING_RAN_OK = "nothing-ran-ok"
NO_CANDIDATES = "no-candidates"


@dataclass(frozen=True)
class Alternative:
    """A candidate considered and not recommended on one machine, and why."""

    model: str
    runtime: str | None
    p50: float | None
    accuracy: float | None
    verdict: str  # "slower" | "below-floor" | "no-cited-accuracy" | "did-not-run"
    note: str  # one sentence with the numbers


@dataclass(frozen=True)
class Recommendation:
    """What to run for a use case on one measured machine, with the reasoning in full."""

    machine: str
    model: str | None  # None unless outcome is "recommended" or "no-floor"
    runtime: str | None
    p50: float | None  # seconds
    accuracy: float | None  # cited, in accuracy_unit
    floor: float | None
    reasoning: str
    alternatives: tuple[Alternative, ...]
    outcome: str
    machine_label: str
    use_case: str
    settings: str | None
    accuracy_unit: str | None


@dataclass
class _Phrases:
    """The use case's wording and numbers, shared by every sentence of a reasoning."""

    use_case: UseCase
    attrs: dict[str, Any]

    def acc(self, value: float) -> str:
        return format_accuracy(value, self.attrs["accuracy_unit"])

    @property
    def metric(self) -> str:
        return self.attrs["metric"]

    @property
    def dataset(self) -> str:
        return self.attrs["dataset"]

    @property
    def floor(self) -> str:
        op = "≥" if self.attrs["higher_is_better"] else "≤"
        return f"{op} {self.acc(self.attrs['floor'])}"

    def not_eligible(self, row: Any) -> str:
        if _missing(row.accuracy):
            return f"it has no cited {self.metric} on {self.dataset}"
        return f"its cited {self.metric} of {self.acc(row.accuracy)} does not meet the floor"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _truthy(value: Any) -> bool:
    return not _missing(value) and bool(value)


def _who(row: Any) -> str:
    return f"{row.model} on {row.runtime}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def recommend(kb: KB, frame: pd.DataFrame, use_case_id: str) -> list[Recommendation]:
    """For each measured machine, the fastest (model, runtime) whose cited accuracy meets the floor.

    One Recommendation per machine in `frame`, sorted by machine id; `outcome` says which case
    applied (see the module docstring for the rules): "recommended", "no-floor" (the KB sets no
    floor; the fastest candidate that ran is given), "none-meets-floor", "no-cited-accuracy",
    "nothing-ran-ok" or "no-candidates". `reasoning` explains it in sentences with the numbers.
    """
    use_case = _use_case(kb, use_case_id)
    ranking = use_case_ranking(kb, frame, use_case_id)
    words = _Phrases(use_case, dict(ranking.attrs))
    return [
        _recommend_on(
            words,
            machine,
            label,
            ranking[ranking["machine"] == machine],
            frame[frame["machine"] == machine],
        )
        for machine, label in _machines(frame)
    ]


def _recommend_on(
    words: _Phrases, machine: str, label: str, rows: pd.DataFrame, machine_frame: pd.DataFrame
) -> Recommendation:
    name = words.use_case.name
    ran = rows[rows["status"] == OK]
    qualifying = ran[ran["meets_floor"].fillna(False).astype(bool)]
    pick = None
    if rows.empty:
        outcome = NO_CANDIDATES
        lead = [
            (
                f"The KB lists no candidate models for {name}, so there is nothing to compare "
                f"on {label}."
            )
        ]
    elif ran.empty:
        outcome = NOTHING_RAN_OK
        lead = [
            (
                f"On {label}, none of the {len(rows)} candidate models for {name} ran "
                "successfully, so nothing is recommended."
            )
        ]
    elif words.attrs["floor"] is None:
        outcome, pick = NO_FLOOR, next(ran.itertuples())
        lead = [
            (
                f"The KB sets no accuracy floor for {name}, so on {label} the recommendation is "
                f"simply the fastest candidate that ran: {_who(pick)} at "
                f"{_latency_with_ci(pick)}."
            ),
            f"Its cited {words.metric} on {words.dataset} is {words.acc(pick.accuracy)}."
            if not _missing(pick.accuracy)
            else f"It has no cited {words.metric} on {words.dataset}.",
        ]
    elif ran["accuracy"].isna().all():
        outcome = NO_CITED_ACCURACY
        lead = [
            (
                f"On {label}, {len(ran)} candidate model(s) for {name} ran, but none has a cited "
                f"{words.metric} on {words.dataset}, so none can be checked against the floor "
                "and nothing is recommended."
            )
        ]
    elif qualifying.empty:
        outcome = NONE_MEETS_FLOOR
        lead = [
            (
                f"On {label}, none of the {len(ran)} candidate models for {name} that ran "
                f"successfully has a cited {words.metric} {words.floor} on {words.dataset}, so "
                "nothing is recommended for this machine."
            )
        ]
    else:
        outcome, pick = RECOMMENDED, next(qualifying.itertuples())
        listing = _join([f"{r.model} ({words.acc(r.accuracy)})" for r in qualifying.itertuples()])
        verb = "has" if len(qualifying) == 1 else "have"
        lead = [
            (
                f"On {label}, {len(qualifying)} of the {len(rows)} candidate models for {name} "
                f"ran successfully and {verb} a cited {words.metric} {words.floor} on "
                f"{words.dataset}: {listing}."
            ),
            f"{_who(pick)} is the fastest of them at {_latency_with_ci(pick)}.",
        ]
        lead += _tie_sentences(words, pick, qualifying)
    if pick is not None:
        lead += _other_runtimes_sentence(pick, machine_frame)
        pool = qualifying if outcome == RECOMMENDED else ran
        lead += _slower_sentence(
            pick, pool, "that meet the floor" if outcome == RECOMMENDED else "that ran"
        )

    alternatives = []
    for row in rows.itertuples():
        if pick is not None and row.Index == pick.Index:
            continue
        alternatives.append(_alternative(words, row, pick, outcome))
    sentences = lead + [
        a.note for a in alternatives if a.verdict in ("below-floor", "no-cited-accuracy")
    ]
    not_ran = [a.note for a in alternatives if a.verdict == "did-not-run"]
    if not_ran:
        sentences.append("Without an ok run on this machine: " + "; ".join(not_ran) + ".")
    floor_cited = words.use_case.accuracy_floor
    if floor_cited is not None and outcome != NO_CANDIDATES:
        sentences.append(f"The floor ({words.floor}) is from {floor_cited.source.title}.")
    return Recommendation(
        machine=machine,
        model=pick.model if pick else None,
        runtime=pick.runtime if pick else None,
        p50=float(pick.p50) if pick else None,
        accuracy=None if pick is None or _missing(pick.accuracy) else float(pick.accuracy),
        floor=words.attrs["floor"],
        reasoning=" ".join(sentences),
        alternatives=tuple(alternatives),
        outcome=outcome,
        machine_label=label,
        use_case=words.use_case.id,
        settings=pick.settings if pick else None,
        accuracy_unit=words.attrs["accuracy_unit"],
    )


def _latency_with_ci(row: Any) -> str:
    text = f"{format_latency(row.p50)} median latency"
    if not (_missing(row.ci95_low) or _missing(row.ci95_high)):
        text += f" (95% CI {format_latency(row.ci95_low)} to {format_latency(row.ci95_high)})"
    return text


def _tie_sentences(words: _Phrases, pick: Any, qualifying: pd.DataFrame) -> list[str]:
    out = []
    for row in qualifying.itertuples():
        if row.Index == pick.Index or row.p50 != pick.p50:
            continue
        if row.accuracy != pick.accuracy:
            better = "higher" if words.attrs["higher_is_better"] else "lower"
            why = (
                f"its cited {words.metric} is {better} ({words.acc(pick.accuracy)} against "
                f"{words.acc(row.accuracy)})"
            )
        elif row.p90 != pick.p90 and not _missing(row.p90):
            why = (
                f"its p90 latency is lower ({format_latency(pick.p90)} against "
                f"{format_latency(row.p90)})"
            )
        else:
            why = "of the alphabetical order of model ids, the last tie-break"
        out.append(
            f"{_who(row)} has the same median latency; {pick.model} is preferred because {why}."
        )
    return out


def _other_runtimes_sentence(pick: Any, machine_frame: pd.DataFrame) -> list[str]:
    others = _best_ok(machine_frame[machine_frame["model"] == pick.model], ["runtime"])
    others = others[others["runtime"] != pick.runtime].sort_values(["p50", "runtime"])
    if others.empty:
        return []
    parts = []
    for r in others.itertuples():
        how = _slower(r.p50, pick.p50)
        if r.p50 == pick.p50 and not _missing(r.p90):
            # The ranking broke this tie on p90; say so, or the choice looks arbitrary.
            how += f", but a higher p90 of {format_latency(r.p90)} against "
            how += format_latency(pick.p90)
        parts.append(f"{r.runtime} at {format_latency(r.p50)} ({how})")
    return [f"{pick.model} also ran on {_join(parts)}."]


def _slower(p50: float, reference: float) -> str:
    return "same median" if p50 == reference else f"{format_ratio(p50 / reference)} slower"


def _slower_sentence(pick: Any, pool: pd.DataFrame, which: str) -> list[str]:
    parts = []
    for row in pool.itertuples():
        if row.Index == pick.Index or row.p50 == pick.p50:
            continue
        part = f"{_who(row)} is {_slower(row.p50, pick.p50)} at {format_latency(row.p50)}"
        if (
            not _missing(pick.ci95_high)
            and not _missing(row.ci95_low)
            and (row.ci95_low <= pick.ci95_high)
        ):
            part += (
                " (the 95% confidence intervals overlap, so this gap is within measurement noise)"
            )
        parts.append(part)
    return [f"Of the others {which}, {_join(parts)}."] if parts else []


def _alternative(words: _Phrases, row: Any, pick: Any, outcome: str) -> Alternative:
    accuracy = None if _missing(row.accuracy) else float(row.accuracy)
    if row.status != OK:
        if row.status == "not-benchmarked":
            why = f"not benchmarked: {row.reason.rstrip('.')}"
        else:
            why = row.reason
        if _truthy(row.meets_floor):
            why += f"; its cited {words.metric} of {words.acc(row.accuracy)} meets the floor"
        return Alternative(row.model, None, None, accuracy, "did-not-run", f"{row.model} ({why})")
    eligible = outcome == NO_FLOOR or _truthy(row.meets_floor)
    if eligible:
        if row.p50 == pick.p50:
            note = f"{_who(row)} has the same median latency ({format_latency(row.p50)})."
        else:
            note = f"{_who(row)} is {_slower(row.p50, pick.p50)} at {format_latency(row.p50)}."
        return Alternative(row.model, row.runtime, float(row.p50), accuracy, "slower", note)
    faster = pick is not None and row.p50 < pick.p50
    lead = (
        f"is faster at {format_latency(row.p50)}"
        if faster
        else (f"ran at {format_latency(row.p50)}")
    )
    verdict = "no-cited-accuracy" if accuracy is None else "below-floor"
    note = f"{_who(row)} {lead}, but {words.not_eligible(row)}."
    return Alternative(row.model, row.runtime, float(row.p50), accuracy, verdict, note)


@dataclass(frozen=True)
class HardwareOutlook:
    """What the KB says about running a use case on one hardware class."""

    hardware: str
    name: str
    category: str | None
    measured: bool  # whether a machine of this class is in the results
    machines: tuple[str, ...]  # labels of the measured machines of this class
    notes: tuple[Claim, ...]  # the use case's hardware_notes for this class
    runtimes: tuple[str, ...]  # kb/frameworks ids that target this class and run ONNX files
    benchmarked_runtimes: tuple[str, ...]  # the subset that has a benchmark adapter


def hardware_outlook(
    kb: KB, use_case_id: str, frame: pd.DataFrame | None = None
) -> list[HardwareOutlook]:
    """For every hardware class (KB order by id), the use case's notes and the ONNX runtimes.

    Classes named only in the use case's hardware_notes are included too. With `frame`, each
    entry says whether (and on which machines) the class was measured, so a page can show
    "what changes elsewhere" for the classes that were not.
    """
    use_case = _use_case(kb, use_case_id)
    notes: dict[str, list[Claim]] = {}
    for hardware, claim in use_case.hardware_notes:
        notes.setdefault(hardware, []).append(claim)
    measured: dict[str, list[str]] = {}
    if frame is not None and not frame.empty:
        for hardware, label in _machines_by_hardware(frame):
            measured.setdefault(hardware, []).append(label)
    outlook = []
    for hardware in sorted(set(kb.hardware) | set(notes)):
        entry = kb.hardware.get(hardware)
        runtimes = sorted(
            f.id
            for f in kb.frameworks.values()
            if hardware in f.hardware and f.data["onnx"]["runs"]
        )
        outlook.append(
            HardwareOutlook(
                hardware=hardware,
                name=entry.name if entry else hardware,
                category=entry.category if entry else None,
                measured=hardware in measured,
                machines=tuple(measured.get(hardware, [])),
                notes=tuple(notes.get(hardware, [])),
                runtimes=tuple(runtimes),
                benchmarked_runtimes=tuple(
                    r for r in runtimes if kb.frameworks[r].benchmark_adapters
                ),
            )
        )
    return outlook


def _machines_by_hardware(frame: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = frame[["hardware", "machine", "machine_label"]].dropna(subset=["hardware"])
    pairs = pairs.drop_duplicates("machine").sort_values("machine")
    return list(zip(pairs["hardware"], pairs["machine_label"]))


# --- runtimes and machines ---------------------------------------------------------------------

# fmt: off
SPEEDUP_COLUMNS = [
    "machine", "machine_label", "model", "runtime", "runtime_version", "settings", "p50",
    "baseline_p50", "speedup", "precision", "max_abs_error", "max_rel_error", "top1_agree",
]
# fmt: on


def runtime_speedups(frame: pd.DataFrame, baseline: str = BASELINE_RUNTIME) -> pd.DataFrame:
    """Per machine, model and runtime (best ok row), the speed-up over the baseline runtime.

    `speedup` = baseline_p50 / p50 (above 1: faster than the baseline), NaN when the baseline
    has no ok row for that model on that machine. The baseline's own rows are kept (1.0) so a
    chart shows the reference. Agreement columns compare outputs with the reference runtime.
    """
    best = _best_ok(frame, ["machine", "model", "runtime"])
    base = best[best["runtime"] == baseline][["machine", "model", "p50"]]
    out = best.merge(
        base.rename(columns={"p50": "baseline_p50"}), on=["machine", "model"], how="left"
    )
    out["speedup"] = out["baseline_p50"] / out["p50"]
    out = out.sort_values(["machine", "model", "runtime"], kind="stable")
    out = out[SPEEDUP_COLUMNS].reset_index(drop=True)
    out.attrs["baseline"] = baseline
    return out


# fmt: off
FAILURE_COLUMNS = [
    "runtime", "runtime_version", "machine", "machine_label", "model", "settings", "status",
    "reason", "measured_at",
]
# fmt: on


def load_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Every row that is not ok: which models each runtime could not load or run, and why."""
    failed = frame[frame["status"] != OK]
    failed = failed.sort_values(["runtime", "machine", "model", "settings"], kind="stable")
    return failed[FAILURE_COLUMNS].reset_index(drop=True)


# fmt: off
EFFICIENCY_COLUMNS = [
    "machine", "model", "runtime", "settings", "p50", "parameters", "macs", "flops",
    "achieved_flops", "achieved_gflops", "peak_flops", "peak_fraction", "peak_percent",
    "flops_per_weight_byte",
]
# fmt: on


def machine_efficiency(frame: pd.DataFrame, machine_id: str) -> pd.DataFrame:
    """Per model and runtime on one machine (best ok row), how much of the measured peak it uses.

    `flops` = 2 x MACs per inference; `achieved_flops` = flops / p50 (FLOP/s, as the results
    file has it when present); `peak_percent` = 100 x achieved / measured FP32 peak.
    `flops_per_weight_byte` = flops / (4 x parameters): FLOPs per byte of FP32 weights. It counts
    weight traffic only, not activations, so it is an upper bound on the real arithmetic
    intensity; it is what the roofline chart's x axis shows.
    """
    rows = frame[frame["machine"] == machine_id]
    if rows.empty:
        valid = ", ".join(sorted(frame["machine"].unique())) or "none"
        raise KeyError(f"no results for machine {machine_id!r}; machines with results: {valid}")
    best = _best_ok(rows, ["model", "runtime"])
    out = best.assign(flops=2.0 * best["macs"].astype("float64"))
    out["achieved_flops"] = out["achieved_flops"].fillna(out["flops"] / out["p50"])
    out["achieved_gflops"] = out["achieved_flops"] / 1e9
    out["peak_fraction"] = (out["achieved_flops"] / out["peak_flops"]).fillna(out["peak_fraction"])
    out["peak_percent"] = 100.0 * out["peak_fraction"]
    weight_bytes = 4.0 * out["parameters"].astype("float64")
    out["flops_per_weight_byte"] = (out["flops"] / weight_bytes).where(weight_bytes > 0)
    out = out.sort_values(["model", "runtime"], kind="stable")[EFFICIENCY_COLUMNS]
    out = out.reset_index(drop=True)
    out.attrs.update(machine=machine_id, peak_flops=float(rows["peak_flops"].iloc[0]))
    return out


# --- formatting for people -----------------------------------------------------------------------


def _sig(value: float, digits: int = 3) -> str:
    """`value` with `digits` significant figures, without exponent for ordinary magnitudes."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def format_latency(seconds: float | None) -> str:
    """Seconds as µs, ms or s with three significant figures: `850 µs`, `12.3 ms`, `1.20 s`."""
    if _missing(seconds):
        return "–"
    if seconds < 1e-3:
        return f"{_sig(seconds * 1e6)} µs"
    if seconds < 1:
        return f"{_sig(seconds * 1e3)} ms"
    return f"{_sig(seconds)} s"


def format_ratio(ratio: float | None) -> str:
    """A speed ratio: `0.75x`, `1.8x`, `12x`."""
    if _missing(ratio):
        return "–"
    if ratio < 1:
        return f"{ratio:.2f}x"
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def format_accuracy(value: float | None, unit: str | None = None) -> str:
    """A cited accuracy as written: `0.92`, `76.1 %`."""
    if _missing(value):
        return "not cited"
    return f"{value:g} %" if unit == "%" else f"{value:g}"


def format_flops(flops_per_s: float | None) -> str:
    """FLOP/s in GFLOP/s: `12.3 GFLOP/s`."""
    return "–" if _missing(flops_per_s) else f"{_sig(flops_per_s / 1e9)} GFLOP/s"


def format_percent(fraction: float | None) -> str:
    """A fraction as a percentage: `12.3 %`."""
    return "–" if _missing(fraction) else f"{_sig(fraction * 100)} %"


def format_bytes(n: float | None) -> str:
    """Bytes in decimal units: `44.0 MB`."""
    if _missing(n):
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{_sig(n / scale)} {unit}"
    return f"{int(n)} B"


def format_ranking(ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranking as strings with column headers for a page table (one machine or several)."""
    metric = ranking.attrs.get("metric", "accuracy")
    unit = ranking.attrs.get("accuracy_unit")
    return pd.DataFrame(
        {
            "Machine": ranking["machine_label"],
            "Model": ranking["model"],
            "Runtime": ranking["runtime"].fillna("–"),
            "Median latency": ranking["p50"].map(format_latency),
            "95% CI": [
                f"{format_latency(lo)} – {format_latency(hi)}" if not _missing(lo) else "–"
                for lo, hi in zip(ranking["ci95_low"], ranking["ci95_high"])
            ],
            metric: ranking["accuracy"].map(lambda v: format_accuracy(v, unit)),
            "Meets floor": ranking["meets_floor"].map(
                lambda v: "–" if _missing(v) else ("yes" if v else "no")
            ),
            "Status": [
                s if s == OK else f"{s}: {r}" for s, r in zip(ranking["status"], ranking["reason"])
            ],
        }
    )


def format_speedups(speedups: pd.DataFrame) -> pd.DataFrame:
    """The runtime speed-ups as strings for a page table."""
    return pd.DataFrame(
        {
            "Machine": speedups["machine_label"],
            "Model": speedups["model"],
            "Runtime": speedups["runtime"],
            "Median latency": speedups["p50"].map(format_latency),
            f"Speed-up over {speedups.attrs.get('baseline', BASELINE_RUNTIME)}": speedups[
                "speedup"
            ].map(format_ratio),
            "Max abs. error": speedups["max_abs_error"].map(
                lambda v: "–" if _missing(v) else f"{v:.2g}"
            ),
            "Top-1 agrees": speedups["top1_agree"].map(
                lambda v: "–" if _missing(v) else ("yes" if v else "no")
            ),
        }
    )


def format_efficiency(efficiency: pd.DataFrame) -> pd.DataFrame:
    """The machine-efficiency table as strings for a page table."""
    return pd.DataFrame(
        {
            "Model": efficiency["model"],
            "Runtime": efficiency["runtime"],
            "Median latency": efficiency["p50"].map(format_latency),
            "Achieved": efficiency["achieved_flops"].map(format_flops),
            "Of measured peak": efficiency["peak_fraction"].map(format_percent),
            "FLOPs per FP32 weight byte": efficiency["flops_per_weight_byte"].map(
                lambda v: "–" if _missing(v) else _sig(v)
            ),
        }
    )
