"""One index page per collection and the install page, each built around a pandas table."""

from __future__ import annotations

from collections.abc import Callable

from ...kb import Source
from ..shared.cells import all_provenance, machine_short, row_label, runtime_precision
from ..shared.page import Page, SiteContext, cited_value, index_path
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline
from .platforms import (
    INSTALL_SYSTEMS,
    KIND_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    install_tabs,
)

INSTALL_PATH = "frameworks/install.md"
YES, NO = "✓", "—"


def _yes(flag: bool) -> str:
    return YES if flag else NO


def _page(site: SiteContext, path: str, parts: list[str | None]) -> str:
    page_parts = [p.strip() for p in parts if p]
    return "\n\n".join(page_parts) + "\n"


def use_cases_index(site: SiteContext) -> str:
    page = Page(site, index_path("use_cases"))
    records: list[Cells] = [
        {
            "name": u.name,
            "use_case": page.link_entry(u),
            "summary": u.summary,
            "metric": f"{u.accuracy_metric['metric']} on {u.accuracy_metric['dataset']}",
            "models": Md(
                ", ".join(
                    page.link_entry(m)
                    for m in sorted(site.kb.models_for(u.id), key=lambda m: m.name.casefold())
                )
            ),
        }
        for u in site.kb.use_cases.values()
    ]
    for record, use_case in zip(records, site.kb.use_cases.values()):
        record["recommended"] = recommended_cell(page, use_case.id)
    table = Table.from_records(
        records,
        [
            Column("use_case", "Use case"),
            Column("summary", "Summary"),
            Column("metric", "Compared by"),
            Column("models", "Candidate models"),
            Column("recommended", "Recommended, per measured machine"),
        ],
    ).sort("name")
    intro = (
        "What a reader wants to solve. Each use case names the metric its candidate models "
        "are compared by and links to the models that can do it. The recommendation is the "
        "fastest measured model whose cited accuracy meets the use case's floor; its page "
        "says why."
    )
    parts = ["# Use cases", intro, all_provenance(page), table.to_markdown(), page.footnotes()]
    return _page(site, page.path, parts)


def recommended_cell(page: Page, use_case_id: str) -> Md | None:
    """'Model on Runtime, 7.75 ms (machine)' for each measured machine, or None."""
    from ..sections.throughput import figure

    frame = page.site.frame
    if frame.empty:
        return None
    parts = []
    # The use case's own scenario: the same pick as its page (throughput rows included).
    for rec in page.site.analysis.recommendations[use_case_id]:
        if rec.model is None:
            parts.append(f"none on {escape_inline(machine_short(page, rec.machine))}")
            continue
        runtime = runtime_precision(
            page, rec.runtime or "", rec.pick.precision if rec.pick else None
        )
        parts.append(
            f"{page.link_id('models', rec.model)} on {escape_inline(runtime)}, "
            f"{figure(rec)} ({escape_inline(machine_short(page, rec.machine))})"
        )
    return Md("; ".join(parts))


def models_table(page: Page) -> Table:
    records = [
        {
            "name": m.name,
            "model": page.link_entry(m),
            "family": m.family,
            "task": m.task.replace("-", " "),
            "use_cases": Md(", ".join(page.link_id("use_cases", u) for u in m.use_cases)),
            "parameters": cited_value(page, m.published_parameters),
            "macs": cited_value(page, m.published_macs),
            "benchmarked": _yes(m.onnx is not None),
            "fastest": fastest_cell(page, m.id),
        }
        for m in page.kb.models.values()
    ]
    return Table.from_records(
        records,
        [
            Column("model", "Model"),
            Column("family", "Family"),
            Column("task", "Task"),
            Column("use_cases", "Use cases"),
            Column("parameters", "Parameters", align="right"),
            Column("macs", "Multiply-accumulates", align="right"),
            Column("benchmarked", "Benchmarked", align="center"),
            Column("fastest", "Fastest measured median (runtime · precision)", align="right"),
        ],
    ).sort("name")


def fastest_cell(page: Page, model_id: str) -> str | None:
    """'2.40 ms (OpenVINO · INT8, AMD EPYC, 2 cores)' per machine: the runtime and the precision
    it ran in, marked when a use case of the model does not accept that precision; the model
    page has every row."""
    from ...analysis.frame import fastest_ok
    from ...analysis.precision import rejections
    from ..shared.numbers import format_latency
    from ..shared.precision_words import rejected_words

    rows = page.site.frame[page.site.frame["model"] == model_id]
    rejected = rejections(page.kb, rows)
    parts = []
    for best in fastest_ok(rows, ["machine"]).itertuples():
        runtime = row_label(page, best)
        note = rejected_words([page.kb.use_cases[u].name for u in rejected[best.Index]])
        parts.append(
            f"{format_latency(best.p50)} ({runtime}, {machine_short(page, best.machine)}"
            + (f"; {note}" if note else "")
            + ")"
        )
    return "; ".join(parts) or None


def models_index(site: SiteContext) -> str:
    page = Page(site, index_path("models"))
    intro = (
        "Neural networks described in the knowledge base. Sizes are the published figures, "
        "each with its source; a model with an ONNX file is measured by `nnkb bench` and its "
        "page shows the results."
    )
    parts = ["# Models", intro, all_provenance(page), models_table(page).to_markdown()]
    return _page(site, page.path, [*parts, page.footnotes()])


