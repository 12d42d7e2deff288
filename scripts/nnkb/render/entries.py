"""One page per KB entry: models/<id>.md, use_cases/<id>.md, frameworks/<id>.md, hardware/<id>.md.

Each page is a list of section functions (`MODEL_SECTIONS` and so on). A section takes the
page and the entry and returns Markdown, or None to leave the section out. A later stage
adds a section by inserting a function into the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..kb import Claim, Entry, Framework, Hardware, Model, Source, UseCase
from .measured import measured_section
from .page import (
    COLLECTION_TITLES,
    Page,
    Section,
    bullet_list,
    cited_value,
    claim_item,
    index_path,
)
from .profiles import where_the_time_goes
from .specs import model_specifications
from .tables import Column, Md, Table
from .text import code_block, escape_inline, escape_text, format_number, indent, link
from .usecase import outlook_section, pareto_section, ranking_section, recommendation_section

PLATFORM_NAMES: dict[str, str] = {
    "windows": "Windows",
    "macos": "macOS",
    "linux": "Linux",
    "android": "Android",
    "ios": "iOS",
    "web": "Web",
}
INSTALL_SYSTEMS: tuple[str, ...] = ("windows", "macos", "linux")
STATUS_NAMES = {
    "active": "active",
    "maintenance": "maintenance only",
    "discontinued": "discontinued",
    "merged": "merged into another project",
}
KIND_NAMES = {"training-framework": "Training framework", "inference-runtime": "Inference runtime"}


# --- small typed views of fields kb.py keeps as raw data -----------------------------------


def claims(raw: Sequence[dict[str, Any]] | None) -> list[Claim]:
    return [Claim(c["text"], Source.of(c["source"])) for c in raw or []]


def facts_table(rows: Sequence[tuple[str, str | Md | None]]) -> str:
    """A two-column table of an entry's facts; rows without a value are left out."""
    records = [{"fact": name, "value": value} for name, value in rows if value not in (None, "")]
    table = Table.from_records(records, [Column("fact", "Fact"), Column("value", "Value")])
    return table.to_markdown()


# --- sections every entry page has ------------------------------------------------------


def title_section(page: Page, entry: Entry) -> str:
    return f"# {escape_inline(entry.name)}\n\n{escape_text(entry.summary)}"


def description_section(page: Page, entry: Entry) -> str:
    return f"## Description\n\n{escape_text(entry.description)}"


def sources_section(page: Page, entry: Entry) -> str | None:
    if not entry.sources:
        return None
    items = [link(s.title, s.url) for s in entry.sources]
    return "## Sources\n\n" + bullet_list(items)


def edit_section(page: Page, entry: Entry) -> str:
    folder = COLLECTION_TITLES[entry.collection].lower()
    back = f"[All {escape_inline(folder)}]({page.href(index_path(entry.collection))})"
    url = page.site.edit_url(entry)
    if not url:
        return back
    return f"---\n\n{back} · [Edit this entry]({url}) (`kb/{entry.collection}/{entry.path.name}`)"


# --- models ----------------------------------------------------------------------------


def model_facts(page: Page, model: Model) -> str:
    licence_name, licence_source = model.licence
    use_cases = ", ".join(page.link_id("use_cases", u) for u in model.use_cases)
    return facts_table(
        [
            ("Family", model.family),
            ("Task", model.task.replace("-", " ")),
            ("Paper", Md(link(model.paper.title, model.paper.url))),
            ("Licence", Md(escape_inline(licence_name) + page.cite(licence_source))),
            ("Use cases", Md(use_cases)),
        ]
    )


def model_use_cases(page: Page, model: Model) -> str | None:
    items = []
    for use_case_id in model.use_cases:
        use_case = page.kb.use_cases.get(use_case_id)
        summary = f" — {escape_inline(use_case.summary)}" if use_case else ""
        items.append(page.link_id("use_cases", use_case_id) + summary)
    return "## Use cases\n\n" + bullet_list(items) if items else None


