"""comparisons/runtimes.md: each runtime against ONNX Runtime per model and machine, where the
slow ones spend their time, how far their outputs agree, and which models each runtime could not
load or run, and why.

Every sentence that explains a surprising number is written from the rows themselves (a
precision other than FP32, a top-1 class that differs, a load failure), never typed by hand.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import analysis
from ..analysis.frame import ratio
from ..analysis.runtimes import NOT_APPLICABLE
from . import charts
from .agreement import agreement_section
from .cells import (
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
from .names import status_words
from .numbers import format_ratio
from .page import RUNTIMES_PATH, WIDE_PAGE, Page, SiteContext, bullet_list
from .slow_runtimes import slow_runtimes_section
from .tables import Column, Md, Table
from .text import escape_inline, escape_plain, folded
from .throughput import throughput_chart_section

# fmt: off
VARIANT_COLUMNS = [
    "machine", "machine_label", "model", "runtime", "runtime_id", "settings", "variant", "status",
    "p50", "baseline_p50", "speedup", "precision", "max_abs_error", "max_rel_error", "top1_agree",
]
# fmt: on


def variant_speedups(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """Every row against the baseline's best median for the same model and machine.

    analysis.runtime_speedups keeps each runtime's fastest settings; a runtime measured with
    several settings (OpenVINO at its default precision and with the f32 hint) gets a column
    per setting here, so a reader sees the speed-up at equal precision too. The baseline's
    fastest row is the reference (speed-up 1); rows that did not run keep their status.
    """
    baseline = reference_runtime(page)
    best = analysis.runtime_speedups(frame, baseline)
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
        ok = row.status == analysis.OK and not pd.isna(row.p50)
        records.append(
            {
                "machine": row.machine,
                "machine_label": row.machine_label,
                "model": row.model,
                "runtime": row_label(page, row),
                "runtime_id": row.runtime,
                "settings": row.settings,
                "variant": (row.runtime, row.settings),
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
    out.attrs["baseline"] = baseline_label(page, baseline)
    return out


def baseline_label(page: Page, baseline: str) -> str:
    """The reference runtime as speed-ups name it: 'ONNX Runtime · FP32' (its FP32 row)."""
    return f"{runtime_name(page, baseline)} · FP32"


def _pivot(page: Page, frame: pd.DataFrame, variants: pd.DataFrame, machine: str) -> Table:
    baseline = reference_runtime(page)
    rows = variants[variants["machine"] == machine]
    base = analysis.runtime_speedups(frame[frame["machine"] == machine], baseline)
    base = base[base["runtime"] == baseline].set_index("model")["p50"]
    labels = rows.drop_duplicates("runtime").sort_values(["runtime_id", "runtime"])
    labels = labels[["runtime", "runtime_id"]].itertuples(index=False)
    column_of = {label: f"v{i}" for i, (label, _) in enumerate(labels)}
    records = []
    for model in sorted(set(frame.loc[frame["machine"] == machine, "model"])):
        baseline_rows = frame[
            (frame["machine"] == machine)
            & (frame["model"] == model)
            & (frame["runtime"] == baseline)
        ]
        record: dict[str, Any] = {
            "model": model_link(page, model),
            "baseline": latency_cell(base[model])
            if model in base.index
            else _status(baseline_rows["status"]),
        }
        for hit in rows[rows["model"] == model].itertuples():
            column = column_of[hit.runtime]
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
    variants = variant_speedups(page, frame)
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
        parts.append(bullet_list(what_sets_them_apart(page, frame, runtime, models)))
        parts.append(
            folded("Every row it could not run, with the runtime's message", table.to_markdown())
        )
    return "\n\n".join(p for p in parts if p)


def _input_ranks(page: Page, model_id: str) -> set[int]:
    model = page.kb.models.get(model_id)
    return {len(shape) for shape in model.onnx.inputs.values()} if model and model.onnx else set()


def _inputs_text(page: Page, model_id: str) -> str:
    model = page.kb.models.get(model_id)
    if model is None or model.onnx is None:
        return ""
    return ", ".join(
        f"`{escape_inline(name)}` {'×'.join(map(str, shape))} ({len(shape)}-D)"
        for name, shape in model.onnx.inputs.items()
    )


def what_sets_them_apart(
    page: Page, frame: pd.DataFrame, runtime: str, failed_models: list[str]
) -> list[str]:
    """What a model the runtime could not run has that every model it did run lacks.

    Written from the KB and the results: an input rank no model that ran has (a video clip's
    5-D tensor among images), and, when the ONNX files are in the local cache, operator types
    none of the models that ran use. A hint where to look, next to the runtime's message.
    """
    ran = sorted(
        frame.loc[
            (frame["runtime"] == runtime) & (frame["status"] == analysis.OK), "model"
        ].unique()
    )
    if not ran:
        return []
    ran_ranks = set().union(*(_input_ranks(page, m) for m in ran))
    ran_ops = [_operators(page, m) for m in ran]
    known_ops: set[str] | None = None
    if all(o is not None for o in ran_ops):
        known_ops = set().union(*(o for o in ran_ops if o is not None))
    sentences = []
    for model_id in failed_models:
        hints = []
        ranks = _input_ranks(page, model_id) - ran_ranks
        if ranks:
            shown = ", ".join(f"{r}-D" for r in sorted(ranks))
            seen = ", ".join(f"{r}-D" for r in sorted(ran_ranks))
            hints.append(f"a {shown} input, where every model it ran has {seen} inputs")
        ops = _operators(page, model_id)
        if ops is not None and known_ops is not None and ops - known_ops:
            names = ", ".join(f"`{escape_inline(o)}`" for o in sorted(ops - known_ops))
            hints.append(f"operators no model it ran uses: {names}")
        if hints:
            sentences.append(
                f"{model_link(page, model_id)} has {' and '.join(hints)} "
                f"({runtime_link(page, runtime)} ran {len(ran)} model(s) ok)."
            )
    return sentences


def _operators(page: Page, model_id: str) -> set[str] | None:
    from .specs import recorded_structure

    model = page.kb.models.get(model_id)
    if model is None:
        return None
    structure = recorded_structure(page, model)
    return set(structure.op_histogram) if structure else None


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
            slow_runtimes_section(page, frame),
            agreement_section(page, frame),
            failures_section(page, frame),
        ]
    parts.append(page.footnotes())
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"
