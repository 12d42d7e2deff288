"""OCR as a pipeline: the text-recognition use case ranks recognisers only; the detector and
the direction classifier are stages whose times stand beside the pick, with the totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.analysis.pipeline import PAGE_LINES, pipeline_times
from nnkb.kb import load_kb
from nnkb.results import load_all

KB_ROOT = Path(__file__).resolve().parents[1] / "kb"


@pytest.fixture(scope="module")
def measured():
    kb = load_kb(KB_ROOT)
    return kb, analysis.results_frame(load_all(KB_ROOT))


def test_text_recognition_ranks_recognisers_only(measured):
    kb, frame = measured
    assert {m.task for m in kb.candidates_for("text-recognition")} == {"text-recognition"}
    assert [m.task for m in kb.stages_for("text-recognition")] == [
        "text-detection", "text-direction",
    ]  # fmt: skip
    ranked = analysis.use_case_ranking(kb, frame, "text-recognition")
    assert {kb.models[m].task for m in ranked["model"]} == {"text-recognition"}
    for rec in analysis.recommend(kb, frame, "text-recognition"):
        assert all(kb.models[c.model].task == "text-recognition" for c in rec.candidates)


def test_pipeline_totals_add_the_stages_to_the_pick(measured):
    kb, frame = measured
    recs = analysis.recommend(kb, frame, "text-recognition")
    times = pipeline_times(kb, frame, "text-recognition", recs)
    assert times and len(times) == len(recs)
    for pipeline, rec in zip(times, recs, strict=True):
        by_task = {s.task: s for s in pipeline.stages}
        assert set(by_task) == {"text-detection", "text-direction", "text-recognition"}
        assert by_task["text-recognition"].p50 == rec.pick.p50
        assert not by_task["text-detection"].per_line and by_task["text-direction"].per_line
        if pipeline.per_line is None:
            continue
        line = by_task["text-direction"].p50 + by_task["text-recognition"].p50
        assert pipeline.per_line == pytest.approx(line)
        page = by_task["text-detection"].p50 + PAGE_LINES * line
        assert pipeline.per_page == pytest.approx(page)


def test_use_cases_without_stages_have_no_pipeline(measured):
    kb, frame = measured
    recs = analysis.recommend(kb, frame, "object-detection")
    assert pipeline_times(kb, frame, "object-detection", recs) == []
