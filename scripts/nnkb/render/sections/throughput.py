"""The throughput scenario on the pages: the scenario a use case states and why, the
inferences-per-second column of the measured tables, the throughput charts of the runtime
comparison and the use case pages, and the methodology's words on the two scenarios. The
pairing of throughput rows with their latency twins is in nnkb.analysis.scenario.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...analysis.frame import latency_rows
from ...analysis.precision import rejections
from ...analysis.scenario import paired_frame, throughput_ok, with_twin_rates
from ...codec import Json
from ...kb import UseCase
from ...results import LATENCY, THROUGHPUT
from ..shared.cells import machine_short, row_label
from ..shared.numbers import format_rate, missing
from ..shared.page import METHODOLOGY_PATH, Page, bullet_list
from ..shared.text import escape_inline, escape_plain
from . import summary_charts

SCENARIOS_ANCHOR = "latency-and-throughput-scenarios"  # the methodology section
RATE_HEADER = "Throughput, all cores"
NO_RATE = "not measured yet"


def rate_text(rate: Any, batch: Any, streams: Any) -> str | None:
    """'512/s (batch 4 × 2 streams)', or None when there is no rate."""
    if missing(rate):
        return None
    how = []
    if not missing(batch):
        how.append(f"batch {int(batch)}")
    if not missing(streams):
        how.append(f"{int(streams)} stream{'s' if int(streams) != 1 else ''}")
    return f"{format_rate(float(rate))}/s" + (f" ({' × '.join(how)})" if how else "")


def with_rates(page: Page, rows: pd.DataFrame) -> pd.DataFrame:
    """Latency rows of the site with their throughput twins' rate, batch and streams."""
    return with_twin_rates(page.site.all_frame, rows)


def measured_machines(page: Page) -> set[str]:
    """The machines with at least one ok throughput row."""
    ok = throughput_ok(paired_frame(page.site.all_frame))
    return set(ok["machine"])


def not_measured_note(page: Page, machine_ids: list[str]) -> str | None:
    """A sentence naming the machines where the throughput scenario has no rows yet."""
    missing_on = [m for m in machine_ids if m not in measured_machines(page)]
    if not missing_on:
        return None
    names = machines_text(page, missing_on, len(machine_ids))
    how = page.href(METHODOLOGY_PATH) + "#" + SCENARIOS_ANCHOR
    return (
        f"*Throughput on all cores ([the throughput scenario]({how})) is not measured yet {names}.*"
    )


def machines_text(page: Page, machine_ids: list[str], of: int) -> str:
    """'on any measured machine' when it is all `of` of them (labels may repeat), else 'on A
    and B'."""
    if len(machine_ids) == of and of > 1:
        return "on any measured machine"
    labels = [escape_inline(machine_short(page, m)) for m in machine_ids]
    return "on " + (
        labels[0] if len(labels) == 1 else "; ".join(labels[:-1]) + " and " + labels[-1]
    )


