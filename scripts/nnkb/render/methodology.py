"""methodology.md, written from the harness's real settings and from what the results record.

The numbers in the text come from `nnkb.bench.settings.HARNESS` (what the next `nnkb bench`
uses) and from each results file's `harness`, `machine.peak` and rows (what the published
numbers were measured with); where the two differ, the page says so.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .. import analysis
from .measured import (
    STABILITY_ANCHOR,
    UNSTABLE_SPREAD,
    error_cell,
    format_when,
    is_reduced_precision,
    machine_link,
    model_link,
    precision_name,
    runtime_link,
    settings_note,
    spread_text,
    stability_counts,
)
from .numbers import format_flops
from .page import DOWNLOADS_PATH, METHODOLOGY_PATH, WIDE_PAGE, Page, SiteContext, bullet_list
from .tables import Column, Md, Table
from .text import escape_inline, link

OPENVINO_CPU_DOCS = (
    "OpenVINO documentation: CPU device, floating-point data types",
    (
        "https://docs.openvino.ai/2024/openvino-workflow/running-inference/"
        "inference-devices-and-modes/cpu-device.html"
    ),
)
STATUSES = {
    "ok": "measured; every number in the row is valid",
    "failed": "the runtime raised an error while loading or running the model",
    "unavailable": "the runtime is not installed on this machine",
    "crashed": "the row's subprocess died (a signal, e.g. killed when out of memory)",
    "timeout": "the row's subprocess was killed after the row timeout",
    "mismatch": "the runtime ran, but its outputs did not match the reference",
}


def current_harness() -> dict[str, Any]:
    from ..bench.settings import HARNESS

    return dict(HARNESS)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _recorded(site: SiteContext) -> dict[str, dict[str, Any] | None]:
    return dict(sorted((r.machine.id, r.harness) for r in site.results_files))


def procedure(h: dict[str, Any]) -> str:
    """The measurement procedure in sentences, every number taken from the harness."""

    def get(key: str, default: str = "?") -> Any:
        return h.get(key, default)

    ci_percent = f"{float(get('ci_target', 0)) * 100:g}" if "ci_target" in h else "?"
    level = f"{float(get('ci_level', 0)) * 100:g}" if "ci_level" in h else "?"
    steps = [
        (
            f"**Isolation.** {escape_inline(get('isolation'))}; a row that runs longer than "
            f"{get('row_timeout_seconds')} s is killed and recorded as `timeout`. A failure is a "
            "row with a status and the runtime's message, never the end of the run."
        ),
        f"**Inputs.** {escape_inline(get('inputs'))} (seed {get('input_seed')}). Batch size 1.",
        (
            f"**Warm-up.** At least {get('warmup_min_runs')} inference(s) and "
            f"{get('warmup_seconds')} s before timing starts; the first inference is timed "
            "separately (*first inference*), as is creating the session (*load*)."
        ),
        (
            f"**Repetitions.** At least {get('min_repetitions')} timed inferences over at least "
            f"{get('min_measure_seconds')} s, then more until the {level}% confidence interval of "
            f"the median lies within ±{ci_percent}% of the median, or {get('max_repetitions')} "
            f"repetitions, or the row's budget of {get('row_budget_seconds')} s is spent (then "
            "the row is marked as not converged)."
        ),
        f"**Timer.** `{escape_inline(get('timer'))}` around each inference call alone.",
        f"**Confidence interval.** {escape_inline(get('ci_method'))}.",
        (
            f"**Reference outputs.** {escape_inline(get('reference'))}; every other row's outputs "
            "are compared with it element by element."
        ),
        f"**Relative error.** {escape_inline(get('relative_error'))}.",
        f"**Machine peak.** {escape_inline(get('peak_method'))}.",
    ]
    if "profile_method" in h:
        method = str(get("profile_method"))
        steps.append(
            f"**Operator profile.** {escape_inline(method[:1].upper() + method[1:])}: at least "
            f"{get('profile_min_runs')} inference(s), then more until {get('profile_seconds')} s "
            f"have passed, at most {get('profile_max_runs')}. It runs after the timed "
            "repetitions and the memory reading, so it changes none of the row's other "
            "numbers; a profiler that fails leaves the row ok without a profile "
            "([operator profiles](#operator-profiles))."
        )
    if "processes_per_row" in h:
        steps.append(
            f"**{get('processes_per_row')} processes per row.** "
            f"{escape_inline(str(get('process_rule'))[:1].upper() + str(get('process_rule'))[1:])} "
            f"([two processes per row](#{STABILITY_ANCHOR}))."
        )
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


def harness_table(site: SiteContext, current: dict[str, Any]) -> str:
    recorded = _recorded(site)
    keys = sorted(set(current) | {k for h in recorded.values() if h for k in h})
    records = []
    for key in keys:
        record: dict[str, Any] = {"key": Md(f"`{escape_inline(key)}`")}
        record["current"] = _value(current[key]) if key in current else "—"
        for machine, harness in recorded.items():
            if harness is None:
                record[machine] = "not recorded"
            elif key not in harness:
                record[machine] = "—"
            elif harness[key] == current.get(key):
                record[machine] = "same"
            else:
                record[machine] = _value(harness[key])
        records.append(record)
    columns = [Column("key", "Setting"), Column("current", "nnkb.bench.settings.HARNESS")]
    columns += [Column(m, f"recorded in {m}.json") for m in recorded]
    return Table.from_records(records, columns).to_markdown()


def runtime_settings_section(page: Page) -> str:
    site = page.site
    usual = site.usual_settings
    parts = [
        "## Runtime settings",
        (
            "Each runtime's settings as the results record them. Tables on the site show a "
            "row's settings as *usual* when they are these, and otherwise only the settings "
            "that differ."
        ),
    ]
    if not usual:
        parts.append("*No results yet.*")
    for runtime, settings in usual.items():
        records = [
            {"key": Md(f"`{escape_inline(k)}`"), "value": Md(f"`{escape_inline(_value(v))}`")}
            for k, v in sorted(settings.items())
        ]
        versions = sorted(
            {
                f"{v}"
                for v in site.frame.loc[site.frame["runtime"] == runtime, "runtime_version"]
                if isinstance(v, str)
            }
        )
        others = sorted(
            set(site.frame.loc[site.frame["runtime"] == runtime, "settings_difference"]) - {""}
        )
        parts.append(f"### {runtime_link(page, runtime)}")
        parts.append(
            f"Adapter `{escape_inline(runtime)}`"
            + (f", version {escape_inline(', '.join(versions))}" if versions else "")
            + "."
            + (
                " Also measured with: "
                + ", ".join(f"`{escape_inline(o)}`" for o in others)
                + " (tables name these settings where they appear)."
                if others
                else ""
            )
        )
        parts.append(
            Table.from_records(
                records, [Column("key", "Setting"), Column("value", "Value")]
            ).to_markdown("No settings.")
        )
    return "\n\n".join(parts)


def peaks_section(page: Page) -> str:
    records = []
    for machine_id, machine in page.site.machines.items():
        peak = machine.peak
        records.append(
            {
                "machine": machine_link(page, machine_id),
                "peak": format_flops(peak.fp32_flops if peak else None),
                "method": peak.method if peak else None,
                "when": format_when(peak.measured_at) if peak else None,
            }
        )
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("peak", "Measured FP32 peak", align="right"),
            Column("method", "Method"),
            Column("when", "Measured at"),
        ],
    )
    text = (
        "Each machine's FP32 peak is measured, not taken from a datasheet, by the method "
        "recorded with it. *Of peak* = 2 × multiply-accumulates / median latency / peak; the "
        "multiply-accumulates are counted in the ONNX graph (convolutions and matrix products)."
    )
    return "\n\n".join(
        ["## Machines and their peak", text, table.to_markdown("No machine measured yet.")]
    )


def precision_section(page: Page) -> str:
    frame = page.site.frame
    ok = frame[frame["status"] == analysis.OK]
    reduced = ok[ok["precision"].map(is_reduced_precision)]
    title, url = OPENVINO_CPU_DOCS
    parts = [
        "## Precision and agreement",
        (
            "Each row records the precision the runtime reports it computed in. ONNX Runtime's "
            "CPU provider and OpenCV's CPU target compute in FP32. OpenVINO chooses its "
            "inference precision itself: on CPUs with native bf16 instructions (AVX512_BF16 or "
            "AMX) its CPU plugin computes in bf16 instead of FP32 unless told otherwise "
            f"({link(title, url)}). bf16 keeps FP32's range but only 8 bits of mantissa, so "
            "the outputs move by an amount the agreement columns show; in exchange the "
            "arithmetic is faster. nnkb measures each runtime as it behaves "
            "by default and reports the precision and the agreement beside the speed."
        ),
    ]
    if reduced.empty:
        parts.append("In the current results, every row that ran reported FP32.")
    else:
        records = [
            {
                "machine": machine_link(page, r.machine),
                "runtime": runtime_link(page, r.runtime),
                "model": model_link(page, r.model),
                "precision": precision_name(r.precision),
                "abs": error_cell(r.max_abs_error),
                "rel": error_cell(r.max_rel_error),
                "top1": None if pd.isna(r.top1_agree) else ("yes" if r.top1_agree else "no"),
            }
            for r in reduced.itertuples()
        ]
        parts.append(
            f"In the current results, {len(reduced)} row(s) that ran reported a precision "
            "other than FP32:"
        )
        parts.append(
            Table.from_records(
                records,
                [
                    Column("machine", "Machine"),
                    Column("runtime", "Runtime"),
                    Column("model", "Model"),
                    Column("precision", "Precision"),
                    Column("abs", "Max abs. error vs FP32", align="right"),
                    Column("rel", "Max rel. error vs FP32", align="right"),
                    Column("top1", "Top-1 agrees", align="center"),
                ],
            ).to_markdown()
        )
    if (ok["max_rel_error"] > 1).any():
        parts.append(
            "The relative error divides each difference by the reference value plus 1e-3 of "
            "the largest reference value, so outputs close to zero (small logits, features "
            "after a ReLU) can show a relative error above 1 while the absolute error stays "
            "small. The absolute error and the top-1 agreement say more about what a reader "
            "would see change."
        )
    return "\n\n".join(parts)


COLUMNS = [
    (
        "Median (p50)",
        (
            "the median of the timed repetitions of the faster of the row's worker processes: "
            "the headline latency everywhere"
        ),
    ),
    (
        "Process spread",
        (
            "how much higher the slower process's median was than the reported one; over "
            f"{UNSTABLE_SPREAD * 100:g} % the row is marked unstable"
        ),
    ),
    ("p90", "the 90th percentile: what one inference in ten exceeds"),
    (
        "95% CI of median",
        (
            "the interval that holds the true median with 95% confidence; when the intervals of "
            "two rows overlap, their difference is within measurement noise"
        ),
    ),
    ("Throughput", "1 / median: inferences per second on one stream at batch 1"),
    ("Of peak", "2 × multiply-accumulates / median, against the machine's measured FP32 peak"),
    ("Load", "the time to create the runtime's session from the ONNX file (compilation included)"),
    (
        "Peak memory",
        (
            "the peak resident memory of the row's worker process, interpreter and runtime "
            "libraries included"
        ),
    ),
    ("Precision", "the precision the runtime reports it computed in"),
    (
        "Max abs. / rel. error, Top-1 agrees",
        (
            "the largest difference from the FP32 reference outputs, and whether the top class "
            "is the same (classifiers only)"
        ),
    ),
]


def profiles_section(page: Page) -> str:
    from .profiles import profiles

    rows = profiles(page)
    ok = int((page.site.frame["status"] == analysis.OK).sum())
    text = (
        "Each ok row records where its inference time goes: after the timed repetitions, the "
        "runtime's own profiler times each operator over a few extra inferences, and the row "
        "keeps every operator type's share of the total kernel time (the largest types and "
        "*other*). Model pages show them under *Where the time goes*; the runtime comparison "
        "names the largest shares of every runtime that is much slower than the fastest. "
        "Three caveats. Profiling adds overhead of its own (a timer around every kernel), so "
        "a profiled inference is slower than the timed ones: the profile gives shares, not "
        "absolute times, and a share times the median is an estimate. Kernel time leaves out "
        "what the runtime does between kernels, so the shares describe the kernels only. And "
        "operator type names differ between runtimes, because each fuses and rewrites the "
        "graph its own way: ONNX Runtime reports the layout conversions it inserts "
        "(`ReorderInput`, `ReorderOutput`) and its fused operators (`FusedConv`), OpenVINO "
        "reports the nodes of its compiled graph, where an activation after a convolution is "
        "part of the `Convolution` node, and OpenCV DNN reports its layer types; an operator "
        "of the graph missing from one runtime's profile ran there as part of another "
        "operator type (fused, or under another name), not skipped."
    )
    count = f"In the current results, {len(rows)} of the {ok} ok row(s) carry a profile."
    return f"## Operator profiles\n\n{text}\n\n{count}"


def stability_section(page: Page) -> str:
    """Why every row runs in two processes, and how far they disagreed on each machine."""
    text = (
        "A shared virtual machine runs in phases: for minutes at a time it is faster or slower "
        "than its usual speed. The same row measured in two processes a minute apart has "
        "differed by up to 1.7×, while each process's own 95% interval of the median was "
        "about ±1%: the interval says how well one process measured its own phase, not the "
        "machine. Two runtimes measured in different phases would then be compared unfairly. "
        "So `nnkb bench` measures each row twice: once in the main pass and once more in a "
        "fresh worker process after every other row has run, so the row's two processes are "
        "a whole matrix apart. The row reports the faster process (the lower median), like "
        "`timeit`'s best of several runs: every runtime gets the same two chances at the "
        "machine's fast phase. The other process is kept in the results file "
        "(`processes`), and its distance from the reported median is the row's *process "
        f"spread*; a row whose spread is over {UNSTABLE_SPREAD * 100:g} % is marked *unstable*: "
        "treat differences between runtimes smaller than its spread as unsettled."
    )
    frame = page.site.frame
    records = []
    for machine_id in sorted(frame["machine"].unique()):
        rows = frame[frame["machine"] == machine_id]
        ok, verified, unstable = stability_counts(rows)
        spreads = rows.loc[rows["status"] == analysis.OK, "process_spread"].dropna()
        worst = rows.loc[rows["process_spread"] > UNSTABLE_SPREAD].sort_values(
            "process_spread", ascending=False
        )
        names = ", ".join(
            f"{model_link(page, r.model)} × {runtime_link(page, r.runtime)}"
            f"{settings_note(r.settings_difference)} "
            f"({spread_text(r.process_spread)})"
            for r in worst.itertuples()
        )
        records.append(
            {
                "machine": machine_link(page, machine_id),
                "rows": f"{verified} of {ok}",
                "median": spread_text(spreads.median()) if verified else None,
                "max": spread_text(spreads.max()) if verified else None,
                "unstable": Md(f"{unstable}: {names}" if unstable else "0"),
            }
        )
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("rows", "Ok rows with two processes", align="right"),
            Column("median", "Median spread", align="right"),
            Column("max", "Largest spread", align="right"),
            Column("unstable", f"Over {UNSTABLE_SPREAD * 100:g} % (unstable)"),
        ],
    )
    return "\n\n".join(
        ["## Two processes per row", text, table.to_markdown("No machine measured yet.")]
    )


def columns_section() -> str:
    items = [f"*{escape_inline(name)}*: {escape_inline(meaning)}." for name, meaning in COLUMNS]
    return "## What the columns mean\n\n" + bullet_list(items)


def statuses_section(page: Page) -> str:
    counts = page.site.frame["status"].value_counts()
    items = [
        f"`{status}`: {meaning} ({int(counts.get(status, 0))} row(s) in the current results)"
        for status, meaning in STATUSES.items()
    ]
    return "## Row statuses\n\n" + bullet_list(items)


RECOMMENDATION_RULES = [
    (
        "A model's time on a machine is its best ok row: the lowest median over runtimes and "
        "settings; ties go to the lower p90, then the runtime name."
    ),
    (
        "A model qualifies when its cited accuracy on the use case's metric and dataset meets the "
        "use case's floor (at least the floor when higher is better, at most otherwise). A model "
        "without a cited figure never qualifies: the site does not guess accuracy."
    ),
    (
        "The fastest qualifying model is recommended; equal medians go to the better cited "
        "accuracy, then the lower p90, then the model id."
    ),
    (
        "Accuracy is the published figure for the original trained weights; builtin models run "
        "the same architecture with random weights, which costs the same time per inference."
    ),
    (
        "Each use case page writes out the reasoning with the numbers: which models qualified, "
        "which faster ones did not and why, and which did not run."
    ),
]


def methodology_page(site: SiteContext) -> str:
    page = Page(site, METHODOLOGY_PATH)
    current = current_harness()
    version = current.get("version", "?")
    parts = [
        "# Methodology",
        (
            f"How `nnkb bench` measures, generated from the harness settings (version "
            f"{escape_inline(str(version))}) in `scripts/nnkb/bench/settings.py` and from what "
            "each results file records. Every measured table on the site links here and says "
            f"which machine and when. Raw data: [Downloads]({page.href(DOWNLOADS_PATH)})."
        ),
        "## How a row is measured",
        "A row is one model on one runtime with one set of settings, on one machine.",
        procedure(current),
        "## Harness settings",
        (
            "The settings as the code has them, and as each results file recorded them when "
            "its rows were measured (*same* where they agree)."
        ),
        harness_table(site, current),
        columns_section(),
        runtime_settings_section(page),
        peaks_section(page),
        precision_section(page),
        stability_section(page),
        profiles_section(page),
        statuses_section(page),
        "## How a recommendation is made",
        bullet_list(RECOMMENDATION_RULES),
        page.footnotes(),
    ]
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"
