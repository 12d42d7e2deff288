"""Use case page sections computed from the measurements: the recommendation (near the top),
the candidates ranked per machine, the accuracy-latency Pareto front and what changes on other
hardware classes. The logic is in nnkb.analysis; this module only words and lays it out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ... import analysis
from ...analysis.pipeline import PipelineTimes
from ...analysis.precision import RANDOM_WEIGHTS
from ...kb import UseCase
from ...results import LATENCY, THROUGHPUT
from ..sections.reasoning import reasoning
from ..sections.throughput import NO_RATE, RATE_HEADER, figure, ranking_rate, rate_text
from ..shared import charts
from ..shared.cells import (
    ci_cell,
    hardware_of,
    is_reduced_precision,
    latency_cell,
    machine_label,
    machine_link,
    machine_short,
    model_link,
    provenance,
    runtime_link,
    runtime_precision,
    settings_cell,
    status_cell,
    throughput_cell,
)
from ..shared.names import status_words
from ..shared.numbers import format_accuracy, format_latency, format_ratio
from ..shared.page import METHODOLOGY_PATH, Page, bullet_list
from ..shared.precision_words import (
    features_text,
    metric_value,
    metric_words,
    miss_note,
    precision_label,
    tolerance_text,
)
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline, escape_plain, folded, indent

NOT_MEASURED = (
    "*No machine has been measured yet: the recommendation is computed from `nnkb bench` "
    "results, so run it and rebuild the site.*"
)
_ADMONITION = {analysis.RECOMMENDED: "success", analysis.NO_FLOOR: "success"}


def _ranking(page: Page, use_case: UseCase, scenario: str | None = None) -> pd.DataFrame:
    """The use case's ranking by the scenario it states (or `scenario`), from both
    scenarios' rows: throughput rows pair with their latency twins there, never in a latency
    view."""
    return analysis.use_case_ranking(page.kb, page.site.all_frame, use_case.id, scenario=scenario)


def _accuracy_cell(page: Page, use_case: UseCase, model_id: str, value: Any, unit: Any) -> Md:
    if value is None or pd.isna(value):
        return Md("not cited")
    model = page.kb.models.get(model_id)
    cited = analysis.cited_accuracy(model, use_case) if model else None
    note = page.cite(cited.source) if cited else ""
    return Md(escape_inline(format_accuracy(value, unit)) + note)


def _floor_text(page: Page, use_case: UseCase) -> str:
    floor = use_case.accuracy_floor
    if floor is None:
        return "no floor"
    op = "≥" if use_case.accuracy_metric["higher_is_better"] else "≤"
    value = format_accuracy(floor.value, floor.unit)
    return f"{op} {escape_inline(value)}{page.cite(floor.source, floor.note)}"


# --- recommendation ------------------------------------------------------------------------


def _pick_title(page: Page, use_case: UseCase, rec: analysis.Recommendation) -> str:
    where = machine_short(page, rec.machine)
    machine = page.site.machines.get(rec.machine)
    hardware = machine.hardware_class if machine else None
    if hardware and hardware in page.kb.hardware:
        where += f" ({page.kb.hardware[hardware].name})"
    if rec.model is None:
        return f"{where}: nothing recommended"
    model = page.kb.models.get(rec.model)
    name = model.display_name if model else rec.model
    precision = rec.pick.precision if rec.pick else None
    per = "" if rec.scenario == THROUGHPUT else " per inference"
    caveats = "; ".join(headline_caveats(page, rec))
    return (
        f"{where}: {name} on {runtime_precision(page, rec.runtime or '', precision)}, "
        f"{figure(rec)}{per}" + (f" ({caveats})" if caveats else "")
    )


# A pick whose two worker processes differ by more than this says so in its headline.
HEADLINE_SPREAD = 0.10


def headline_caveats(page: Page, rec: analysis.Recommendation) -> list[str]:
    """What a recommendation's headline must not leave out: how many of the candidates were
    measured on the machine, a tie within the 95 % intervals (the body says which rule broke
    it), and a run-to-run spread over HEADLINE_SPREAD."""
    out = []
    measured = sum(1 for c in rec.candidates if c.ran)
    out.append(f"{measured} of {len(rec.candidates)} candidates measured here")
    pick = rec.pick
    if pick is not None:
        tied = [a.candidate.model_name for a in rec.alternatives if a.tie_break or a.within_noise]
        # The pick's model on another runtime whose median falls inside the pick's interval.
        low, high = pick.ci95_low, pick.ci95_high
        tied += [
            f"{pick.model_name} on {page.site.names.runtime(r.runtime)}"
            for r in rec.other_runtimes
            if rec.scenario != THROUGHPUT
            and r.p50 is not None
            and (
                r.p50 == pick.p50 or (low is not None and high is not None and low <= r.p50 <= high)
            )
        ]
        if tied:
            out.append(
                f"a tie within the 95 % intervals with {', '.join(tied)}: the lower median "
                "decides, equal medians the better cited accuracy, then the lower p90"
            )
        spread = _pick_spread(page, rec)
        if spread is not None and spread > HEADLINE_SPREAD:
            out.append(f"run-to-run spread {spread * 100:.0f} %")
    return out


def _pick_spread(page: Page, rec: analysis.Recommendation) -> float | None:
    frame = page.site.all_frame
    rows = frame[
        (frame["machine"] == rec.machine)
        & (frame["model"] == rec.model)
        & (frame["runtime"] == rec.runtime)
        & (frame["settings"] == (rec.settings or ""))
    ]
    if rows.empty or "process_spread" not in rows:
        return None
    value = rows["process_spread"].iloc[0]
    return None if pd.isna(value) else float(value)


def _pick_summary(page: Page, use_case: UseCase, rec: analysis.Recommendation) -> str:
    frame = page.site.all_frame  # a throughput pick's settings are its latency twin's
    row = frame[
        (frame["machine"] == rec.machine)
        & (frame["model"] == rec.model)
        & (frame["runtime"] == rec.runtime)
        & (frame["settings"] == (rec.settings or ""))
    ].iloc[0]
    version = (
        f" {escape_inline(row.runtime_version)}" if isinstance(row.runtime_version, str) else ""
    )
    settings = settings_cell(page, row.settings_difference)
    metric = use_case.accuracy_metric
    assert rec.model is not None and rec.runtime is not None  # a summary is of a pick
    hardware = hardware_of(page, rec.machine)
    where = machine_link(page, rec.machine) + (f" ({hardware})" if hardware else "")
    head = (
        f"**{model_link(page, rec.model)} on {runtime_link(page, rec.runtime)}{version} · "
        f"{escape_inline(precision_label(row.precision))}** "
        f"(settings: {settings}) on {where}:"
    )
    speed = (
        f"median latency **{latency_cell(row.p50)}** "
        f"(95% CI {ci_cell(row.ci95_low, row.ci95_high)}), p90 {latency_cell(row.p90)}, "
        f"{(throughput_cell(row.throughput) or '–').removesuffix('/s')} inferences per second "
        "on one stream"
    )
    pick = rec.pick
    rate = rate_text(pick.inferences_per_s, pick.batch, pick.streams) if pick else None
    rate = f"throughput on all cores **{rate}**" if rate else f"throughput on all cores {NO_RATE}"
    if rec.scenario == THROUGHPUT:
        speed = rate + "; single-stream " + speed
    accuracy = (
        f"cited {escape_inline(metric['metric'])} on {escape_inline(metric['dataset'])}: "
        + _accuracy_cell(page, use_case, rec.model, rec.accuracy, rec.accuracy_unit)
        + f" (floor {_floor_text(page, use_case)})"
    )
    items = [speed, *([] if rec.scenario == THROUGHPUT else [rate])]
    items += [accuracy, *precision_items(page, rec)]
    return head + "\n\n" + bullet_list(items)


def precision_items(page: Page, rec: analysis.Recommendation) -> list[str]:
    """The pick's precision with the agreement that let it count, the instruction sets it
    relied on and the choice without them, and the faster rows left out, with figures."""
    pick = rec.pick
    assert pick is not None
    why = f"([rules]({page.href(METHODOLOGY_PATH)}#how-a-recommendation-is-made))"
    label = escape_inline(precision_label(pick.precision))
    if is_reduced_precision(pick.precision):
        measured = (
            metric_words(rec.tolerance_metric)
            + " "
            + metric_value(rec.tolerance_metric, pick.tolerance_value)
        )
        computed = (
            f"computed in **{label}**, not FP32: measured {escape_inline(measured)}, within "
            f"the tolerance ({escape_inline(tolerance_text(rec))}) {why}"
        )
        items = [computed]
    else:
        items = [f"computed in **{label}**, the precision the cited accuracy is for"]
    if pick.needs:
        needs = f"needs **{escape_inline(features_text(pick.needs))}** ({label} kernels)"
        fallback, times = rec.fallback, rec.fallback_times
        if fallback is None or times is None:
            items.append(needs + "; no measured choice runs without them")
        else:
            items.append(
                needs
                + "; **on a CPU without them**: "
                + model_link(page, fallback.model)
                + " on "
                + escape_inline(runtime_precision(page, fallback.runtime or "", fallback.precision))
                + f" at **{latency_cell(fallback.p50)}** "
                + ("(the same median)" if times == 1.0 else f"({format_ratio(times)} the time)")
            )
    else:
        units = escape_inline(features_text(rec.fp32_units)) if rec.fp32_units else ""
        items.append(
            "needs no bf16 or int8 instructions, only FP32 vector units"
            + (f" ({units} here)" if units else "")
            + ": the same choice on a CPU without them"
        )
    judged = [m for m in rec.not_within if m.verdict != RANDOM_WEIGHTS]
    unjudged = [m for m in rec.not_within if m.verdict == RANDOM_WEIGHTS]
    for miss in judged:
        items.append(escape_plain(miss_note(rec, miss, page.site.names)))
    if unjudged:  # one sentence for them all: each would say the same
        fastest = min(unjudged, key=lambda m: m.p50 if m.p50 is not None else float("inf"))
        items.append(
            escape_plain(
                f"{len(unjudged)} faster reduced-precision run(s) of architecture-only models "
                f"(the fastest: {miss_note(rec, fastest, page.site.names)})"
            )
        )
    return items


def recommendation_section(page: Page, use_case: UseCase) -> str:
    frame = page.site.frame
    metric = use_case.accuracy_metric
    how = (
        "the candidate with the highest throughput (inferences per second on all cores, best "
        "runtime)"
        if use_case.scenario == THROUGHPUT
        else "the fastest candidate (median latency, best runtime)"
    )
    rules = (
        f"Computed from the measurements on this page and the cited accuracy: on each measured "
        f"machine, {how} whose cited "
        f"{escape_inline(metric['metric'])} on {escape_inline(metric['dataset'])} meets the "
        f"floor ({_floor_text(page, use_case)}). "
        f"[The rules]({page.href(METHODOLOGY_PATH)}#how-a-recommendation-is-made)."
    )
    if frame.empty:
        return f"## Recommendation\n\n{rules}\n\n{NOT_MEASURED}"
    parts = ["## Recommendation", rules]
    recommendations = page.site.analysis.recommendations[use_case.id]
    pipelines = {p.machine: p for p in page.site.analysis.pipelines[use_case.id]}
    for index, rec in enumerate(recommendations):
        kind = _ADMONITION.get(rec.outcome, "warning")
        title = escape_inline(_pick_title(page, use_case, rec)).replace('"', "&quot;")
        body = []
        if rec.model is not None:
            body.append(_pick_summary(page, use_case, rec))
        if rec.machine in pipelines:
            body.append(pipeline_text(page, pipelines[rec.machine]))
        why = escape_plain(reasoning(rec, use_case, page.site.names))
        # With a pick, its bullets say the answer and the reasoning with every number is
        # folded; without one, the reasoning is the answer.
        body.append(folded("Why, with the numbers", why) if rec.model else f"**Why.** {why}")
        # The first machine's answer open; the others' headlines say theirs, a click away.
        marker = "!!!" if index == 0 else "???"
        parts.append(f'{marker} {kind} "{title}"\n\n' + indent("\n\n".join(body)))
    return "\n\n".join(parts)


_STAGE_WORDS = {"text-detection": "once per image", "text-direction": "per line"}


def pipeline_text(page: Page, times: PipelineTimes) -> str:
    """The pipeline's stages beside the pick: each stage's time, and the totals."""
    names = page.site.names
    parts = []
    for stage in times.stages:
        how = _STAGE_WORDS.get(stage.task, "per line")
        who = names.model(stage.model)
        if stage.p50 is None:
            parts.append(f"{who} ({how}): no FP32 time measured here")
            continue
        runtime = runtime_precision(page, stage.runtime or "", stage.precision)
        parts.append(f"{who} ({how}, {runtime}): {format_latency(stage.p50)}")
    sentences = ["; ".join(parts) + "."]
    if times.per_line is not None:
        total = f"Per text line: {format_latency(times.per_line)}"
        if times.per_page is not None:
            total += (
                f"; for a page of {times.page_lines} lines (an example count), "
                f"{format_latency(times.per_page)}"
            )
        sentences.append(total + ".")
        sentences.append(
            "The stages are never ranked against the candidates; each runs at its fastest "
            "FP32 median on this machine."
        )
    return "**The whole pipeline.** " + escape_plain(" ".join(sentences))


# --- ranking -------------------------------------------------------------------------------


def _precision(row: Any) -> str:
    label = precision_label(row.precision) if isinstance(row.precision, str) else ""
    return f" · {escape_inline(label)}" if label else ""


def ranking_table(page: Page, use_case: UseCase, ranking: pd.DataFrame) -> Table:
    unit = ranking.attrs.get("accuracy_unit")
    metric = use_case.accuracy_metric
    records = []
    for row in ranking.itertuples():
        ok = row.status == analysis.OK
        records.append(
            {
                "rank": row.rank if ok else None,
                "model": model_link(page, row.model),
                "runtime": Md(runtime_link(page, row.runtime) + _precision(row)) if ok else None,
                "p50": latency_cell(row.p50),
                "p90": latency_cell(row.p90),
                "ci": ci_cell(row.ci95_low, row.ci95_high),
                "throughput": (ranking_rate(row) or NO_RATE) if ok else None,
                "accuracy": _accuracy_cell(page, use_case, row.model, row.accuracy, unit),
                "meets": None if pd.isna(row.meets_floor) else bool(row.meets_floor),
                "status": status_cell(page, row.status, bool(row.unstable)),
            }
        )
    return Table.from_records(
        records,
        [
            Column("rank", "Rank", align="right"),
            Column("model", "Model"),
            Column("runtime", "Fastest runtime" if use_case.scenario == LATENCY else "Runtime"),
            Column("p50", "Median (p50)", align="right"),
            Column("p90", "p90", align="right"),
            Column("ci", "95% CI of median", align="right"),
            Column("throughput", RATE_HEADER, align="right"),
            Column("accuracy", f"{metric['metric']} ({metric['dataset']}, cited)", align="right"),
            Column("meets", "Meets floor", align="center"),
            Column("status", "Status"),
        ],
    )


def not_ok_list(page: Page, ranking: pd.DataFrame) -> str | None:
    items = [
        f"{model_link(page, row.model)}: {escape_plain(str(row.reason))}"
        for row in ranking.itertuples()
        if row.status != analysis.OK and isinstance(row.reason, str)
    ]
    return "Did not run:\n\n" + bullet_list(items) if items else None


def side_by_side(page: Page, use_case: UseCase, ranking: pd.DataFrame) -> str | None:
    """Model × machine: each machine's best median and runtime in its own column."""
    machines = sorted(ranking["machine"].unique())
    if len(machines) < 2:
        return None
    unit = ranking.attrs.get("accuracy_unit")
    records: dict[str, Cells] = {}
    for row in ranking.itertuples():
        record = records.setdefault(
            row.model,
            {
                "name": row.model_name,
                "model": model_link(page, row.model),
                "accuracy": _accuracy_cell(page, use_case, row.model, row.accuracy, unit),
            },
        )
        if row.status == analysis.OK:
            record[row.machine] = Md(
                f"{latency_cell(row.p50)} "
                f"({escape_inline(runtime_precision(page, row.runtime, row.precision))})"
            )
        else:
            record[row.machine] = status_words(row.status)
    columns = [Column("model", "Model"), Column("accuracy", "Cited accuracy", align="right")]
    columns += [
        Column(m, f"{machine_short(page, m)}: median (runtime)", align="right") for m in machines
    ]
    table = Table.from_records(records.values(), columns).sort("name")
    intro = "The best median latency of each candidate on each machine, side by side."
    detail = folded(f"{len(records)} candidates on {len(machines)} machines", table.to_markdown())
    return f"### All machines side by side\n\n{intro}\n\n{detail}"


