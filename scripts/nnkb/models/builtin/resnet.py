"""ResNet-18 and ResNet-50 as torchvision.models.resnet builds them, and PaDiM's extractor.

He et al. 2015, https://arxiv.org/abs/1512.03385. ResNet-50 is torchvision's "V1.5": the
stride of a downsampling bottleneck sits on its 3x3 convolution.
PaDiM (Defard et al. 2020, https://arxiv.org/abs/2011.08785) embeds patches with the
outputs of layer1, layer2 and layer3 of a pretrained ResNet-18; `padim_resnet18` is that
truncated network, built by the same code so it is exactly ResNet-18's prefix.
"""

from __future__ import annotations

import onnx

from ._graph import GraphBuilder


def _conv_bn(
    g: GraphBuilder, x: str, conv: str, bn: str, cin: int, cout: int, kernel: int, stride: int = 1
) -> str:
    x = g.conv(x, conv, cin, cout, kernel, stride=stride, pad=kernel // 2)
    return g.batchnorm(x, bn, cout)


def _basic(g: GraphBuilder, x: str, name: str, cin: int, planes: int, stride: int) -> str:
    y = _conv_bn(g, x, f"{name}.conv1", f"{name}.bn1", cin, planes, 3, stride)
    y = g.relu(y, f"{name}.relu1")
    y = _conv_bn(g, y, f"{name}.conv2", f"{name}.bn2", planes, planes, 3)
    if stride != 1 or cin != planes:
        x = _conv_bn(g, x, f"{name}.downsample.0", f"{name}.downsample.1", cin, planes, 1, stride)
    return g.relu(g.add(y, x, f"{name}.add"), f"{name}.relu")


def _bottleneck(g: GraphBuilder, x: str, name: str, cin: int, planes: int, stride: int) -> str:
    out = planes * 4
    y = g.relu(_conv_bn(g, x, f"{name}.conv1", f"{name}.bn1", cin, planes, 1), f"{name}.relu1")
    y = g.relu(
        _conv_bn(g, y, f"{name}.conv2", f"{name}.bn2", planes, planes, 3, stride), f"{name}.relu2"
    )
    y = _conv_bn(g, y, f"{name}.conv3", f"{name}.bn3", planes, out, 1)
    if stride != 1 or cin != out:
        x = _conv_bn(g, x, f"{name}.downsample.0", f"{name}.downsample.1", cin, out, 1, stride)
    return g.relu(g.add(y, x, f"{name}.add"), f"{name}.relu")


def _stem(g: GraphBuilder) -> str:
    x = g.conv("input", "conv1", 3, 64, 7, stride=2, pad=3)
    x = g.relu(g.batchnorm(x, "bn1", 64), "relu")
    return g.maxpool(x, "maxpool", 3, 2, pad=1)


def _layers(
    g: GraphBuilder, x: str, block: str, counts: list[int], upto: int, named: bool = False
) -> list[str]:
    """Stem output through layer1..layer<upto>; returns each layer's output name.

    With `named`, each layer's output goes through an Identity called `layer<i>` so the
    graph outputs carry the names PaDiM's code uses.
    """
    make, expansion = (_basic, 1) if block == "basic" else (_bottleneck, 4)
    cin, outputs = 64, []
    for li, (planes, n) in enumerate(zip([64, 128, 256, 512][:upto], counts[:upto]), start=1):
        for bi in range(n):
            stride = 2 if li > 1 and bi == 0 else 1
            x = make(g, x, f"layer{li}.{bi}", cin, planes, stride)
            cin = planes * expansion
        if named:
            x = g.node("Identity", [x], f"layer{li}")
        outputs.append(x)
    return outputs


def _resnet(
    name: str, block: str, counts: list[int], seed: int, num_classes: int = 1000
) -> onnx.ModelProto:
    g = GraphBuilder(name, seed, [1, 3, 224, 224])
    x = _layers(g, _stem(g), block, counts, 4)[-1]
    x = g.global_pool_flatten(x, "avgpool")
    g.linear(x, "fc", 512 * (1 if block == "basic" else 4), num_classes, output="logits")
    return g.model({"logits": [1, num_classes]})


def resnet18(seed: int) -> onnx.ModelProto:
    return _resnet("resnet18", "basic", [2, 2, 2, 2], seed)


def resnet50(seed: int) -> onnx.ModelProto:
    return _resnet("resnet50", "bottleneck", [3, 4, 6, 3], seed)


def padim_resnet18(seed: int) -> onnx.ModelProto:
    """ResNet-18 stem + layer1..layer3; outputs the three feature maps PaDiM concatenates."""
    g = GraphBuilder("padim_resnet18", seed, [1, 3, 224, 224])
    _layers(g, _stem(g), "basic", [2, 2, 2, 2], 3, named=True)
    return g.model(
        {"layer1": [1, 64, 56, 56], "layer2": [1, 128, 28, 28], "layer3": [1, 256, 14, 14]}
    )
