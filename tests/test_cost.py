"""benchmarks/cost.py's estimates from committed results, without running a bench."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("cost", ROOT / "benchmarks" / "cost.py")
assert spec and spec.loader
cost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cost)

HARNESS = {"min_measure_seconds": 1.0, "warmup_seconds": 0.5, "profile_seconds": 1.0}


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


def test_measured_at_gaps_by_kind_and_separate_sessions_give_nothing():
    p = lambda t: {"n": 1, "p50": 1.0, "measured_at": t}
    rows = [row([p("2026-01-01T00:00:00Z"), p("2026-01-01T00:00:09Z")]),
            row([p("2026-01-01T00:00:03Z"), p("2026-01-01T00:00:11Z")])]  # fmt: skip
    assert cost.observed(rows) == {"latency": (9.0, 2), "verification": (2.0, 1)}
    rows[1]["processes"][1]["measured_at"] = "2026-01-02T00:00:00Z"
    assert cost.observed(rows) == {}


def test_dry_run_lines_parse_into_rows():
    lines = ["results file: x.json", "  mobilefacenet × onnxruntime              run",
             "  ssdlite × openvino (f32 hint)      run", "48 rows: 48 to run, 0 cached"]  # fmt: skip
    parsed = [m.groups() for line in lines if (m := cost.PLANNED.match(line))]
    assert parsed == [("mobilefacenet", "onnxruntime", None, "run"),
                      ("ssdlite", "openvino", "f32 hint", "run")]  # fmt: skip
