"""The home page's answer first: a grid of use case (rows) by hardware class (columns), then one
chart. docs/index.md holds the words; the hook puts this in place of its HOME_MARKER.

A measured class has one column per measured machine, each cell the recommendation
(nnkb.analysis.recommend): model, runtime and precision, median latency. A class not measured
here has one column, each cell what the KB says to use there (nnkb.analysis.hardware_outlook:
the most relevant current runtime) and the best published figure for the use case's models,
marked cited. Every cell links to the reasoning on the use case page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from .. import analysis
from ..analysis.machine_label import short_label
from ..analysis.outlook import HardwareOutlook
from ..kb import UseCase
from . import summary_charts
from .cited import CITED_CLASS, badge
from .numbers import format_latency, sig
from .page import Page, SiteContext, entry_path
from .precision_words import precision_label
from .text import escape_label

HOME_PATH = "index.md"
HOME_MARKER = "<!-- nnkb:home -->"
GRID_CLASS = "nnkb-home-grid"
RECOMMENDATION_ANCHOR = "recommendation"
OUTLOOK_ANCHOR = "on-other-hardware"


@dataclass(frozen=True)
class GridColumn:
    """A column of the grid: a measured machine, or a hardware class not measured here."""

    hardware: str
    title: str  # the hardware class's name
    subtitle: str  # the machine, or "not measured here"
    machine: str | None = None


def grid_columns(site: SiteContext) -> list[GridColumn]:
    """Measured machines first (by hardware class, then id), then the other classes by name."""
    kb = site.kb
    columns = []
    measured = set()
    for machine_id, machine in site.machines.items():
        hardware = machine.hardware_class or ""
        measured.add(hardware)
        name = kb.hardware[hardware].name if hardware in kb.hardware else hardware
        columns.append(GridColumn(hardware, name, short_label(machine.hardware), machine_id))
    columns.sort(key=lambda c: (c.title.casefold(), c.machine or ""))
    others = sorted(
        (h for h in kb.hardware.values() if h.id not in measured), key=lambda h: h.name.casefold()
    )
    columns += [GridColumn(h.id, h.name, "not measured: the KB says") for h in others]
    return columns


def _link(page: Page, use_case: UseCase, anchor: str, lines: list[str]) -> str:
    """A Markdown link (md_in_html parses the cells, so mkdocs resolves and checks it)."""
    href = f"{page.href(entry_path('use_cases', use_case.id))}#{anchor}"
    return f"[{'<br>'.join(lines)}]({href})"


def measured_cell(page: Page, use_case: UseCase, rec: analysis.Recommendation | None) -> str:
    if rec is None or rec.pick is None:
        why = "not measured" if rec is None else "nothing recommended"
        return _link(page, use_case, RECOMMENDATION_ANCHOR, [escape_label(why)])
    names = page.site.names
    pick = rec.pick
    runtime = f"{names.runtime(pick.runtime)} · {precision_label(pick.precision)}"
    lines = [
        f"<strong>{escape_label(pick.model_name)}</strong>",
        escape_label(runtime),
        escape_label(format_latency(pick.p50)),
    ]
    return _link(page, use_case, RECOMMENDATION_ANCHOR, lines)


def outlook_cell(page: Page, use_case: UseCase, item: HardwareOutlook | None) -> str:
    if item is None or not item.choices:
        return _link(page, use_case, OUTLOOK_ANCHOR, ["no current runtime in the KB"])
    runtime = page.kb.frameworks[item.choices[0].framework].name
    latency = [f for f in item.figures if f.kind == "latency"]
    figure = next(iter(latency or item.figures), None)
    if figure is None:
        precisions = ", ".join(p.upper() for p in item.precisions)
        lines = [escape_label(runtime), escape_label(precisions), "no published figure"]
        return _link(page, use_case, OUTLOOK_ANCHOR, lines)
    model = page.kb.models.get(figure.model_ref or "")
    model_name = model.name if model else (figure.model_name or figure.model_ref or "")
    precision = "" if figure.precision == "unstated" else f" · {figure.precision.upper()}"
    tables = {t.id: t for t in page.site.cited}
    publisher = tables[figure.table].source.publisher if figure.table in tables else "its source"
    lines = [
        f"<strong>{escape_label(model_name)}</strong>",
        escape_label(runtime + precision),
        escape_label(f"{sig(figure.value)} {figure.unit}") + " " + badge(publisher),
    ]
    # Published figures sit in a block marked cited everywhere on the site (render/cited.py).
    link = _link(page, use_case, OUTLOOK_ANCHOR, lines)
    return f'<div class="{CITED_CLASS}" markdown="span">{link}</div>'


def grid(site: SiteContext) -> str:
    """The use case by hardware grid as an HTML table (each cell labelled for narrow screens,
    where docs/stylesheets/nnkb.css stacks it)."""
    page = Page(site, HOME_PATH)
    columns = grid_columns(site)
    frame = site.frame
    head = ["<th>Use case</th>"] + [
        f"<th>{escape(c.title)}<br><small>{escape(c.subtitle)}</small></th>" for c in columns
    ]
    rows = []
    for use_case in sorted(site.kb.use_cases.values(), key=lambda u: u.name.casefold()):
        recs = (
            {}
            if frame.empty
            # Both scenarios, as the use case page ranks: the same pick on both pages.
            else {r.machine: r for r in analysis.recommend(site.kb, site.all_frame, use_case.id)}
        )
        outlook = {
            o.hardware: o
            for o in analysis.hardware_outlook(
                site.kb, use_case.id, None if frame.empty else frame, site.cited
            )
        }
        cells = [f'<th scope="row" markdown="span">{page.link_entry(use_case)}</th>']
        for column in columns:
            label = escape(f"{column.title} ({column.subtitle})", quote=True)
            if column.machine is not None:
                body = measured_cell(page, use_case, recs.get(column.machine))
            else:
                body = outlook_cell(page, use_case, outlook.get(column.hardware))
            # A cited cell holds a block (its marked div); the others are one line.
            parse = "1" if body.startswith("<div") else "span"
            cells.append(f'<td data-label="{label}" markdown="{parse}">{body}</td>')
        rows.append("<tr markdown>" + "".join(cells) + "</tr>")
    # md_in_html parses each level marked `markdown`, so the links are mkdocs' own.
    return "\n".join(
        [
            f'<div class="{GRID_CLASS}" markdown>',
            '<table class="nnkb-grid" markdown>',
            f"<thead><tr>{''.join(head)}</tr></thead>",
            "<tbody markdown>",
            *rows,
            "</tbody></table>",
            "</div>",
        ]
    )


def picks_frame(site: SiteContext) -> pd.DataFrame:
    """One row per (use case, measured machine) with a recommendation: the chart's data."""
    records: list[dict[str, object]] = []
    if site.frame.empty:
        return pd.DataFrame(records)
    names = site.names
    for use_case in site.kb.use_cases.values():
        for rec in analysis.recommend(site.kb, site.all_frame, use_case.id):
            if rec.pick is None or rec.pick.p50 is None:
                continue
            machine = site.machines[rec.machine]
            records.append(
                {
                    "use_case": use_case.name,
                    "machine": rec.machine,
                    "machine_label": short_label(machine.hardware),
                    "p50": rec.pick.p50,
                    "pick": f"{rec.pick.model_name} on {names.runtime(rec.pick.runtime)} · "
                    f"{precision_label(rec.pick.precision)}",
                }
            )
    return pd.DataFrame(records)


def home_section(site: SiteContext) -> str:
    """What replaces HOME_MARKER in docs/index.md: the grid, a note on reading it, the chart."""
    note = (
        "Each cell links to the full reasoning on the use case's page. Measured columns give "
        "the fastest model, runtime and precision that meets the use case's accuracy floor on "
        "that machine, with its median latency per inference (batch 1, one stream). Columns "
        "not measured here give the runtime the knowledge base ranks first for that hardware "
        "and the fastest published figure for one of the use case's models, marked "
        "*cited*: other people's measurements, on other devices, never ranked against nnkb's."
    )
    parts = [grid(site), note]
    picks = picks_frame(site)
    if not picks.empty:
        parts.append(summary_charts.recommended_latency(picks))
    return "\n\n".join(parts)
