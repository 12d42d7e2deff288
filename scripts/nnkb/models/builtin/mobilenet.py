"""MobileNetV2 exactly as torchvision.models.mobilenet_v2 builds it (width 1.0).

Sandler et al. 2018, https://arxiv.org/abs/1801.04381. ReLU6 is Clip(0, 6); dropout is
the identity at inference and is left out.
"""

from __future__ import annotations

import onnx

from ._graph import GraphBuilder

# t (expansion), c (output channels), n (repeats), s (first stride): the paper's Table 2.
_SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def _conv_bn(
    g: GraphBuilder,
    x: str,
    name: str,
    cin: int,
    cout: int,
    kernel: int,
    stride: int = 1,
    groups: int = 1,
    act: bool = True,
) -> str:
    """torchvision's Conv2dNormActivation: conv (no bias), BN, optional ReLU6; names .0/.1."""
    x = g.conv(
        x, f"{name}.0", cin, cout, kernel, stride=stride, pad=(kernel - 1) // 2, groups=groups
    )
    x = g.batchnorm(x, f"{name}.1", cout)
    return g.relu6(x, f"{name}.2") if act else x


def _inverted_residual(
    g: GraphBuilder, x: str, name: str, cin: int, cout: int, stride: int, t: int
) -> str:
    hidden = cin * t
    y, i = x, 0
    if t != 1:
        y = _conv_bn(g, y, f"{name}.conv.{i}", cin, hidden, 1)
        i += 1
    y = _conv_bn(g, y, f"{name}.conv.{i}", hidden, hidden, 3, stride=stride, groups=hidden)
    y = g.conv(y, f"{name}.conv.{i + 1}", hidden, cout, 1)
    y = g.batchnorm(y, f"{name}.conv.{i + 2}", cout)
    if stride == 1 and cin == cout:
        y = g.add(x, y, f"{name}.add")
    return y


def mobilenet_v2(seed: int, num_classes: int = 1000) -> onnx.ModelProto:
    g = GraphBuilder("mobilenet_v2", seed, [1, 3, 224, 224])
    x = _conv_bn(g, "input", "features.0", 3, 32, 3, stride=2)
    cin, index = 32, 1
    for t, c, n, s in _SETTINGS:
        for i in range(n):
            x = _inverted_residual(g, x, f"features.{index}", cin, c, s if i == 0 else 1, t)
            cin, index = c, index + 1
    x = _conv_bn(g, x, f"features.{index}", cin, 1280, 1)
    x = g.global_pool_flatten(x, "pool")
    g.linear(x, "classifier.1", 1280, num_classes, output="logits")
    return g.model({"logits": [1, num_classes]})
