"""SSDlite320-MobileNetV3-Large as torchvision.models.detection.ssdlite320_mobilenet_v3_large
builds it for its COCO_V1 weights: 91 classes, width 1.0, 6 anchors per location.

Howard et al. 2019, https://arxiv.org/abs/1905.02244 (section 6.3 and Table 6); SSDLite from
Sandler et al. 2018, https://arxiv.org/abs/1801.04381 (section 6.2).

What the graph covers is the network: the MobileNetV3-Large backbone, the four extra blocks
and the SSDLite classification and regression heads, ending where torchvision's SSDLiteHead
returns `bbox_regression` (1, 3234, 4) and `cls_logits` (1, 3234, 91). Left out, as
pre- and post-processing: the (x - 0.5) / 0.5 normalisation and resize of torchvision's
GeneralizedRCNNTransform, and the default boxes, box decoding and non-maximum suppression.

torchvision builds the published model with `reduced_tail=True`: loading COCO_V1 sets
`weights_backbone=None`, which turns the tail reduction on (C4 onwards halved: 160 -> 80
and 960 -> 480 channels). That is the network of 3,440,060 parameters; the full tail would
have 5,198,540. Batch norm uses eps 1e-3 throughout, as torchvision's norm_layer there does.
Tensor names are torchvision's state_dict names, so the graph can be compared key by key.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx

from ._graph import GraphBuilder

NUM_CLASSES = 91
SIZE = 320
ANCHORS = 6  # DefaultBoxGenerator([[2, 3]] * 6): 2 + 2 * 2 boxes per location
_EPS = 1e-3
# torchvision mobilenetv3._mobilenet_v3_conf("mobilenet_v3_large", reduced_tail=True):
# kernel, expanded channels, output channels, squeeze-excite, hard-swish, stride.
_Bneck = tuple[int, int, int, bool, bool, int]
_BNECK: list[_Bneck] = [
    (3, 16, 16, False, False, 1),
    (3, 64, 24, False, False, 2),
    (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2),
    (5, 120, 40, True, False, 1),
    (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2),
    (3, 200, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 480, 112, True, True, 1),
    (3, 672, 112, True, True, 1),
    (5, 672, 80, True, True, 2),  # C4; 160 without the reduced tail
    (5, 480, 80, True, True, 1),
    (5, 480, 80, True, True, 1),
]
_C4 = 13  # features index of the C4 block, whose expansion output is the first feature map
_EXTRA = [512, 256, 256, 128]


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision.models._utils._make_divisible (the squeeze width of an SE block)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _conv_bn(
    g: GraphBuilder,
    x: str,
    name: str,
    cin: int,
    cout: int,
    kernel: int,
    stride: int = 1,
    groups: int = 1,
    act: str | None = "relu6",
) -> str:
    """torchvision's Conv2dNormActivation: conv (no bias) `.0`, BN `.1`, then the activation."""
    x = g.conv(
        x, f"{name}.0", cin, cout, kernel, stride=stride, pad=(kernel - 1) // 2, groups=groups
    )
    x = g.batchnorm(x, f"{name}.1", cout, eps=_EPS)
    if act == "hardswish":
        return g.hardswish(x, f"{name}.2")
    if act == "relu":
        return g.relu(x, f"{name}.2")
    return g.relu6(x, f"{name}.2") if act == "relu6" else x