def frameworks_table(page: Page) -> Table:
    records = []
    for f in page.kb.frameworks.values():
        onnx = f.onnx
        # How it exports or runs ONNX (the note) goes into the footnote with the source.
        cite = page.cite(Source.of(onnx["source"]), onnx.get("note"))
        records.append(
            {
                "name": f.name,
                "kind": f.kind,
                "framework": page.link_entry(f),
                "maintainer": f.maintainer,
                "status": STATUS_NAMES.get(f.status, f.status),
                "licence": f.licence_name,
                "exports": Md(_yes(onnx["exports"]) + cite),
                "runs": Md(_yes(onnx["runs"]) + cite),
            }
        )
    return Table.from_records(
        records,
        [
            Column("framework", "Name"),
            Column("maintainer", "Maintainer"),
            Column("status", "Status"),
            Column("licence", "Licence"),
            Column("exports", "Exports ONNX", align="center"),
            Column("runs", "Runs ONNX", align="center"),
        ],
    ).sort("name")


def matrix_table(page: Page, field: str, keys: list[str], titles: Callable[[str], str]) -> Table:
    """Framework × values of a list field (`platforms` or `hardware`), ✓ where it is listed."""
    records = []
    for f in page.kb.frameworks.values():
        values, source = f.listed(field)
        record = {
            "name": f.name,
            "framework": Md(page.link_entry(f) + page.cite(source)),
        }
        record.update({key: _yes(key in values) for key in keys})
        records.append(record)
    columns = [Column("framework", "Framework")] + [
        Column(key, titles(key), align="center") for key in keys
    ]
    return Table.from_records(records, columns).sort("name")


def frameworks_index(site: SiteContext) -> str:
    page = Page(site, index_path("frameworks"))
    table = frameworks_table(page)
    training = table.filter(lambda row: row["kind"] == "training-framework")
    runtimes = table.filter(lambda row: row["kind"] == "inference-runtime")
    hardware_ids = sorted(site.kb.hardware, key=lambda h: site.kb.hardware[h].name.casefold())
    hardware_matrix = matrix_table(
        page, "hardware", hardware_ids, lambda h: site.kb.hardware[h].name
    )
    platform_matrix = matrix_table(
        page, "platforms", list(PLATFORM_NAMES), lambda p: PLATFORM_NAMES[p]
    )
    intro = (
        "Training frameworks define and train networks; inference runtimes execute trained "
        "networks, most of them from ONNX files. How to install the runtimes: "
        f"[Install]({page.href(INSTALL_PATH)})."
    )
    return _page(
        site,
        page.path,
        [
            "# Frameworks and runtimes",
            intro,
            f"## {KIND_NAMES['training-framework']}s",
            training.to_markdown(),
            f"## {KIND_NAMES['inference-runtime']}s",
            runtimes.to_markdown(),
            "## Platforms",
            "Operating systems each one runs on.",
            platform_matrix.to_markdown(),
            "## Hardware",
            "Hardware classes each one targets.",
            hardware_matrix.to_markdown("No hardware in the knowledge base yet."),
            page.footnotes(),
        ],
    )


def install_page(site: SiteContext) -> str:
    page = Page(site, INSTALL_PATH)
    frameworks = sorted(
        (f for f in site.kb.frameworks.values() if f.install),
        key=lambda f: (f.kind != "inference-runtime", f.name.casefold()),
    )
    systems = ", ".join(PLATFORM_NAMES[s] for s in INSTALL_SYSTEMS)
    parts: list[str | None] = [
        "# Install",
        (
            f"Commands that install each framework or runtime on {systems}, runtimes first. "
            "Where each set of commands comes from is cited below it."
        ),
    ]
    for framework in frameworks:
        parts.append(f"## {escape_inline(framework.name)}")
        parts.append(
            f"{KIND_NAMES.get(framework.kind, framework.kind)}: "
            f"{page.link_entry(framework, 'about ' + framework.name)}."
        )
        parts.append(install_tabs(page, framework))
    if not frameworks:
        parts.append("*No install commands in the knowledge base yet.*")
    parts.append(page.footnotes())
    return _page(site, page.path, parts)


def hardware_index(site: SiteContext) -> str:
    page = Page(site, index_path("hardware"))
    records = []
    for h in site.kb.hardware.values():
        targeting = sorted(
            (f for f in site.kb.frameworks.values() if h.id in f.hardware),
            key=lambda f: f.name.casefold(),
        )
        records.append(
            {
                "name": h.name,
                "hardware": page.link_entry(h),
                "category": h.category.upper(),
                "summary": h.summary,
                "precisions": Md(
                    ", ".join(escape_inline(p) for p in h.precisions)
                    + page.cite(h.precisions_source)
                ),
                "frameworks": Md(", ".join(page.link_entry(f) for f in targeting)),
            }
        )
    table = Table.from_records(
        records,
        [
            Column("hardware", "Hardware"),
            Column("category", "Category"),
            Column("summary", "Summary"),
            Column("precisions", "Native precisions"),
            Column("frameworks", "Frameworks and runtimes"),
        ],
    ).sort(["category", "name"])
    intro = (
        "Classes of hardware that run inference, what they compute natively, and which "
        "frameworks and runtimes target them."
    )
    return _page(site, page.path, ["# Hardware", intro, table.to_markdown(), page.footnotes()])


INDEX_PAGES: dict[str, Callable[[SiteContext], str]] = {
    index_path("use_cases"): use_cases_index,
    index_path("models"): models_index,
    index_path("frameworks"): frameworks_index,
    INSTALL_PATH: install_page,
    index_path("hardware"): hardware_index,
}
