"""Published (cited) figures on the site: tables of kb/cited/ figures, always marked as cited.

These are other people's measurements. Every value cell carries a "cited" badge naming the
publisher, every row links its source, and every table of them sits in a
`<div class="nnkb-cited">` (md_in_html), so neither a reader nor a test can mistake one for
a row nnkb measured. They never enter the results frame, a ranking or a measured chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ...cited import CitedFigure, CitedTable
from ...kb import Hardware, Model
from ..shared.page import Page
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, escape_label, format_number, safe_url

CITED_CLASS = "nnkb-cited"
BADGE_CLASS = "nnkb-cited-badge"
APART = (
    "Published by others, not measured by nnkb: each figure is as its source states it, on "
    "the source's device, harness and model build, so it is not comparable with nnkb's "
    "measurements or, without care, with figures from other sources."
)


def badge(publisher: str) -> Md:
    """The "cited" badge: a small span whose tooltip says who published the figure."""
    title = escape(f"published by {' '.join(publisher.split())}, not measured by nnkb")
    # A table cell escapes "|" with a backslash, which an attribute would keep: use the entity.
    title = title.replace("|", "&#124;")
    return Md(f'<span class="{BADGE_CLASS}" title="{title}">cited</span>')


def apart(markdown: str) -> str:
    """A block of cited tables in the marked container (md_in_html renders its Markdown)."""
    return f'<div class="{CITED_CLASS}" markdown>\n\n{markdown}\n\n</div>'


def tables_by_id(site_tables: Sequence[CitedTable]) -> dict[str, CitedTable]:
    return {t.id: t for t in site_tables}


def value_cell(figure: CitedFigure, table: CitedTable) -> Md:
    text = escape_inline(format_number(figure.value, figure.unit))
    return Md(f"{text} {badge(table.source.publisher)}")


def model_cell(page: Page, figure: CitedFigure) -> Md:
    """The model as the source names it; the KB's entry only as a secondary note."""
    name = escape_inline(figure.model_name)
    if figure.model:
        kb_entry = page.link_id("models", figure.model, published=True)
        return Md(f"{name} (KB entry: {kb_entry})")
    if figure.closest_model:
        closest = page.link_id("models", figure.closest_model, published=True)
        return Md(f"{name} (closest KB model: {closest})")
    return Md(name)


def runtime_cell(page: Page, figure: CitedFigure) -> Md:
    """The runtime or toolchain as the source names it, with the KB's entry when it has one."""
    text = escape_inline(figure.runtime_name)
    version = figure.framework_version
    if version and version not in figure.runtime_name:
        text += f" {escape_inline(version)}"
    if figure.framework:
        text += f" (KB entry: {page.link_id('frameworks', figure.framework)})"
    return Md(text)


def device_cell(figure: CitedFigure) -> Md:
    """The exact device, carrying the figure's anchor so other pages can link to its row."""
    return Md(f'<span id="{figure.anchor}"></span>{escape_inline(figure.device)}')


def precision_text(figure: CitedFigure) -> str:
    return "not stated" if figure.precision == "unstated" else figure.precision.upper()


def accuracy_text(figure: CitedFigure) -> str | None:
    acc = figure.accuracy
    if acc is None:
        return None
    text = f"{format_number(acc.value, acc.unit)} {acc.metric} ({acc.dataset})"
    if acc.delta is not None:
        text += f"; on the device {acc.delta:+g} points against the float model"
    return text


def source_cell(figure: CitedFigure, table: CitedTable) -> Md:
    """The figure's conditions, then its source as a link named by its publisher and where
    on the page the figure sits (one column: the conditions are read with the source)."""
    target = safe_url(table.source.url)
    label = escape_label(table.source.publisher)
    text = f"[{label}]({target})" if target else label
    details = " ".join(list(figure.conditions) + ([figure.note] if figure.note else []))
    lead = f"{escape_inline(details)} " if details else ""
    return Md(f"{lead}Source: {text}, {escape_inline(table.location_of(figure))}")


