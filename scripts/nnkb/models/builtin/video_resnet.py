"""R(2+1)D-18 exactly as torchvision.models.video.r2plus1d_18 builds it (Kinetics-400 head).

Tran et al. 2018, https://arxiv.org/abs/1711.11248. Each 3x3x3 convolution is factored into
a 1x3x3 spatial and a 3x1x1 temporal convolution with `midplanes` channels between them,
chosen so the pair has about as many parameters as the 3D convolution it replaces.
"""

from __future__ import annotations

import onnx

from ._graph import GraphBuilder


def _bn_relu(g: GraphBuilder, x: str, name: str, channels: int, relu: bool = True) -> str:
    x = g.batchnorm(x, name, channels)
    return g.relu(x, f"{name}.relu") if relu else x


def _conv2plus1d(
    g: GraphBuilder, x: str, name: str, cin: int, cout: int, mid: int, stride: int
) -> str:
    """torchvision's Conv2Plus1D: Sequential(conv, BN, ReLU, conv) with indices 0..3."""
    x = g.conv(
        x, f"{name}.0", cin, mid, (1, 3, 3), stride=(1, stride, stride), pad=(0, 1, 1), dims=3
    )
    x = _bn_relu(g, x, f"{name}.1", mid)
    return g.conv(
        x, f"{name}.3", mid, cout, (3, 1, 1), stride=(stride, 1, 1), pad=(1, 0, 0), dims=3
    )


def _block(g: GraphBuilder, x: str, name: str, cin: int, planes: int, stride: int) -> str:
    mid = (cin * planes * 3 * 3 * 3) // (cin * 3 * 3 + 3 * planes)
    y = _conv2plus1d(g, x, f"{name}.conv1.0", cin, planes, mid, stride)
    y = _bn_relu(g, y, f"{name}.conv1.1", planes)
    y = _conv2plus1d(g, y, f"{name}.conv2.0", planes, planes, mid, 1)
    y = _bn_relu(g, y, f"{name}.conv2.1", planes, relu=False)
    if stride != 1 or cin != planes:
        x = g.conv(x, f"{name}.downsample.0", cin, planes, 1, stride=stride, dims=3)
        x = g.batchnorm(x, f"{name}.downsample.1", planes)
    return g.relu(g.add(y, x, f"{name}.add"), f"{name}.relu")


def r2plus1d_18(seed: int, num_classes: int = 400) -> onnx.ModelProto:
    g = GraphBuilder("r2plus1d_18", seed, [1, 3, 16, 112, 112])
    # R2Plus1dStem: a 1x7x7 spatial conv to 45 channels, then a 3x1x1 temporal conv to 64.
    x = g.conv("input", "stem.0", 3, 45, (1, 7, 7), stride=(1, 2, 2), pad=(0, 3, 3), dims=3)
    x = _bn_relu(g, x, "stem.1", 45)
    x = g.conv(x, "stem.3", 45, 64, (3, 1, 1), pad=(1, 0, 0), dims=3)
    x = _bn_relu(g, x, "stem.4", 64)
    cin = 64
    for li, planes in enumerate([64, 128, 256, 512], start=1):
        for bi in range(2):
            stride = 2 if li > 1 and bi == 0 else 1
            x = _block(g, x, f"layer{li}.{bi}", cin, planes, stride)
            cin = planes
    x = g.global_pool_flatten(x, "avgpool")
    g.linear(x, "fc", 512, num_classes, output="logits")
    return g.model({"logits": [1, num_classes]})
