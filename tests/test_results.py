"""Results files: schema, deterministic atomic writes, loading every machine's file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nnkb import results
from nnkb.validate import check_kb


def _row(model="m", runtime="onnxruntime", key="a" * 64, **extra):
    row = {
        "key": key,
        "model": model,
        "runtime": runtime,
        "runtime_version": "1.0",
        "settings": {"threads": 2, "mode": "x"},
        "status": "ok",
        "measured_at": "2025-01-01T00:00:00Z",
        "latency": None,
    }
    row.update(extra)
    return row


def _machine(machine_id="test-cpu-2c-00000000"):
    return {
        "id": machine_id,
        "fingerprint": {
            "cpu_model": "Test CPU",
            "arch": "x86_64",
            "physical_cores": 2,
            "logical_cpus": 2,
            "isa_features": ["avx2"],
            "memory_bytes": 1 << 30,
            "os": "Linux",
            "python": "3.11",
            "runtimes": {"onnxruntime": "1.0"},
        },
        "peak": {"fp32_flops": 1e11, "method": "test", "measured_at": "2025-01-01T00:00:00Z"},
    }


def test_document_is_schema_valid():
    doc = results.document(_machine(), [_row()], {"version": "1"})
    assert results.check(doc) == []


def test_schema_problems_name_the_field():
    doc = results.document(_machine(), [_row(status="exploded")])
    problems = results.check(doc)
    assert len(problems) == 1
    assert problems[0].startswith("rows[0].status:")


def test_write_is_deterministic_and_sorted(tmp_path):
    rows = [_row("b", key="b" * 64), _row("a", "openvino", key="c" * 64), _row("a", key="d" * 64)]
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    results.write_atomic(first, results.document(_machine(), rows))
    shuffled = [{k: r[k] for k in reversed(list(r))} for r in reversed(rows)]
    results.write_atomic(second, results.document(_machine(), shuffled))
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.endswith("}\n")
    loaded = json.loads(text)
    assert [(r["model"], r["runtime"]) for r in loaded["rows"]] == [
        ("a", "onnxruntime"),
        ("a", "openvino"),
        ("b", "onnxruntime"),
    ]
    assert loaded["generated_by"] == "nnkb bench"


def test_write_only_when_content_changed(tmp_path):
    path = tmp_path / "r.json"
    doc = results.document(_machine(), [_row()])
    assert results.write_atomic(path, doc) is True
    os.utime(path, (1_000_000, 1_000_000))
    assert results.write_atomic(path, doc) is False
    assert path.stat().st_mtime == 1_000_000
    assert results.write_atomic(path, results.document(_machine(), [_row(key="e" * 64)]))
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_non_finite_numbers_are_refused_not_written(tmp_path):
    path = tmp_path / "r.json"
    with pytest.raises(ValueError):
        results.write_atomic(path, results.document(_machine(), [_row(latency=float("nan"))]))
    assert list(tmp_path.iterdir()) == []


def test_load_all_reads_every_machine(tmp_path):
    for machine_id in ("b-cpu-2c-11111111", "a-cpu-4c-22222222"):
        doc = results.document(_machine(machine_id), [_row()])
        results.write_atomic(tmp_path / "results" / f"{machine_id}.json", doc)
    loaded = results.load_all(tmp_path)
    assert [f.machine["id"] for f in loaded] == ["a-cpu-4c-22222222", "b-cpu-2c-11111111"]
    assert loaded[0].rows[0]["model"] == "m"
    assert results.load_all(tmp_path / "nowhere") == []


def test_read_reports_file_and_position(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "rows": [\n')
    with pytest.raises(results.ResultsError, match=r"bad\.json:3:1: not valid JSON"):
        results.read(path)
    path.write_text(json.dumps({"format_version": 1}))
    with pytest.raises(results.ResultsError, match="is a required property"):
        results.read(path)


def test_validate_accepts_rows_measured_in_several_processes(tmp_path):
    """A row with its processes (one failed) and the faster one's latency is valid."""
    kb = tmp_path / "kb"
    shutil.copytree(Path(__file__).parent / "fixtures" / "valid_kb", kb)
    path = kb / "results" / "example-machine.json"
    data = json.loads(path.read_text())
    row = data["rows"][0]
    first = {k: row["latency"][k] for k in ("p50", "ci95_low", "ci95_high", "n")}
    row["processes"] = [
        {**first, "measured_at": row["measured_at"]},
        {**first, "p50": 0.0025, "ci95_high": 0.0026, "measured_at": "2026-11-25T08:05:00Z"},
        {
            "status": "crashed",
            "reason": "worker killed by SIGSEGV",
            "measured_at": "2026-11-25T08:09:00Z",
        },
    ]
    row["process_spread"] = 0.0025 / 0.0021 - 1
    row["verification"] = None
    path.write_text(json.dumps(data, indent=2))
    assert results.check(data) == []
    assert check_kb(kb).problems == []

    row["processes"][1]["p50"] = 0.002  # faster than the reported latency
    path.write_text(json.dumps(data, indent=2))
    [problem] = check_kb(kb).problems
    assert "must equal the lowest p50 of the row's processes (0.002)" in problem.message
    row["processes"][2] = {"status": "crashed", "measured_at": "2026-11-25T08:09:00Z"}
    assert any("reason" in p or "valid under" in p for p in results.check(data))
