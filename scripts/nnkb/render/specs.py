"""The model page's "Specifications": counts measured from the ONNX file beside the published
ones, the opset and operator histogram, and the inputs.

Counts come from the results rows (`nnkb bench` records parameters, MACs, opset, operator
histogram and the file size of the file it ran). Rows written before the harness recorded the
opset fall back to the model file when one is already on disk (the model cache `nnkb bench`
fills, or a package or repository file): the site build never builds, downloads or benchmarks
a model.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..kb import Model
from .numbers import format_bytes
from .page import Page, cited_value
from .tables import Column, Md, Table
from .text import escape_inline, format_number

OPERATORS_SHOWN = 12


@dataclass(frozen=True)
class OnnxStructure:
    opset: int
    op_histogram: dict[str, int]


_structures: dict[tuple[str, int, int], OnnxStructure] = {}


def existing_model_file(model: Model, kb_root: Path, sha256s: set[str]) -> Path | None:
    """The model's ONNX file if it is already on disk; never builds or downloads one.

    Builtin files are named by content in the cache (`<builder>-seed<n>-<sha16>.onnx`); when
    the results name the file's sha256, only that file counts. A url model's file is never
    read here: what the page says of it comes from the results rows.
    """
    spec = model.onnx
    if spec is None:
        return None
    from ..models.sources import ModelSourceError, default_cache_dir

    cache = default_cache_dir(kb_root)
    prefixes = {s[:16] for s in sha256s if s}
    if spec.source == "builtin":
        found = sorted((cache / "builtin").glob(f"{spec.builder}-seed{spec.seed or 0}-*.onnx"))
        if prefixes:
            found = [p for p in found if p.stem.rsplit("-", 1)[-1] in prefixes]
        return found[-1] if found else None
    if spec.source == "url":  # the model store is this machine's: pages use the results
        return None
    if spec.source in ("package", "file"):
        from ..models.sources import LOADERS
        from ..models.sources.file import repository_root

        try:
            # Locates and checks the file; builds nothing.
            return LOADERS[spec.source](spec, cache, repository_root(kb_root))
        except (ModelSourceError, OSError, KeyError):
            return None
    return None


def onnx_structure(path: Path) -> OnnxStructure | None:
    """Opset and operator counts of an ONNX file (weights are not decoded; memoised by stat)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _structures:
        import onnx
        from google.protobuf.message import DecodeError

        try:
            proto = onnx.load(str(path), load_external_data=False)
        except (OSError, ValueError, DecodeError):  # damaged: "not available", build goes on
            return None
        opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
        histogram = collections.Counter(node.op_type for node in proto.graph.node)
        _structures[key] = OnnxStructure(opset, dict(histogram))
    return _structures[key]


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
    sha256s = {
        r.model_sha256 for f in page.site.results_files for r in f.rows if r.model == model.id
    }
    structure = recorded_structure(page, model)
    not_available = "not available"
    if structure is None and model.onnx is not None:
        path = existing_model_file(model, page.kb.root, {s for s in sha256s if s})
        structure = onnx_structure(path) if path else None
        not_available = "not available (file not in the local model cache)"
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