def scenario_text(figure: CitedFigure) -> str:
    """Scenario, statistic and batch in one cell: 'single-stream, p90, batch 1'."""
    parts = [figure.scenario]
    if figure.statistic not in ("", "unstated"):
        parts.append(figure.statistic)
    parts.append(f"batch {figure.batch}" if figure.batch is not None else "batch not stated")
    if figure.statistic in ("", "unstated"):
        parts.append("statistic not stated")
    return ", ".join(parts)


def figure_record(page: Page, figure: CitedFigure, table: CitedTable) -> dict[str, object]:
    return {
        "hardware": page.link_id("hardware", figure.hardware),
        "device": device_cell(figure),
        "model": model_cell(page, figure),
        "runtime": runtime_cell(page, figure),
        "precision": precision_text(figure),
        "scenario": scenario_text(figure),
        "value": value_cell(figure, table),
        "accuracy": accuracy_text(figure),
        "source": source_cell(figure, table),
    }


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in [
        Column("hardware", "Hardware class"),
        Column("device", "Device"),
        Column("model", "Model"),
        Column("runtime", "Runtime"),
        Column("precision", "Precision"),
        Column("scenario", "Scenario, statistic, batch"),
        Column("value", "Published value", align="right"),
        Column("accuracy", "Accuracy (published)"),
        Column("source", "Conditions and source"),
    ]
}


def figures_table(
    page: Page, figures: Sequence[CitedFigure], tables: Sequence[CitedTable], keys: Sequence[str]
) -> str:
    """Cited figures as a Markdown table inside the cited container."""
    by_id = tables_by_id(tables)
    records = [figure_record(page, f, by_id[f.table]) for f in figures]
    table = Table.from_records(records, [COLUMNS[k] for k in keys])
    return apart(table.to_markdown())


# --- hardware pages -------------------------------------------------------------------------

FIGURE_KEYS = (
    "device", "model", "runtime", "precision", "scenario", "value", "accuracy", "source",
)  # fmt: skip


def hardware_cited(page: Page, hardware: Hardware) -> str | None:
    """The hardware page's published figures, one table per source table."""
    parts = []
    for table in page.site.cited:
        figures = [f for f in table.figures if f.hardware == hardware.id]
        if not figures:
            continue
        source = table.source
        date = f", {escape_inline(str(source.date))}" if source.date else ""
        target = safe_url(source.url)
        title = escape_label(source.title)
        heading = f"### {escape_inline(table.name)}"
        by = (
            f"Published by {escape_inline(source.publisher)}{date}: "
            + (f"[{title}]({target})" if target else title)
            + f" ({escape_inline(source.location)})."
        )
        parts.append(f"{heading}\n\n{by}\n\n" + figures_table(page, figures, [table], FIGURE_KEYS))
    if not parts:
        return None
    return "\n\n".join(["## Published figures (cited)", APART, *parts])


# --- model pages -------------------------------------------------------------------------------


def model_cited(page: Page, model: Model) -> str | None:
    """The model page's published figures (the model's own, and those that name it as the
    closest entry), under the measured table, one table per hardware class."""
    figures = [f for t in page.site.cited for f in t.figures if f.model_ref == model.id]
    if not figures:
        return None
    intro = APART
    if any(f.model is None for f in figures):
        intro += (
            ' Rows whose model says "closest entry" ran a related model the knowledge base '
            "has no entry for; this model is the nearest one it has."
        )
    parts = ["## Published figures (cited)", intro]
    for hardware in sorted({f.hardware for f in figures}):
        rows = [f for f in figures if f.hardware == hardware]
        rows.sort(key=lambda f: (f.device.casefold(), f.table, f.index))
        parts.append(f"### {page.link_id('hardware', hardware)}")
        parts.append(figures_table(page, rows, page.site.cited, FIGURE_KEYS))
    return "\n\n".join(parts)
