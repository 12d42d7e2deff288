"""comparisons/runtimes.md: each runtime against ONNX Runtime per model and machine, where the
slow ones spend their time, how far their outputs agree, and which models each runtime could not
load or run, and why.

Every sentence that explains a surprising number is written from the rows themselves (a
precision other than FP32, a top-1 class that differs, a load failure), never typed by hand.
"""

from __future__ import annotations

import pandas as pd

from ... import analysis
from ...analysis.runtimes import NOT_APPLICABLE
from ..sections.agreement import agreement_section
from ..sections.slow_runtimes import slow_runtimes_section
from ..sections.throughput import throughput_chart_section
from ..shared import charts
from ..shared.cells import (
    latency_cell,
    machine_label,
    machine_link,
    machine_short,
    model_link,
    provenance,
    reference_runtime,
    row_label,
    runtime_link,
    runtime_name,
    short_status,
)
from ..shared.names import status_words
from ..shared.numbers import format_ratio
from ..shared.page import RUNTIMES_PATH, WIDE_PAGE, Page, SiteContext, bullet_list
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline, escape_plain, folded


def variant_speedups(page: Page) -> pd.DataFrame:
    """analysis.variant_speedups with each row's label ("OpenVINO · BF16") as `label`."""
    variants = page.site.analysis.variant_speedups
    return variants.assign(label=[row_label(page, r) for r in variants.itertuples()])


def baseline_label(page: Page, baseline: str) -> str:
    """The reference runtime as speed-ups name it: 'ONNX Runtime · FP32' (its FP32 row)."""
    return f"{runtime_name(page, baseline)} · FP32"


def _pivot(page: Page, frame: pd.DataFrame, variants: pd.DataFrame, machine: str) -> Table:
    baseline = reference_runtime(page)
    rows = variants[variants["machine"] == machine]
    base = analysis.runtime_speedups(frame[frame["machine"] == machine], baseline)
    base = base[base["runtime"] == baseline].set_index("model")["p50"]
    labels = rows.drop_duplicates("label").sort_values(["runtime", "label"])
    labels = labels[["label", "runtime"]].itertuples(index=False)
    column_of = {label: f"v{i}" for i, (label, _) in enumerate(labels)}
    records = []
    for model in sorted(set(frame.loc[frame["machine"] == machine, "model"])):
        baseline_rows = frame[
            (frame["machine"] == machine)
            & (frame["model"] == model)
            & (frame["runtime"] == baseline)
        ]
        record: Cells = {
            "model": model_link(page, model),
            "baseline": latency_cell(base[model])
            if model in base.index
            else _status(baseline_rows["status"]),
        }
        for hit in rows[rows["model"] == model].itertuples():
            column = column_of[hit.label]
            if not pd.isna(hit.speedup):
                record[column] = f"{format_ratio(hit.speedup)} ({latency_cell(hit.p50)})"
            elif not pd.isna(hit.p50):
                record[column] = f"{latency_cell(hit.p50)} (no baseline)"
            else:
                record[column] = short_status(hit.status)
        records.append(record)
    columns = [
        Column("model", "Model"),
        Column("baseline", f"{baseline_label(page, baseline)} median", align="right"),
    ] + [
        Column(key, f"{label}: speed-up (median)", align="right")
        for label, key in column_of.items()
    ]
    return Table.from_records(records, columns)


def _status(statuses: pd.Series) -> Md | None:
    return short_status("/".join(sorted(set(statuses)))) if len(statuses) else None


def speedup_section(page: Page, frame: pd.DataFrame) -> str:
    variants = variant_speedups(page)
    variants = variants[variants["machine"].isin(set(frame["machine"]))]
    baseline = reference_runtime(page)
    name = escape_inline(runtime_name(page, baseline))
    parts = [
        f"## Speed-up over {name}",
        (
            f"Speed-up = {name} median / runtime median for the same model on the same machine "
            f"({name} with its fastest settings): above 1x the runtime is faster. A runtime measured with "
            "other settings than its usual ones gets a column per setting. A cell without a "
            "number names the status of the row ([why below](#could-not-load-or-run)); an empty "
            "cell means the row was not measured."
        ),
    ]
    tables = []
    for machine in sorted(frame["machine"].unique()):
        tables.append(f"### {escape_inline(machine_label(page, machine))}")
        detail = provenance(page, machine, frame[frame["machine"] == machine])
        detail += "\n\n" + _pivot(page, frame, variants, machine).to_markdown()
        tables.append(folded("Speed-up of every model and runtime on this machine", detail))
    chart_rows = variants[variants["speedup"].notna()]
    chart_rows = chart_rows.assign(runtime_id=chart_rows["runtime"], runtime=chart_rows["label"])
    baseline_rows = analysis.runtime_speedups(frame, baseline)
    baseline_rows = baseline_rows[baseline_rows["runtime"] == baseline].assign(
        runtime=baseline_label(page, baseline)
    )
    chart_frame = pd.concat([baseline_rows, chart_rows], ignore_index=True)
    chart_frame["model_name"] = chart_frame["model"].map(page.site.names.model)
    chart_frame["machine_label"] = chart_frame["machine"].map(lambda m: machine_short(page, m))
    chart_frame.attrs["baseline"] = baseline_label(page, baseline)
    # The chart leads; the tables per machine follow, folded.
    parts.append(charts.runtime_comparison(chart_frame))
    return "\n\n".join(parts + tables)


