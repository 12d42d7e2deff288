"""The builtin architectures against the sizes their publishers state, as kb/models records them.

The published figures (parameters and multiply-accumulates, each with its source) are read from
the model entries in kb/models, so the KB and this test cannot drift apart. Parameters must match
exactly (torchvision counts sum(p.numel() for p in model.parameters()), which includes BatchNorm
weight/bias and excludes running_mean/running_var buffers); multiply-accumulates must be within 2%
(published figures are rounded to two decimals).

torchvision's "GFLOPS" column counts multiply-accumulates: it was added in
https://github.com/pytorch/vision/pull/6936 with a counter that charges a convolution
batch * prod(weight.shape) * prod(output spatial shape), i.e. one per MAC, and one per
m*n*k for a matmul.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from nnkb.kb import Cited, Model, load_kb
from nnkb.models.builtin import BUILDERS, IR_VERSION, OPSET, PRODUCER_NAME, PRODUCER_VERSION
from nnkb.models.graphstats import graph_stats

SEED = 0
KB = load_kb(Path(__file__).resolve().parents[1] / "kb")
# builder -> the KB model built from it (several models may share a builder: the first by id)
MODELS: dict[str, Model] = {}
INPUTS: dict[str, tuple[int, ...]] = {}
for _model in sorted(KB.models.values(), key=lambda m: m.id):
    _spec = _model.onnx
    if _spec and _spec.source == "builtin" and _spec.builder and _spec.builder not in MODELS:
        MODELS[_spec.builder] = _model
        INPUTS[_spec.builder] = _spec.inputs["input"]


def published(builder: str, figure: str) -> Cited | None:
    model = MODELS[builder]
    return model.published_parameters if figure == "parameters" else model.published_macs


WITH_PARAMETERS = sorted(b for b in MODELS if published(b, "parameters"))
WITH_MACS = sorted(b for b in MODELS if published(b, "macs"))
# The paper's 0.99M for MobileFaceNet cannot be reproduced to two decimals (the counting
# convention is not stated; see test_mobilefacenet_parameters_against_the_paper).
NOT_EXACT = {"mobilefacenet"}

OUTPUTS = {
    "squeezenet1_0": {"logits": (1, 1000)},
    "squeezenet1_1": {"logits": (1, 1000)},
    "mobilenet_v2": {"logits": (1, 1000)},
    "resnet18": {"logits": (1, 1000)},
    "resnet50": {"logits": (1, 1000)},
    "r2plus1d_18": {"logits": (1, 400)},
    "mobilefacenet": {"embedding": (1, 128)},
    # SSDLiteHead's outputs before decoding: 6 boxes at each of 20^2+10^2+5^2+3^2+2^2+1^2 places.
    "ssdlite320_mobilenet_v3_large": {"bbox_regression": (1, 3234, 4), "cls_logits": (1, 3234, 91)},
    "padim_resnet18": {
        "layer1": (1, 64, 56, 56),
        "layer2": (1, 128, 28, 28),
        "layer3": (1, 256, 14, 14),
    },
}


@dataclass
class Built:
    model: onnx.ModelProto
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@pytest.fixture(scope="session")
def built() -> dict[str, Built]:
    """Each builtin built once for the whole run (R(2+1)D alone is 126 MB)."""
    result = {}
    for name, builder in BUILDERS.items():
        model = builder(SEED)
        result[name] = Built(model, model.SerializeToString())
    return result


@pytest.fixture(scope="session")
def stats(built):
    return {name: graph_stats(b.model, {"input": INPUTS[name]}) for name, b in built.items()}


def test_every_builder_is_covered():
    assert set(BUILDERS) == set(OUTPUTS) == set(MODELS)
    # every builtin model but PaDiM's extractor (no published figure of its own) has both
    assert set(WITH_PARAMETERS) == set(WITH_MACS) == set(MODELS) - {"padim_resnet18"}


@pytest.mark.parametrize("name", [b for b in WITH_PARAMETERS if b not in NOT_EXACT])
def test_parameters_match_the_published_count_exactly(stats, name):
    figure = published(name, "parameters")
    assert stats[name].parameters == figure.value, figure.source.url


@pytest.mark.parametrize("name", WITH_MACS)
def test_macs_within_two_percent_of_the_published_figure(stats, name):
    figure = published(name, "macs")
    ratio = stats[name].macs / figure.value
    assert abs(ratio - 1) < 0.02, f"{name}: {stats[name].macs:,} MACs vs {figure.source.url}"


def _named_sizes(model: onnx.ModelProto) -> dict[str, int]:
    return {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}


def test_mobilefacenet_parameters_against_the_paper(stats, built):
    """Table 1 of the paper gives 221.0M MAdds here exactly, yet its 0.99M parameters cannot
    be reproduced to two decimals: counted as torch counts (convolution weights, BN gamma and
    beta, one PReLU slope per channel) the network has 1,003,136 parameters, 1.3% above.
    Convolutions alone are 976,000 and with BN affine 995,584; which of these the authors
    counted is not stated. The test pins the decomposition and keeps the paper within 1.5%.
    """
    sizes = _named_sizes(built["mobilefacenet"].model)
    conv = sum(n for k, n in sizes.items() if k.endswith(".conv.weight"))
    bn_affine = sum(n for k, n in sizes.items() if ".bn." in k and k.endswith(("weight", "bias")))
    prelu = sum(n for k, n in sizes.items() if ".prelu." in k)
    assert (conv, bn_affine, prelu) == (976_000, 19_584, 7_552)
    assert stats["mobilefacenet"].parameters == conv + bn_affine + prelu == 1_003_136
    paper = published("mobilefacenet", "parameters")
    assert abs(stats["mobilefacenet"].parameters / paper.value - 1) < 0.015


def test_padim_extractor_is_exactly_the_resnet18_prefix(stats, built):
    """PaDiM uses ResNet-18's stem and layer1..layer3. From the same builder code:
    resnet18 11,689,512 - layer4 8,393,728 - fc 513,000 (512*1000 + 1000) = 2,782,784, where
    layer4 = block 0 (conv 256*512*9 + conv 512*512*9 + downsample 256*512 + 3 BN * 1024)
    3,673,088 + block 1 (2 conv 512*512*9 + 2 BN * 1024) 4,720,640.
    """
    resnet = built["resnet18"].model
    running = (".running_mean", ".running_var")
    layer4_fc = sum(
        int(np.prod(t.dims))
        for t in resnet.graph.initializer
        if t.name.startswith(("layer4.", "fc.")) and not t.name.endswith(running)
    )
    assert layer4_fc == 8_393_728 + 513_000
    assert stats["padim_resnet18"].parameters == stats["resnet18"].parameters - layer4_fc
    assert stats["padim_resnet18"].parameters == 2_782_784
    # Same seed, same draw order: the prefix carries resnet18's very weights.
    resnet_weights = {t.name: t.raw_data for t in resnet.graph.initializer}
    padim = built["padim_resnet18"].model.graph.initializer
    assert all(resnet_weights[t.name] == t.raw_data for t in padim)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_graph_interface(built, name):
    model = built[name].model
    assert [i.name for i in model.graph.input] == ["input"]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert tuple(dims) == INPUTS[name]
    assert [o.name for o in model.graph.output] == list(OUTPUTS[name])
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    assert model.ir_version == IR_VERSION
    assert (model.producer_name, model.producer_version) == (PRODUCER_NAME, PRODUCER_VERSION)
    onnx.checker.check_model(model)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builds_are_byte_identical(built, name):
    assert (
        hashlib.sha256(BUILDERS[name](SEED).SerializeToString()).hexdigest() == built[name].sha256
    )


def test_seed_changes_the_weights(built):
    assert BUILDERS["squeezenet1_1"](SEED + 1).SerializeToString() != built["squeezenet1_1"].data


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_onnxruntime_runs_with_finite_outputs(built, name):
    session = ort.InferenceSession(built[name].data, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal(INPUTS[name]).astype(np.float32)
    outputs = session.run(None, {"input": x})
    names = [o.name for o in session.get_outputs()]
    assert dict(zip(names, (o.shape for o in outputs))) == OUTPUTS[name]
    for value in outputs:
        assert np.isfinite(value).all()
        assert value.std() > 0  # random weights must still give distinct scores
