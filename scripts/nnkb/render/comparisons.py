"""comparisons/runtimes.md: each runtime against ONNX Runtime per model and machine, how far
their outputs agree, and which models each runtime could not load or run, and why.

Every sentence that explains a surprising number is written from the rows themselves (a
precision other than FP32, a top-1 class that differs, a load failure), never typed by hand.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import analysis, charts
from .measured import (
    error_cell,
    is_reduced_precision,
    latency_cell,
    machine_label,
    machine_link,
    model_link,
    precision_cell,
    precision_name,
    provenance,
    runtime_link,
    runtime_name,
    yes_no,
)
from .page import METHODOLOGY_PATH, RUNTIMES_PATH, WIDE_PAGE, Page, SiteContext, bullet_list
from .tables import Column, Md, Table
from .text import escape_inline, escape_plain

BASELINE = analysis.BASELINE_RUNTIME
# Outputs that differ from the FP32 reference by more than this (relative) are worth a sentence;
# FP32 runtimes that only reorder sums stay far below it.
NOTABLE_REL_ERROR = 1e-3


def _pivot(page: Page, speedups: pd.DataFrame, failed: pd.DataFrame, machine: str) -> Table:
    rows = speedups[speedups["machine"] == machine]
    runtimes = sorted(set(rows["runtime"]) | set(failed["runtime"]) - {BASELINE})
    runtimes = [r for r in runtimes if r != BASELINE]
    models = sorted(set(rows["model"]) | set(failed["model"]))
    records = []
    for model in models:
        mine = rows[rows["model"] == model]
        base = mine[mine["runtime"] == BASELINE]
        record: dict[str, Any] = {
            "model_id": model,
            "model": model_link(page, model),
            "baseline": latency_cell(base["p50"].iloc[0])
            if len(base)
            else _status(failed, model, BASELINE),
        }
        for runtime in runtimes:
            hit = mine[mine["runtime"] == runtime]
            if len(hit) and not pd.isna(hit["speedup"].iloc[0]):
                r = hit.iloc[0]
                record[runtime] = Md(f"{analysis.format_ratio(r.speedup)} ({latency_cell(r.p50)})")
            elif len(hit):
                record[runtime] = f"{latency_cell(hit['p50'].iloc[0])} (no baseline)"
            else:
                record[runtime] = _status(failed, model, runtime)
        records.append(record)
    columns = [
        Column("model", "Model"),
        Column("baseline", f"{runtime_name(page, BASELINE)} median", align="right"),
    ] + [Column(r, f"{runtime_name(page, r)}: speed-up (median)", align="right") for r in runtimes]
    return Table.from_records(records, columns)


def _status(failed: pd.DataFrame, model: str, runtime: str) -> str | None:
    hit = failed[(failed["model"] == model) & (failed["runtime"] == runtime)]
    return None if hit.empty else "/".join(sorted(set(hit["status"])))


def speedup_section(page: Page, frame: pd.DataFrame) -> str:
    speedups = analysis.runtime_speedups(frame)
    failures = analysis.load_failures(frame)
    parts = [
        f"## Speed-up over {escape_inline(runtime_name(page, BASELINE))}",
        (
            f"Speed-up = {escape_inline(runtime_name(page, BASELINE))} median / runtime median "
            "for the same model on the same machine, each runtime with its fastest settings: "
            "above 1x the runtime is faster. A cell without a number names the status of the "
            "runtime's rows ([why below](#could-not-load-or-run))."
        ),
    ]
    for machine in sorted(frame["machine"].unique()):
        failed = failures[failures["machine"] == machine]
        parts.append(f"### {escape_inline(machine_label(page, machine))}")
        parts.append(provenance(page, machine, frame[frame["machine"] == machine]))
        parts.append(_pivot(page, speedups, failed, machine).to_markdown())
    parts.append(charts.runtime_comparison(speedups))
    return "\n\n".join(parts)


# --- agreement -----------------------------------------------------------------------------


def agreement_sentences(page: Page, frame: pd.DataFrame) -> list[str]:
    """Explanations driven by the rows: reduced precision, top-1 disagreement, large errors."""
    ok = frame[frame["status"] == analysis.OK]
    sentences = []
    reduced = ok[ok["precision"].map(is_reduced_precision)]
    for (machine, runtime, precision), rows in reduced.groupby(
        ["machine", "runtime", reduced["precision"].map(precision_name)], sort=True
    ):
        errors = rows["max_rel_error"].dropna()
        models = ", ".join(model_link(page, m) for m in sorted(rows["model"].unique()))
        text = (
            f"On {machine_link(page, machine)}, {runtime_link(page, runtime)} reported "
            f"**{escape_inline(precision)}** inference for {len(rows)} model(s) ({models}), not "
            "FP32"
        )
        if len(errors):
            text += (
                f": their outputs differ from the FP32 reference by a maximum relative error of "
                f"{errors.min():.2g} to {errors.max():.2g}"
            )
        flags = _bf16_flags(page, machine) if precision == "bf16" else []
        if flags:
            text += (
                f". This machine's CPU has {', '.join(f'`{escape_inline(f)}`' for f in flags)}, "
                "native bf16 instructions, which the runtime uses by default"
            )
        sentences.append(
            text + f" ([precision and agreement]({page.href(METHODOLOGY_PATH)}"
            "#precision-and-agreement))."
        )
    fp32 = ok[~ok["precision"].map(is_reduced_precision)]
    for row in fp32.itertuples():
        if row.runtime == BASELINE and (pd.isna(row.max_rel_error) or row.max_rel_error == 0):
            continue
        if not pd.isna(row.top1_agree) and not bool(row.top1_agree):
            sentences.append(
                f"On {machine_link(page, row.machine)}, {runtime_link(page, row.runtime)} gives a "
                f"different top-1 class than the reference for {model_link(page, row.model)} "
                f"(maximum relative error {error_cell(row.max_rel_error)})."
            )
        elif not pd.isna(row.max_rel_error) and row.max_rel_error > NOTABLE_REL_ERROR:
            sentences.append(
                f"On {machine_link(page, row.machine)}, {runtime_link(page, row.runtime)} differs "
                f"from the reference for {model_link(page, row.model)} by a maximum relative "
                f"error of {error_cell(row.max_rel_error)} in FP32."
            )
    return sentences


def _bf16_flags(page: Page, machine: str) -> list[str]:
    fingerprint = (page.site.machines.get(machine) or {}).get("fingerprint") or {}
    flags = [str(f) for f in fingerprint.get("isa_features") or []]
    return sorted(f for f in flags if "bf16" in f.lower())


def agreement_table(page: Page, rows: pd.DataFrame) -> Table:
    records = [
        {
            "model_id": r.model,
            "runtime_id": r.runtime,
            "model": model_link(page, r.model),
            "runtime": runtime_link(page, r.runtime),
            "precision": precision_cell(r.precision),
            "abs": error_cell(r.max_abs_error),
            "rel": error_cell(r.max_rel_error),
            "top1": yes_no(r.top1_agree),
        }
        for r in rows.itertuples()
    ]
    return Table.from_records(
        records,
        [
            Column("model", "Model"),
            Column("runtime", "Runtime"),
            Column("precision", "Precision"),
            Column("abs", "Max abs. error", align="right"),
            Column("rel", "Max rel. error", align="right"),
            Column("top1", "Top-1 agrees", align="center"),
        ],
    ).sort(["model_id", "runtime_id"])


def agreement_section(page: Page, frame: pd.DataFrame) -> str:
    parts = [
        "## Output agreement",
        (
            "Each runtime's outputs for the same input, compared with a reference run of "
            f"{escape_inline(runtime_name(page, BASELINE))} with graph optimisations off in FP32 "
            "(the errors are the largest over all output elements; *Top-1 agrees* is checked "
            "for classifiers). A runtime that computes in lower precision, or fuses operations "
            f"differently, gives slightly different numbers: [how it is measured]"
            f"({page.href(METHODOLOGY_PATH)}#precision-and-agreement)."
        ),
    ]
    sentences = agreement_sentences(page, frame)
    parts.append(
        bullet_list(sentences)
        if sentences
        else "Every runtime computed in FP32 and agreed with the reference to within "
        f"{NOTABLE_REL_ERROR:g} (relative)."
    )
    best = analysis.runtime_speedups(frame)
    for machine in sorted(best["machine"].unique()):
        parts.append(f"### Agreement on {escape_inline(machine_label(page, machine))}")
        parts.append(provenance(page, machine, frame[frame["machine"] == machine]))
        parts.append(agreement_table(page, best[best["machine"] == machine]).to_markdown())
    return "\n\n".join(parts)


# --- failures ------------------------------------------------------------------------------


def failures_section(page: Page, frame: pd.DataFrame) -> str:
    failures = analysis.load_failures(frame)
    parts = [
        "## Could not load or run",
        (
            "Rows whose status is not ok, by runtime: the model could not be loaded or run, "
            "crashed, ran out of time, or gave outputs that did not match. The reason is the "
            "runtime's own message, as `nnkb bench` recorded it."
        ),
    ]
    if failures.empty:
        parts.append("Every runtime loaded and ran every model it was given.")
        return "\n\n".join(parts)
    total = frame.groupby("runtime")["model"].nunique()
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
                "status": r.status,
                "reason": Md(escape_plain(r.reason)) if isinstance(r.reason, str) else None,
            }
            for r in rows.itertuples()
        ]
        table = Table.from_records(
            records,
            [
                Column("model", "Model"),
                Column("machine", "Machine"),
                Column("status", "Status"),
                Column("reason", "Reason"),
            ],
        )
        parts.append(table.to_markdown())
    return "\n\n".join(parts)


def runtimes_page(site: SiteContext) -> str:
    page = Page(site, RUNTIMES_PATH)
    frame = site.frame
    intro = (
        "The same ONNX files on the same machine in every runtime nnkb benchmarks: how much "
        f"faster or slower each one is than {escape_inline(runtime_name(page, BASELINE))}, "
        "whether its outputs agree, and what it could not run."
    )
    parts = ["# Runtime comparison", intro]
    if frame.empty:
        parts.append("*No machine has been measured yet: run `nnkb bench` and rebuild the site.*")
    else:
        parts += [
            speedup_section(page, frame),
            agreement_section(page, frame),
            failures_section(page, frame),
        ]
    parts.append(page.footnotes())
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"
