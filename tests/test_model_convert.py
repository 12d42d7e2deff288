"""onnx.convert: float16-to-float32 widens a file published in FP16 without changing a value."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from nnkb.models.convert import ConversionError, converted, widen_float16


def _fp16_model(weights: np.ndarray) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 3])
    w = numpy_helper.from_array(weights.astype(np.float16), "w")
    graph = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["y"])], "g", [x], [y], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_widening_keeps_every_value_and_makes_every_type_fp32(tmp_path):
    weights = np.array([[0.1, -3.5, 65504.0]], dtype=np.float16)
    wide = widen_float16(_fp16_model(weights))
    (w,) = wide.graph.initializer
    assert w.data_type == TensorProto.FLOAT
    assert np.array_equal(numpy_helper.to_array(w), weights.astype(np.float32))
    assert wide.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert wide.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    session = ort.InferenceSession(wide.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.array([[2.0, 2.0, 1.0]], dtype=np.float32)
    (y,) = session.run(None, {"x": x})
    assert np.array_equal(y, x * weights.astype(np.float32))


def test_a_file_without_fp16_is_refused():
    model = _fp16_model(np.ones((1, 3)))
    wide = widen_float16(model)
    with pytest.raises(ConversionError, match="no FP16 tensor"):
        widen_float16(wide)


def test_the_converted_file_is_made_once_and_named_by_the_source_hash(tmp_path):
    source = tmp_path / "m.onnx"
    onnx.save(_fp16_model(np.ones((1, 3))), str(source))
    first = converted(source, "float16-to-float32", tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    again = converted(source, "float16-to-float32", tmp_path / "cache")
    assert again == first and again.stat().st_mtime_ns == stamp
    assert onnx.load(str(first)).graph.initializer[0].data_type == TensorProto.FLOAT
    with pytest.raises(ConversionError, match="unknown conversion"):
        converted(source, "int8-to-int4", tmp_path / "cache")
