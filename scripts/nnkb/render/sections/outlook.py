"""The use case page's "On other hardware" section: per hardware class, which runtime and
precision to use and why, the install route, and the best published (cited) figures for the
use case's models, or what to measure where none is published.

The choices come from nnkb.analysis.hardware_outlook (runtimes by relevance, merged or
discontinued frameworks left out); the figures are cited, shown in their own marked tables
(render/sections/cited.py), never beside the measured numbers above.
"""

from __future__ import annotations

from ... import analysis
from ...analysis.outlook import FASTEST_RULE, HardwareOutlook, RuntimeChoice
from ...codec import Json
from ...kb import Framework, Source, UseCase
from ..shared.cells import machine_link
from ..shared.page import Page, bullet_list, claim_item
from ..shared.text import escape_inline, folded, indent
from .cited import FIGURE_KEYS, figures_table

# The command shown for a runtime's install route: the first system it lists, Linux first
# (the systems Jetson, Coral boards and Arm single-board computers run).
INSTALL_ORDER = ("linux", "macos", "windows")


def _upper(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(escape_inline(v.upper()) for v in values)


def runtime_item(page: Page, choices: tuple[RuntimeChoice, ...], routes: bool = False) -> str:
    if not choices:
        if routes:
            return (
                "**Runtime:** no framework entry in the knowledge base targets this class; the "
                "vendor's own toolchain is named under *Install*."
            )
        return "**Runtime:** no current framework in the knowledge base targets this class."
    words = []
    for choice in choices:
        detail = ["runs ONNX files" if choice.runs_onnx else "needs its own model format"]
        if choice.cited_figures:
            plural = "s" if choice.cited_figures > 1 else ""
            detail.append(f"{choice.cited_figures} published figure{plural} on this class")
        words.append(f"{page.link_id('frameworks', choice.framework)} ({'; '.join(detail)})")
    first, rest = words[0], words[1:]
    text = f"**Runtime:** {first}"
    if rest:
        text += ", then " + ", ".join(rest)
    return text + "."


def precision_item(page: Page, item: HardwareOutlook) -> str | None:
    entry = page.kb.hardware.get(item.hardware)
    if entry is None:
        return None
    source = page.cite(entry.precisions_source)
    text = f"**Precision:** the class computes in {_upper(item.precisions)}{source}"
    stated = sorted({f.precision for f in item.figures} - {"unstated"})
    if stated:
        text += f"; the published figures below ran in {_upper(stated)}"
    elif item.figures:
        text += "; the published figures below do not state their precision"
    if item.precisions == ("int8",):
        text += "; a model must be fully quantised to INT8 to run here"
    return text + "."


def routes_of(page: Page, hardware: str) -> list[Json]:
    """The class's own runtime routes (kb/hardware runtime_routes), the vendor's first."""
    entry = page.kb.hardware.get(hardware)
    return entry.runtime_routes if entry else []


def route_text(page: Page, route: Json) -> str:
    name = escape_inline(str(route["name"]))
    if route.get("framework"):
        name += f" ({page.link_id('frameworks', str(route['framework']))})"
    how = escape_inline(" ".join(str(route["how"]).split())).rstrip(".")
    return f"{name}: {how}" + page.cite(Source.of(route["source"]))


def install_item(
    page: Page, choices: tuple[RuntimeChoice, ...], hardware: str | None = None
) -> str | None:
    """How to get the runtime on this class: the class's own routes when its entry has them
    (TensorRT comes with JetPack on a Jetson, not from pip), else the first runtime's command."""
    routes = routes_of(page, hardware) if hardware else []
    if routes:
        return "**Install:** " + "; or ".join(route_text(page, r) for r in routes) + "."
    if not choices:
        return None
    framework: Framework = page.kb.frameworks[choices[0].framework]
    install = framework.install
    if not install:
        return None
    system = next((s for s in INSTALL_ORDER if install.get(s)), None)
    text = f"**Install:** {page.link_entry(framework)}"
    if system:
        text += ": " + ", then ".join(code_span(line) for line in install[system].splitlines())
    if install.get("note"):
        text += f" ({escape_inline(install['note']).rstrip('.')})"
    return text + page.cite(Source.of(install["source"])) + "."


def why_block(page: Page, item: HardwareOutlook) -> str | None:
    entry = page.kb.hardware.get(item.hardware)
    facts = entry.facts if entry else []
    items = [claim_item(page, c) for c in facts]
    if not items:
        return None
    body = bullet_list(items)
    title = f"Why: what the hardware entry says about {item.name}"
    return f'??? note "{escape_inline(title).replace(chr(34), "&quot;")}"\n\n{indent(body)}'


def code_span(command: str) -> str:
    """A command as inline code: shown verbatim (Markdown does not unescape inside it)."""
    command = " ".join(command.split())
    fence = "``" if "`" in command else "`"
    return f"{fence} {command} {fence}" if fence == "``" else f"`{command}`"


def absent_text(page: Page, use_case: UseCase, item: HardwareOutlook) -> str:
    if item.measured:
        return (
            "*No published figure in the knowledge base for this use case's models (or their "
            "closest entries) on this class;* nnkb's own measurements are in the ranking above."
        )
    models = ", ".join(page.link_entry(m) for m in page.kb.models_for(use_case.id)) or "its models"
    routes = routes_of(page, item.hardware)
    runtime = (
        escape_inline(str(routes[0]["name"]))
        if routes
        else page.link_id("frameworks", item.choices[0].framework)
        if item.choices
        else "its runtime"
    )
    entry = page.kb.hardware.get(item.hardware)
    examples = entry.examples if entry else []
    on = f" on one of: {', '.join(escape_inline(e) for e in examples)}" if examples else ""
    text = (
        "*No published figure in the knowledge base for this use case's models (or their "
        f"closest entries) on this class.* To fill the gap, measure {models} with {runtime}"
        f"{on}, in each precision the class computes in ({_upper(item.precisions)}), as "
        "single-stream latency at batch 1, checking accuracy against FP32; or add a figure "
        "its publisher states to `kb/cited/`."
    )
    if not item.measured and any(c.benchmarked for c in item.choices):
        names = ", ".join(
            page.link_id("frameworks", c.framework) for c in item.choices if c.benchmarked
        )
        text += (
            f" nnkb has a benchmark adapter for {names}: `nnkb bench` on such a machine adds "
            "its numbers to this page."
        )
    return text


def class_section(page: Page, use_case: UseCase, item: HardwareOutlook) -> str:
    heading = f"Hardware class: {page.link_id('hardware', item.hardware)}."
    if item.measured:
        machines = [
            machine_link(page, m)
            for m in sorted(page.site.machines)
            if page.site.machines[m].hardware_class == item.hardware
        ]
        status = "Measured by nnkb on " + ", ".join(machines) + ": see the ranking above."
    else:
        status = "Not measured by nnkb."
    lines = [runtime_item(page, item.choices, bool(routes_of(page, item.hardware)))]
    precision = precision_item(page, item)  # cited before the install route: footnote order
    install = install_item(page, item.choices, item.hardware)
    lines += [x for x in (precision, install) if x]
    lines += [claim_item(page, claim) for claim in item.notes]
    details = [bullet_list(lines)]
    why = why_block(page, item)
    if why:
        details.append(why)
    if item.figures:
        details.append(
            "Best published figure per model, each as its source states it (model, runtime, "
            "device, precision, batch and statistic), cited, not measured by nnkb. "
            + escape_inline(FASTEST_RULE)
        )
        details.append(figures_table(page, list(item.figures), page.site.cited, FIGURE_KEYS))
        title = f"Runtime, install and {len(item.figures)} published figure(s)"
    else:
        details.append(absent_text(page, use_case, item))
        title = "Runtime and install"
    # Folded: ten hardware classes of detail would make a phone scroll for minutes; a link
    # to a figure's row opens its block (docs/javascripts/open-target.js).
    summary = f"{item.name}: {'measured by nnkb' if item.measured else 'not measured by nnkb'}"
    summary += f"; {title[0].lower()}{title[1:]}"
    return folded(summary, "\n\n".join([heading, status, *details]))


def outlook_section(page: Page, use_case: UseCase) -> str | None:
    frame = page.site.frame
    outlook = analysis.hardware_outlook(
        page.kb, use_case.id, frame if not frame.empty else None, page.site.cited
    )
    # Measured classes first (their numbers are above), then the others by name.
    outlook.sort(key=lambda o: (not o.measured, o.name.casefold()))
    if not outlook:
        return None
    intro = (
        "Which runtime and precision to use on each class of hardware, how to install it, and "
        "what others have published for this use case's models there. Only the classes marked "
        "as measured have nnkb's numbers on this site; every figure in this section is cited "
        "from its publisher, not measured by nnkb, and figures from different sources ran on "
        "different devices and harnesses. Runtimes are listed most relevant first: those with "
        "more published figures on the class, then inference runtimes before training "
        "frameworks, then runtimes made for fewer classes; merged or discontinued frameworks "
        "are left out."
    )
    parts = ["## On other hardware", intro]
    parts += [class_section(page, use_case, item) for item in outlook]
    return "\n\n".join(parts)
