"""Precision variants on the site: the table of every variant against ONNX Runtime FP32
(speed-up and agreement or accuracy change, per model and machine), how agreement, the
quantisers and the OCR corpus work (the methodology page), and the text-recognition page's
character error rate and line accuracy per runtime and precision.
"""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd

from ...accuracy.ocr import METHOD_TEXT as OCR_METHOD
from ...analysis.precision import precision_changes
from ...analysis.ranking import candidates_of
from ...bench.agreement import METHOD_TEXT as AGREEMENT_METHOD
from ...kb import PRETRAINED, UseCase
from ...models import quantize
from ..shared.cells import machine_label, model_link, provenance, row_label
from ..shared.metrics import metric
from ..shared.numbers import format_latency, format_percent, format_ratio, missing
from ..shared.page import METHODOLOGY_PATH, Page
from ..shared.precision_words import ACCURACY_NOT_MEASURABLE
from ..shared.tables import Column, Table
from ..shared.text import folded


def agreement_change(row: Any) -> str:
    """The agreement (or accuracy change) of one variant row, as the table shows it."""
    if not missing(row.cer_change_points):
        change = f"CER {float(row.cer_change_points):+.2f} points"
        if not missing(row.line_accuracy_change_points):
            gain = 0.0 - float(row.line_accuracy_change_points) + 0.0  # no "-0.0"
            change += f", line accuracy {gain:+.1f} points"
        return change
    if row.weights != PRETRAINED:  # architecture only: agreement says nothing of accuracy
        return ACCURACY_NOT_MEASURABLE
    key, value = row.agree_metric, row.agree_value
    if isinstance(key, str) and not missing(value):
        return metric(key).cell(float(value))
    if not missing(row.agree_snr_db):
        return metric("snr_db").cell(float(row.agree_snr_db))
    return "not measured"


def _int8_share(row: Any) -> str | None:
    if missing(row.int8_ops) or missing(row.compute_ops):
        return None
    return f"{int(row.int8_ops)} of {int(row.compute_ops)}"


def changes_table(page: Page, changes: pd.DataFrame) -> Table:
    """One machine's variants: model, variant label, median, speed-up, agreement change."""
    records = []
    for row in changes.itertuples():
        records.append(
            {
                "model_id": row.model,
                "model": model_link(page, row.model),
                "variant": row_label(page, row),
                "p50": format_latency(row.p50),
                "speedup": format_ratio(row.speedup),
                "change": agreement_change(row),
                "int8": _int8_share(row),
            }
        )
    columns = [
        Column("model", "Model"),
        Column("variant", "Variant (precision that ran)"),
        Column("p50", "Median", align="right"),
        Column("speedup", "Speed-up vs ONNX Runtime · FP32", align="right"),
        Column("change", "Agreement with FP32 / accuracy change"),
        Column("int8", "Int8 ops", align="right"),
    ]
    table = Table.from_records(records, columns).sort(["model_id"])
    if all(r["int8"] is None for r in records):
        table = table.with_columns([c for c in columns if c.key != "int8"])
    return table


def precision_table_section(page: Page) -> str | None:
    """Every variant against ONNX Runtime FP32, per machine (the methodology page)."""
    frame = page.site.frame
    if frame.empty:
        return None
    changes = precision_changes(frame)
    parts = [
        "## Precision variants against ONNX Runtime FP32",
        (
            "For each model, every other runtime and precision variant measured on a machine, "
            "against the same model run by ONNX Runtime in FP32 there: the speed-up (its "
            "median over the variant's) and how far the outputs moved, in the metric that fits "
            "the output (top-1 agreement for classifiers, the lowest cosine similarity for "
            "embeddings, the lowest rank correlation for anomaly maps, the signal-to-noise "
            "ratio for other tensors) or, for the text recogniser, the change in character "
            "error rate and line accuracy in percentage points. *Not measured*: the row "
            "predates the agreement pass, so a reduced-precision row is not recommended. "
            "`python benchmarks/precision_table.py` prints the same table."
        ),
    ]
    for machine in sorted(changes["machine"].unique()):
        rows = changes[changes["machine"] == machine]
        detail = provenance(page, machine, frame[frame["machine"] == machine])
        title = f"{machine_label(page, machine)}: {len(rows)} variant(s)"
        parts.append(folded(title, f"{detail}\n\n{changes_table(page, rows).to_markdown()}"))
    return "\n\n".join(parts)


def _quantizer_text() -> str:
    """The quantisers and calibration, from nnkb.models.quantize's own documentation."""
    doc = inspect.getdoc(quantize) or ""
    calibration = inspect.getdoc(quantize.synthetic_calibration) or ""
    return doc + "\n\n" + calibration


def precision_method_section() -> str:
    """How agreement, the quantisers and the OCR accuracy are measured (methodology page)."""
    parts = [
        "## How precision variants are checked",
        AGREEMENT_METHOD,
        folded("Quantisers and calibration", _quantizer_text()),
        folded("The OCR corpus and how it is scored", OCR_METHOD),
    ]
    return "\n\n".join(parts)


def task_accuracy_section(page: Page, use_case: UseCase) -> str | None:
    """Character error rate and line accuracy of each candidate per runtime and precision,
    where the rows measured them (the text-recognition page)."""
    frame = page.site.frame
    ids = {m.id for m in candidates_of(page.kb, use_case.id)}
    rows = frame[frame["model"].isin(ids) & frame["cer"].notna() & (frame["status"] == "ok")]
    if rows.empty:
        return None
    parts = [
        "## Measured accuracy per runtime and precision",
        (
            "Character error rate (CER, lower is better) and line accuracy (lines read "
            "exactly) of each candidate per runtime and precision, on nnkb's corpus of "
            "rendered text lines "
            f"([how]({page.href(METHODOLOGY_PATH)}#how-precision-variants-are-checked))."
        ),
    ]
    for machine in sorted(rows["machine"].unique()):
        here = rows[rows["machine"] == machine]
        records = [
            {
                "model_id": r.model,
                "model": model_link(page, r.model),
                "variant": row_label(page, r),
                "cer": format_percent(float(r.cer)),
                "line": format_percent(float(r.line_accuracy)),
                "lines": None if missing(r.accuracy_lines) else str(int(r.accuracy_lines)),
            }
            for r in here.itertuples()
        ]
        table = Table.from_records(
            records,
            [
                Column("model", "Model"),
                Column("variant", "Runtime · precision"),
                Column("cer", "Character error rate", align="right"),
                Column("line", "Line accuracy", align="right"),
                Column("lines", "Lines", align="right"),
            ],
        ).sort(["model_id", "variant"])
        detail = provenance(page, machine, frame[frame["machine"] == machine])
        title = f"{machine_label(page, machine)}: every runtime and precision ({len(records)})"
        parts.append(folded(title, f"{detail}\n\n{table.to_markdown()}"))
    parts.append(folded("How the corpus is made and scored", OCR_METHOD))
    return "\n\n".join(parts)


__all__ = [
    "agreement_change",
    "precision_method_section",
    "precision_table_section",
    "task_accuracy_section",
]
