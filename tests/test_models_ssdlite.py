"""The SSDlite320-MobileNetV3-Large builder: the network torchvision builds, part by part.

The per-part parameter counts below were read off torchvision 0.29.1's
ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None) (the configuration its
COCO_V1 weights load into: reduced tail, 91 classes) by summing p.numel() over
named_parameters() grouped by name prefix; they add up to the published 3,440,060.
Interface, byte-identical builds, MACs and the total are in test_models_published.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from nnkb.bench.runtimes import load_adapters
from nnkb.models.builtin import BUILDERS
from nnkb.models.builtin.ssdlite import boxes
from nnkb.models.graphstats import count_parameters

NAME = "ssdlite320_mobilenet_v3_large"
SHAPE = (1, 3, 320, 320)
TORCHVISION_PARTS = {
    "backbone.features.0": 869_096,  # stem to C4's expansion (stride 16, 672 channels)
    "backbone.features.1": 751_416,  # rest of C4 to the last 1x1 conv (stride 32, 480)
    "backbone.extra.0": 258_304,
    "backbone.extra.1": 100_480,
    "backbone.extra.2": 67_712,
    "backbone.extra.3": 25_664,
    "head.classification_head": 1_286_604,
    "head.regression_head": 80_784,
}
RUNNING = (".running_mean", ".running_var")


@pytest.fixture(scope="module")
def model() -> onnx.ModelProto:
    return BUILDERS[NAME](0)


def _part(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:3] if parts[0] == "backbone" else parts[:2])


def test_parameters_per_part_match_torchvision(model):
    sizes = Counter()
    for t in model.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and t.dims and not t.name.endswith(RUNNING):
            sizes[_part(t.name)] += int(np.prod(t.dims))
    assert dict(sizes) == TORCHVISION_PARTS
    assert sum(TORCHVISION_PARTS.values()) == count_parameters(model.graph) == 3_440_060


def test_reduced_tail_and_torchvision_batchnorm_epsilon(model):
    inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
    # Reduced tail: C4 projects to 80 channels (not 160), the last conv gives 480 (not 960).
    assert inits["backbone.features.1.0.3.0.weight"] == (80, 672, 1, 1)
    assert inits["backbone.features.1.3.0.weight"] == (480, 80, 1, 1)
    # 91 classes * 6 anchors on the C4 expansion map.
    assert inits["head.classification_head.module_list.0.1.weight"] == (546, 672, 1, 1)
    bn = [n for n in model.graph.node if n.op_type == "BatchNormalization"]
    eps = [a.f for n in bn for a in n.attribute if a.name == "epsilon"]
    assert len(eps) == len(bn) == 70 and eps == pytest.approx([1e-3] * 70)


def test_box_count_over_the_six_maps():
    assert boxes() == 6 * (20 * 20 + 10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1) == 3234


def test_no_hardsigmoid_op_for_opencv(model):
    """OpenCV DNN 5.0 fuses HardSigmoid -> Mul into HardSwish whatever Mul's other operand
    is, which breaks squeeze-excite; the gate is spelt Add, Clip, Div instead."""
    ops = Counter(n.op_type for n in model.graph.node)
    assert ops["HardSigmoid"] == 0
    assert ops["HardSwish"] == 20 and ops["Div"] == 8  # 8 squeeze-excite gates


def test_seed_changes_the_weights_not_the_graph(model):
    other = BUILDERS[NAME](1)
    assert [n.op_type for n in other.graph.node] == [n.op_type for n in model.graph.node]
    first = {t.name: t.raw_data for t in model.graph.initializer}
    assert any(first[t.name] != t.raw_data for t in other.graph.initializer)


# Slow lane: loads and runs the full detector in all three runtimes (most of a second); the
# graph and weight tests above keep the builder in the fast lane.
@pytest.mark.slow
def test_every_runtime_runs_it_and_agrees(model, tmp_path: Path):
    """The benchmark's three adapters, with their default settings (OpenVINO held to f32),
    load the graph and give ONNX Runtime's outputs to within float rounding."""
    path = tmp_path / f"{NAME}.onnx"
    path.write_bytes(model.SerializeToString())
    x = np.random.default_rng(3).standard_normal(SHAPE).astype(np.float32)
    adapters = load_adapters()
    results = {}
    for name in ("onnxruntime", "openvino", "opencv"):
        adapter = adapters[name]
        settings = adapter.settings()
        if name == "openvino":
            settings = {**settings, "inference_precision_hint": "f32"}
        session = adapter.load(path, settings, {"input": SHAPE})
        session.bind({"input": x})
        session.run()
        results[name] = dict(session.outputs())
    reference = results.pop("onnxruntime")
    assert {k: v.shape for k, v in reference.items()} == {
        "bbox_regression": (1, 3234, 4),
        "cls_logits": (1, 3234, 91),
    }
    for name, outputs in results.items():
        for key, ref in reference.items():
            scale = float(np.abs(ref).max())
            np.testing.assert_allclose(outputs[key], ref, atol=1e-3 * scale, err_msg=name)
