"""Framework and hardware entry pages: frameworks/<id>.md and hardware/<id>.md.

What runs the models (facts, ONNX support, history, install commands) and what they run on
(facts, figures, the frameworks that target it, the use cases' notes about it).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...analysis.outlook import all_figures, is_current, runtime_choices
from ...analysis.ranking import adapters_of
from ...kb import Framework, Hardware, Source
from ..sections.cited import hardware_cited
from ..sections.entry_sections import (
    description_section,
    edit_section,
    facts_table,
    sources_section,
    title_section,
)
from ..shared.page import (
    Page,
    Section,
    bullet_list,
    claim_item,
)
from ..shared.tables import Column, Md, Table
from ..shared.text import code_block, escape_inline, escape_text, format_number, indent, link

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


# --- frameworks ------------------------------------------------------------------------


def platform_list(values: Sequence[str]) -> str:
    order = list(PLATFORM_NAMES)
    ordered = sorted(values, key=lambda v: order.index(v) if v in order else len(order))
    return ", ".join(PLATFORM_NAMES.get(v, escape_inline(v)) for v in ordered)


def onnx_support(page: Page, framework: Framework) -> Md:
    onnx = framework.onnx
    text = f"exports: {'yes' if onnx['exports'] else 'no'}; runs: {'yes' if onnx['runs'] else 'no'}"
    if onnx.get("note"):
        text += f" ({escape_inline(onnx['note'])})"
    return Md(text + page.cite(Source.of(onnx["source"])))


def predecessors(page: Page, framework: Framework) -> list[Framework]:
    return [f for f in page.kb.frameworks.values() if f.successor == framework.id]


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
                    + ", ".join(f"`{escape_inline(a)}`" for a in adapters_of(framework))
                )
                if adapters_of(framework)
                else None,
            ),
        ]
    )


def framework_history(page: Page, framework: Framework) -> str | None:
    items = [claim_item(page, c) for c in framework.history]
    return "## History\n\n" + bullet_list(items) if items else None


def install_tabs(page: Page, framework: Framework) -> str | None:
    """The install commands as Windows / macOS / Linux content tabs, then note and source."""
    install = framework.install
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
                f"{link(framework.name + ' website', framework.website)}."
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
            ("Vendor", data.get("vendor")),
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
        for f in hardware.figures
    ]
    if not records:
        return None
    table = Table.from_records(
        records, [Column("label", "Figure"), Column("value", "Value", align="right")]
    )
    return "## Figures\n\n" + table.to_markdown()


def hardware_claims(page: Page, hardware: Hardware) -> str | None:
    items = [claim_item(page, c) for c in hardware.facts]
    return "## Facts\n\n" + bullet_list(items) if items else None


def hardware_routes(page: Page, hardware: Hardware) -> str | None:
    """How a model reaches this class, the vendor's route first (kb/hardware runtime_routes):
    what the use case pages give as the install route for the class."""
    routes = hardware.runtime_routes
    if not routes:
        return None
    items = []
    for route in routes:
        name = f"**{escape_inline(route['name'])}**"
        if route.get("framework"):
            name += f" ({page.link_id('frameworks', route['framework'])})"
        how = escape_inline(" ".join(route["how"].split())).rstrip(".")
        items.append(f"{name}: {how}{page.cite(Source.of(route['source']))}.")
    return "## How to run a model on it\n\n" + bullet_list(items)


def hardware_frameworks(page: Page, hardware: Hardware) -> str:
    """The frameworks that target the class, by relevance (analysis.runtime_choices); merged or
    discontinued ones last, marked as no current choice."""
    figures = all_figures(page.site.cited)
    ordered = [
        page.kb.frameworks[c.framework] for c in runtime_choices(page.kb, hardware.id, figures)
    ]
    retired = sorted(
        (f for f in page.kb.frameworks.values() if hardware.id in f.hardware and not is_current(f)),
        key=lambda f: f.name.casefold(),
    )
    records = []
    for framework in ordered + retired:
        targets = framework.hardware_field
        status = framework.status
        successor = framework.successor
        note = (
            "current"
            if is_current(framework)
            else f"{STATUS_NAMES.get(status, status)}; not a current choice"
            + (f", use {page.link_id('frameworks', successor)}" if successor else "")
        )
        records.append(
            {
                "framework": Md(
                    page.link_entry(framework) + page.cite(Source.of(targets["source"]))
                ),
                "kind": KIND_NAMES.get(framework.kind, framework.kind),
                "runs_onnx": framework.onnx_runs,
                "status": Md(note),
            }
        )
    table = Table.from_records(
        records,
        [
            Column("framework", "Framework or runtime"),
            Column("kind", "Kind"),
            Column("runs_onnx", "Runs ONNX files"),
            Column("status", "Status"),
        ],
    )
    intro = (
        "Most relevant first: runtimes with more published figures on this class, then "
        "inference runtimes before training frameworks, then runtimes made for fewer classes."
    )
    return "## Frameworks and runtimes that target it\n\n" + (
        f"{intro}\n\n{table.to_markdown()}"
        if records
        else "*No framework in the knowledge base lists this hardware yet.*"
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
    hardware_routes,
    hardware_frameworks,
    hardware_cited,
    hardware_use_case_notes,
    sources_section,
    edit_section,
]
