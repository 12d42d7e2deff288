"""A worker that runs out of memory under its cap becomes a failed row that says so, and the
results file still validates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import psutil
import pytest
from onnx import TensorProto, helper, numpy_helper

from nnkb.bench.protocol import ReferenceJob

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "bench"))
import tinykb

from nnkb import results
from nnkb.bench import isolate, runner
from nnkb.bench.settings import HARNESS, WORKER_MEMORY_FRACTION
from nnkb.cli import main

CAP = int(1.5 * 2**30)  # room for a worker with any runtime loaded (~0.5 GiB of address space)
NEEDED = 2 * 2**30  # what the model's one intermediate tensor takes
PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


def expand_to(nbytes: int) -> onnx.ModelProto:
    """input [1,3,1,1] -> Expand to [1,3,1,n] float32 of `nbytes` -> ReduceSum -> [1]."""
    n = nbytes // (3 * 4)
    shape = numpy_helper.from_array(np.array([1, 3, 1, n], np.int64), "shape")
    axes = numpy_helper.from_array(np.array([1, 2, 3], np.int64), "axes")
    nodes = [
        helper.make_node("Expand", ["input", "shape"], ["big"]),
        helper.make_node("ReduceSum", ["big", "axes"], ["total"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "huge",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 1, 1])],
        [helper.make_tensor_value_info("total", TensorProto.FLOAT, [1])],
        [shape, axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.mark.slow
def test_model_needing_more_memory_than_the_cap_becomes_a_failed_row_naming_the_cap(
    tmp_path, monkeypatch, capsys
):
    fraction = CAP / psutil.virtual_memory().total
    monkeypatch.setenv(isolate.MEMORY_FRACTION_ENV, repr(fraction))
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(HARNESS, "warmup_seconds", 0.05)
    monkeypatch.setattr(runner, "measure_peak", lambda: PEAK)
    kb = tinykb.make_kb(
        tmp_path,
        {"huge": expand_to(NEEDED), "tiny": tinykb.conv_net(size=1)},
        size=1,
        classifier=False,
    )
    out = tmp_path / "r.json"
    runtimes = ["onnxruntime", "openvino", "opencv"]
    argv = ["bench", "--kb", str(kb), "--results", str(out), "--row-budget", "0.2"]
    assert main([*argv, "--runtimes", *runtimes]) == 0
    data = json.loads(out.read_text())
    results.read(out, named=False)  # every check of nnkb validate
    # The FP32 rows (OpenVINO's f32-hint row: its default-precision one may be not applicable
    # on this CPU); the INT8 rows' quantisation runs under the same cap.
    rows = {
        (r["model"], r["runtime"]): r
        for r in data["rows"]
        if r["settings"].get("inference_precision_hint", "f32") == "f32"
        and (r["runtime"] != "openvino" or "inference_precision_hint" in r["settings"])
        and not r["settings"].get("quantizer")
    }
    for runtime in runtimes:
        huge = rows[("huge", runtime)]
        assert huge["status"] == "failed"
        assert huge["reason"].startswith(
            f"out of memory under the worker memory cap (1.5 GiB, {fraction:g} of the machine's"
        )
        # The runtime's own words stay, after the cap.
        assert "allocate" in huge["reason"].lower() or "memory" in huge["reason"].split(": ")[-1]
        # The other model on the same runtime, under the same cap, measures normally.
        assert rows[("tiny", runtime)]["status"] == "ok", rows[("tiny", runtime)]["reason"]
    assert "Traceback" not in capsys.readouterr().err


def test_memory_error_in_the_worker_is_reported_as_out_of_memory_under_the_cap():
    cap = isolate.MemoryCap(2**30, 0.25, 4 * 2**30)
    failed = {"status": "failed", "reason": "MemoryError: Unable to allocate 8.00 GiB"}
    assert isolate.out_of_memory(failed, "", cap) == {
        "status": "failed",
        "reason": "out of memory under the worker memory cap (1.0 GiB, 0.25 of the machine's "
        "4.0 GiB; NNKB_WORKER_MEMORY_FRACTION sets the fraction): MemoryError: Unable to "
        "allocate 8.00 GiB",
    }
    # A crash whose stderr says std::bad_alloc is a failed row too, with the crash's words.
    crashed = {"status": "crashed", "reason": "worker killed by SIGABRT: Aborted"}
    stderr = "terminate called after throwing an instance of 'std::bad_alloc'\n"
    assert isolate.out_of_memory(crashed, stderr, cap)["status"] == "failed"
    # Other failures, and any failure without a cap, are left as they are.
    other = {"status": "failed", "reason": "load: unsupported operator"}
    assert isolate.out_of_memory(other, "", cap) == other
    assert isolate.out_of_memory(failed, "", None) == failed


def test_memory_fraction_defaults_to_the_setting_and_refuses_bad_values(monkeypatch):
    monkeypatch.delenv(isolate.MEMORY_FRACTION_ENV, raising=False)
    assert isolate.memory_fraction() == WORKER_MEMORY_FRACTION == 0.5
    monkeypatch.setenv(isolate.MEMORY_FRACTION_ENV, "0.25")
    cap = isolate.memory_cap()
    assert cap is not None and cap.bytes == int(psutil.virtual_memory().total * 0.25)
    for bad in ("0", "-0.5", "1.5", "nan", "inf", "half"):
        monkeypatch.setenv(isolate.MEMORY_FRACTION_ENV, bad)
        with pytest.raises(
            isolate.WorkerSettingError, match=r"expected a number greater than 0 and at most 1"
        ):
            isolate.memory_fraction()
        with pytest.raises(isolate.WorkerSettingError):  # before any worker process starts
            isolate.run_worker(ReferenceJob("m.onnx", {}, 0, "out.npz"), timeout=1)


def test_no_cap_where_the_platform_has_no_resource_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "resource", None)  # import resource raises ImportError
    assert isolate.memory_cap() is None
    isolate.apply_memory_cap(2**30)  # a no-op, not an error


def test_runtime_messages_lose_the_absolute_paths_of_this_machine():
    result = {
        "status": "failed",
        "reason": "load: Load model from /home/me/.cache/nnkb/models/x.onnx failed; see "
        "http://example.org/a/b.onnx and models/m.onnx",
        "op_profile_source": "not profiled: cannot open /tmp/nnkb-ort-profile-1/ort.json",
    }
    assert isolate.published(result) == {
        "status": "failed",
        "reason": "load: Load model from …/x.onnx failed; see http://example.org/a/b.onnx and "
        "models/m.onnx",
        "op_profile_source": "not profiled: cannot open …/ort.json",
    }
