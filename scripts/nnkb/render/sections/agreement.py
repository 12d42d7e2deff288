"""The runtime comparison's "Output agreement" section: how far each runtime's outputs are from
the FP32 reference run, with sentences written from the rows (a precision other than FP32, a
top-1 class that differs, a large error).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ... import analysis
from ...analysis.findings import NOTABLE_REL_ERROR
from ..shared.cells import (
    agreement_text,
    error_cell,
    error_text,
    is_reduced_precision,
    machine_label,
    machine_link,
    model_link,
    precision_cell,
    precision_name,
    provenance,
    reference_runtime,
    row_label,
    runtime_link,
    runtime_name,
    yes_no,
)
from ..shared.page import METHODOLOGY_PATH, Page, bullet_list
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, folded


def agreement_sentences(page: Page, frame: pd.DataFrame) -> list[str]:
    """Explanations driven by the rows: reduced precision, top-1 disagreement, large errors."""
    ok = frame[frame["status"] == analysis.OK]
    machines = set(frame["machine"])
    sentences = []
    reduced = ok[ok["precision"].map(is_reduced_precision).astype(bool)]
    reduced = reduced.assign(precision_name=[precision_name(p) for p in reduced["precision"]])
    for (machine, runtime, precision), rows in reduced.groupby(
        ["machine", "runtime", "precision_name"], sort=True
    ):
        errors = rows["max_rel_error"].dropna()
        models = ", ".join(model_link(page, m) for m in sorted(rows["model"].unique()))
        text = (
            f"On {machine_link(page, machine)}, {runtime_link(page, runtime)} reported "
            f"**{escape_inline(precision)}** inference for {len(rows)} model(s) ({models}), not "
            "FP32"
        )
        if len(errors):
            text += (
                f": their outputs differ from the FP32 reference by a maximum relative error of "
                f"{error_text(errors.min())} to {error_text(errors.max())}"
            )
        flags = _bf16_flags(page, machine) if precision == "bf16" else []
        if flags:
            text += (
                f". This machine's CPU has {', '.join(f'`{escape_inline(f)}`' for f in flags)}, "
                "native bf16 instructions, which the runtime uses by default"
            )
        sentences.append(
            text + f" ([precision and agreement]({page.href(METHODOLOGY_PATH)}"
            "#precision-and-agreement))."
        )
    for found in page.site.analysis.disagreements:
        if found.machine not in machines:
            continue
        if found.top1_differs:
            sentences.append(
                f"On {machine_link(page, found.machine)}, {runtime_link(page, found.runtime)} "
                f"gives a different top-1 class than the reference for "
                f"{model_link(page, found.model)} (maximum relative error "
                f"{error_cell(found.max_rel_error)})."
            )
        else:
            sentences.append(
                f"On {machine_link(page, found.machine)}, {runtime_link(page, found.runtime)} "
                f"differs from the reference for {model_link(page, found.model)} by a maximum "
                f"relative error of {error_cell(found.max_rel_error)} in FP32."
            )
    return sentences


def _bf16_flags(page: Page, machine: str) -> list[str]:
    found = page.site.machines.get(machine)
    flags = [str(f) for f in found.hardware.isa_features] if found else []
    return sorted(f for f in flags if "bf16" in f.lower())


def agreement_table(page: Page, rows: pd.DataFrame) -> Table:
    """Every ok row of one machine: the precision it ran in and its agreement with the
    reference in the metric of its output kind (the maximum errors are in the downloads)."""
    records = [
        {
            "model_id": r.model,
            "runtime_id": r.runtime,
            "settings": r.settings,
            "model": model_link(page, r.model),
            "runtime": Md(runtime_link(page, r.runtime) + _suffix(page, r)),
            "precision": precision_cell(r.precision),
            "agreement": agreement_text(r),
            "top1": yes_no(r.top1_agree),
        }
        for r in rows[rows["status"] == analysis.OK].itertuples()
    ]
    return Table.from_records(
        records,
        [
            Column("model", "Model"),
            Column("runtime", "Runtime · precision"),
            Column("precision", "Precision"),
            Column("agreement", "Agreement with FP32", align="right"),
            Column("top1", "Top-1 agrees (first input)", align="center"),
        ],
    ).sort(["model_id", "runtime_id", "settings"])


def _suffix(page: Page, row: Any) -> str:
    """' · BF16, intra_op_threads=1': the row label after the runtime's name."""
    label = row_label(page, row)
    rest = label.removeprefix(runtime_name(page, row.runtime)).strip()
    return f" {escape_inline(rest)}" if rest else ""


def agreement_section(page: Page, frame: pd.DataFrame) -> str:
    parts = [
        "## Output agreement",
        (
            "Each runtime's outputs for the same inputs, compared with the FP32 reference run "
            f"of {escape_inline(runtime_name(page, reference_runtime(page)))}, in the metric "
            "that fits the output (top-1 agreement, cosine, Spearman or signal-to-noise ratio "
            "over many inputs; rows measured before that show the first input only; the "
            "maximum errors are in the downloads). A runtime that computes in lower precision, or fuses operations "
            f"differently, gives slightly different numbers: [how it is measured]"
            f"({page.href(METHODOLOGY_PATH)}#precision-and-agreement)."
        ),
    ]
    sentences = agreement_sentences(page, frame)
    parts.append(
        folded(f"{len(sentences)} finding(s) on precision and agreement", bullet_list(sentences))
        if sentences
        else "Every runtime computed in FP32 and agreed with the reference to within "
        f"{NOTABLE_REL_ERROR:g} (relative)."
    )
    for machine in sorted(frame["machine"].unique()):
        rows = frame[frame["machine"] == machine]
        parts.append(f"### Agreement on {escape_inline(machine_label(page, machine))}")
        detail = provenance(page, machine, rows) + "\n\n"
        detail += agreement_table(page, rows).to_markdown("No row ran ok on this machine.")
        parts.append(folded("Agreement of every row on this machine", detail))
    return "\n\n".join(parts)
