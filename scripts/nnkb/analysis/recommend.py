"""The recommendation for a use case on each measured machine, as data.

The fastest candidate (its best ok runtime, see `ranking`) whose cited accuracy meets the use
case's floor wins; equal medians go to the better cited accuracy, then the lower p90, then the
model id. Without a floor in the KB the fastest candidate that ran is given. A Recommendation
holds the pick, every other candidate with the verdict on it, the pick's other runtimes and the
tie-breaks: everything a page needs to explain the choice, and no wording.

Only eligible rows compete (`precision`: FP32, or a reduced precision measured within the use
case's tolerance). The pick names the fast-path instruction sets it relied on (`needs`); when
it relied on any, `fallback` is the same choice made again from the rows that relied on none
(FP32, or INT8 measured on a plain AVX2 path): the answer for a CPU without them. Faster
reduced-precision rows that may not be recommended are kept with their figures (`not_within`).

A use case stating the throughput scenario is recommended by inferences per second where the
machine has throughput rows (`scenario`: "faster" then means a higher rate), with the
single-stream median beside; elsewhere by latency, with `scenario_fallback` set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nnkb.kb import KB

from ..codec import Json
from ..results import LATENCY, THROUGHPUT
from .frame import OK, best_ok, machines
from .precision import FP32, WITHIN, fp32_units, precision_frame
from .ranking import candidates_of, use_case_of, use_case_ranking
from .scenario import best_throughput, paired_frame

RECOMMENDED = "recommended"
NO_FLOOR = "no-floor"  # no floor in the KB: the fastest candidate that ran
NONE_MEETS_FLOOR = "none-meets-floor"
NO_CITED_ACCURACY = "no-cited-accuracy"
NOTHING_RAN_OK = "nothing-ran-ok"
NO_CANDIDATES = "no-candidates"

# Verdicts on a candidate that is not the pick.
SLOWER = "slower"  # eligible, but not faster than the pick
BELOW_FLOOR = "below-floor"
NO_CITED = "no-cited-accuracy"
DID_NOT_RUN = "did-not-run"

# Why the pick won over a candidate with the same median.
TIE_ACCURACY = "accuracy"
TIE_P90 = "p90"
TIE_MODEL_ID = "model-id"


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _opt(value: Any) -> Any:
    return None if value is None or value is pd.NA or pd.isna(value) else value


@dataclass(frozen=True)
class Candidate:
    """One candidate model on one machine: its best ok row, or why it has none."""

    model: str
    model_name: str
    status: str  # "ok", "not-benchmarked", "not-measured" or the row statuses joined by "/"
    reason: str | None
    runtime: str | None
    settings: str | None  # settings key of the best row (frame column `settings`)
    p50: float | None
    p90: float | None
    ci95_low: float | None
    ci95_high: float | None
    accuracy: float | None  # cited, in the ranking's accuracy unit
    meets_floor: bool | None
    precision: str | None = None  # as the best row's runtime read it back
    needs: tuple[str, ...] = ()  # fast-path instruction sets the best row relied on
    tolerance_value: float | None = None  # reduced precision: the value found within tolerance
    scenario: str = LATENCY  # what ranked it: p50 (latency) or inferences_per_s (throughput)
    inferences_per_s: float | None = None  # the throughput row's rate (or the twin's, beside)
    batch: int | None = None
    streams: int | None = None

    @property
    def ran(self) -> bool:
        return self.status == OK and self.speed is not None

    @property
    def speed(self) -> float | None:
        """Lower is faster: the median, or the rate negated under the throughput scenario."""
        if self.scenario == THROUGHPUT:
            return None if self.inferences_per_s is None else -self.inferences_per_s
        return self.p50


@dataclass(frozen=True)
class Alternative:
    """A candidate considered and not recommended on one machine, and why."""

    candidate: Candidate
    verdict: str  # SLOWER | BELOW_FLOOR | NO_CITED | DID_NOT_RUN
    faster: bool  # ran faster than the pick (only a candidate that is not eligible can)
    within_noise: bool  # slower, but the 95% confidence intervals overlap the pick's
    tie_break: str | None  # same median as the pick: what decided (TIE_* constants)

    @property
    def model(self) -> str:
        return self.candidate.model

    @property
    def runtime(self) -> str | None:
        return self.candidate.runtime

    @property
    def p50(self) -> float | None:
        return self.candidate.p50

    @property
    def accuracy(self) -> float | None:
        return self.candidate.accuracy


@dataclass(frozen=True)
class RuntimeTime:
    """The pick's model on another runtime (its fastest settings there)."""

    runtime: str
    settings: str
    p50: float | None  # single-stream median (of the throughput row's twin, if any)
    p90: float | None
    inferences_per_s: float | None = None  # throughput scenario: what ordered them


