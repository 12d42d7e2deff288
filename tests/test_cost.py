"""benchmarks/cost.py's accounting from results files, without running a bench: the cold
time of each row by kind (recorded phases, or measured_at gaps for older rows) and the
projection of a matrix from committed rows."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("cost", ROOT / "benchmarks" / "cost.py")
assert spec and spec.loader
cost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cost)

FIXTURE = ROOT / "tests" / "fixtures" / "cost" / "results.json"
HARNESS = {"min_measure_seconds": 1.0, "warmup_seconds": 0.5, "profile_seconds": 1.0}


def ident(model, runtime, **settings):
    return model, runtime, json.dumps(settings, sort_keys=True, separators=(",", ":"))


M_FP32 = ident("m", "ort", threads=2)
M_INT8 = ident("m", "ort", threads=2, quantizer="ort")
M_THROUGHPUT = ident("m", "ort", threads=2, scenario="throughput")
N_FP32 = ident("n", "ort", threads=2)
N_INT8 = ident("n", "ort", threads=2, quantizer="ort")


def row(processes, **extra):
    return {"model": "m", "runtime": "r", "budget_s": 8.0, "session_create_s": 0.2,
            "first_inference_s": 0.1, "op_profile": {"Conv": 1.0}, "op_profile_runs": 50,
            "processes": processes, **extra}  # fmt: skip


def test_a_row_costs_its_processes_own_timings():
    fast = {"n": 100, "p50": 0.002, "measured_at": "2026-01-01T00:00:00Z"}  # 0.2 s: 1 s floor
    slow = {"n": 20, "p50": 1.0, "measured_at": "2026-01-01T00:00:10Z"}  # 20 s: capped at 8
    latency, verify = cost.row_costs(row([fast, slow]), HARNESS, start_s=1.0)
    assert latency == pytest.approx(1.0 + 0.2 + 0.1 + 0.5 + 1.0 + 1.0)
    assert verify == pytest.approx(1.0 + 0.2 + 0.1 + 0.5 + 8.0)


def test_a_failed_row_costs_one_start_and_its_session():
    assert cost.row_costs(row([]), HARNESS, start_s=1.0) == (pytest.approx(1.2), 0.0)


def test_measured_at_gaps_reach_to_the_next_process_of_the_session():
    rows = json.loads(FIXTURE.read_text())["rows"]
    gaps = cost.gaps(rows)
    assert gaps[M_FP32] == [10.0, 3.0]
    assert gaps[N_FP32] == [24.0, None]  # the session's last process: no later start
    assert gaps[ident("n", "ov", hint="bf16")] == [1.0]  # unavailable: its measured_at


def test_recorded_phases_add_up_by_kind_and_scenario():
    rows = {cost.identity(r): r for r in json.loads(FIXTURE.read_text())["rows"]}
    kinds, recorded = cost.row_kinds(rows[M_FP32], None, HARNESS)
    assert recorded
    assert kinds == pytest.approx({"latency": 2.8, "model build": 0.6, "reference outputs": 2.0,
                                   "agreement": 0.6, "profile": 1.0, "verification": 2.5})  # fmt: skip
    kinds, _ = cost.row_kinds(rows[M_INT8], None, HARNESS)
    assert kinds["calibration/quantisation"] == 3.0 and kinds["accuracy"] == 4.0
    kinds, _ = cost.row_kinds(rows[M_THROUGHPUT], None, HARNESS)
    assert kinds == pytest.approx({"throughput": 4.2, "verification": 4.0})


def test_rows_without_phases_cost_their_gaps_or_an_estimate():
    rows = {cost.identity(r): r for r in json.loads(FIXTURE.read_text())["rows"]}
    kinds, recorded = cost.row_kinds(rows[N_FP32], [20.0, None], HARNESS, start_s=1.0)
    assert not recorded
    # The last process of the session has no gap: its own timings estimate it.
    assert kinds == pytest.approx({"latency": 20.0, "verification": 1.0 + 0.3 + 0.5 + 1.0})


def test_committed_costs_report_each_file_by_kind():
    by_file, lines = cost.committed_costs([FIXTURE], 1.0)
    costs = by_file[FIXTURE]
    assert set(costs) == {M_FP32, M_INT8, M_THROUGHPUT, N_FP32, ident("n", "ov", hint="bf16")}
    text = "\n".join(lines)
    assert "results.json: 5 rows" in text
    assert "calibration/quantisation      3.0 s" in text
    assert "2 rows measured before the bench recorded phases" in text


def test_projection_costs_committed_rows_estimates_int8_and_adds_throughput_twins():
    costs = cost.committed_costs([FIXTURE], 1.0)[0][FIXTURE]
    plan = [(M_FP32, "FP32", False), (M_INT8, "INT8", False), (N_FP32, "FP32", False),
            (N_INT8, "INT8", False), (ident("o", "ort"), "FP32", True)]  # fmt: skip
    by_model, counts = cost.project(plan, costs, extra_s=0.5)
    # m's FP32 twin was measured: its committed cost; the three others are estimated.
    assert counts == {"committed": 4, "int8 estimated": 1, "twins estimated": 3, "not costed": 0}
    assert set(by_model) == {"m", "n"}  # o is outside the matrix
    ratio = sum(costs[M_INT8].values()) / sum(costs[M_FP32].values())
    n_int8 = {k: v * ratio for k, v in costs[N_FP32].items()}
    twins_n = cost.twin_seconds("ort", costs[N_FP32], {}, 0.5)
    twins_n += cost.twin_seconds("ort", n_int8, {}, 0.5)
    assert sum(by_model["n"].values()) == pytest.approx(
        sum(costs[N_FP32].values()) * (1 + ratio) + twins_n
    )
    m_int8_twin = cost.twin_seconds("ort", costs[M_INT8], {}, 0.5) / 2
    assert by_model["m"]["throughput"] == pytest.approx(4.2 + m_int8_twin)


def test_a_twin_estimate_follows_the_harness_throughput_procedure():
    latency = {"latency": 8.0, "verification": 3.5}  # 2 s of start-up and load besides timing
    harness = {"warmup_seconds": 0.5, "min_measure_seconds": 1.0, "throughput_batches": [1, 2],
               "throughput_trial_seconds": 0.5, "throughput_warmup_seconds": 0.5,
               "throughput_window_seconds": 2.0}  # fmt: skip
    # ONNX Runtime: 2 batch sizes x 2 core splits + the fastest again = 5 trials of 0.5 s.
    assert cost.twin_seconds("onnxruntime", latency, harness, 0.0) == pytest.approx(
        2 * (2.0 + 5 * 0.5 + 0.5 + 2.0)
    )
    assert cost.twin_seconds("openvino", latency, harness, 0.0) == pytest.approx(2 * 4.5)
    assert cost.twin_seconds("opencv", latency, harness, 1.0) == pytest.approx(2 * 6.5)


def test_a_plan_with_throughput_rows_gets_no_estimated_twins():
    costs = cost.committed_costs([FIXTURE], 1.0)[0][FIXTURE]
    plan = [(M_FP32, "FP32", False), (M_THROUGHPUT, "FP32", False)]
    by_model, counts = cost.project(plan, costs, extra_s=0.5)
    assert counts["twins estimated"] == 0
    assert by_model["m"]["throughput"] == pytest.approx(4.2)


def test_a_planned_twin_without_a_committed_row_is_estimated_from_its_latency_twin():
    costs = cost.committed_costs([FIXTURE], 1.0)[0][FIXTURE]
    n_twin = ident("n", "ort", threads=2, scenario="throughput")
    by_model, counts = cost.project([(N_FP32, "FP32", False), (n_twin, "FP32", False)],
                                    costs, extra_s=0.5)  # fmt: skip
    assert counts == {"committed": 1, "int8 estimated": 0, "twins estimated": 1, "not costed": 0}
    assert by_model["n"]["throughput"] == pytest.approx(
        cost.twin_seconds("ort", costs[N_FP32], {}, 0.5) / 2
    )
