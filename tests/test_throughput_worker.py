"""Each real adapter's throughput mode through the worker, on a tiny model whose graph
leaves the batch dimension open: OpenVINO's streams read back, ONNX Runtime's search over
batch x sessions x threads, OpenCV DNN's over batch sizes; short windows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb

from nnkb.bench.isolate import run_worker
from nnkb.bench.measure import WorkerResult
from nnkb.bench.protocol import RowJob
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.runtimes.base import physical_cores
from nnkb.bench.settings import HARNESS

SHORT = {
    **HARNESS,
    "throughput_trial_seconds": 0.05,
    "throughput_warmup_seconds": 0.05,
    "throughput_window_seconds": 0.2,
}


@pytest.fixture(scope="module")
def open_batch(tmp_path_factory) -> Path:
    model = tinykb.conv_net(0, size=16)
    for value in (*model.graph.input, *model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    path, _ = tinykb.write_model(tmp_path_factory.mktemp("tp"), "open", model)
    return path


def measure(runtime: str, path: Path) -> WorkerResult:
    adapter = load_adapters()[runtime]
    settings = next(s for s in adapter.throughput_variants() if not adapter.quantizer(s))
    job = RowJob(
        runtime=runtime,
        model_path=str(path),
        inputs={"input": [1, 3, 16, 16]},
        settings=settings,
        harness=SHORT,
        row_budget_s=8.0,
        classifier=True,
        reference=None,
        reference_label="",
    )
    result = WorkerResult.from_json(run_worker(job, 120))
    assert result.status == "ok", result.reason
    assert result.throughput is not None and result.latency is not None
    assert result.latency.converged is None  # no stopping rule: the window is fixed
    assert result.agreement is None and result.op_profile is None
    t = result.throughput
    assert t.inferences == result.latency.n * t.batch
    assert t.inferences_per_s == pytest.approx(t.inferences / t.duration_s)
    assert t.duration_s >= SHORT["throughput_window_seconds"]
    return result


def test_onnx_runtime_searches_batch_sizes_and_splits_of_the_cores(open_batch):
    t = measure("onnxruntime", open_batch).throughput
    assert t is not None and t.search is not None
    cores = physical_cores()
    splits = [(n, cores // n) for n in range(1, cores + 1) if cores % n == 0]
    tried = [(trial.batch, trial.streams, trial.threads) for trial in t.search]
    assert tried == [(b, n, k) for n, k in splits for b in HARNESS["throughput_batches"]]
    best = max(t.search, key=lambda trial: trial.inferences_per_s)
    assert (t.batch, t.streams, t.threads) == (best.batch, best.streams, best.threads)
    assert "batch 1, 2, 4" in t.method


def test_openvino_reads_back_its_streams(open_batch):
    result = measure("openvino", open_batch)
    t = result.throughput
    assert t is not None and t.search is None and t.batch == 1
    assert t.streams >= 1 and "PERFORMANCE_HINT THROUGHPUT" in t.method
    assert result.precision == "f32"  # the FP32 twin's hint, read back


def test_opencv_searches_the_batch_sizes_the_graph_accepts(open_batch):
    t = measure("opencv", open_batch).throughput
    assert t is not None and t.search is not None
    assert [trial.batch for trial in t.search] == HARNESS["throughput_batches"]
    assert {(trial.streams, trial.threads) for trial in t.search} == {(1, physical_cores())}