def _squeeze_excite(g: GraphBuilder, x: str, name: str, channels: int) -> str:
    squeeze = _make_divisible(channels // 4)
    s = g.node("GlobalAveragePool", [x], f"{name}.avgpool")
    s = g.relu(g.conv(s, f"{name}.fc1", channels, squeeze, 1, bias=True), f"{name}.relu")
    s = g.hardsigmoid(g.conv(s, f"{name}.fc2", squeeze, channels, 1, bias=True), f"{name}.scale")
    return g.node("Mul", [x, s], f"{name}.mul")


def _inverted_residual(
    g: GraphBuilder, x: str, part: Callable[[int], str], cin: int, conf: _Bneck
) -> tuple[str, str | None]:
    """One MobileNetV3 block; `part(j)` names its j-th sub-module (`block.j` in torchvision).

    Returns the block output and, when the block expands, the expansion output (C4's is a
    feature map of the detector)."""
    kernel, hidden, cout, se, hs, stride = conf
    act = "hardswish" if hs else "relu"
    y, expanded, j = x, None, 0
    if hidden != cin:
        y = expanded = _conv_bn(g, y, part(0), cin, hidden, 1, act=act)
        j = 1
    y = _conv_bn(g, y, part(j), hidden, hidden, kernel, stride=stride, groups=hidden, act=act)
    if se:
        j += 1
        y = _squeeze_excite(g, y, part(j), hidden)
    y = _conv_bn(g, y, part(j + 1), hidden, cout, 1, act=None)
    if stride == 1 and cin == cout:
        y = g.add(x, y, f"{part(j + 1)}.add")
    return y, expanded


def _block_names(index: int) -> Callable[[int], str]:
    """torchvision splits the backbone at C4's expansion (SSDLiteFeatureExtractorMobileNet):
    features.0 runs up to and including it, features.1 holds the rest of C4 (keeping its
    sub-module numbers 1..3) and every later layer, renumbered from 0."""
    if index < _C4:
        return lambda j: f"backbone.features.0.{index}.block.{j}"
    if index == _C4:
        return lambda j: f"backbone.features.0.{_C4}" if j == 0 else f"backbone.features.1.0.{j}"
    return lambda j: f"backbone.features.1.{index - _C4}.block.{j}"


def _feature_maps(g: GraphBuilder) -> list[tuple[str, int]]:
    """The six maps the heads read: C4 expansion (20x20), backbone end (10x10), 4 extras."""
    x = _conv_bn(g, "input", "backbone.features.0.0", 3, 16, 3, stride=2, act="hardswish")
    cin, maps = 16, []
    for index, conf in enumerate(_BNECK, start=1):
        x, expanded = _inverted_residual(g, x, _block_names(index), cin, conf)
        if index == _C4:
            assert expanded is not None  # C4 expands 112 -> 672 channels
            maps.append((expanded, conf[1]))
        cin = conf[2]
    # torchvision: lastconv_output_channels = 6 * lastconv_input_channels (480 here).
    last_name, cout = f"backbone.features.1.{len(_BNECK) + 1 - _C4}", 6 * cin
    x = _conv_bn(g, x, last_name, cin, cout, 1, act="hardswish")
    maps.append((x, cout))
    for i, extra in enumerate(_EXTRA):
        # _extra_block: 1x1 to half width, 3x3 depthwise stride 2, 1x1 out; all ReLU6.
        name, cin, mid = f"backbone.extra.{i}", cout, extra // 2
        x = _conv_bn(g, x, f"{name}.0", cin, mid, 1)
        x = _conv_bn(g, x, f"{name}.1", mid, mid, 3, stride=2, groups=mid)
        cout = extra
        x = _conv_bn(g, x, f"{name}.2", mid, cout, 1)
        maps.append((x, cout))
    return maps


def _spatial_sizes() -> list[int]:
    sizes = [SIZE // 16, SIZE // 32]
    for _ in _EXTRA:
        sizes.append((sizes[-1] - 1) // 2 + 1)  # 3x3, stride 2, padding 1
    return sizes


def _head(g: GraphBuilder, maps: list[tuple[str, int]], name: str, columns: int) -> str:
    """SSDScoringHead: per map a depthwise 3x3 + BN + ReLU6 and a 1x1 conv with bias to
    anchors * columns channels; the maps' boxes are concatenated along axis 1.

    torchvision views (N, A*K, H, W) as (N, A, K, H, W), permutes to (N, H, W, A, K) and
    flattens to (N, H*W*A, K). Channel a*K + k is anchor a, column k, so permuting to
    (N, H, W, A*K) and reshaping gives the same order with one 4-D Transpose and one Reshape.
    """
    results = []
    for i, ((x, channels), size) in enumerate(zip(maps, _spatial_sizes())):
        block = f"head.{name}.module_list.{i}"
        y = _conv_bn(g, x, f"{block}.0", channels, channels, 3, groups=channels)
        y = g.conv(y, f"{block}.1", channels, ANCHORS * columns, 1, bias=True)
        y = g.node("Transpose", [y], f"{block}.permuted", perm=[0, 2, 3, 1])
        flat = g.constant(f"{block}.flat", np.array([1, size * size * ANCHORS, columns], np.int64))
        results.append(g.node("Reshape", [y, flat], f"{block}.flattened"))
    output = "bbox_regression" if name == "regression_head" else "cls_logits"
    return g.node("Concat", results, output, axis=1)


def boxes() -> int:
    """Default boxes over all six maps: 6 * (20^2 + 10^2 + 5^2 + 3^2 + 2^2 + 1^2) = 3234."""
    return ANCHORS * sum(s * s for s in _spatial_sizes())


def ssdlite320_mobilenet_v3_large(seed: int) -> onnx.ModelProto:
    g = GraphBuilder("ssdlite320_mobilenet_v3_large", seed, [1, 3, SIZE, SIZE])
    maps = _feature_maps(g)
    # torchvision's SSDLiteHead returns the regression first, then the class logits.
    _head(g, maps, "regression_head", 4)
    _head(g, maps, "classification_head", NUM_CLASSES)
    return g.model({"bbox_regression": [1, boxes(), 4], "cls_logits": [1, boxes(), NUM_CLASSES]})
