"""The model page's "Measured" section: every runtime and setting `nnkb bench` ran the model
with on each machine, failures with their reason, precision notes, and the machines side by
side. Results are produced by `nnkb bench`; rendering only reads them (the results frame).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...analysis.frame import UNSTABLE_SPREAD, fastest_ok
from ...analysis.precision import rejections
from ...kb import Model
from ..shared.cells import (
    STABILITY_ANCHOR,
    agreement_text,
    all_provenance,
    bytes_cell,
    ci_cell,
    failure_list,
    is_reduced_precision,
    latency_cell,
    machine_label,
    machine_short,
    peak_cell,
    precision_cell,
    precision_name,
    provenance,
    reference_runtime,
    runtime_link,
    runtime_name,
    settings_cell,
    short_status,
    spread_cell,
    status_cell,
    throughput_cell,
)
from ..shared.page import METHODOLOGY_PATH, Page
from ..shared.precision_words import rejected_words
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline
from .throughput import RATE_HEADER, not_measured_note, rate_text, with_rates

# --- the model page's "Measured" section ---------------------------------------------------

MEASURED_COLUMNS = [
    Column("runtime", "Runtime"),
    Column("settings_cell", "Settings"),
    Column("p50", "Median (p50)", align="right"),
    Column("p90", "p90", align="right"),
    Column("ci", "95% CI of median", align="right"),
    Column("throughput", "Throughput", align="right"),
    Column("rate", RATE_HEADER, align="right"),
    Column("peak", "Of peak", align="right"),
    Column("load", "Load", align="right"),
    Column("memory", "Peak memory", align="right"),
    Column("precision", "Precision"),
    Column("agreement", "Agreement with FP32", align="right"),
    Column("spread", "Process spread", align="right"),
    Column("status", "Status"),
]


def precision_suffix(row: Any) -> str:
    """' · INT8': the precision the row really ran in, after the runtime's name."""
    name = precision_name(row.precision)
    return f" · {escape_inline(name.upper())}" if name else ""


def measured_table(page: Page, rows: pd.DataFrame) -> Table:
    """One machine's rows of one model: every runtime and setting, failures with their reason.

    The settings column is there only when a row's settings differ from its runtime's usual
    ones; otherwise the section says that every row used them.
    """
    records = []
    rows = with_rates(page, rows)
    for row in rows.itertuples():
        version = (
            f" {escape_inline(row.runtime_version)}" if isinstance(row.runtime_version, str) else ""
        )
        records.append(
            {
                "runtime_name": row.runtime,
                "settings_key": row.settings,
                "runtime": Md(runtime_link(page, row.runtime) + version + precision_suffix(row)),
                "settings_cell": settings_cell(page, row.settings_difference),
                "p50": latency_cell(row.p50),
                "p90": latency_cell(row.p90),
                "ci": ci_cell(row.ci95_low, row.ci95_high),
                "throughput": throughput_cell(row.throughput),
                "rate": rate_text(row.inferences_per_s, row.batch, row.streams),
                "peak": peak_cell(row.peak_fraction, row.precision),
                "load": latency_cell(row.session_create_s),
                "memory": bytes_cell(row.peak_rss_bytes),
                "precision": precision_cell(row.precision),
                "agreement": agreement_text(row),
                "spread": spread_cell(row.process_spread),
                "status": status_cell(page, row.status, bool(row.unstable)),
            }
        )
    table = Table.from_records(records, MEASURED_COLUMNS).sort(["runtime_name", "settings_key"])
    dropped = set()
    if all(str(cell).startswith("[usual]") for cell in table.frame["settings_cell"]):
        dropped.add("settings_cell")
    if rows["process_spread"].isna().all():  # results from before the verification pass
        dropped.add("spread")
    if rows["inferences_per_s"].isna().all():  # the section says it is not measured yet
        dropped.add("rate")
    if dropped:
        table = table.with_columns([c for c in MEASURED_COLUMNS if c.key not in dropped])
    return table


