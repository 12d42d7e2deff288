"""A use case whose candidates follow other stages (OCR: the text detector runs once per image,
the direction classifier and the recogniser once per text line): each stage's time beside the
recommended candidate, and the pipeline's total per line and per page.

The stages are the models of the use case's `pipeline_stages` tasks; they are never ranked
against the candidates. A stage's time is its fastest ok FP32 latency row on the machine (a
stage has no tolerance of its own, so no reduced precision is assumed); the candidate's is
the recommendation's pick. A page is an example of PAGE_LINES lines: the detector once, the
per-line stages once per line.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..kb import KB
from .frame import OK, latency_rows
from .precision import is_reduced
from .recommend import Recommendation

PER_IMAGE_TASKS = frozenset({"text-detection"})  # run once per image; the rest once per line
PAGE_LINES = 20


@dataclass(frozen=True)
class StageTime:
    model: str
    task: str
    per_line: bool
    runtime: str | None = None
    settings: str | None = None
    precision: str | None = None
    p50: float | None = None  # None: no ok FP32 row of the stage on the machine


@dataclass(frozen=True)
class PipelineTimes:
    machine: str
    stages: tuple[StageTime, ...]  # the stages, then the recommended candidate
    per_line: float | None  # every per-line stage, None when one has no time
    per_page: float | None  # the per-image stages plus PAGE_LINES lines
    page_lines: int = PAGE_LINES


def pipeline_times(
    kb: KB, frame: pd.DataFrame, use_case_id: str, recommendations: list[Recommendation]
) -> list[PipelineTimes]:
    """Per recommendation (machine), the pipeline's stages and totals; [] without stages."""
    stages = kb.stages_for(use_case_id)
    if not stages:
        return []
    rows = latency_rows(frame)
    ok = rows[(rows["status"] == OK) & rows["p50"].notna() & ~rows["precision"].map(is_reduced)]
    out = []
    for rec in recommendations:
        on_machine = ok[ok["machine"] == rec.machine]
        times = [_fastest(on_machine, m.id, m.task) for m in stages]
        if rec.pick is not None:
            times.append(
                StageTime(
                    rec.pick.model,
                    kb.models[rec.pick.model].task,
                    True,
                    rec.pick.runtime,
                    rec.pick.settings,
                    rec.pick.precision,
                    rec.pick.p50,
                )
            )
        per_line_parts = [t.p50 for t in times if t.per_line]
        image_parts = [t.p50 for t in times if not t.per_line]
        complete = rec.pick is not None and None not in per_line_parts
        per_line = sum(p for p in per_line_parts if p is not None) if complete else None
        per_page = (
            sum(p for p in image_parts if p is not None) + PAGE_LINES * per_line
            if per_line is not None and None not in image_parts
            else None
        )
        out.append(PipelineTimes(rec.machine, tuple(times), per_line, per_page))
    return out


def _fastest(rows: pd.DataFrame, model: str, task: str) -> StageTime:
    mine = rows[rows["model"] == model].sort_values(["p50", "runtime", "settings"], kind="stable")
    per_line = task not in PER_IMAGE_TASKS
    if mine.empty:
        return StageTime(model, task, per_line)
    best = mine.iloc[0]
    return StageTime(
        model, task, per_line, best["runtime"], best["settings"], best["precision"],
        float(best["p50"]),
    )  # fmt: skip