def ranking_section(page: Page, use_case: UseCase) -> str | None:
    frame = page.site.frame
    if frame.empty:
        return None
    ranking = _ranking(page, use_case)
    order = (
        "its runtime with the highest throughput on all cores, highest first (the median and "
        "interval are that runtime's single-stream figures; by the median where a machine has "
        "no throughput rows)"
        if use_case.scenario == THROUGHPUT
        else "its fastest runtime, fastest first"
    )
    intro = (
        f"Every candidate model on each measured machine with {order}; models that did not "
        "run are listed after them with the reason. Each model's other runtimes are on its page."
    )
    parts: list[str | None] = ["## Measured candidates", intro]
    for machine in sorted(ranking["machine"].unique()):
        rows = ranking[ranking["machine"] == machine]
        detail = [
            provenance(page, machine, frame[frame["machine"] == machine]),
            ranking_table(page, use_case, rows).to_markdown(),
            not_ok_list(page, rows),
        ]
        # Folded: the recommendation above answers; the table is one click away.
        title = f"{machine_label(page, machine)}: every candidate ({len(rows)})"
        parts.append(folded(title, "\n\n".join(d for d in detail if d)))
    # Side by side: the best median of each candidate, whatever ranked the machines above.
    latency = ranking if use_case.scenario == LATENCY else _ranking(page, use_case, LATENCY)
    parts.append(side_by_side(page, use_case, latency))
    return "\n\n".join(p for p in parts if p)