def precision_notes(page: Page, rows: pd.DataFrame) -> list[str]:
    """A sentence per ok row that ran below FP32: its outputs differ from the FP32 reference."""
    notes = []
    for row in rows.itertuples():
        if row.status != "ok" or not is_reduced_precision(row.precision):
            continue
        precision = escape_inline(precision_name(row.precision) or "")
        text = (
            f"{runtime_link(page, row.runtime)} reported **{precision}** inference here, not FP32"
        )
        agreement = agreement_text(row)
        if agreement:
            text += f"; its agreement with the FP32 reference: {escape_inline(agreement)}"
        if isinstance(row.quantizer, str):
            text += f" (quantised by {escape_inline(page.site.names.runtime(row.quantizer))})"
        notes.append(text + f". [Why]({page.href(METHODOLOGY_PATH)}#precision-and-agreement).")
    return notes


def machines_side_by_side(page: Page, rows: pd.DataFrame) -> str | None:
    """Runtime × machine: each runtime's best median on each machine, when there are several."""
    machines = sorted(rows["machine"].unique())
    if len(machines) < 2:
        return None
    records: dict[str, Cells] = {}
    rejected = rejections(page.kb, rows)
    for row in rows.itertuples():  # where nothing ran, the first row's status
        record = records.setdefault(
            row.runtime, {"name": row.runtime, "runtime": runtime_link(page, row.runtime)}
        )
        record.setdefault(row.machine, short_status(row.status))
    for row in fastest_ok(rows, ["runtime", "machine"]).itertuples():
        record = records[row.runtime]
        # The fastest row names the precision it ran in, and says so when a use case rejects it.
        cell = latency_cell(row.p50) or ""
        precision = precision_name(row.precision)
        if precision:
            cell += f" · {precision.upper()}"
        note = rejected_words([page.kb.use_cases[u].name for u in rejected[row.Index]])
        record[row.machine] = cell + (f" ({note})" if note else "")
    columns = [Column("runtime", "Runtime")] + [
        Column(m, machine_short(page, m), align="right") for m in machines
    ]
    table = Table.from_records(records.values(), columns).sort("name")
    intro = (
        "Median latency on every machine (each runtime's fastest settings, with the precision "
        "they ran in; a precision a use case of this model rejects is marked). "
    )
    return intro + (all_provenance(page) or "") + "\n\n" + table.to_markdown()


def measured_section(page: Page, model: Model) -> str:
    frame = page.site.frame
    rows = frame[frame["model"] == model.id]
    intro = (
        "Latency of one inference (batch 1) on each measured machine, for every runtime and "
        "setting `nnkb bench` ran. Throughput is 1 / median (one stream); *Of peak* is "
        "2 × multiply-accumulates / median against the machine's measured FP32 peak; *Load* is "
        "the time to create the session; the errors compare the outputs with the FP32 "
        f"reference run of {escape_inline(runtime_name(page, reference_runtime(page)))}."
    )
    if rows["process_spread"].notna().any():
        intro += (
            " Each row ran in two worker processes minutes apart and shows the faster one; "
            "*Process spread* is how much slower the other was, and a row whose spread is over "
            f"{UNSTABLE_SPREAD * 100:g} % is marked "
            f"[unstable]({page.href(METHODOLOGY_PATH)}#{STABILITY_ANCHOR})."
        )
    if not rows.empty and with_rates(page, rows)["inferences_per_s"].notna().any():
        intro += (
            f" *{RATE_HEADER}* is the same runtime and precision in the throughput scenario: "
            "the highest sustained inferences per second, with its batch and streams."
        )
    if rows.empty:
        empty = "*Not measured yet: run `nnkb bench` to add this model's rows.*"
        return f"## Measured\n\n{intro}\n\n{empty}"
    parts: list[str | None] = [f"## Measured\n\n{intro}"]
    parts.append(machines_side_by_side(page, rows))
    for machine_id in sorted(rows["machine"].unique()):
        mine = rows[rows["machine"] == machine_id]
        parts.append(f"### {escape_inline(machine_label(page, machine_id))}")
        parts.append(provenance(page, machine_id, mine))
        parts.append(measured_table(page, mine).to_markdown())
        parts.append(failure_list(page, mine.sort_values(["runtime", "settings"])))
        parts.append(not_measured_note(page, [machine_id]))
        parts.extend(precision_notes(page, mine))
    return "\n\n".join(p for p in parts if p)
