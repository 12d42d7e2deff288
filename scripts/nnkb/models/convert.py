"""Lossless changes nnkb makes to a published ONNX file before measuring it (`onnx.convert`).

`float16-to-float32`: a file published in FP16 (the Windows ML samples' SqueezeNet) is widened
to FP32: every FP16 initializer becomes the FP32 tensor of the same values (each FP16 value is
exact in FP32), and FP16 graph inputs, outputs and value types become FP32. Runtimes run FP16
graphs on a CPU in different ways (some in FP16 kernels, some by casting), so the published file
as it is would not compare runtimes at one precision; the widened file is the FP32 model the
published weights define, and INT8 and BF16 are judged against it.

The converted file is written once beside the model cache, keyed by the source file's sha256,
and written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from .files import sha256_file, write_atomic

FLOAT16_TO_FLOAT32 = "float16-to-float32"
CONVERSIONS = (FLOAT16_TO_FLOAT32,)


class ConversionError(ValueError):
    """A file the stated conversion does not apply to."""


def widen_float16(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with every FP16 tensor and type made FP32 (a copy; values unchanged)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    widened = 0
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT16:
            values = numpy_helper.to_array(init).astype(np.float32)
            graph.initializer[i].CopyFrom(numpy_helper.from_array(values, init.name))
            widened += 1
    for value in (*graph.input, *graph.output, *graph.value_info):
        tensor = value.type.tensor_type
        if tensor.elem_type == TensorProto.FLOAT16:
            tensor.elem_type = TensorProto.FLOAT
            widened += 1
    for node in graph.node:
        if node.op_type in ("Cast", "CastLike") or node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == TensorProto.FLOAT16:
                    attr.i = TensorProto.FLOAT
                    widened += 1
                elif attr.name == "value" and attr.t.data_type == TensorProto.FLOAT16:
                    values = numpy_helper.to_array(attr.t).astype(np.float32)
                    attr.t.CopyFrom(numpy_helper.from_array(values, attr.t.name))
                    widened += 1
    if not widened:
        raise ConversionError(f"{FLOAT16_TO_FLOAT32}: the file has no FP16 tensor to widen")
    onnx.checker.check_model(out)
    return out


def converted(path: Path, conversion: str, cache_dir: Path) -> Path:
    """The file `conversion` makes of `path`, made once under `cache_dir`/converted/."""
    if conversion not in CONVERSIONS:
        raise ConversionError(f"unknown conversion {conversion!r}; known: {', '.join(CONVERSIONS)}")
    out = cache_dir / "converted" / f"{sha256_file(path)}-{conversion}.onnx"
    if not out.exists():
        model = widen_float16(onnx.load(str(path)))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, model.SerializeToString(deterministic=True))
    return out