# --- Pareto front --------------------------------------------------------------------------


def pareto_section(page: Page, use_case: UseCase) -> str | None:
    frame = page.site.frame
    if frame.empty:
        return None
    ranking = _ranking(page, use_case, scenario=LATENCY)  # accuracy against latency
    front = analysis.pareto_front(ranking)
    unit = ranking.attrs.get("accuracy_unit")
    metric = use_case.accuracy_metric
    better = "higher" if metric["higher_is_better"] else "lower"
    records = [
        {
            "machine": Md(machine_link(page, row.machine)),
            "model": model_link(page, row.model),
            "runtime": Md(runtime_link(page, row.runtime) + _precision(row)),
            "p50": latency_cell(row.p50),
            "accuracy": _accuracy_cell(page, use_case, row.model, row.accuracy, unit),
        }
        for row in front.itertuples()
    ]
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("model", "Model"),
            Column("runtime", "Runtime"),
            Column("p50", "Median (p50)", align="right"),
            Column("accuracy", f"{metric['metric']} (cited)", align="right"),
        ],
    )
    intro = (
        f"The Pareto front: on each machine, the candidates that no other candidate beats on "
        f"both median latency and cited {escape_inline(metric['metric'])} ({better} is better). "
        "Any other candidate is slower than one of these without being more accurate. Only "
        "models that ran and have a cited figure can be placed."
    )
    named = ranking.assign(
        machine_label=ranking["machine"].map(lambda m: machine_short(page, m)),
        runtime_name=[
            runtime_precision(page, r, p) if isinstance(r, str) else ""
            for r, p in zip(ranking["runtime"], ranking["precision"], strict=True)
        ],
    )
    named.attrs = ranking.attrs
    chart = charts.latency_vs_accuracy(named, use_case)
    empty = "No candidate that ran has a cited figure on this metric yet."
    machines = sorted(front["machine"].unique())
    where = bullet_list([provenance(page, m, frame[frame["machine"] == m]) for m in machines])
    listed = folded(f"The front as a table ({len(records)})", f"{where}\n\n{table.to_markdown()}")
    parts = ["## Accuracy against latency", intro, chart, listed if records else empty]
    return "\n\n".join(p for p in parts if p)