def model_accuracy(page: Page, model: Model) -> str:
    records = [
        {
            "metric": a.metric,
            "dataset": a.dataset,
            "note": a.note,
            "value": Md(format_number(a.value, a.unit) + page.cite(a.source)),
        }
        for a in model.accuracy
    ]
    table = Table.from_records(
        records,
        [
            Column("metric", "Metric"),
            Column("dataset", "Dataset"),
            Column("value", "Value", align="right"),
            Column("note", "Note"),
        ],
    )
    return "## Published accuracy\n\n" + table.to_markdown("No published accuracy figure yet.")


def model_onnx(page: Page, model: Model) -> str:
    spec = model.onnx
    if spec is None:
        reason = model.data.get("not_benchmarked_reason")
        text = escape_text(reason) if reason else "No redistributable ONNX file is available."
        return f"## ONNX file\n\nNot benchmarked: {text}"
    where = {
        "builtin": "built by nnkb from the published architecture, with seeded random weights",
        "package": "shipped in a Python package",
        "file": "a file in the repository",
        "url": "downloaded and checked against its SHA-256",
    }.get(spec.source, spec.source)
    inputs = ", ".join(
        f"`{escape_inline(name)}` {'×'.join(str(d) for d in shape)}"
        for name, shape in spec.inputs.items()
    )
    rows: list[tuple[str, str | Md | None]] = [
        ("Source", Md(escape_inline(where))),
        ("Inputs", Md(inputs)),
        ("Builder", Md(f"`{escape_inline(spec.builder)}`") if spec.builder else None),
        ("Package", spec.package),
        ("Class scores (top-1 agreement checked)", "yes" if spec.classifier else None),
        ("In the default benchmark", "yes" if spec.benchmark else "no"),
    ]
    return "## ONNX file\n\n" + facts_table(rows)


MODEL_SECTIONS: list[Section[Model]] = [
    title_section,
    model_facts,
    description_section,
    model_use_cases,
    model_accuracy,
    model_onnx,
    model_specifications,
    measured_section,
    where_the_time_goes,
    sources_section,
    edit_section,
]


# --- use cases -------------------------------------------------------------------------


def use_case_io(page: Page, use_case: UseCase) -> str:
    metric = use_case.accuracy_metric
    better = "higher" if metric["higher_is_better"] else "lower"
    rows: list[tuple[str, str | Md | None]] = [
        ("Input", use_case.data["input"]),
        ("Output", use_case.data["output"]),
        (
            "Compared by",
            Md(
                f"{escape_inline(metric['metric'])} on "
                f"{escape_inline(metric['dataset'])} ({better} is better)"
            ),
        ),
        ("Lowest acceptable value", cited_value(page, use_case.accuracy_floor, True)),
    ]
    return facts_table(rows)


def candidate_table(page: Page, use_case: UseCase) -> Table:
    """The models that list this use case, with their figure on its metric, best first."""
    metric = use_case.accuracy_metric
    records = []
    for model in page.kb.models_for(use_case.id):
        match = next(
            (
                a
                for a in model.accuracy
                if a.metric == metric["metric"] and a.dataset == metric["dataset"]
            ),
            None,
        )
        records.append(
            {
                "name": model.name,
                "model": page.link_entry(model),
                "family": model.family,
                "score": match.value if match else None,
                "accuracy": Md(format_number(match.value, match.unit) + page.cite(match.source))
                if match
                else None,
                "parameters": cited_value(page, model.published_parameters),
                "macs": cited_value(page, model.published_macs),
            }
        )
    columns = [
        Column("model", "Model"),
        Column("family", "Family"),
        Column("accuracy", f"{metric['metric']} ({metric['dataset']})", align="right"),
        Column("parameters", "Parameters", align="right"),
        Column("macs", "Multiply-accumulates", align="right"),
    ]
    table = Table.from_records(records, columns)
    return table.sort(["score", "name"], ascending=[not metric["higher_is_better"], True])


