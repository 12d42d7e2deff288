"""The home page's answer first: a grid of use case (rows) by hardware class (columns), then one
chart. docs/index.md holds the words; the hook puts this in place of its HOME_MARKER.

A measured class has one column per measured machine, each cell the recommendation
(nnkb.analysis.recommend): model, runtime and precision, median latency. A class not measured
here has one column, each cell its fastest published latency for the use case's models
(nnkb.analysis.outlook.FASTEST_RULE), shown as the source states it: every line of a cited cell
comes from that one figure, and the cell links to the figure's row on the use case page.
Published throughputs sit in a table of their own, never in a column with latencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from ... import analysis
from ...analysis.machine_label import short_label
from ...analysis.outlook import FASTEST_RULE, HardwareOutlook, fastest_of_kind
from ...cited import CitedFigure
from ...kb import UseCase
from ..sections import summary_charts
from ..sections.cited import CITED_CLASS, badge, precision_text
from ..shared.numbers import format_latency, sig
from ..shared.page import Page, SiteContext, entry_path
from ..shared.precision_words import precision_label
from ..shared.text import escape_label

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
    columns += [GridColumn(h.id, h.name, "not measured here: published figures") for h in others]
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
    measured = sum(1 for c in rec.candidates if c.ran)
    lines = [
        f"<strong>{escape_label(pick.model_name)}</strong>",
        escape_label(runtime),
        escape_label(format_latency(pick.p50)),
        f"<small>{measured} of {len(rec.candidates)} candidates measured</small>",
    ]
    return _link(page, use_case, RECOMMENDATION_ANCHOR, lines)


def figure_lines(page: Page, figure: CitedFigure) -> list[str]:
    """One published figure's own setup, line by line: the source's model (the KB's closest
    model only as a secondary line), its runtime or toolchain, its device, precision, batch and
    statistic, then the value with its "cited" badge. Every line comes from this one figure."""
    tables = {t.id: t for t in page.site.cited}
    publisher = tables[figure.table].source.publisher if figure.table in tables else "its source"
    lines = [f"<strong>{escape_label(figure.model_name)}</strong>"]
    ref = page.kb.models.get(figure.model_ref or "")
    if ref is not None:
        lines.append(f"<small>closest KB model: {escape_label(ref.name)}</small>")
    batch = f"batch {figure.batch}" if figure.batch is not None else "batch not stated"
    statistic = "statistic not stated" if figure.statistic == "unstated" else figure.statistic
    precision = precision_text(figure)
    precision = "precision not stated" if figure.precision == "unstated" else precision
    setup = f"{precision} · {batch} · {statistic}"
    lines += [
        escape_label(figure.runtime_name),
        escape_label(figure.device),
        escape_label(setup),
        escape_label(f"{sig(figure.value)} {figure.unit}") + " " + badge(publisher),
    ]
    return lines


def figure_cell(page: Page, use_case: UseCase, figure: CitedFigure) -> str:
    """A cited cell: one figure as its source states it, linked to its row on the use case page."""
    link = _link(page, use_case, figure.anchor, figure_lines(page, figure))
    # Published figures sit in a block marked cited everywhere on the site (render/sections/cited.py).
    return f'<div class="{CITED_CLASS}" markdown="span">{link}</div>'


def outlook_cell(
    page: Page, use_case: UseCase, item: HardwareOutlook | None, kind: str = "latency"
) -> str:
    """A class not measured here: its fastest published figure of `kind` for the use case."""
    figure = fastest_of_kind(item.figures, kind) if item is not None else None
    if item is not None and figure is not None:
        return figure_cell(page, use_case, figure)
    other = "throughput" if kind == "latency" else "latency"
    if item is not None and fastest_of_kind(item.figures, other) is not None:
        where = "below" if kind == "latency" else "above"
        lines = [f"no published {kind}", f"published {other} in the table {where}"]
        return _link(page, use_case, OUTLOOK_ANCHOR, lines)
    lines = [f"no published {kind}"] if kind == "throughput" else ["no published figure"]
    route = _route_name(page, item)
    if item is not None and kind == "latency":
        if item.precisions:
            lines.insert(0, escape_label(", ".join(p.upper() for p in item.precisions)))
        if route:
            lines.insert(0, escape_label(route))
    return _link(page, use_case, OUTLOOK_ANCHOR, lines)


def _route_name(page: Page, item: HardwareOutlook | None) -> str | None:
    """What the KB says to run on a class: its own route first, else its first runtime."""
    if item is None:
        return None
    entry = page.kb.hardware.get(item.hardware)
    routes = entry.runtime_routes if entry else None
    if routes:
        return str(routes[0]["name"])
    if item.choices:
        return page.kb.frameworks[item.choices[0].framework].name
    return None


def _table(head: list[str], rows: list[str]) -> str:
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


def _cell(column: GridColumn, body: str) -> str:
    label = escape(f"{column.title} ({column.subtitle})", quote=True)
    # A cited cell holds a block (its marked div); the others are one line.
    parse = "1" if body.startswith("<div") else "span"
    return f'<td data-label="{label}" markdown="{parse}">{body}</td>'


def _outlooks(site: SiteContext, use_case: UseCase) -> dict[str, HardwareOutlook]:
    frame = site.frame
    return {
        o.hardware: o
        for o in analysis.hardware_outlook(
            site.kb, use_case.id, None if frame.empty else frame, site.cited
        )
    }


def _head(columns: list[GridColumn]) -> list[str]:
    return ["<th>Use case</th>"] + [
        f"<th>{escape(c.title)}<br><small>{escape(c.subtitle)}</small></th>" for c in columns
    ]


def grid(site: SiteContext) -> str:
    """The use case by hardware grid of latencies as an HTML table (each cell labelled for
    narrow screens, where docs/stylesheets/nnkb.css stacks it)."""
    page = Page(site, HOME_PATH)
    columns = grid_columns(site)
    frame = site.frame
    rows = []
    for use_case in _use_cases(site):
        recs = (
            {}
            if frame.empty
            # Both scenarios, as the use case page ranks: the same pick on both pages.
            else {r.machine: r for r in site.analysis.recommendations[use_case.id]}
        )
        outlook = _outlooks(site, use_case)
        cells = [f'<th scope="row" markdown="span">{page.link_entry(use_case)}</th>']
        for column in columns:
            if column.machine is not None:
                body = measured_cell(page, use_case, recs.get(column.machine))
            else:
                body = outlook_cell(page, use_case, outlook.get(column.hardware))
            cells.append(_cell(column, body))
        rows.append("<tr markdown>" + "".join(cells) + "</tr>")
    return _table(_head(columns), rows)


def throughput_grid(site: SiteContext) -> str | None:
    """Published throughputs (higher is better) of the classes not measured here, in a table
    of their own: a rate per second is never set in a column or a sort with a latency."""
    page = Page(site, HOME_PATH)
    use_cases = _use_cases(site)
    outlooks = {u.id: _outlooks(site, u) for u in use_cases}
    columns = [
        c
        for c in grid_columns(site)
        if c.machine is None
        and any(
            fastest_of_kind(o[c.hardware].figures, "throughput") is not None
            for o in outlooks.values()
            if c.hardware in o
        )
    ]
    if not columns:
        return None
    rows = []
    for use_case in use_cases:
        cells = [f'<th scope="row" markdown="span">{page.link_entry(use_case)}</th>']
        for column in columns:
            item = outlooks[use_case.id].get(column.hardware)
            cells.append(_cell(column, outlook_cell(page, use_case, item, "throughput")))
        rows.append("<tr markdown>" + "".join(cells) + "</tr>")
    return _table(_head(columns), rows)


def _use_cases(site: SiteContext) -> list[UseCase]:
    return sorted(site.kb.use_cases.values(), key=lambda u: u.name.casefold())


def picks_frame(site: SiteContext) -> pd.DataFrame:
    """One row per (use case, measured machine) with a recommendation: the chart's data."""
    records: list[dict[str, object]] = []
    if site.frame.empty:
        return pd.DataFrame(records)
    names = site.names
    for use_case in site.kb.use_cases.values():
        for rec in site.analysis.recommendations[use_case.id]:
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
    """What replaces HOME_MARKER in docs/index.md: the latency grid, the throughput table of
    published figures, the rule for "fastest", the chart."""
    note = (
        "Each cell links to the full reasoning on the use case's page. Measured columns give "
        "the fastest model, runtime and precision that meets the use case's accuracy floor on "
        "that machine, with its median latency per inference (batch 1, one stream), measured "
        "by nnkb. The other columns hold published figures, marked *cited*: each cell is one "
        "figure exactly as its source states it (the model as the source names it, its "
        "runtime or toolchain, its device, precision, batch and statistic), with the closest "
        "model in this knowledge base only as a secondary line, and it links to that figure's "
        "row on the use case page. They are other people's measurements on other devices, "
        "never ranked against nnkb's. " + FASTEST_RULE
    )
    parts = [grid(site), note]
    throughput = throughput_grid(site)
    if throughput:
        title = (
            "**Published throughput** (inferences per second, higher is better; a batch "
            "above 1 trades the time of one inference for the rate):"
        )
        parts += [title, throughput]
    picks = picks_frame(site)
    if not picks.empty:
        parts.append(summary_charts.recommended_latency(picks))
    return "\n\n".join(parts)
