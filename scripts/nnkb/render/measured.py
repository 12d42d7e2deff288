"""Measured numbers on pages: the model page's "Measured" section and what every page that
shows results shares (links to runtimes, machines and models, when and where a table was
measured, precision and settings as a reader wants them).

Results are produced by `nnkb bench`; rendering only reads them (analysis.results_frame).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..kb import Model
from .numbers import format_bytes, format_latency, format_percent, missing, sig
from .page import (
    METHODOLOGY_PATH,
    RESULTS_CSV,
    Page,
    machine_path,
    machine_results_path,
)
from .tables import Column, Md, Table
from .text import escape_inline, escape_label, escape_plain

# --- links and words shared by every page with measurements -------------------------------


def runtime_link(page: Page, adapter: str) -> Md:
    """The framework page of the runtime a benchmark adapter drives, or the adapter name."""
    for framework in page.kb.frameworks.values():
        if framework.benchmark_adapter == adapter:
            return page.link_entry(framework)
    return Md(escape_inline(adapter))


# The runtime whose FP32 run is the reference for speed-ups and output agreement.
REFERENCE_RUNTIME = "onnxruntime"


def reference_runtime(page: Page) -> str:
    return REFERENCE_RUNTIME


def runtime_name(page: Page, adapter: str) -> str:
    for framework in page.kb.frameworks.values():
        if framework.benchmark_adapter == adapter:
            return framework.name
    return adapter


def model_link(page: Page, model_id: str) -> Md:
    return page.link_id("models", model_id)


def machine_label(page: Page, machine_id: str) -> str:
    machine = page.site.machines.get(machine_id)
    return (machine.label if machine else None) or machine_id


def machine_link(page: Page, machine_id: str) -> Md:
    label = escape_label(machine_label(page, machine_id))
    return Md(f"[{label}]({page.href(machine_path(machine_id))})")


def hardware_of(page: Page, machine_id: str) -> Md | None:
    """A link to the hardware class the machine belongs to, if its results file names one."""
    machine = page.site.machines.get(machine_id)
    hardware = machine.hardware_class if machine else None
    return page.link_id("hardware", hardware) if hardware else None


_PRECISIONS = {"f32": "fp32", "fp32": "fp32", "float32": "fp32", "f16": "fp16", "fp16": "fp16",
               "float16": "fp16", "bf16": "bf16", "bfloat16": "bf16", "i8": "int8",
               "int8": "int8", "u8": "uint8"}  # fmt: skip


def precision_name(value: Any) -> str | None:
    """A runtime's precision as one spelling: OpenVINO says "f32" and "bf16", others "fp32"."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return _PRECISIONS.get(text.lower(), text)


def is_reduced_precision(value: Any) -> bool:
    name = precision_name(value)
    return name is not None and name != "fp32"


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


def settings_note(difference: str) -> str:
    """' (`k=v`)' after a runtime's name when a row's settings differ from its usual ones."""
    return f" (`{escape_inline(difference)}`)" if difference else ""


def variant_label(page: Page, runtime: str, difference: str) -> str:
    """A runtime's name, and the settings that differ from its usual ones when some do."""
    return runtime_name(page, runtime) + (f" ({difference})" if difference else "")


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
    return Md(escape_inline(status) if status == "ok" else f"**{escape_inline(status)}**")


# A row whose two worker processes' medians differ by more than this measured the machine's
# phases more than the runtime: the site flags it.
UNSTABLE_SPREAD = 0.10
STABILITY_ANCHOR = "two-processes-per-row"


def is_unstable(spread: Any) -> bool:
    return not _missing(spread) and float(spread) > UNSTABLE_SPREAD


def spread_text(spread: float) -> str:
    """A process spread as '+23 %', '+0.4 %': how much slower the slower process was."""
    percent = float(spread) * 100
    return f"+{sig(percent, 2) if percent < 10 else f'{percent:.0f}'} %"


def spread_cell(spread: Any) -> str | None:
    return None if _missing(spread) else spread_text(spread)


def status_cell(page: Page, status: str, spread: Any) -> Md:
    """The status, with 'unstable' linked to the methodology when the processes disagreed."""
    if status == "ok" and is_unstable(spread):
        href = f"{page.href(METHODOLOGY_PATH)}#{STABILITY_ANCHOR}"
        return Md(f"ok, [**unstable**]({href})")
    return short_status(status)


def stability_counts(rows: pd.DataFrame) -> tuple[int, int, int]:
    """(ok rows, ok rows measured in two or more processes, of those the unstable ones)."""
    ok = rows[rows["status"] == "ok"]
    spreads = ok["process_spread"].dropna()
    return len(ok), len(spreads), int((spreads > UNSTABLE_SPREAD).sum())


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
            f"{runtime_link(page, row.runtime)}{version}: **{escape_inline(row.status)}**{reason}"
        )
    if not items:
        return None
    return "Did not run:\n\n" + "\n".join(f"- {item}" for item in items)


# --- the model page's "Measured" section ---------------------------------------------------

MEASURED_COLUMNS = [
    Column("runtime", "Runtime"),
    Column("settings_cell", "Settings"),
    Column("p50", "Median (p50)", align="right"),
    Column("p90", "p90", align="right"),
    Column("ci", "95% CI of median", align="right"),
    Column("throughput", "Throughput", align="right"),
    Column("peak", "Of peak", align="right"),
    Column("load", "Load", align="right"),
    Column("memory", "Peak memory", align="right"),
    Column("precision", "Precision"),
    Column("errors", "Max error abs. / rel.", align="right"),
    Column("top1", "Top-1 agrees", align="center"),
    Column("spread", "Process spread", align="right"),
    Column("status", "Status"),
]