def use_case_candidates(page: Page, use_case: UseCase) -> str:
    table = candidate_table(page, use_case)
    return "## Candidate models\n\n" + table.to_markdown(
        "No model in the knowledge base lists this use case yet."
    )


def use_case_considerations(page: Page, use_case: UseCase) -> str | None:
    items = [claim_item(page, c) for c in use_case.considerations]
    return "## What to weigh\n\n" + bullet_list(items) if items else None


def use_case_hardware(page: Page, use_case: UseCase) -> str | None:
    items = [
        f"{page.link_id('hardware', hw)}: {claim_item(page, claim)}"
        for hw, claim in use_case.hardware_notes
    ]
    return "## On particular hardware\n\n" + bullet_list(items) if items else None


USE_CASE_SECTIONS: list[Section[UseCase]] = [
    title_section,
    use_case_io,
    recommendation_section,
    description_section,
    ranking_section,
    pareto_section,
    use_case_candidates,
    use_case_considerations,
    outlook_section,
    sources_section,
    edit_section,
]


# --- frameworks ------------------------------------------------------------------------


def platform_list(values: Sequence[str]) -> str:
    order = list(PLATFORM_NAMES)
    ordered = sorted(values, key=lambda v: order.index(v) if v in order else len(order))
    return ", ".join(PLATFORM_NAMES.get(v, escape_inline(v)) for v in ordered)


def onnx_support(page: Page, framework: Framework) -> Md:
    onnx = framework.data["onnx"]
    text = f"exports: {'yes' if onnx['exports'] else 'no'}; runs: {'yes' if onnx['runs'] else 'no'}"
    if onnx.get("note"):
        text += f" ({escape_inline(onnx['note'])})"
    return Md(text + page.cite(Source.of(onnx["source"])))


def predecessors(page: Page, framework: Framework) -> list[Framework]:
    return [f for f in page.kb.frameworks.values() if f.data.get("successor") == framework.id]


def framework_facts(page: Page, framework: Framework) -> str:
    data = framework.data
    platforms = data["platforms"]
    hardware = data["hardware"]
    successor = data.get("successor")
    replaced = ", ".join(page.link_entry(f) for f in predecessors(page, framework))
    return facts_table(
        [
            ("Kind", KIND_NAMES.get(framework.kind, framework.kind)),
            ("Maintainer", data["maintainer"]),
            ("Status", STATUS_NAMES.get(data["status"], data["status"])),
            ("Succeeded by", page.link_id("frameworks", successor) if successor else None),
            ("Succeeds", Md(replaced) if replaced else None),
            ("Website", Md(link(data["website"], data["website"]))),
            ("Licence", data["licence"]),
            (
                "Platforms",
                Md(platform_list(platforms["values"]) + page.cite(Source.of(platforms["source"]))),
            ),
            ("ONNX", onnx_support(page, framework)),
            (
                "Hardware",
                Md(
                    ", ".join(page.link_id("hardware", h) for h in hardware["values"])
                    + page.cite(Source.of(hardware["source"]))
                ),
            ),
            (
                "Measured by nnkb",
                Md(
                    "yes, adapter "
                    + ", ".join(f"`{escape_inline(a)}`" for a in framework.benchmark_adapters)
                )
                if framework.benchmark_adapters
                else None,
            ),
        ]
    )


def framework_history(page: Page, framework: Framework) -> str | None:
    items = [claim_item(page, c) for c in claims(framework.data.get("history"))]
    return "## History\n\n" + bullet_list(items) if items else None


def install_tabs(page: Page, framework: Framework) -> str | None:
    """The install commands as Windows / macOS / Linux content tabs, then note and source."""
    install = framework.data.get("install")
    if not install:
        return None
    parts = []
    if any(install.get(system) for system in INSTALL_SYSTEMS):
        tabs = []
        for system in INSTALL_SYSTEMS:
            command = install.get(system)
            body = (
                code_block(command, "powershell" if system == "windows" else "sh")
                if command
                else f"No command is listed for {PLATFORM_NAMES[system]}; see the "
                f"{link(framework.name + ' website', framework.data['website'])}."
            )
            tabs.append(f'=== "{PLATFORM_NAMES[system]}"\n\n{indent(body)}')
        parts.append("\n\n".join(tabs))
    if install.get("note"):
        parts.append(escape_text(install["note"]))
    source = link(install["source"]["title"], install["source"]["url"])
    parts.append(f"Source: {source}.")
    return "\n\n".join(parts)