def pairs_for_chart(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """The paired throughput rows of `frame`'s machines and models, labelled as the pages
    label runtimes and precisions: one bar per row (a row label names one variant)."""
    paired = throughput_ok(paired_frame(page.site.all_frame))
    paired = paired[paired["machine"].isin(frame["machine"]) & paired["model"].isin(frame["model"])]
    if paired.empty:
        return paired.assign(label=pd.Series(dtype="object"))
    # A bar of a precision a use case of its model rejects says so in its label (and legend).
    rejected = rejections(page.kb, paired, latency_rows(page.site.all_frame))
    labels = [
        row_label(page, r) + (" (rejected by its use case)" if rejected[r.Index] else "")
        for r in paired.itertuples()
    ]
    names = [page.site.names.model(m) for m in paired["model"]]
    # Machines by their short name: a group's name under its bars has the bars' width.
    shorts = [machine_short(page, m) for m in paired["machine"]]
    return paired.assign(label=labels, model_name=names, machine_label=shorts)


def throughput_chart_section(page: Page, frame: pd.DataFrame, div_id: str, heading: str) -> str:
    """A heading, the throughput bars of `frame`'s machines and models, and the machines
    where the scenario is not measured yet (the chart only where something was)."""
    pairs = pairs_for_chart(page, frame)
    intro = (
        "The most inferences per second each runtime sustained on all cores (hover: batch, "
        "streams, single-stream median). *Rejected by its use case* marks a precision outside "
        "the use case's tolerance: fast, but never recommended."
    )
    parts: list[str | None] = [heading, intro]
    if not pairs.empty:
        parts.append(summary_charts.throughput_bars(pairs, div_id, "No throughput rows yet."))
    parts.append(not_measured_note(page, sorted(frame["machine"].unique())))
    return "\n\n".join(p for p in parts if p)


# --- use case pages ------------------------------------------------------------------------


def scenario_words(use_case: UseCase) -> str:
    if use_case.scenario == THROUGHPUT:
        return (
            "**throughput**: the most inferences per second a machine sustains on all cores; "
            "the single-stream median is shown beside"
        )
    return (
        "**latency**: the time of one inference, one request at a time (median, batch 1); "
        "the throughput on all cores is shown beside where it was measured"
    )


def scenario_section(page: Page, use_case: UseCase) -> str:
    """What the use case is ranked by, why, and on which machines that could not be done."""
    source = use_case.scenario_source
    note = page.cite(source) if source else ""
    text = (
        f"Ranked by {scenario_words(use_case)}. "
        f"{escape_plain(use_case.scenario_reason.strip())}{note}"
    )
    parts = ["## Scenario", text]
    frame = page.site.frame
    if use_case.scenario == THROUGHPUT and not frame.empty:
        machines = sorted(frame["machine"].unique())
        fallback = [m for m in machines if m not in measured_machines(page)]
        if fallback:
            names = machines_text(page, fallback, len(machines))
            parts.append(
                f"*No throughput rows have been measured {names} yet, so the candidates are "
                "ranked by single-stream latency there instead.*"
            )
    return "\n\n".join(parts)


def use_case_throughput(page: Page, use_case: UseCase) -> str | None:
    """The throughput chart of the use case's candidates (every measured machine)."""
    from ...analysis.ranking import candidates_of

    candidates = {m.id for m in candidates_of(page.kb, use_case.id)}
    frame = page.site.frame
    rows = frame[frame["model"].isin(candidates)]
    if rows.empty:
        return None
    return throughput_chart_section(
        page,
        rows,
        f"chart-throughput-{use_case.id}",
        "## Throughput on all cores",
    )


def ranking_rate(row: Any) -> str | None:
    """The ranking table's other-scenario cell: the rate beside a latency row."""
    return rate_text(row.inferences_per_s, row.batch, row.streams)


def ranked_by(row: Any) -> str:
    return THROUGHPUT if row.scenario == THROUGHPUT else LATENCY


# --- methodology ---------------------------------------------------------------------------

SCENARIO_RULES = [
    (
        "**Latency** (every row without a `scenario` setting): one request at a time, batch 1, "
        "as described above. It answers how long one camera frame or one user's request takes."
    ),
    (
        "**Throughput** (rows whose settings add `scenario: throughput` to a latency row's): the "
        "highest sustained inferences per second on all cores, each runtime with its own way "
        "to get there, with the batch size and the number of streams recorded in the row and "
        "the latency per request under that load. Every item of a batch counts as one "
        "inference. It answers how many streams or documents one machine can serve."
    ),
    (
        "A throughput row is paired with its latency twin (same machine, model, runtime and "
        "settings but the scenario): agreement, task accuracy and the precision verdict are "
        "measured on the twin and hold for both."
    ),
    (
        "Each use case states the scenario it is ranked and recommended by, with a reason, and "
        "shows the other beside. A use case stating throughput is ranked by latency on a "
        "machine without throughput rows, and its page says so."
    ),
]


def methodology_section(harness: Json) -> str:
    """The two scenarios, and the harness's throughput settings where it has any."""
    parts = ["## Latency and throughput scenarios", bullet_list(SCENARIO_RULES)]
    keys = sorted(k for k in harness if k.startswith("throughput"))
    if keys:
        items = [f"`{escape_inline(k)}`: {escape_plain(_value(harness[k]))}" for k in keys]
        parts.append("The throughput settings of the harness:\n\n" + bullet_list(items))
    return "\n\n".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def figure(rec: Any) -> str:
    """A recommendation's headline figure in the scenario that ranked it: '512 inferences/s'
    or '7.75 ms'."""
    from ..shared.numbers import format_latency

    if rec.scenario == THROUGHPUT and rec.pick is not None:
        return f"{format_rate(rec.pick.inferences_per_s)} inferences/s"
    return format_latency(rec.p50)
