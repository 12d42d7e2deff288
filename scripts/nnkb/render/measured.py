"""The "Measured" section of a model page: rows from kb/results/<machine>.json.

Results are produced by `nnkb bench`; rendering only reads them. The results module is
imported lazily so the site builds (with "no measurements yet") before any benchmark ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..kb import KBError, Model
from .page import Page
from .tables import Column, Md, Table
from .text import escape_inline


@dataclass(frozen=True)
class Measurement:
    """One benchmark row, flattened for display."""

    machine: str
    machine_label: str
    model: str
    runtime: str
    runtime_version: str | None
    status: str
    reason: str | None
    p50_s: float | None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def load_results_files(kb_root: Path) -> list[Any]:
    """Every machine's results file, or [] when the results stage is not installed."""
    try:
        from ..results import ResultsError, load_all
    except ImportError:
        return []
    try:
        return list(load_all(Path(kb_root)))
    except ResultsError as exc:
        raise KBError(str(exc)) from None


def measurements_from(results_files: list[Any]) -> list[Measurement]:
    rows = []
    for results in results_files:
        machine = _get(results, "machine") or {}
        machine_id = machine if isinstance(machine, str) else _get(machine, "id", "?")
        label = machine_id if isinstance(machine, str) else (_get(machine, "label") or machine_id)
        for row in _get(results, "rows") or []:
            latency = row.get("latency") or {}
            rows.append(
                Measurement(
                    machine=str(machine_id),
                    machine_label=str(label),
                    model=row["model"],
                    runtime=row["runtime"],
                    runtime_version=row.get("runtime_version"),
                    status=row["status"],
                    reason=row.get("reason"),
                    p50_s=latency.get("p50"),
                )
            )
    return sorted(rows, key=lambda m: (m.model, m.machine, m.runtime))


def runtime_link(page: Page, adapter: str) -> Md:
    """The framework page of the runtime a benchmark adapter drives, or the adapter name."""
    for framework in page.kb.frameworks.values():
        if framework.benchmark_adapter == adapter:
            return page.link_entry(framework)
    return Md(escape_inline(adapter))


def measured_table(page: Page, model: Model) -> Table:
    records = [
        {
            "machine": m.machine_label,
            "runtime": Md(
                runtime_link(page, m.runtime)
                + (f" {escape_inline(m.runtime_version)}" if m.runtime_version else "")
            ),
            "runtime_name": m.runtime,
            "status": m.status if m.status == "ok" or not m.reason else f"{m.status}: {m.reason}",
            "p50_ms": round(m.p50_s * 1000, 3) if m.p50_s is not None else None,
        }
        for m in page.site.measurements
        if m.model == model.id
    ]
    columns = [
        Column("machine", "Machine"),
        Column("runtime", "Runtime"),
        Column("status", "Status"),
        Column("p50_ms", "p50 latency (ms)", align="right"),
    ]
    return Table.from_records(records, columns).sort(["machine", "runtime_name"])


def measured_section(page: Page, model: Model) -> str:
    table = measured_table(page, model)
    intro = (
        "Median latency of one inference (batch 1) measured by `nnkb bench`; "
        "the raw results are in `kb/results/`."
    )
    empty = "Not measured yet: run `nnkb bench` to add this model's rows."
    return f"## Measured\n\n{intro}\n\n{table.to_markdown(empty)}"
