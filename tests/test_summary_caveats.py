"""Summaries carry their caveats: every "fastest" figure on the models index, a model page's
machines table and the throughput chart names the precision it ran in, and a variant that a
use case of the model rejects is marked wherever it is shown; "could not run" counts failed rows
only. Run on the real KB and its committed results, where such variants exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnkb import analysis
from nnkb.analysis.precision import precision_name, rejections
from nnkb.render.build.site import build_context
from nnkb.render.pages.indexes import fastest_cell
from nnkb.render.sections.measured import machines_side_by_side
from nnkb.render.sections.throughput import pairs_for_chart
from nnkb.render.shared.page import Page, entry_path

pytestmark = pytest.mark.slow  # builds the real KB's site context

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site():
    return build_context(REPO / "kb")


def test_the_real_results_hold_rejected_variants(site):
    # Otherwise the tests below would pass without checking anything.
    assert rejections(site.kb, site.frame).map(bool).any()


def test_fastest_on_the_models_index_names_precision_and_marks_rejected(site):
    page = Page(site, "models/index.md")
    frame = site.frame
    rejected = rejections(site.kb, frame)
    for model in site.kb.models:
        cell = fastest_cell(page, model)
        if not cell:
            continue
        ok = frame[(frame["model"] == model) & (frame["status"] == "ok") & frame["p50"].notna()]
        best = ok.sort_values(["p50", "runtime"]).groupby("machine", sort=True).head(1)
        parts = cell.split("); ")
        assert len(parts) == len(best)
        for part, (index, row) in zip(parts, best.sort_values("machine").iterrows()):
            assert f"· {precision_name(row['precision']).upper()}" in part, part
            assert ("rejected:" in part) == bool(rejected[index]), part


def test_a_models_machines_table_names_precision_and_marks_rejected(site):
    for model in site.kb.models.values():
        page = Page(site, entry_path("models", model.id))
        rows = site.frame[site.frame["model"] == model.id]
        table = machines_side_by_side(page, rows)
        if not table:
            continue
        for cell in re.findall(r"\| ([0-9.]+ (?:ms|µs|s)[^|]*) ", table):
            assert re.search(r" · (FP32|FP16|BF16|INT8)", cell), cell
        if rejections(site.kb, rows).map(bool).any():
            assert "rejected:" in table


def test_the_throughput_chart_marks_rejected_bars(site):
    pairs = pairs_for_chart(Page(site, "comparisons/runtimes.md"), site.frame)
    latency = analysis.latency_rows(site.all_frame)
    raw = analysis.paired_frame(site.all_frame)
    assert not pairs.empty
    marked = pairs["label"].str.contains("rejected", regex=False)
    assert marked.any()
    # Every label names a precision.
    assert pairs["label"].str.contains(r"· (?:FP32|FP16|BF16|INT8)", regex=True).all()
    assert len(rejections(site.kb, raw, latency)) == len(raw)
    # One bar per row: a row label names one variant, so no two rows of a machine and a
    # model share one (the chart would draw two bars under one name).
    assert not pairs.duplicated(["machine", "model", "label"]).any()


def test_could_not_run_counts_failed_rows_only(site):
    failures = analysis.load_failures(site.frame)
    assert not failures["status"].isin(analysis.runtimes.NOT_APPLICABLE).any()
    skipped = analysis.not_applicable(site.frame)
    assert not skipped.empty  # the real results have variants a CPU lacks instructions for


def test_each_headline_counts_candidates_and_calls_a_tie_a_tie(site):
    from nnkb.render.pages.usecase import _pick_title

    for use_case in site.kb.use_cases.values():
        page = Page(site, entry_path("use_cases", use_case.id))
        for rec in analysis.recommend(site.kb, site.all_frame, use_case.id):
            if rec.pick is None:
                continue
            title = _pick_title(page, use_case, rec)
            measured = sum(1 for c in rec.candidates if c.ran)
            assert f"{measured} of {len(rec.candidates)} candidates measured here" in title
            low, high = rec.pick.ci95_low, rec.pick.ci95_high
            tied = any(a.tie_break or a.within_noise for a in rec.alternatives) or any(
                r.p50 is not None and low is not None and high is not None and low <= r.p50 <= high
                for r in rec.other_runtimes
            )
            if tied and rec.scenario != "throughput":
                assert "a tie within the 95 % intervals" in title, title