@dataclass(frozen=True)
class PrecisionMiss:
    """A reduced-precision row that ran faster than the pick but may not be recommended:
    its agreement or accuracy is not within the tolerance, or was not measured."""

    model: str
    runtime: str
    settings: str
    precision: str
    p50: float | None
    verdict: str  # precision.NOT_WITHIN | NOT_MEASURED | NO_TOLERANCE | RANDOM_WEIGHTS
    value: float | None  # the measured value the tolerance was checked on
    inferences_per_s: float | None = None  # throughput scenario: the rate that beat the pick


@dataclass(frozen=True)
class Recommendation:
    """What to run for a use case on one measured machine, with what the choice rests on."""

    use_case: str
    machine: str
    machine_label: str
    outcome: str
    pick: Candidate | None  # set when outcome is RECOMMENDED or NO_FLOOR
    candidates: tuple[Candidate, ...]  # every candidate, in ranking order
    alternatives: tuple[Alternative, ...]  # every candidate but the pick, in ranking order
    other_runtimes: tuple[RuntimeTime, ...]  # the pick's model on its other runtimes
    metric: str
    dataset: str
    higher_is_better: bool
    floor: float | None
    accuracy_unit: str | None
    tolerance_metric: str | None = None
    tolerance_threshold: float | None = None
    fallback: Candidate | None = None  # the pick for a CPU without the pick's `needs`
    not_within: tuple[PrecisionMiss, ...] = ()  # faster rows that may not be recommended
    fp32_units: tuple[str, ...] = ()  # the machine's widest FP32 vector units
    scenario: str = LATENCY  # what ranked this machine
    stated_scenario: str = LATENCY  # what the use case states
    # The use case states throughput, but the machine has no throughput rows of a candidate:
    # ranked by latency, and the page says so.
    scenario_fallback: bool = False

    @property
    def needs(self) -> tuple[str, ...]:
        """The fast-path instruction sets the pick relied on (empty: none beyond FP32's)."""
        return self.pick.needs if self.pick else ()

    @property
    def model(self) -> str | None:
        return self.pick.model if self.pick else None

    @property
    def runtime(self) -> str | None:
        return self.pick.runtime if self.pick else None

    @property
    def settings(self) -> str | None:
        return self.pick.settings if self.pick else None

    @property
    def p50(self) -> float | None:
        return self.pick.p50 if self.pick else None

    @property
    def accuracy(self) -> float | None:
        return self.pick.accuracy if self.pick else None

    @property
    def ran(self) -> list[Candidate]:
        return [c for c in self.candidates if c.ran]

    @property
    def fallback_times(self) -> float | None:
        """How many times the pick's median the fallback's takes (1.0: the same median);
        None without a fallback or without both medians."""
        if self.fallback is None or self.fallback.p50 is None or not self.p50:
            return None
        return 1.0 if self.fallback.p50 == self.p50 else self.fallback.p50 / self.p50

    def times_behind(self, mine: Candidate | RuntimeTime) -> float | None:
        """How far `mine` is behind the pick in the scenario that ranked the machine: its
        median over the pick's (latency), or the pick's rate over its rate (throughput).
        1.0 when the two figures are equal; None when one is missing."""
        pick = self.pick
        if pick is None:
            return None
        if self.scenario == THROUGHPUT:
            if mine.inferences_per_s == pick.inferences_per_s:
                return 1.0
            if not mine.inferences_per_s:
                return None
            return (pick.inferences_per_s or 0) / mine.inferences_per_s
        if mine.p50 == pick.p50:
            return 1.0
        return mine.p50 / pick.p50 if mine.p50 is not None and pick.p50 else None

    @property
    def qualifying(self) -> list[Candidate]:
        return [c for c in self.ran if c.meets_floor]


