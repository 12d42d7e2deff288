"""The model page's "Specifications": counts measured from the ONNX file beside the published
ones, the opset and operator histogram, and the inputs.

Counts come from the results rows only (`nnkb bench` records parameters, MACs, opset, operator
histogram and the file size of the file it ran): a page never reads a model file of the machine
that builds it, so a local build and the published one show the same counts, and the build
cache's key (the KB and its results) covers everything the page reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...kb import Model
from ..shared.numbers import format_bytes
from ..shared.page import Page, cited_value
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, format_number

OPERATORS_SHOWN = 12


@dataclass(frozen=True)
class OnnxStructure:
    opset: int
    op_histogram: dict[str, int]


def recorded_structure(page: Page, model: Model) -> OnnxStructure | None:
    """Opset and operator counts as `nnkb bench` recorded them for the model's newest file."""
    recorded = [
        r
        for f in page.site.results_files
        for r in f.rows
        if r.model == model.id and r.opset and r.op_histogram
    ]
    if not recorded:
        return None
    newest = max(recorded, key=lambda r: (r.measured_at, r.model_sha256 or ""))
    assert newest.opset is not None and newest.op_histogram is not None
    return OnnxStructure(int(newest.opset), dict(newest.op_histogram))


def _distinct(rows: pd.DataFrame, column: str) -> list[int]:
    return sorted({int(v) for v in rows[column].dropna()})


def _measured(values: list[int], formatter: Any) -> str | None:
    return " / ".join(formatter(v) for v in values) if values else None


def histogram_text(histogram: dict[str, int]) -> str:
    ordered = sorted(histogram.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{escape_inline(op)} {count}" for op, count in ordered[:OPERATORS_SHOWN]]
    rest = len(ordered) - OPERATORS_SHOWN
    text = ", ".join(shown)
    return text + (f", and {rest} more types" if rest > 0 else "")


def model_specifications(page: Page, model: Model) -> str:
    frame = page.site.frame
    rows = frame[frame["model"] == model.id]
    structure = recorded_structure(page, model)
    not_available = "not available (no results row records it)"
    spec = model.onnx
    records = [
        {
            "what": "Parameters",
            "measured": _measured(_distinct(rows, "parameters"), format_number),
            "published": cited_value(page, model.published_parameters),
        },
        {
            "what": "Multiply-accumulates per inference",
            "measured": _measured(_distinct(rows, "macs"), format_number),
            "published": cited_value(page, model.published_macs),
        },
        {
            "what": "ONNX file size",
            "measured": _measured(_distinct(rows, "model_file_bytes"), format_bytes),
            "published": None,
        },
    ]
    if spec is not None:
        records += [
            {
                "what": "ONNX opset",
                "measured": str(structure.opset) if structure else not_available,
                "published": None,
            },
            {
                "what": "Operators (count)",
                "measured": Md(histogram_text(structure.op_histogram))
                if structure
                else not_available,
                "published": None,
            },
        ]
    table = Table.from_records(
        records,
        [
            Column("what", "Quantity"),
            Column("measured", "Counted by nnkb", align="right"),
            Column("published", "Published", align="right"),
        ],
    )
    intro = (
        "Counted in the ONNX graph `nnkb bench` ran, beside the figures the authors published "
        "(each with its source)."
    )
    if spec is not None and spec.source == "builtin":
        intro += (
            " nnkb builds this graph from the published architecture with random weights, so "
            "the counts should match the published ones; the accuracy is the published one."
        )
    if rows.empty:
        intro += " Not benchmarked yet, so there are no counts from results."
    return f"## Specifications\n\n{intro}\n\n{table.to_markdown()}"
