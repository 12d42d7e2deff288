"""INT8 derived files: both quantisers on a tiny model, cache keys, cache reuse, failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nnkb.bench.agreement import agreement, agreement_inputs
from nnkb.models import quantize as quantize_module
from nnkb.models.quantize import (
    CalibrationSet,
    QuantizeError,
    cache_key,
    quantize,
    synthetic_calibration,
)
from nnkb.models.synthetic import FAMILIES

SHAPES = {"input": (1, 3, 16, 16)}


def tiny_model(seed: int = 0) -> onnx.ModelProto:
    """Conv-Relu-Conv-Relu-pool-Gemm: a classifier small enough to quantise in a second."""
    rng = np.random.default_rng(seed)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        fan_in = int(np.prod(shape[1:]))
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), name
        )

    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], transB=1),
    ]
    inits = [
        weight("w1", 8, 3, 3, 3),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b1"),
        weight("w2", 16, 8, 3, 3),
        weight("w3", 10, 16),
        numpy_helper.from_array(np.zeros(10, np.float32), "b3"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(SHAPES["input"]))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.onnx"
    onnx.save(tiny_model(), path)
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def fp32_outputs(path: Path, inputs: list[dict]) -> list[np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return [session.run(None, x)[0] for x in inputs]


def test_cache_key_changes_with_each_part():
    parts = ["a" * 64, "onnxruntime", "onnxruntime 1.0", "calibration-1"]
    base = cache_key(*parts)
    assert cache_key(*parts) == base
    changed = {
        cache_key(*(parts[:i] + [value] + parts[i + 1 :]))
        for i, value in enumerate(["b" * 64, "nncf", "onnxruntime 1.1", "calibration-2"])
    }
    assert base not in changed and len(changed) == 4


def test_synthetic_calibration_id_names_its_content():
    base = synthetic_calibration(SHAPES)
    assert "seed=1" in base.id and "n=32" in base.id and "1x3x16x16" in base.id
    others = [
        synthetic_calibration(SHAPES, count=16),
        synthetic_calibration(SHAPES, seed=5),
        synthetic_calibration({"input": (1, 3, 8, 8)}),
        synthetic_calibration(SHAPES, dtypes={"input": np.float16}),
    ]
    assert len({base.id, *(c.id for c in others)}) == 5
    samples = list(base.samples)
    assert len(samples) == 32 and samples[0]["input"].shape == (1, 3, 16, 16)
    assert np.array_equal(list(base.samples)[3]["input"], samples[3]["input"])  # re-iterable


def test_onnxruntime_quantises_to_qdq_per_channel_and_agrees(tiny, cache):
    import onnxruntime

    result = quantize(tiny, "onnxruntime", synthetic_calibration(SHAPES), cache)
    assert result.path.name == "model.onnx" and result.quantizer == "onnxruntime"
    assert result.quantizer_version == f"onnxruntime {onnxruntime.__version__}"
    graph = onnx.load(result.path).graph
    ops = {node.op_type for node in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    scales = {init.name: init for init in graph.initializer}
    weight_dq = [n for n in graph.node if n.op_type == "DequantizeLinear" and "w2" in n.input[0]]
    assert weight_dq and numpy_helper.to_array(scales[weight_dq[0].input[1]]).shape == (16,)
    inputs = agreement_inputs(SHAPES, count=16)
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    check = agreement(
        "tensor", fp32_outputs(tiny, inputs), [session.run(None, x)[0] for x in inputs]
    )
    assert check.snr_db > 15  # int8 on a two-layer net: about 30 dB; 15 catches a broken file


# Slow lane: imports NNCF and compiles the IR with OpenVINO (most of a second); the ONNX Runtime
# quantiser's tests keep quantisation in the fast lane.
@pytest.mark.slow
def test_nncf_quantises_to_openvino_ir_and_agrees(tiny, cache):
    import openvino as ov

    result = quantize(tiny, "nncf", synthetic_calibration(SHAPES), cache)
    assert result.path.suffix == ".xml" and result.path.with_suffix(".bin").is_file()
    assert result.quantizer_version.startswith("nncf ") and " openvino " in result.quantizer_version
    model = ov.Core().read_model(str(result.path))
    assert "FakeQuantize" in {op.get_type_name() for op in model.get_ops()}
    compiled = ov.Core().compile_model(model, "CPU")
    # NNCF's activation ranges are the mean of each calibration input's range, so the
    # "loud" inputs (2.5 times the others) are clipped by design; ORT takes the extremes.
    inputs = [
        x
        for i, x in enumerate(agreement_inputs(SHAPES, count=16))
        if FAMILIES[i % len(FAMILIES)].name != "loud"
    ]
    check = agreement("tensor", fp32_outputs(tiny, inputs), [compiled(x)[0] for x in inputs])
    assert check.snr_db > 15


def test_cached_file_is_reused_without_quantising_again(tiny, cache, monkeypatch):
    calibration = synthetic_calibration(SHAPES)
    first = quantize(tiny, "onnxruntime", calibration, cache)
    written = first.path.stat().st_mtime_ns

    def refuse(*args):
        raise AssertionError("quantised again although the file was cached")

    monkeypatch.setitem(quantize_module.BUILDERS, "onnxruntime", refuse)
    again = quantize(tiny, "onnxruntime", calibration, cache)
    assert again == first and again.path.stat().st_mtime_ns == written


def test_another_calibration_set_gets_its_own_file(tiny, cache):
    first = quantize(tiny, "onnxruntime", synthetic_calibration(SHAPES), cache)
    samples = agreement_inputs(SHAPES, count=4)
    other = quantize(tiny, "onnxruntime", CalibrationSet("four-inputs", samples), cache)
    assert other.key != first.key and other.path.parent != first.path.parent
    assert other.calibration_id == "four-inputs" and other.path.is_file()


def test_a_file_that_is_not_a_model_fails_with_a_clear_message(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx file")
    with pytest.raises(QuantizeError, match=r"broken\.onnx: onnxruntime \(onnxruntime "):
        quantize(broken, "onnxruntime", synthetic_calibration(SHAPES, count=2), tmp_path / "c")
    # Nothing half-built is left behind to be taken for a cached file later.
    assert not any(p.name.startswith(".") for p in (tmp_path / "c").rglob("*"))
    assert not list((tmp_path / "c").rglob("model.onnx"))


def test_unknown_quantizer_empty_calibration_and_missing_file(tiny, tmp_path):
    with pytest.raises(QuantizeError, match="unknown quantizer 'tensorrt'; known: onnxruntime"):
        quantize(tiny, "tensorrt", synthetic_calibration(SHAPES), tmp_path)
    with pytest.raises(QuantizeError, match="calibration set 'none' is empty"):
        quantize(tiny, "onnxruntime", CalibrationSet("none", []), tmp_path)
    with pytest.raises(QuantizeError, match="missing.onnx: cannot read the model"):
        quantize(tmp_path / "missing.onnx", "onnxruntime", synthetic_calibration(SHAPES), tmp_path)