def recommend(kb: KB, frame: pd.DataFrame, use_case_id: str) -> list[Recommendation]:
    """For each measured machine, the fastest (model, runtime) whose cited accuracy meets the floor.

    One Recommendation per machine in `frame`, sorted by machine id; `outcome` says which case
    applied: RECOMMENDED, NO_FLOOR (the KB sets no floor; the fastest candidate that ran is
    given), NONE_MEETS_FLOOR, NO_CITED_ACCURACY, NOTHING_RAN_OK or NO_CANDIDATES.
    """
    use_case = use_case_of(kb, use_case_id)
    tolerance = use_case.precision_tolerance
    ranking = use_case_ranking(kb, frame, use_case_id)
    portable = use_case_ranking(kb, frame, use_case_id, portable=True)
    judged = {LATENCY: precision_frame(frame, use_case)}
    if use_case.scenario == THROUGHPUT:
        judged[THROUGHPUT] = precision_frame(paired_frame(frame), use_case, references=frame)
    ids = {m.id for m in candidates_of(kb, use_case_id)}
    attrs = dict(ranking.attrs)
    out = []
    for machine, label in machines(frame):
        rows = ranking[ranking["machine"] == machine]
        scenario = str(rows["scenario"].iloc[0]) if not rows.empty else LATENCY
        pool = judged[scenario]
        candidates = tuple(_candidate(r) for r in rows.itertuples())
        outcome, pick = _outcome(candidates, attrs["floor"])
        fallback = None
        if pick is not None and pick.needs:
            plain = portable[portable["machine"] == machine]
            fallback = _outcome(tuple(_candidate(r) for r in plain.itertuples()), attrs["floor"])[1]
        on_machine = pool[(pool["machine"] == machine) & pool["model"].isin(ids)]
        first = next((r for r in frame[frame["machine"] == machine].itertuples()), None)
        out.append(
            Recommendation(
                use_case=use_case_id,
                machine=machine,
                machine_label=label,
                outcome=outcome,
                pick=pick,
                candidates=candidates,
                alternatives=tuple(
                    _alternative(c, pick, outcome, attrs["higher_is_better"])
                    for c in candidates
                    if c is not pick
                ),
                # Only rows that may be recommended: a faster row not within the tolerance is
                # in not_within with its figures, not offered as another way to run the pick.
                other_runtimes=_other_runtimes(
                    pick, pool[(pool["machine"] == machine) & pool["eligible"]]
                ),
                metric=attrs["metric"],
                dataset=attrs["dataset"],
                higher_is_better=attrs["higher_is_better"],
                floor=attrs["floor"],
                accuracy_unit=attrs["accuracy_unit"],
                tolerance_metric=tolerance.metric if tolerance else None,
                tolerance_threshold=tolerance.threshold if tolerance else None,
                fallback=fallback,
                not_within=_misses(on_machine, pick, _eligible_models(candidates, attrs)),
                fp32_units=fp32_units(first.arch, first.isa_features) if first else (),
                scenario=scenario,
                stated_scenario=attrs["stated_scenario"],
                scenario_fallback=machine in attrs["fallback_machines"],
            )
        )
    return out


def _eligible_models(candidates: tuple[Candidate, ...], attrs: Json) -> set[str]:
    """The candidates a reduced-precision row could have won for: meeting the floor (every
    candidate when the KB sets none). A faster row of a model below the floor is beside the
    point: the model is out whatever its precision."""
    if attrs["floor"] is None:
        return {c.model for c in candidates}
    return {c.model for c in candidates if c.meets_floor}