# --- failures ------------------------------------------------------------------------------


def failures_section(page: Page, frame: pd.DataFrame) -> str:
    failures = analysis.load_failures(frame)
    skipped = analysis.not_applicable(frame)
    parts = [
        "## Could not load or run",
        (
            "Rows that failed, by runtime: the model could not be loaded or run, crashed, ran "
            "out of time, or gave outputs that did not match. The reason is the runtime's own "
            "message, as `nnkb bench` recorded it. Variants that do not apply on a machine (a "
            "runtime not installed there, or a precision its CPU has no instructions for) are "
            "not failures and are not counted here."
        ),
    ]
    if not skipped.empty:
        counts = skipped.groupby("runtime").size()
        parts.append(
            "Not applicable, so not counted: "
            + "; ".join(
                f"{runtime_link(page, r)}, {n} variant row{'s' if n != 1 else ''}"
                for r, n in sorted(counts.items())
            )
            + "."
        )
    if failures.empty:
        parts.append("Every runtime loaded and ran every model it was given.")
        return "\n\n".join(parts)
    # Models "given" to a runtime: those with at least one row that applies on its machine.
    applicable = frame[~frame["status"].isin(NOT_APPLICABLE)]
    total = applicable.groupby("runtime")["model"].nunique()
    for runtime in sorted(failures["runtime"].unique()):
        rows = failures[failures["runtime"] == runtime]
        models = sorted(rows["model"].unique())
        parts.append(f"### {escape_inline(runtime_name(page, runtime))}")
        parts.append(
            f"{runtime_link(page, runtime)} did not run {len(models)} of the "
            f"{int(total.get(runtime, 0))} models it was given: "
            + ", ".join(model_link(page, m) for m in models)
            + "."
        )
        records = [
            {
                "model": model_link(page, r.model),
                "machine": machine_link(page, r.machine),
                "inputs": Md(_inputs_text(page, r.model)),
                "status": status_words(r.status),
                "reason": Md(escape_plain(r.reason)) if isinstance(r.reason, str) else None,
            }
            for r in rows.itertuples()
        ]
        table = Table.from_records(
            records,
            [
                Column("model", "Model"),
                Column("machine", "Machine"),
                Column("inputs", "Inputs"),
                Column("status", "Status"),
                Column("reason", "Reason"),
            ],
        )
        parts.append(bullet_list(what_sets_them_apart(page, runtime)))
        parts.append(
            folded("Every row it could not run, with the runtime's message", table.to_markdown())
        )
    return "\n\n".join(p for p in parts if p)


def _inputs_text(page: Page, model_id: str) -> str:
    model = page.kb.models.get(model_id)
    if model is None or model.onnx is None:
        return ""
    return ", ".join(
        f"`{escape_inline(name)}` {'×'.join(map(str, shape))} ({len(shape)}-D)"
        for name, shape in model.onnx.inputs.items()
    )


def what_sets_them_apart(page: Page, runtime: str) -> list[str]:
    """What each model the runtime could not run has that every model it ran lacks
    (analysis.failure_hints): a hint where to look, next to the runtime's message."""
    sentences = []
    for hint in page.site.analysis.failure_hints.get(runtime, []):
        hints = []
        if hint.new_ranks:
            shown = ", ".join(f"{r}-D" for r in hint.new_ranks)
            seen = ", ".join(f"{r}-D" for r in hint.ran_ranks)
            hints.append(f"a {shown} input, where every model it ran has {seen} inputs")
        if hint.new_operators:
            names = ", ".join(f"`{escape_inline(o)}`" for o in hint.new_operators)
            hints.append(f"operators no model it ran uses: {names}")
        sentences.append(
            f"{model_link(page, hint.model)} has {' and '.join(hints)} "
            f"({runtime_link(page, runtime)} ran {hint.ran_models} model(s) ok)."
        )
    return sentences


def runtimes_page(site: SiteContext) -> str:
    page = Page(site, RUNTIMES_PATH)
    frame = site.frame
    intro = (
        "The same ONNX files on the same machine in every runtime nnkb benchmarks: how much "
        f"faster or slower each one is than "
        f"{escape_inline(runtime_name(page, reference_runtime(page)))}, "
        "whether its outputs agree, and what it could not run."
    )
    parts = ["# Runtime comparison", intro]
    if frame.empty:
        parts.append("*No machine has been measured yet: run `nnkb bench` and rebuild the site.*")
    else:
        parts += [
            speedup_section(page, frame),
            throughput_chart_section(
                page, frame, "chart-runtime-throughput", "## Throughput on all cores"
            ),
            slow_runtimes_section(page, set(frame["machine"])),
            agreement_section(page, frame),
            failures_section(page, frame),
        ]
    parts.append(page.footnotes())
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"
