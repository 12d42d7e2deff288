"""Machines measured in a web browser (the "Benchmark this device" page): their own pages and
the browser section of the machines index.

A browser row is ONNX Runtime Web's latency as a web page gets it, not the device's native
one, so these results never enter `SiteContext.frame`: no ranking, comparison or use case
recommendation reads them (render/build/site.py keeps them in `SiteContext.browser_files`). They
are shown here, each row labelled with its runtime and backend.
"""

from __future__ import annotations

from ...codec import Settings
from ...results import ResultsFile
from ..shared.cells import ci_cell, format_when, latency_cell, model_link
from ..shared.page import MACHINES_INDEX, Page, SiteContext, machine_path
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, escape_label

WEB_RUNTIME = "onnxruntime-web"
BACKEND_NAMES = {"wasm": "WebAssembly", "webgpu": "WebGPU"}
BENCHMARK_PAGE = "benchmark/index.md"
EXPLAINED = (
    "Measured in a web browser with ONNX Runtime Web on the site's "
    "[Benchmark this device]({href}) page: the latency a web page gets on this device, which "
    "runs behind the browser's sandbox with 128-bit WebAssembly SIMD (or WebGPU) and usually "
    "fewer threads than native runtimes. These rows are their own runtime and are never "
    "ranked against native ones or used to recommend a runtime."
)


def web_label(runtime: str, settings: Settings) -> str:
    """ "ONNX Runtime Web · WebAssembly": how pages name a browser row's runtime."""
    if runtime != WEB_RUNTIME:
        return runtime
    backend = str(settings.get("backend", ""))
    return f"ONNX Runtime Web · {BACKEND_NAMES.get(backend, backend or 'unknown backend')}"


def _facts(results: ResultsFile) -> Table:
    hw = results.machine.hardware
    b = hw.browser
    assert b is not None
    memory = "not told" if hw.memory_bytes is None else f"{hw.memory_bytes / 2**30:.2g} GiB"
    facts = [
        ("Browser", b.browser),
        ("User agent", b.user_agent),
        ("Operating system", results.machine.software.os),
        ("Architecture", hw.arch),
        ("Logical cores", hw.logical_cpus),
        ("Memory (as the browser rounds it)", memory),
        ("WebGPU adapter", b.webgpu_adapter or "none"),
        ("Backend", BACKEND_NAMES.get(b.backend, b.backend)),
        ("Threads", b.threads),
        ("Cross-origin isolated", "yes" if b.cross_origin_isolated else "no (one thread)"),
        ("Runtimes", ", ".join(f"{k} {v}" for k, v in results.machine.software.runtimes.items())),
    ]
    # Plain text: the table escapes each cell, once.
    records = [{"fact": k, "value": str(v)} for k, v in facts]
    return Table.from_records(records, [Column("fact", "Fact"), Column("value", "Value")])


def _rows(page: Page, results: ResultsFile) -> Table:
    records = []
    for row in results.rows:
        latency = row.latency
        records.append(
            {
                "model": model_link(page, row.model)
                if row.model in page.site.kb.models
                else row.model,
                "runtime": web_label(row.runtime, row.settings),
                "version": row.runtime_version,
                "p50": latency_cell(latency.p50) if latency else row.status,
                "ci": ci_cell(latency.ci95_low, latency.ci95_high) if latency else None,
                "n": latency.n if latency else None,
                "converged": None if latency is None else ("yes" if latency.converged else "no"),
                "when": format_when(row.measured_at),
                "reason": row.reason or None,  # plain: the table escapes it, once
            }
        )
    return Table.from_records(
        records,
        [
            Column("model", "Model"),
            Column("runtime", "Runtime"),
            Column("version", "Version"),
            Column("p50", "Median latency", align="right"),
            Column("ci", "95 % interval", align="right"),
            Column("n", "Runs", align="right"),
            Column("converged", "Within ±2 %"),
            Column("when", "Measured"),
            Column("reason", "Reason"),
        ],
    )


def browser_machine_page(site: SiteContext, results: ResultsFile) -> str:
    machine = results.machine
    page = Page(site, machine_path(machine.id))
    parts = [
        f"# {escape_inline(machine.label or machine.id)}",
        EXPLAINED.format(href=page.href(BENCHMARK_PAGE)),
        "## Device\n\n" + _facts(results).to_markdown(),
        "## Results\n\n" + _rows(page, results).to_markdown("No rows."),
        f"---\n\n[All machines]({page.href(MACHINES_INDEX)})",
    ]
    return "\n\n".join(parts) + "\n"


def browser_section(page: Page) -> str:
    """The machines index's list of machines measured in a browser."""
    records = []
    for results in page.site.browser_files:
        machine, b = results.machine, results.machine.hardware.browser
        assert b is not None
        ok = sum(r.ok for r in results.rows)
        label = machine.label or machine.id
        records.append(
            {
                "label": label,  # plain: the sort key, never shown
                "machine": Md(f"[{escape_label(label)}]({page.href(machine_path(machine.id))})"),
                "runtime": web_label(WEB_RUNTIME, {"backend": b.backend}),
                "cores": machine.hardware.logical_cpus,
                "rows": f"{ok} / {len(results.rows)}",
            }
        )
    if not records:
        return ""
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("runtime", "Runtime"),
            Column("cores", "Logical cores", align="right"),
            Column("rows", "Rows ok / all", align="right"),
        ],
    ).sort("label")
    intro = EXPLAINED.format(href=page.href(BENCHMARK_PAGE))
    return f"## Measured in a browser\n\n{intro}\n\n{table.to_markdown()}"


def browser_pages(site: SiteContext) -> dict[str, str]:
    return {machine_path(r.machine.id): browser_machine_page(site, r) for r in site.browser_files}
