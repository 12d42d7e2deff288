"""What every page that shows results shares: links to runtimes, machines and models, where and
when a table was measured, a row's settings against its runtime's usual ones, precision,
stability and the cells of measured tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...analysis.machine_label import machine_label as reader_label
from ...analysis.machine_label import short_label
from ...analysis.precision import is_reduced, precision_name
from ...analysis.ranking import adapters_of
from .metrics import metric
from .names import status_words
from .numbers import format_bytes, format_latency, format_percent, missing, sig
from .page import (
    METHODOLOGY_PATH,
    RESULTS_CSV,
    Page,
    machine_path,
    machine_results_path,
)
from .tables import Md
from .text import escape_inline, escape_label, escape_plain

# --- links and words shared by every page with measurements -------------------------------


def runtime_link(page: Page, adapter: str) -> Md:
    """The framework page of the runtime a benchmark adapter drives, or the adapter name."""
    for framework in page.kb.frameworks.values():
        if adapter in adapters_of(framework):
            return page.link_entry(framework)
    return Md(escape_inline(adapter))


def reference_runtime(page: Page) -> str:
    """The runtime speed-ups are measured against and outputs compared with
    (SiteContext.reference_runtime)."""
    return page.site.reference_runtime


def runtime_name(page: Page, adapter: str) -> str:
    """How pages name a runtime (render/shared/names.py: its adapter's display name, else its
    framework entry's name)."""
    return page.site.names.runtime(adapter)


def model_link(page: Page, model_id: str) -> Md:
    return page.link_id("models", model_id)


def machine_label(page: Page, machine_id: str) -> str:
    """How pages name a machine: built from its fingerprint (analysis.machine_label)."""
    machine = page.site.machines.get(machine_id)
    return reader_label(machine) if machine else machine_id


def machine_short(page: Page, machine_id: str) -> str:
    """A machine in a sentence or a cell: CPU and instruction sets ("AMD EPYC, AVX2"), the full
    label where another measured machine would have the same short one."""
    machine = page.site.machines.get(machine_id)
    if machine is None:
        return machine_id
    short = short_label(machine.hardware)
    others = [m for i, m in page.site.machines.items() if i != machine_id]
    if any(short_label(m.hardware) == short for m in others):
        return reader_label(machine)
    return short


def machine_link(page: Page, machine_id: str) -> Md:
    """A link to the machine's page, named short; its full label shows on hover."""
    label = escape_label(machine_short(page, machine_id))
    title = machine_label(page, machine_id).replace('"', "'")
    return Md(f'[{label}]({page.href(machine_path(machine_id))} "{escape_inline(title)}")')


def hardware_of(page: Page, machine_id: str) -> Md | None:
    """A link to the hardware class the machine belongs to, if its results file names one."""
    machine = page.site.machines.get(machine_id)
    hardware = machine.hardware_class if machine else None
    return page.link_id("hardware", hardware) if hardware else None


def is_reduced_precision(value: Any) -> bool:
    return is_reduced(value)


def runtime_precision(page: Page, adapter: str, precision: Any) -> str:
    """A runtime and the precision its row really ran in, as the adapters label variants:
    "OpenVINO · BF16" (an OpenVINO default-precision row that ran bf16), "ONNX Runtime · INT8"."""
    name = precision_name(precision)
    return runtime_name(page, adapter) + (f" · {name.upper()}" if name else "")


def format_when(timestamp: str) -> str:
    """'2026-01-10T12:00:00Z' -> '2026-01-10 12:00 UTC'."""
    text = str(timestamp)
    when = pd.Timestamp(text)
    if when.tzinfo is not None:
        when = when.tz_convert("UTC")
    return when.strftime("%Y-%m-%d %H:%M UTC")


def measured_span(rows: pd.DataFrame) -> str | None:
    """The measured_at range of some result rows, as 'from A to B' or 'at A'."""
    stamps = sorted(pd.Timestamp(t) for t in rows["measured_at"].dropna())
    if not stamps:
        return None
    first, last = format_when(stamps[0].isoformat()), format_when(stamps[-1].isoformat())
    if first == last:
        return f"at {first}"
    if first[:10] == last[:10]:
        return f"from {first[:-4]} to {last[11:]}"
    return f"from {first} to {last}"


def provenance(page: Page, machine_id: str, rows: pd.DataFrame) -> str:
    """Where and when a table's rows were measured, how, and where its raw data is."""
    hardware = hardware_of(page, machine_id)
    where = machine_link(page, machine_id) + (f" ({hardware})" if hardware else "")
    span = measured_span(rows)
    when = f" {span}" if span else ""
    return (
        f"Measured on {where}{when} by `nnkb bench` with each runtime's "
        f"[usual settings]({page.href(METHODOLOGY_PATH)}#runtime-settings) unless a row says "
        f"otherwise; [how]({page.href(METHODOLOGY_PATH)}) · data: "
        f"[{machine_id}.json]({page.href(machine_results_path(machine_id))}), "
        f"[results.csv]({page.href(RESULTS_CSV)})."
    )


def all_provenance(page: Page) -> str | None:
    """Where and when for a table that spans every machine (an index, a side-by-side table)."""
    frame = page.site.frame
    if frame.empty:
        return None
    machines = ", ".join(
        machine_link(page, m) + (f" {span}" if (span := measured_span(rows)) else "")
        for m, rows in frame.groupby("machine", sort=True)
    )
    return (
        f"Measured by `nnkb bench` on {machines}; [how]({page.href(METHODOLOGY_PATH)}) · data: "
        f"[results.csv]({page.href(RESULTS_CSV)})."
    )


def settings_note(variant: str) -> str:
    """' (`f32 hint`)' after a runtime's name when a row is a settings variant (page.variant)."""
    return f" (`{escape_inline(variant)}`)" if variant else ""


def variant_label(page: Page, runtime: str, variant: str) -> str:
    """A runtime's name, and its settings variant when the row is one (page.variant)."""
    return runtime_name(page, runtime) + (f" ({variant})" if variant else "")


def row_variant(page: Page, row: Any) -> str:
    """The settings variant of a results-frame row, as pages name it ('' if usual)."""
    return page.site.variant(row.machine, row.model, row.runtime, row.settings)


@dataclass(frozen=True)
class RowRef:
    """What names a row (a frame row has the same attributes): the one input of row_label."""

    machine: str
    model: str
    runtime: str
    settings: str  # the settings key (analysis.settings_key)
    precision: str | None = None  # the precision it ran in; None: as its group of rows ran


def row_label(page: Page, row: Any) -> str:
    """The one label of a row on every page, chart and download: a results-frame row's (or a
    RowRef's) runtime and the precision it really ran in, as the adapters label
    variants ("OpenVINO · BF16", "ONNX Runtime · INT8"), then any other settings that differ
    ("ONNX Runtime · FP32, intra_op_num_threads=1"); "(default precision)" marks OpenVINO's
    own choice so that it is told apart from the FP32-hint row. Made from the variant's
    declared parts (SiteContext.variant_parts), never by reading a label back."""
    parts = page.site.variant_parts(row.machine, row.model, row.runtime, row.settings)
    name = precision_name(row.precision) or _group_precision(page, row)
    if name is None:
        return variant_label(page, row.runtime, row_variant(page, row))
    label = f"{runtime_name(page, row.runtime)} · {name.upper()}"
    if parts.runtime_chose:
        label += " (default precision)"
    return label + (", " + ", ".join(parts.extras) if parts.extras else "")


def _group_precision(page: Page, row: Any) -> str | None:
    """A row that did not run has no precision read back: it is labelled as the rows of the
    same runtime and settings on its machine ran, so that they share a column."""
    frame = page.site.frame
    same = frame[
        (frame["machine"] == row.machine)
        & (frame["runtime"] == row.runtime)
        & (frame["settings"] == row.settings)
    ]
    names = {precision_name(p) for p in same["precision"]} - {None}
    return names.pop() if len(names) == 1 else None


def settings_cell(page: Page, difference: str) -> Md:
    if not difference:
        return Md(f"[usual]({page.href(METHODOLOGY_PATH)}#runtime-settings)")
    return Md(f"`{escape_inline(difference)}`")


# --- cells ---------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return missing(value)


def latency_cell(seconds: Any) -> str | None:
    return None if _missing(seconds) else format_latency(float(seconds))


def ci_cell(low: Any, high: Any) -> str | None:
    """'4.90–5.10 ms'; both units when they differ ('990 µs – 1.01 ms')."""
    if _missing(low) or _missing(high):
        return None
    low_text, high_text = format_latency(float(low)), format_latency(float(high))
    low_number, low_unit = low_text.split(" ")
    high_number, high_unit = high_text.split(" ")
    if low_unit == high_unit:
        return f"{low_number}–{high_number} {high_unit}"
    return f"{low_text} – {high_text}"


def throughput_cell(per_second: Any) -> str | None:
    return None if _missing(per_second) else f"{float(per_second):,.3g}/s"


def percent_cell(fraction: Any) -> str | None:
    return None if _missing(fraction) else format_percent(float(fraction))


def peak_cell(fraction: Any, precision: Any) -> str | None:
    """Percent of the measured FP32 peak; above 100 % the cell says why (the row computed in
    a reduced precision, whose peak the FP32 matrix product does not measure)."""
    text = percent_cell(fraction)
    if text is None or float(fraction) <= 1.0:
        return text
    name = precision_name(precision)
    if name is not None and name != "fp32":
        return f"{text} (above the FP32 peak: ran in {name})"
    return f"{text} (above the FP32 peak)"


def agreement_text(row: Any) -> str | None:
    """The agreement with the FP32 reference in the metric that fits the output kind:
    top-1 agreement for classifiers, the lowest cosine for embeddings, the lowest rank
    correlation for anomaly maps, the signal-to-noise ratio for any tensor. Rows measured
    before the many-input agreement show the first input's top-1 or absolute error."""
    kind = getattr(row, "agree_kind", None)
    inputs = getattr(row, "agree_inputs", None)
    over = "" if inputs is None or _missing(inputs) else f" ({int(inputs)} inputs)"
    if isinstance(kind, str):
        snr = getattr(row, "agree_snr_db", None)
        shown = {
            "classifier": ("top1", row.agree_top1),
            "embedding": ("cosine_min", row.agree_cosine_min),
            "anomaly_map": ("spearman_min", row.agree_spearman_min),
        }.get(kind)
        if shown is not None and not _missing(shown[1]):
            return metric(shown[0]).cell(float(shown[1])) + over
        if snr is not None and not _missing(snr):
            return metric("snr_db").cell(float(snr)) + over
        return f"identical{over}"
    if not _missing(getattr(row, "top1_agree", None)):
        return "top-1 agrees (1 input)" if bool(row.top1_agree) else "top-1 differs (1 input)"
    if not _missing(getattr(row, "max_abs_error", None)):
        return f"max abs. error {error_text(float(row.max_abs_error))} (1 input)"
    return None


def bytes_cell(n: Any) -> str | None:
    return None if _missing(n) else format_bytes(float(n))


def error_text(value: float) -> str:
    """An error with two significant figures: '0', '1.5e-05', '0.0068', '4.0', '9.4'."""
    value = float(value)
    if value == 0 or value < 1e-3:
        return f"{value:.2g}"
    return sig(value, 2)


def error_cell(value: Any) -> str | None:
    return None if _missing(value) else error_text(value)


def yes_no(value: Any) -> str | None:
    return None if _missing(value) else ("yes" if bool(value) else "no")


def precision_cell(value: Any) -> Md | None:
    name = precision_name(value)
    if name is None:
        return None
    # Anything other than FP32 changes the outputs; it stands out so the agreement makes sense.
    return Md(f"**{escape_inline(name)}**") if name != "fp32" else Md(name)


def short_status(status: str) -> Md:
    """The status alone; a table's reasons go into the list below it (they are long)."""
    words = escape_inline(status_words(status))
    return Md(words if status == "ok" else f"**{words}**")


STABILITY_ANCHOR = "two-processes-per-row"


def spread_text(spread: float) -> str:
    """A process spread as '+23 %', '+0.4 %': how much slower the slower process was."""
    percent = float(spread) * 100
    return f"+{sig(percent, 2) if percent < 10 else f'{percent:.0f}'} %"


def spread_cell(spread: Any) -> str | None:
    return None if _missing(spread) else spread_text(spread)


def status_cell(page: Page, status: str, unstable: bool) -> Md:
    """The status, with 'unstable' linked to the methodology when the processes disagreed
    (the frame's `unstable` column)."""
    if status == "ok" and unstable:
        href = f"{page.href(METHODOLOGY_PATH)}#{STABILITY_ANCHOR}"
        return Md(f"ok, [**unstable**]({href})")
    return short_status(status)


def stability_counts(rows: pd.DataFrame) -> tuple[int, int, int]:
    """(ok rows, ok rows measured in two or more processes, of those the unstable ones)."""
    ok = rows[rows["status"] == "ok"]
    return len(ok), int(ok["process_spread"].notna().sum()), int(ok["unstable"].sum())


def failure_list(page: Page, rows: pd.DataFrame) -> str | None:
    """The rows that are not ok, each with its runtime and the runtime's own message."""
    items = []
    for row in rows.itertuples():
        if row.status == "ok":
            continue
        version = (
            f" {escape_inline(row.runtime_version)}" if isinstance(row.runtime_version, str) else ""
        )
        reason = "" if _missing(row.reason) else f": {escape_plain(str(row.reason))}"
        items.append(
            f"{runtime_link(page, row.runtime)}{version}: **{escape_inline(status_words(row.status))}**{reason}"
        )
    if not items:
        return None
    return "Did not run:\n\n" + "\n".join(f"- {item}" for item in items)