def framework_install(page: Page, framework: Framework) -> str | None:
    tabs = install_tabs(page, framework)
    return "## Install\n\n" + tabs if tabs else None


FRAMEWORK_SECTIONS: list[Section[Framework]] = [
    title_section,
    framework_facts,
    description_section,
    framework_history,
    framework_install,
    sources_section,
    edit_section,
]


# --- hardware --------------------------------------------------------------------------


def hardware_facts(page: Page, hardware: Hardware) -> str:
    data = hardware.data
    precisions = data["precisions"]
    return facts_table(
        [
            ("Category", hardware.category.upper()),
            ("Examples", ", ".join(data["examples"])),
            (
                "Native precisions",
                Md(
                    ", ".join(escape_inline(p) for p in precisions["values"])
                    + page.cite(Source.of(precisions["source"]))
                ),
            ),
            (
                "Instruction-set features that matter",
                Md(", ".join(f"`{escape_inline(f)}`" for f in data.get("isa_features", [])))
                if data.get("isa_features")
                else None,
            ),
        ]
    )


def hardware_figures(page: Page, hardware: Hardware) -> str | None:
    records = [
        {
            "label": f["label"],
            "value": Md(format_number(f["value"], f["unit"]) + page.cite(Source.of(f["source"]))),
        }
        for f in hardware.data.get("figures", [])
    ]
    if not records:
        return None
    table = Table.from_records(
        records, [Column("label", "Figure"), Column("value", "Value", align="right")]
    )
    return "## Figures\n\n" + table.to_markdown()


def hardware_claims(page: Page, hardware: Hardware) -> str | None:
    items = [claim_item(page, c) for c in claims(hardware.data.get("facts"))]
    return "## Facts\n\n" + bullet_list(items) if items else None


def hardware_frameworks(page: Page, hardware: Hardware) -> str:
    records = []
    for framework in page.kb.frameworks.values():
        targets = framework.data["hardware"]
        if hardware.id not in targets["values"]:
            continue
        records.append(
            {
                "name": framework.name,
                "framework": Md(
                    page.link_entry(framework) + page.cite(Source.of(targets["source"]))
                ),
                "kind": KIND_NAMES.get(framework.kind, framework.kind),
                "runs_onnx": framework.data["onnx"]["runs"],
            }
        )
    table = Table.from_records(
        records,
        [
            Column("framework", "Framework or runtime"),
            Column("kind", "Kind"),
            Column("runs_onnx", "Runs ONNX files"),
        ],
    ).sort("name")
    return "## Frameworks and runtimes that target it\n\n" + table.to_markdown(
        "No framework in the knowledge base lists this hardware yet."
    )


def hardware_use_case_notes(page: Page, hardware: Hardware) -> str | None:
    items = [
        f"{page.link_entry(use_case)}: {claim_item(page, claim)}"
        for use_case in page.kb.use_cases.values()
        for hw, claim in use_case.hardware_notes
        if hw == hardware.id
    ]
    return "## Notes from use cases\n\n" + bullet_list(items) if items else None


HARDWARE_SECTIONS: list[Section[Hardware]] = [
    title_section,
    hardware_facts,
    description_section,
    hardware_figures,
    hardware_claims,
    hardware_frameworks,
    hardware_use_case_notes,
    sources_section,
    edit_section,
]

SECTIONS: dict[str, list[Section[Any]]] = {
    "models": MODEL_SECTIONS,
    "use_cases": USE_CASE_SECTIONS,
    "frameworks": FRAMEWORK_SECTIONS,
    "hardware": HARDWARE_SECTIONS,
}
