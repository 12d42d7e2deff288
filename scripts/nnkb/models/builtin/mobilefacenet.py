"""MobileFaceNet, Chen et al. 2018, https://arxiv.org/abs/1804.07573 (Table 1).

A MobileNetV2-style network for 112x112 faces: PReLU instead of ReLU, a global depthwise
convolution (GDConv, 7x7) instead of global average pooling, and a linear 1x1 convolution
to a 128-d embedding. Every convolution is followed by batch norm; "linear" layers have no
non-linearity. The paper gives 0.99M parameters and 221M MAdds.
"""

from __future__ import annotations

import onnx

from ._graph import GraphBuilder

# t (expansion), c (output channels), n (repeats), s (first stride), as in Table 1.
_BOTTLENECKS = [(2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1)]


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
    pad = (kernel - 1) // 2 if kernel == 3 else 0
    x = g.conv(x, f"{name}.conv", cin, cout, kernel, stride=stride, pad=pad, groups=groups)
    x = g.batchnorm(x, f"{name}.bn", cout)
    return g.prelu(x, f"{name}.prelu", cout) if act else x


def _bottleneck(
    g: GraphBuilder, x: str, name: str, cin: int, cout: int, stride: int, t: int
) -> str:
    hidden = cin * t
    y = _conv_bn(g, x, f"{name}.expand", cin, hidden, 1)
    y = _conv_bn(g, y, f"{name}.dw", hidden, hidden, 3, stride=stride, groups=hidden)
    y = _conv_bn(g, y, f"{name}.project", hidden, cout, 1, act=False)
    if stride == 1 and cin == cout:
        y = g.add(x, y, f"{name}.add")
    return y


def mobilefacenet(seed: int, embedding: int = 128) -> onnx.ModelProto:
    g = GraphBuilder("mobilefacenet", seed, [1, 3, 112, 112])
    x = _conv_bn(g, "input", "conv1", 3, 64, 3, stride=2)
    x = _conv_bn(g, x, "dwconv1", 64, 64, 3, groups=64)
    cin = 64
    for si, (t, c, n, s) in enumerate(_BOTTLENECKS, start=1):
        for i in range(n):
            x = _bottleneck(g, x, f"stage{si}.{i}", cin, c, s if i == 0 else 1, t)
            cin = c
    x = _conv_bn(g, x, "conv2", cin, 512, 1)
    x = _conv_bn(g, x, "gdconv", 512, 512, 7, groups=512, act=False)
    x = _conv_bn(g, x, "linear", 512, embedding, 1, act=False)
    g.node("Flatten", [x], "embedding", axis=1)
    return g.model({"embedding": [1, embedding]})
