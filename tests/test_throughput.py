"""The throughput scenario without a runtime: its result types, the search's choice, the
closed-loop window, the twins each adapter adds to the matrix, and the verification rule
(a throughput row keeps the process with more inferences per second)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb

from nnkb import results
from nnkb.bench.measure import WorkerResult
from nnkb.bench.rows import describe, describe_process, with_process, with_result
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.settings import HARNESS
from nnkb.bench.throughput import Plan, Window, closed_loop, dynamic_batch
from nnkb.results import Throughput, Trial
from nnkb.results.throughput import best_trial
from results_builder import WHEN, stats

ROOT = Path(__file__).resolve().parents[1]
# A committed results file as it was when rows of two harness versions stood side by side (the
# live file has since been measured again): rows from before the throughput scenario, and
# throughput rows with their latency twins.
COMMITTED = ROOT / "tests" / "fixtures" / "results_v2" / "amd-epyc-2c-linux-c907c428.json"
SEARCH = (Trial(1, 1, 2, 40.0), Trial(1, 2, 1, 55.5), Trial(4, 2, 1, 51.0))


def throughput(rate: float = 55.5, search: tuple[Trial, ...] | None = SEARCH) -> Throughput:
    return Throughput(rate, 1, 2, 1, 2.0, int(rate * 2), "search: test", search)


def test_throughput_reads_and_writes_its_json():
    value = throughput()
    data = value.to_json()
    assert list(data) == [
        "inferences_per_s", "batch", "streams", "threads", "duration_s", "inferences",
        "method", "search",
    ]  # fmt: skip
    assert Throughput.from_json(json.loads(json.dumps(data))) == value
    chosen = throughput(search=None)
    assert chosen.to_json()["search"] is None and Throughput.from_json(chosen.to_json()) == chosen


def test_the_search_picks_the_trial_with_the_most_inferences_per_second():
    assert best_trial(SEARCH) == Trial(1, 2, 1, 55.5)
    tie = (Trial(1, 1, 2, 50.0), Trial(2, 1, 2, 50.0))
    assert best_trial(tie) == tie[0]  # the first listed: smaller batch, fewer streams
    assert best_trial(()) is None


def _twin(**extra) -> results.Row:
    # A row from before the throughput scenario: it has no throughput twin in the file yet.
    committed = next(r for r in results.read(COMMITTED).rows if r.ok and r.harness_version == "4")
    settings = {**committed.settings, "scenario": "throughput"}
    return replace(committed, key="e" * 64, settings=settings, agreement=None, **extra)


def test_a_throughput_row_round_trips_and_an_older_file_stays_byte_for_byte(tmp_path):
    latency = stats(0.02)
    process = results.ProcessSummary.of(latency, WHEN, throughput())
    row = _twin(latency=latency, throughput=throughput(), processes=(process,))
    first = next(r for r in results.read(COMMITTED).rows if r.harness_version == "4")
    assert row.scenario == "throughput" and first.scenario == "latency"
    loaded = results.read(COMMITTED)
    path = tmp_path / f"{loaded.machine.id}.json"
    document = replace(loaded, rows=[*loaded.rows, row])
    results.write_atomic(path, document)
    again = results.read(path)
    assert again.by_identity()[row.identity] == row
    [written] = [r for r in json.loads(path.read_text())["rows"] if r["key"] == row.key]
    assert written["processes"][0]["inferences_per_s"] == 55.5
    assert written["throughput"]["search"][1] == {
        "batch": 1, "streams": 2, "threads": 1, "inferences_per_s": 55.5,
    }  # fmt: skip
    # Latency rows carry neither field: the committed file writes back unchanged, and its
    # rows from before the throughput scenario have no throughput figures.
    assert loaded.dumps() == COMMITTED.read_text(encoding="utf-8")
    older = [r for r in loaded.rows if r.harness_version == "4"]
    assert older and all(r.throughput is None for r in older)
    assert all(p.inferences_per_s is None for r in older for p in r.processes or ())


def _result(rate: float, p50: float) -> WorkerResult:
    return WorkerResult("ok", latency=stats(p50), throughput=throughput(rate))


def test_verification_keeps_the_process_with_more_inferences_per_second():
    planned = _twin(latency=None, throughput=None, processes=None, process_spread=None)
    # The first process: 50/s with 30 ms requests; the second 60/s with slower requests.
    row = with_result(planned, _result(50.0, 0.030))
    assert row.processes[0].inferences_per_s == 50.0
    assert "50.0 inferences/s" in describe(row)
    row = with_process(row, _result(60.0, 0.033), "2026-01-10T12:05:00Z")
    assert row.throughput.inferences_per_s == 60.0 and row.latency.p50 == 0.033
    assert row.process_spread == pytest.approx(60 / 50 - 1)
    assert "60.0 inferences/s" in describe_process(row)
    slower = with_process(row, _result(40.0, 0.020), "2026-01-10T12:09:00Z")
    assert slower.throughput.inferences_per_s == 60.0 and slower.latency.p50 == 0.033
    assert slower.process_spread == pytest.approx(60 / 40 - 1)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("throughput", "inferences_per_s"), 50.0, "must equal the highest inferences_per_s"),
        (("latency",), stats(0.030).to_json(), "p50 of the process with the most inferences"),
        (("throughput",), None, "throughput is missing"),
    ],
)
def test_the_reader_checks_a_throughput_row_keeps_its_faster_process(
    tmp_path, where, value, message
):
    first = results.ProcessSummary.of(stats(0.030), WHEN, throughput(50.0))
    second = results.ProcessSummary.of(stats(0.033), WHEN, throughput(60.0))
    row = _twin(latency=stats(0.033), throughput=throughput(60.0), processes=(first, second))
    loaded = results.read(COMMITTED)
    path = tmp_path / f"{loaded.machine.id}.json"
    results.write_atomic(path, replace(loaded, rows=[row]))
    assert results.read(path).rows[0].throughput.inferences_per_s == 60.0
    data = json.loads(path.read_text())
    target = data["rows"][0]
    for key in where[:-1]:
        target = target[key]
    if value is None:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    path.write_text(json.dumps(data, indent=1))
    with pytest.raises(results.ResultsError, match=message):
        results.read(path)


def test_each_adapter_has_throughput_twins_of_its_fp32_and_int8_variants():
    adapters = load_adapters()
    labels = {
        name: [adapters[name].label(s) for s in adapters[name].throughput_variants()]
        for name in ("onnxruntime", "openvino", "opencv")
    }
    assert labels == {
        "onnxruntime": ["ONNX Runtime · FP32", "ONNX Runtime · INT8"],
        "openvino": ["OpenVINO · FP32", "OpenVINO · INT8"],
        "opencv": ["OpenCV DNN · FP32"],
    }
    for adapter in adapters.values():
        for twin in adapter.throughput_variants():
            latency = {k: v for k, v in twin.items() if k != "scenario"}
            assert twin["scenario"] == "throughput" and latency in adapter.variants()
        assert "throughput" in adapter.methodology


def test_the_plan_comes_from_the_harness_and_a_row_budget_shortens_it():
    plan = Plan.of(HARNESS)
    assert plan.window_s == HARNESS["throughput_window_seconds"]
    assert plan.batches == tuple(HARNESS["throughput_batches"])
    short = Plan.of(HARNESS, budget_s=0.1)
    assert short.window_s == short.trial_s == short.warmup_s == 0.1
    assert "throughput_method" in HARNESS


def test_batch_sizes_are_searched_only_where_the_graph_leaves_the_batch_open(tmp_path):
    fixed, _ = tinykb.write_model(tmp_path, "fixed", tinykb.conv_net(0, size=8))
    model = tinykb.conv_net(0, size=8)
    for value in (*model.graph.input, *model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    open_, _ = tinykb.write_model(tmp_path, "open", model)
    shapes = {"input": (1, 3, 8, 8)}
    plan = Plan.of(HARNESS)
    assert not dynamic_batch(fixed) and dynamic_batch(open_)
    assert plan.batches_for(fixed, shapes) == (1,)
    assert plan.batches_for(open_, shapes) == plan.batches
    assert not dynamic_batch(tmp_path / "model.xml")  # not ONNX: no search
    inputs = plan.inputs(open_, shapes, 4)
    assert inputs["input"].shape == (4, 3, 8, 8)
    # The first item of a batch is the latency row's input: one seeded stream per input.
    assert np.array_equal(plan.inputs(open_, shapes, 1)["input"], inputs["input"][:1])


def test_the_closed_loop_counts_every_stream_and_each_item_of_a_batch():
    def sleeper(seconds: float):
        return lambda: time.sleep(seconds)

    window = closed_loop([sleeper(0.01), sleeper(0.01)], 0.05)
    assert isinstance(window, Window)
    assert window.requests >= 2 and window.duration_s >= 0.05
    assert window.rate(4) == pytest.approx(4 * window.requests / window.duration_s)
    one = closed_loop([sleeper(0.0)], 0.0)  # every stream completes a request
    assert one.requests == 1


def test_a_request_that_fails_in_a_stream_fails_the_window():
    def broken() -> None:
        raise RuntimeError("simulated runtime failure")

    with pytest.raises(RuntimeError, match="simulated runtime failure"):
        closed_loop([lambda: time.sleep(0.001), broken], 0.01)
