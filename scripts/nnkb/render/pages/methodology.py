"""methodology.md, written from the harness's real settings and from what the results record.

The numbers in the text come from `nnkb.bench.settings.HARNESS` (what the next `nnkb bench`
uses) and from each results file's `harness`, `machine.peak` and rows (what the published
numbers were measured with); where the two differ, the page says so.
"""

from __future__ import annotations

import json
from typing import Any

from ...analysis.frame import UNSTABLE_SPREAD
from ...codec import Json
from ..sections.method_notes import (
    matrix_section,
    precision_section,
    profiles_section,
    stability_section,
)
from ..sections.outlook import code_span
from ..sections.precision_table import precision_method_section, precision_table_section
from ..sections.throughput import methodology_section as scenario_methodology
from ..shared.cells import (
    STABILITY_ANCHOR,
    format_when,
    machine_link,
    row_variant,
    runtime_link,
)
from ..shared.numbers import format_flops
from ..shared.page import (
    DOWNLOADS_PATH,
    METHODOLOGY_PATH,
    WIDE_PAGE,
    Page,
    SiteContext,
    bullet_list,
)
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline, folded

STATUSES = {
    "ok": "measured; every number in the row is valid",
    "failed": "the runtime raised an error while loading or running the model",
    "unavailable": (
        "the row does not apply on this machine: the runtime is not installed, or the variant "
        "needs instructions the CPU lacks; never counted as a failure"
    ),
    "crashed": "the row's subprocess died (a signal, e.g. killed when out of memory)",
    "timeout": "the row's subprocess was killed after the row timeout",
    "mismatch": "the runtime ran, but its outputs did not match the reference",
}


def current_harness() -> Json:
    from ...bench.settings import HARNESS

    return dict(HARNESS)


def _value(value: Any) -> Md:
    """A harness setting as the code has it, verbatim (it names runtimes by their ids)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return Md(code_span(text))


def _recorded(site: SiteContext) -> dict[str, Json | None]:
    return dict(sorted((r.machine.id, r.harness) for r in site.results_files))


def procedure(h: Json) -> str:
    """The measurement procedure in sentences, every number taken from the harness."""

    def get(key: str, default: Any = "?") -> Any:
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
            f"**Reference outputs.** {code_span(str(get('reference')))}; every other row's outputs "
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


def harness_table(site: SiteContext, current: Json) -> str:
    recorded = _recorded(site)
    keys = sorted(set(current) | {k for h in recorded.values() if h for k in h})
    records = []
    for key in keys:
        record: Cells = {"key": Md(f"`{escape_inline(key)}`")}
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
            "What each runtime's adapter says about how it runs a model, and its settings as "
            "the results record them. Tables on the site show a row's settings as *usual* "
            "when they are these, and otherwise name the variant."
        ),
    ]
    if not usual:
        parts.append("*No results yet.*")
    for runtime, settings in usual.items():
        records = [
            {"key": Md(f"`{escape_inline(k)}`"), "value": _value(v)}
            for k, v in sorted(settings.items())
        ]
        versions = sorted(
            {
                f"{v}"
                for v in site.frame.loc[site.frame["runtime"] == runtime, "runtime_version"]
                if isinstance(v, str)
            }
        )
        rows = site.frame[site.frame["runtime"] == runtime]
        others = sorted({row_variant(page, r) for r in rows.itertuples()} - {""})
        parts.append(f"### {runtime_link(page, runtime)}")
        adapter = site.adapters.get(runtime)
        if adapter is not None and adapter.methodology:
            # The adapter's own sentences: Markdown written by nnkb, not KB text.
            parts.append(adapter.methodology)
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
        table = Table.from_records(records, [Column("key", "Setting"), Column("value", "Value")])
        parts.append(folded(f"Its {len(records)} settings", table.to_markdown("No settings.")))
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
        "Only a use case's candidates compete: models listed under it whose task is one of the "
        "use case's tasks. A backbone (a feature extractor inside another model) is never a "
        "candidate, nor is a classifier for detection."
    ),
    (
        "A model's time on a machine is its best eligible ok row: the lowest median over "
        "runtimes, settings and precisions; ties go to the lower p90, then the runtime name."
    ),
    (
        "A row in FP32 is eligible. A row in a reduced precision (INT8, BF16, FP16, as the "
        "runtime reports it ran) is eligible only when its measured agreement with the FP32 "
        "reference, or its measured task accuracy, is within the use case's precision "
        "tolerance: the agreement metric the use case names must reach the threshold, or for "
        "character error rate and line accuracy the loss against the same model's ONNX Runtime "
        "FP32 row must not exceed it. A reduced-precision row with nothing measured is never "
        'recommended; a faster one that is not within is shown as "faster, accuracy not '
        'within tolerance" with its figures.'
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
        "The recommendation names the instruction sets its precision relied on, as the "
        "machine had them: BF16 kernels need AVX512_BF16 or AMX-BF16, the INT8 fast path "
        "VNNI (AVX512_VNNI, AVX-VNNI) or AMX-INT8 on x86 and i8mm or the dot product "
        "instructions on Arm, FP16 AVX512_FP16 or AMX-FP16; FP32 needs only the vector units "
        "(AVX2, AVX-512). When the pick relies on any, the same rules are applied again to the "
        "rows that relied on none (FP32, or INT8 measured on a CPU whose int8 path is plain "
        "AVX2), and that choice is given beside it: the answer for a CPU without them."
    ),
    (
        "Accuracy is the published figure for the trained weights of the file measured. Where "
        "no published file can be had, a builtin graph stands in: the same architecture with "
        "seeded random weights, which costs the same time per inference. Such a model is named "
        "'(architecture only, random weights)' everywhere, and its reduced-precision rows are "
        "neither accepted nor rejected: their speed is shown, their accuracy cost is not "
        "measurable on random weights, and they are never recommended. Rows record which "
        "weights they measured."
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
        matrix_section(page),
        "## Harness settings",
        (
            "The settings as the code has them, and as each results file recorded them when "
            "its rows were measured (*same* where they agree)."
        ),
        folded("Every setting, in the code and in each results file", harness_table(site, current)),
        scenario_methodology(current),
        columns_section(),
        runtime_settings_section(page),
        peaks_section(page),
        precision_section(page),
        precision_method_section(),
        precision_table_section(page),
        stability_section(page),
        profiles_section(page),
        statuses_section(page),
        "## How a recommendation is made",
        bullet_list(RECOMMENDATION_RULES),
        page.footnotes(),
    ]
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"
