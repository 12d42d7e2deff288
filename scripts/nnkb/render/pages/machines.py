"""machines/index.md and machines/<id>.md: one page per machine with a results file.

A machine page shows the fingerprint `nnkb bench` recorded, the FP32 peak it measured and
how, and how much of that peak each model reached (analysis.machine_efficiency), with the
roofline-style chart.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ... import analysis
from ...analysis.frame import UNSTABLE_SPREAD
from ...results import Machine
from ..shared import charts
from ..shared.cells import (
    STABILITY_ANCHOR,
    format_when,
    hardware_of,
    is_reduced_precision,
    latency_cell,
    machine_label,
    measured_span,
    model_link,
    peak_cell,
    percent_cell,
    precision_cell,
    precision_name,
    provenance,
    row_label,
    runtime_link,
    runtime_name,
    spread_text,
    stability_counts,
)
from ..shared.numbers import format_flops
from ..shared.page import (
    MACHINES_INDEX,
    METHODOLOGY_PATH,
    RESULTS_CSV,
    WIDE_PAGE,
    Page,
    SiteContext,
    machine_path,
    machine_results_path,
)
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, escape_label, folded, format_number
from .browser import browser_pages, browser_section


def _facts(rows: list[tuple[str, Any]]) -> str:
    records = [{"fact": k, "value": v} for k, v in rows if v not in (None, "")]
    return Table.from_records(
        records, [Column("fact", "Fact"), Column("value", "Value")]
    ).to_markdown()


def _flags(page: Page, machine: Machine) -> Md | None:
    flags = sorted(str(f) for f in machine.hardware.isa_features)
    if not flags:
        return None
    hardware = page.kb.hardware.get(machine.hardware_class or "")
    # The features the KB's hardware class names as the ones that matter are shown in bold.
    wanted = {f.lower() for f in hardware.isa_features} if hardware else set()
    return Md(
        ", ".join(
            f"**`{escape_inline(f)}`**" if f.lower() in wanted else f"`{escape_inline(f)}`"
            for f in flags
        )
    )


def fingerprint_section(page: Page, machine: Machine) -> str:
    hw, sw = machine.hardware, machine.software
    versions = ", ".join(
        f"{runtime_link(page, name)} {escape_inline(version or 'not installed')}"
        for name, version in sorted(sw.runtimes.items())
    )
    rows: list[tuple[str, Any]] = [
        ("Hardware class", hardware_of(page, machine.id)),
        ("CPU", hw.cpu_model),
        ("Architecture", hw.arch),
        ("Physical cores", hw.physical_cores),
        ("Logical CPUs", hw.logical_cpus),
        ("Memory", "not told" if hw.memory_bytes is None else f"{hw.memory_bytes / 2**30:.1f} GiB"),
        ("Instruction-set features", _flags(page, machine)),
        ("Operating system", sw.os),
        ("Python", sw.python),
        ("Runtimes", Md(versions) if versions else None),
    ]
    intro = (
        "What `nnkb bench` recorded about this machine. Instruction-set features in bold are "
        "the ones the hardware class page names as mattering for inference."
    )
    return f"## Fingerprint\n\n{intro}\n\n{_facts(rows)}"


def peak_section(page: Page, machine: Machine) -> str:
    peak = machine.peak
    rows = [
        ("Measured FP32 peak", format_flops(peak.fp32_flops) if peak else None),
        ("Method", peak.method if peak else None),
        ("Measured at", format_when(peak.measured_at) if peak else None),
    ]
    text = (
        "The rate a large single-precision matrix multiplication reaches on all cores: an "
        "achievable ceiling for dense FP32 arithmetic on this machine, lower than the "
        "theoretical peak of its datasheet. *Of peak* on the pages is a model's achieved "
        "rate (2 × multiply-accumulates / median latency) against it. "
        f"[Methodology]({page.href(METHODOLOGY_PATH)}#machines-and-their-peak)."
    )
    return f"## Measured peak\n\n{text}\n\n{_facts(rows)}"


def efficiency_section(page: Page, machine_id: str) -> str:
    frame = page.site.frame
    if not (frame["machine"] == machine_id).any():
        return "## Achieved compute\n\n*This results file has no rows yet.*"
    # A runtime measured with several settings (OpenVINO's precision) gets a row per setting:
    # machine_efficiency keeps the fastest row per "runtime", so each variant is named apart.
    rows = frame[frame["machine"] == machine_id]
    variants: dict[str, tuple[str, str]] = {}
    labels = []
    for r in rows.itertuples():
        # "OpenVINO · BF16": the chart's traces and the table name the precision that ran.
        label = row_label(page, r)
        variants[label] = (r.runtime, label.removeprefix(runtime_name(page, r.runtime)))
        labels.append(label)
    efficiency = analysis.machine_efficiency(rows.assign(runtime=labels), machine_id)
    records = []
    for r in efficiency.itertuples():
        runtime, suffix = variants[r.runtime]
        note = f" {escape_inline(suffix.strip())}" if suffix.strip() else ""
        records.append(
            {
                "model_id": r.model,
                "runtime_id": r.runtime,
                "model": model_link(page, r.model),
                "runtime": Md(runtime_link(page, runtime) + note),
                "p50": latency_cell(r.p50),
                "precision": precision_cell(_precision(rows, r.model, runtime, r.settings)),
                "macs": format_number(int(r.macs)) if not pd.isna(r.macs) else None,
                "achieved": None if pd.isna(r.achieved_flops) else format_flops(r.achieved_flops),
                "peak": peak_cell(r.peak_fraction, _precision(rows, r.model, runtime, r.settings)),
                "intensity": None
                if pd.isna(r.flops_per_weight_byte)
                else f"{r.flops_per_weight_byte:.3g}",
            }
        )
    table = Table.from_records(
        records,
        [
            Column("model", "Model"),
            Column("runtime", "Runtime · precision"),
            Column("p50", "Median (p50)", align="right"),
            Column("precision", "Precision"),
            Column("macs", "Multiply-accumulates", align="right"),
            Column("achieved", "Achieved", align="right"),
            Column("peak", "Of measured peak", align="right"),
            Column("intensity", "FLOPs per FP32 weight byte", align="right"),
        ],
    ).sort(["model_id", "runtime_id"])
    text = (
        "Each model on each runtime and setting (the fastest row where settings repeat): the "
        "rate it computed at, 2 × multiply-accumulates / median latency, and that rate as a "
        "share of the measured peak. The chart plots the achieved rate against FLOPs per byte "
        "of weights (activations are not counted, so the real arithmetic intensity is lower) "
        "under the measured peak as a ceiling."
    )
    named = efficiency.assign(model_name=efficiency["model"].map(page.site.names.model))
    named.attrs = efficiency.attrs
    chart = charts.roofline(named, float(efficiency.attrs["peak_flops"]))
    fp32_above = [r for r in efficiency.itertuples() if r.above_fp32_peak]
    if fp32_above:
        names = ", ".join(
            f"{runtime_link(page, variants[r.runtime][0])} on {model_link(page, r.model)} "
            f"({percent_cell(r.peak_fraction)})"
            for r in fp32_above
        )
        text += (
            f" Some FP32 rows exceed the measured peak ({names}): the peak is what one "
            "matrix multiplication reaches through numpy's BLAS, and a runtime's own kernels "
            "can be faster on some layers, so read it as a reference point rather than a limit."
        )
    reduced = rows[(rows["status"] == analysis.OK) & rows["precision"].map(is_reduced_precision)]
    if len(reduced):
        # A bf16 row does its arithmetic in bf16, so against an FP32 peak it may exceed 100 %.
        names = ", ".join(
            f"{runtime_link(page, r.runtime)} on {model_link(page, r.model)} "
            f"({escape_inline(precision_name(r.precision) or '')})"
            for r in reduced.sort_values(["runtime", "model"]).itertuples()
        )
        text += (
            f" Rows that computed below FP32 ({names}) are set against the FP32 peak too, "
            "so their share is not comparable with the FP32 rows and can exceed 100 %."
        )
    detail = "\n\n".join(
        [provenance(page, machine_id, rows), table.to_markdown("No row ran ok on this machine.")]
    )
    return "\n\n".join(
        ["## Achieved compute", chart, text, folded("Achieved compute of every row", detail)]
    )


def _summary(page: Page, machine_id: str) -> str:
    rows = page.site.frame[page.site.frame["machine"] == machine_id]
    ok = int((rows["status"] == analysis.OK).sum())
    span = measured_span(rows)
    return (
        f"A machine `nnkb bench` ran on: {len(rows)} rows ({ok} ok) for "
        f"{rows['model'].nunique()} models and {rows['runtime'].nunique()} runtimes"
        + (f", measured {span}" if span else "")
        + f". Raw results: [{machine_id}.json]({page.href(machine_results_path(machine_id))})."
    )


def stability_section(page: Page, machine_id: str) -> str | None:
    """How far the two processes of each row disagreed on this machine."""
    rows = page.site.frame[page.site.frame["machine"] == machine_id]
    ok, verified, unstable = stability_counts(rows)
    if not verified:
        return None
    spreads = rows.loc[rows["status"] == analysis.OK, "process_spread"].dropna()
    how = f"[two processes]({page.href(METHODOLOGY_PATH)}#{STABILITY_ANCHOR})"
    text = (
        f"Each row ran in {how} minutes apart and reports the faster. Of the {verified} ok "
        f"rows measured twice here, {unstable} differed by more than {UNSTABLE_SPREAD * 100:g} % "
        f"between their two processes (median spread {spread_text(spreads.median())}, "
        f"largest {spread_text(spreads.max())})"
    )
    if unstable:
        text += (
            ": this machine's speed drifts over minutes, and a comparison closer than a "
            "row's spread is not settled"
        )
    text += "."
    if verified < ok:
        text += (
            f" {ok - verified} ok row(s) were measured in one process only (their second "
            "process failed, or the verification was skipped; the results file says which)."
        )
    return f"## Stability\n\n{text}"


def _precision(rows: pd.DataFrame, model: str, runtime: str, settings: str) -> Any:
    hit = rows[
        (rows["model"] == model) & (rows["runtime"] == runtime) & (rows["settings"] == settings)
    ]
    return hit["precision"].iloc[0] if len(hit) else None


def machine_page(site: SiteContext, machine_id: str) -> str:
    page = Page(site, machine_path(machine_id))
    machine = site.machines[machine_id]
    label = machine_label(page, machine_id)
    parts = [
        f"# {escape_inline(label)}",
        _summary(page, machine_id),
        # What the machine is, then its chart: a chart on the first screen would have the
        # page evaluate plotly.js while it loads (charts.js draws a chart as it scrolls near).
        fingerprint_section(page, machine),
        peak_section(page, machine),
        efficiency_section(page, machine_id),
        stability_section(page, machine_id),
        f"---\n\n[All machines]({page.href(MACHINES_INDEX)})",
        page.footnotes(),
    ]
    return WIDE_PAGE + "\n\n".join(p.strip() for p in parts if p) + "\n"


def machines_index(site: SiteContext) -> str:
    page = Page(site, MACHINES_INDEX)
    frame = site.frame
    records = []
    for machine_id, machine in site.machines.items():
        rows = frame[frame["machine"] == machine_id]
        hw = machine.hardware
        records.append(
            {
                "label": machine_label(page, machine_id),
                # The index is where a reader places a machine: its full label.
                "machine": Md(
                    f"[{escape_label(machine_label(page, machine_id))}]"
                    f"({page.href(machine_path(machine_id))})"
                ),
                "hardware": hardware_of(page, machine_id),
                "cpu": hw.cpu_model,
                "cores": f"{hw.physical_cores} / {hw.logical_cpus}",
                "peak": format_flops(machine.peak.fp32_flops if machine.peak else None),
                "rows": f"{int((rows['status'] == analysis.OK).sum())} / {len(rows)}",
                "when": measured_span(rows),
            }
        )
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("hardware", "Hardware class"),
            Column("cpu", "CPU"),
            Column("cores", "Cores / logical CPUs", align="right"),
            Column("peak", "Measured FP32 peak", align="right"),
            Column("rows", "Rows ok / all", align="right"),
            Column("when", "Measured"),
        ],
    ).sort("label")
    intro = (
        "Every machine with a results file in `kb/results/`. Results from several machines "
        "appear side by side on the use case, model and runtime comparison pages. To add "
        "yours, run `make site` on it and contribute `kb/results/<machine-id>.json`. All "
        f"results in one table: [results.csv]({page.href(RESULTS_CSV)})."
    )
    parts = [
        "# Machines",
        intro,
        table.to_markdown("No machine has been measured yet."),
        browser_section(page),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def machine_pages(site: SiteContext) -> dict[str, str]:
    pages = {MACHINES_INDEX: machines_index(site)}
    for machine_id in site.machines:
        pages[machine_path(machine_id)] = machine_page(site, machine_id)
    pages.update(browser_pages(site))
    return pages
