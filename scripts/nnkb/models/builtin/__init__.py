"""Architectures built in code as ONNX graphs with seeded random weights.

`BUILDERS[name](seed)` returns the same bytes for the same seed on every machine: weights
come from numpy's default_rng(seed) and the model carries no timestamp. Each graph has one
input named `input` with a fixed batch-1 shape; classifiers name their output `logits`, the
detector its head's two outputs `bbox_regression` and `cls_logits`.
Adding an architecture is one module here plus one line in BUILDERS.
"""

from __future__ import annotations

from collections.abc import Callable

import onnx

from ._graph import IR_VERSION, OPSET, PRODUCER_NAME, PRODUCER_VERSION
from .mobilefacenet import mobilefacenet
from .mobilenet import mobilenet_v2
from .resnet import padim_resnet18, resnet18, resnet50
from .squeezenet import squeezenet1_0, squeezenet1_1
from .ssdlite import ssdlite320_mobilenet_v3_large
from .video_resnet import r2plus1d_18

BUILDERS: dict[str, Callable[[int], onnx.ModelProto]] = {
    "squeezenet1_0": squeezenet1_0,
    "squeezenet1_1": squeezenet1_1,
    "mobilenet_v2": mobilenet_v2,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilefacenet": mobilefacenet,
    "padim_resnet18": padim_resnet18,
    "r2plus1d_18": r2plus1d_18,
    "ssdlite320_mobilenet_v3_large": ssdlite320_mobilenet_v3_large,
}

__all__ = ["BUILDERS", "IR_VERSION", "OPSET", "PRODUCER_NAME", "PRODUCER_VERSION"]
