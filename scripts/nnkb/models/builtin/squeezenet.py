"""SqueezeNet 1.0 and 1.1 exactly as torchvision.models.squeezenet builds them.

Iandola et al. 2016, https://arxiv.org/abs/1602.07360; 1.1 from the authors' repository.
Convolutions carry biases and no batch norm; max pools use ceil mode.
"""

from __future__ import annotations

import onnx

from ._graph import GraphBuilder

# (squeeze, expand1x1, expand3x3) per Fire module; "M" is a 3x3/2 ceil-mode max pool.
_FIRES: dict[str, list[tuple[int, int, int] | str]] = {
    "1_0": [
        (16, 64, 64),
        (16, 64, 64),
        (32, 128, 128),
        "M",
        (32, 128, 128),
        (48, 192, 192),
        (48, 192, 192),
        (64, 256, 256),
        "M",
        (64, 256, 256),
    ],
    "1_1": [
        (16, 64, 64),
        (16, 64, 64),
        "M",
        (32, 128, 128),
        (32, 128, 128),
        "M",
        (48, 192, 192),
        (48, 192, 192),
        (64, 256, 256),
        (64, 256, 256),
    ],
}


def _fire(g: GraphBuilder, x: str, name: str, cin: int, squeeze: int, e1: int, e3: int) -> str:
    s = g.relu(g.conv(x, f"{name}.squeeze", cin, squeeze, 1, bias=True), f"{name}.squeeze_act")
    a = g.relu(g.conv(s, f"{name}.expand1x1", squeeze, e1, 1, bias=True), f"{name}.expand1x1_act")
    b = g.relu(
        g.conv(s, f"{name}.expand3x3", squeeze, e3, 3, pad=1, bias=True), f"{name}.expand3x3_act"
    )
    return g.concat([a, b], f"{name}.cat")


def _squeezenet(version: str, seed: int, num_classes: int = 1000) -> onnx.ModelProto:
    g = GraphBuilder(f"squeezenet{version}", seed, [1, 3, 224, 224])
    # torchvision numbers the layers of `features` in one Sequential; keep those indices.
    if version == "1_0":
        x = g.conv("input", "features.0", 3, 96, 7, stride=2, bias=True)
        cin = 96
    else:
        x = g.conv("input", "features.0", 3, 64, 3, stride=2, bias=True)
        cin = 64
    x = g.relu(x, "features.1")
    x = g.maxpool(x, "features.2", 3, 2, ceil=True)
    index = 3
    for item in _FIRES[version]:
        if isinstance(item, str):  # "M"
            x = g.maxpool(x, f"features.{index}", 3, 2, ceil=True)
        else:
            squeeze, e1, e3 = item
            x = _fire(g, x, f"features.{index}", cin, squeeze, e1, e3)
            cin = e1 + e3
        index += 1
    # classifier: Dropout (identity at inference), final conv, ReLU, global average pool.
    x = g.relu(g.conv(x, "classifier.1", cin, num_classes, 1, bias=True), "classifier.2")
    pooled = g.node("GlobalAveragePool", [x], "classifier.3")
    g.node("Flatten", [pooled], "logits", axis=1)
    return g.model({"logits": [1, num_classes]})


def squeezenet1_0(seed: int) -> onnx.ModelProto:
    return _squeezenet("1_0", seed)


def squeezenet1_1(seed: int) -> onnx.ModelProto:
    return _squeezenet("1_1", seed)