def _misses(
    judged: pd.DataFrame, pick: Candidate | None, models: set[str]
) -> tuple[PrecisionMiss, ...]:
    """Reduced-precision ok rows of `models` that may not be recommended and ran faster than
    the pick (every such row when nothing is picked), fastest first."""
    rate = pick is not None and pick.scenario == THROUGHPUT
    measured = judged["inferences_per_s"] if rate else judged["p50"]
    ok = judged[(judged["status"] == OK) & measured.notna() & judged["model"].isin(models)]
    out = ok[~ok["verdict"].isin([FP32, WITHIN])]
    out = out.assign(_speed=-out["inferences_per_s"] if rate else out["p50"])
    if pick is not None and pick.speed is not None:
        out = out[out["_speed"] < pick.speed]
    out = out.sort_values(["_speed", "model", "runtime", "settings"], kind="stable")
    return tuple(
        PrecisionMiss(
            r.model,
            r.runtime,
            r.settings,
            str(r.precision_class),
            _num(r.p50),
            r.verdict,
            _num(r.tolerance_value),
            _num(r.inferences_per_s) if rate else None,
        )
        for r in out.itertuples()
    )


def _candidate(row: Any) -> Candidate:
    meets = row.meets_floor
    return Candidate(
        model=row.model,
        model_name=row.model_name,
        status=row.status,
        reason=_opt(row.reason),
        runtime=_opt(row.runtime),
        settings=_opt(row.settings),
        p50=_num(row.p50),
        p90=_num(row.p90),
        ci95_low=_num(row.ci95_low),
        ci95_high=_num(row.ci95_high),
        accuracy=_num(row.accuracy),
        meets_floor=None if meets is pd.NA or meets is None else bool(meets),
        precision=_opt(row.precision),
        needs=tuple(row.needs.split(";")) if isinstance(row.needs, str) and row.needs else (),
        tolerance_value=_num(row.tolerance_value),
        scenario=row.scenario,
        inferences_per_s=_num(row.inferences_per_s),
        batch=None if _opt(row.batch) is None else int(row.batch),
        streams=None if _opt(row.streams) is None else int(row.streams),
    )


def _outcome(
    candidates: tuple[Candidate, ...], floor: float | None
) -> tuple[str, Candidate | None]:
    ran = [c for c in candidates if c.ran]
    if not candidates:
        return NO_CANDIDATES, None
    if not ran:
        return NOTHING_RAN_OK, None
    if floor is None:
        return NO_FLOOR, ran[0]
    if all(c.accuracy is None for c in ran):
        return NO_CITED_ACCURACY, None
    qualifying = [c for c in ran if c.meets_floor]
    if not qualifying:
        return NONE_MEETS_FLOOR, None
    return RECOMMENDED, qualifying[0]


def _alternative(
    c: Candidate, pick: Candidate | None, outcome: str, higher_is_better: bool
) -> Alternative:
    if not c.ran:
        return Alternative(c, DID_NOT_RUN, False, False, None)
    eligible = outcome == NO_FLOOR or bool(c.meets_floor)
    mine, best = c.speed, pick.speed if pick else None
    faster = mine is not None and best is not None and mine < best
    if not eligible:
        verdict = NO_CITED if c.accuracy is None else BELOW_FLOOR
        return Alternative(c, verdict, faster, False, None)
    assert pick is not None and pick.speed is not None and c.speed is not None
    # A rate has no confidence interval: only medians can be within each other's noise.
    noise = pick.ci95_high if c.scenario == LATENCY else None
    within_noise = noise is not None and c.ci95_low is not None and c.ci95_low <= noise
    tie_break = None
    if outcome == RECOMMENDED and c.speed == pick.speed:
        if c.accuracy != pick.accuracy:
            tie_break = TIE_ACCURACY
        elif c.p90 != pick.p90 and c.p90 is not None:
            tie_break = TIE_P90
        else:
            tie_break = TIE_MODEL_ID
    return Alternative(c, SLOWER, False, within_noise, tie_break)


def _other_runtimes(pick: Candidate | None, machine_frame: pd.DataFrame) -> tuple[RuntimeTime, ...]:
    if pick is None:
        return ()
    model = machine_frame[machine_frame["model"] == pick.model]
    if pick.scenario == THROUGHPUT:
        others = best_throughput(model, ["runtime"])
        others = others.assign(_speed=-others["inferences_per_s"])
    else:
        others = best_ok(model, ["runtime"]).assign(_speed=lambda f: f["p50"])
    others = others[others["runtime"] != pick.runtime].sort_values(["_speed", "runtime"])
    return tuple(
        RuntimeTime(r.runtime, r.settings, _num(r.p50), _num(r.p90), _num(r.inferences_per_s))
        for r in others.itertuples()
    )
