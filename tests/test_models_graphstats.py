"""graph_stats on small hand-made graphs (counts worked out by hand) and on the PP-OCR files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nnkb.models.graphstats import GraphStatsError, graph_stats


def _model(nodes, inputs, outputs, initializers=(), opset=17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _f32(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _init(name: str, shape, dtype=np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ones(shape, dtype), name)


def test_grouped_conv_with_batchnorm():
    # Conv 8->8, 3x3, groups 4 (2 input channels per group), 10x10 kept by padding 1.
    nodes = [
        helper.make_node(
            "Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1] * 4, group=4
        ),
        helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["y"]),
    ]
    inits = [
        _init("w", [8, 2, 3, 3]),
        _init("b", [8]),
        _init("g", [8]),
        _init("beta", [8]),
        _init("mean", [8]),
        _init("var", [8]),
    ]
    stats = graph_stats(
        _model(nodes, [_f32("x", [1, 8, 10, 10])], [_f32("y", None)], inits), {"x": (1, 8, 10, 10)}
    )
    # weights 8*2*9 = 144, bias 8, gamma 8, beta 8; running mean/var are not parameters.
    assert stats.parameters == 144 + 8 + 8 + 8
    # 800 outputs, each 2*3*3 = 18 multiply-accumulates.
    assert stats.macs == 800 * 18
    assert stats.op_histogram == {"BatchNormalization": 1, "Conv": 1}
    assert stats.outputs[0].shape == (1, 8, 10, 10)
    assert stats.opset == 17
    assert stats.file_bytes is None


def test_depthwise_3d_conv_and_gemm():
    nodes = [
        # depthwise 3x1x1 temporal conv on 4 channels, 8 frames of 5x5, no padding
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 1, 1], group=4),
        helper.make_node("Flatten", ["c"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
    ]
    inits = [_init("w", [4, 1, 3, 1, 1]), _init("fc", [10, 4 * 6 * 5 * 5]), _init("fcb", [10])]
    stats = graph_stats(
        _model(nodes, [_f32("x", [1, 4, 8, 5, 5])], [_f32("y", None)], inits),
        {"x": (1, 4, 8, 5, 5)},
    )
    assert stats.parameters == 12 + 10 * 600 + 10
    # conv: 4*6*5*5 = 600 outputs x 3 taps; Gemm: 10 outputs x 600 inputs.
    assert stats.macs == 600 * 3 + 10 * 600


def test_dynamic_dims_fixed_from_input_shapes_and_helpers_not_counted():
    # MatMul on a dynamic batch; the reshape target (int64), the Clip bounds and a scalar
    # scale are helpers, not parameters; a Constant-node weight counts like an initializer.
    weight = numpy_helper.from_array(np.ones([4, 3], np.float32), "cw")
    nodes = [
        helper.make_node("Constant", [], ["cw"], value=weight),
        helper.make_node("MatMul", ["x", "cw"], ["m"]),
        helper.make_node("Add", ["m", "bias"], ["a"]),
        helper.make_node("Mul", ["a", "scale"], ["s"]),
        helper.make_node("Clip", ["s", "lo", "hi"], ["c"]),
        helper.make_node("Reshape", ["c", "shape"], ["y"]),
    ]
    inits = [
        _init("bias", [3]),
        _init("scale", []),
        _init("lo", []),
        _init("hi", []),
        numpy_helper.from_array(np.array([-1], np.int64), "shape"),
    ]
    model = _model(nodes, [_f32("x", ["N", 4])], [_f32("y", ["M"])], inits)
    stats = graph_stats(model, {"x": (5, 4)})
    assert stats.parameters == 12 + 3
    assert stats.macs == 5 * 3 * 4
    assert stats.inputs[0].shape == (5, 4)
    assert stats.outputs[0].shape == (15,)
    assert stats.uncounted == []


def test_conv_transpose_counts_per_input_element():
    nodes = [
        helper.make_node("ConvTranspose", ["x", "w"], ["y"], kernel_shape=[2, 2], strides=[2, 2])
    ]
    stats = graph_stats(
        _model(nodes, [_f32("x", [1, 4, 3, 3])], [_f32("y", None)], [_init("w", [4, 2, 2, 2])]),
        {"x": (1, 4, 3, 3)},
    )
    # 36 input elements, each scattered through 2 output channels x 2x2 taps.
    assert stats.macs == 36 * 8
    assert stats.outputs[0].shape == (1, 2, 6, 6)


def test_wrong_input_names_and_shapes_are_refused(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    model = _model(nodes, [_f32("x", [1, 3])], [_f32("y", [1, 3])])
    with pytest.raises(GraphStatsError, match=r"graph's inputs are \['x'\]"):
        graph_stats(model, {"input": (1, 3)})
    with pytest.raises(GraphStatsError, match="fixed size"):
        graph_stats(model, {"x": (2, 3)})
    with pytest.raises(GraphStatsError, match="rank 2"):
        graph_stats(model, {"x": (1, 3, 1)})
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(GraphStatsError, match="not a readable ONNX file"):
        graph_stats(bad, {"x": (1, 3)})


def test_path_gives_file_bytes(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[1, 1])]
    model = _model(nodes, [_f32("x", [1, 2, 4, 4])], [_f32("y", None)], [_init("w", [3, 2, 1, 1])])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    stats = graph_stats(path, {"x": (1, 2, 4, 4)})
    assert stats.file_bytes == path.stat().st_size
    assert (stats.parameters, stats.macs) == (6, 48 * 2)


def _rapidocr_models() -> Path | None:
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


PPOCR = _rapidocr_models()

# Our own counts of the PP-OCR graphs (weights are Constant nodes, shapes partly computed at
# run time), pinned so a change in the counting shows; the shapes are those of the files.
PPOCR_CASES = [
    (
        "ch_PP-OCRv4_det_infer.onnx",
        (1, 3, 640, 640),
        1_171_488,
        12,
        ("sigmoid_0.tmp_0", (1, 1, 640, 640)),
    ),
    (
        "ch_PP-OCRv4_rec_infer.onnx",
        (1, 3, 48, 320),
        2_688_397,
        12,
        ("softmax_11.tmp_0", (1, 40, 6625)),
    ),
    (
        "ch_ppocr_mobile_v2.0_cls_infer.onnx",
        (1, 3, 48, 192),
        129_356,
        11,
        ("save_infer_model/scale_0.tmp_1", (1, 2)),
    ),
]


@pytest.mark.skipif(PPOCR is None, reason="rapidocr-onnxruntime (requirements-models.txt) missing")
@pytest.mark.parametrize(("name", "shape", "parameters", "opset", "output"), PPOCR_CASES)
def test_ppocr_models_with_dynamic_dims(name, shape, parameters, opset, output):
    stats = graph_stats(PPOCR / name, {"x": shape})
    assert stats.parameters == parameters
    assert stats.opset == opset
    assert [(i.name, i.shape) for i in stats.inputs] == [("x", shape)]
    assert [(o.name, o.shape) for o in stats.outputs] == [output]
    # every Conv/MatMul got a shape, so none is missing from the count
    assert stats.uncounted == []
    assert stats.macs > 0
    # BN running statistics are stored but are not parameters: fewer than the floats stored
    assert stats.parameters * 4 < stats.file_bytes