def errors_cell(absolute: Any, relative: Any) -> str | None:
    if _missing(absolute) and _missing(relative):
        return None
    return f"{error_cell(absolute) or '—'} / {error_cell(relative) or '—'}"


def measured_table(page: Page, rows: pd.DataFrame) -> Table:
    """One machine's rows of one model: every runtime and setting, failures with their reason.

    The settings column is there only when a row's settings differ from its runtime's usual
    ones; otherwise the section says that every row used them.
    """
    records = []
    for row in rows.itertuples():
        version = (
            f" {escape_inline(row.runtime_version)}" if isinstance(row.runtime_version, str) else ""
        )
        records.append(
            {
                "runtime_name": row.runtime,
                "settings_key": row.settings,
                "runtime": Md(runtime_link(page, row.runtime) + version),
                "settings_cell": settings_cell(page, row.settings_difference),
                "p50": latency_cell(row.p50),
                "p90": latency_cell(row.p90),
                "ci": ci_cell(row.ci95_low, row.ci95_high),
                "throughput": throughput_cell(row.throughput),
                "peak": percent_cell(row.peak_fraction),
                "load": latency_cell(row.session_create_s),
                "memory": bytes_cell(row.peak_rss_bytes),
                "precision": precision_cell(row.precision),
                "errors": errors_cell(row.max_abs_error, row.max_rel_error),
                "top1": yes_no(row.top1_agree),
                "spread": spread_cell(row.process_spread),
                "status": status_cell(page, row.status, row.process_spread),
            }
        )
    table = Table.from_records(records, MEASURED_COLUMNS).sort(["runtime_name", "settings_key"])
    dropped = set()
    if all(str(cell).startswith("[usual]") for cell in table.frame["settings_cell"]):
        dropped.add("settings_cell")
    if rows["process_spread"].isna().all():  # results from before the verification pass
        dropped.add("spread")
    if dropped:
        table = table.with_columns([c for c in MEASURED_COLUMNS if c.key not in dropped])
    return table


def precision_notes(page: Page, rows: pd.DataFrame) -> list[str]:
    """A sentence per ok row that ran below FP32: its outputs differ from the FP32 reference."""
    notes = []
    for row in rows.itertuples():
        if row.status != "ok" or not is_reduced_precision(row.precision):
            continue
        precision = escape_inline(precision_name(row.precision) or "")
        text = (
            f"{runtime_link(page, row.runtime)} reported **{precision}** inference here, not FP32"
        )
        if not _missing(row.max_rel_error):
            text += (
                f", so its outputs differ from the FP32 reference by up to "
                f"{error_text(row.max_rel_error)} (relative) / {error_text(row.max_abs_error)} "
                "(absolute)"
            )
        if not _missing(row.top1_agree):
            text += "; the top-1 class " + ("still agrees" if row.top1_agree else "differs")
        notes.append(text + f". [Why]({page.href(METHODOLOGY_PATH)}#precision-and-agreement).")
    return notes


def machines_side_by_side(page: Page, rows: pd.DataFrame) -> str | None:
    """Runtime × machine: each runtime's best median on each machine, when there are several."""
    machines = sorted(rows["machine"].unique())
    if len(machines) < 2:
        return None
    records: dict[str, dict[str, Any]] = {}
    for row in rows.sort_values(["p50"], na_position="last").itertuples():
        record = records.setdefault(
            row.runtime, {"name": row.runtime, "runtime": runtime_link(page, row.runtime)}
        )
        if row.machine in record:
            continue  # the fastest settings came first
        record[row.machine] = (
            latency_cell(row.p50) if row.status == "ok" else short_status(row.status)
        )
    columns = [Column("runtime", "Runtime")] + [
        Column(m, machine_label(page, m), align="right") for m in machines
    ]
    table = Table.from_records(records.values(), columns).sort("name")
    intro = "Median latency on every machine (each runtime's fastest settings). "
    return intro + (all_provenance(page) or "") + "\n\n" + table.to_markdown()


def measured_section(page: Page, model: Model) -> str:
    frame = page.site.frame
    rows = frame[frame["model"] == model.id]
    intro = (
        "Latency of one inference (batch 1) on each measured machine, for every runtime and "
        "setting `nnkb bench` ran. Throughput is 1 / median (one stream); *Of peak* is "
        "2 × multiply-accumulates / median against the machine's measured FP32 peak; *Load* is "
        "the time to create the session; the errors compare the outputs with the FP32 "
        "reference run of ONNX Runtime."
    )
    if rows["process_spread"].notna().any():
        intro += (
            " Each row ran in two worker processes minutes apart and shows the faster one; "
            "*Process spread* is how much slower the other was, and a row whose spread is over "
            f"{UNSTABLE_SPREAD * 100:g} % is marked "
            f"[unstable]({page.href(METHODOLOGY_PATH)}#{STABILITY_ANCHOR})."
        )
    if rows.empty:
        empty = "*Not measured yet: run `nnkb bench` to add this model's rows.*"
        return f"## Measured\n\n{intro}\n\n{empty}"
    parts = [f"## Measured\n\n{intro}"]
    parts.append(machines_side_by_side(page, rows))
    for machine_id in sorted(rows["machine"].unique()):
        mine = rows[rows["machine"] == machine_id]
        parts.append(f"### {escape_inline(machine_label(page, machine_id))}")
        parts.append(provenance(page, machine_id, mine))
        parts.append(measured_table(page, mine).to_markdown())
        parts.append(failure_list(page, mine.sort_values(["runtime", "settings"])))
        parts.extend(precision_notes(page, mine))
    return "\n\n".join(p for p in parts if p)
