"""Size figures counted from an ONNX graph: parameters, multiply-accumulates, operators.

Counted the way the published tables count, so the two can be compared:
- parameters: trainable tensors only (torchvision sums `p.numel()` over `parameters()`):
  BatchNormalization's running mean/variance are buffers, not parameters, and integer or
  scalar helper constants (shapes, Clip bounds, the 3 and 6 of a hard-swish) are not weights.
  Weights stored as Constant nodes (as paddle2onnx exports them) count like initializers.
- MACs: one per multiply-accumulate of Conv (grouped, depthwise, 1D/2D/3D), ConvTranspose,
  Gemm and MatMul, biases and element-wise ops excluded, as torchvision's "GFLOPS" column
  and the MobileNet/MobileFaceNet "MAdds" count them.
Output shapes come from onnx.shape_inference after fixing the inputs to `input_shapes`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, shape_inference

_FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}

# (op, input index) slots that hold learned weights, whatever the tensor's size.
_WEIGHT_SLOTS = {
    ("Conv", 1),
    ("Conv", 2),
    ("ConvTranspose", 1),
    ("ConvTranspose", 2),
    ("Gemm", 0),
    ("Gemm", 1),
    ("Gemm", 2),
    ("MatMul", 0),
    ("MatMul", 1),
    ("BatchNormalization", 1),
    ("BatchNormalization", 2),
    ("InstanceNormalization", 1),
    ("InstanceNormalization", 2),
    ("LayerNormalization", 1),
    ("LayerNormalization", 2),
    ("PRelu", 1),
}
# Slots whose float tensors are statistics or settings, never weights.
_NON_WEIGHT_SLOTS = {
    ("BatchNormalization", 3),
    ("BatchNormalization", 4),
    ("Clip", 1),
    ("Clip", 2),
    ("Resize", 1),
    ("Resize", 2),
    ("Pad", 1),
    ("Pad", 2),
    ("Pow", 1),
}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int | str, ...]


@dataclass
class GraphStats:
    parameters: int
    macs: int
    opset: int
    op_histogram: dict[str, int]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    file_bytes: int | None = None
    # MAC-counting nodes whose shapes inference could not fix; `macs` leaves them out.
    uncounted: list[str] = field(default_factory=list)


class GraphStatsError(Exception):
    """The graph cannot be measured with the given input shapes."""


def _dims(value_info: onnx.ValueInfoProto) -> tuple[int | str, ...]:
    shape = value_info.type.tensor_type.shape
    return tuple(
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else (d.dim_param or "?")
        for d in shape.dim
    )


def _info(value_info: onnx.ValueInfoProto) -> TensorInfo:
    dtype = TensorProto.DataType.Name(value_info.type.tensor_type.elem_type).lower()
    return TensorInfo(value_info.name, dtype, _dims(value_info))


def _constants(graph: onnx.GraphProto) -> dict[str, tuple[int, tuple[int, ...]]]:
    """name -> (data type, shape) of every initializer and Constant-node tensor."""
    found = {t.name: (t.data_type, tuple(t.dims)) for t in graph.initializer}
    for node in graph.node:
        if node.op_type != "Constant":
            continue
        for attr in node.attribute:
            if attr.name == "value":
                found[node.output[0]] = (attr.t.data_type, tuple(attr.t.dims))
            elif attr.name in ("value_float", "value_int"):
                found[node.output[0]] = (
                    TensorProto.FLOAT if attr.name == "value_float" else TensorProto.INT64,
                    (),
                )
            elif attr.name in ("value_floats", "value_ints"):
                values = attr.floats if attr.name == "value_floats" else attr.ints
                found[node.output[0]] = (
                    TensorProto.FLOAT if attr.name == "value_floats" else TensorProto.INT64,
                    (len(values),),
                )
    return found


def count_parameters(graph: onnx.GraphProto) -> int:
    """Elements of the float constants that are learned weights (see the module docstring)."""
    consumers: dict[str, list[tuple[str, int]]] = {}
    for node in graph.node:
        for index, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.op_type, index))
    total = 0
    for name, (dtype, shape) in _constants(graph).items():
        slots = consumers.get(name, [])
        if dtype not in _FLOAT_TYPES or not slots:
            continue
        size = int(np.prod(shape)) if shape else 1
        if any(slot in _WEIGHT_SLOTS for slot in slots):
            total += size
        elif size > 1 and not all(slot in _NON_WEIGHT_SLOTS for slot in slots):
            # A non-scalar tensor added or multiplied in (a bias after MatMul, a scale) is
            # learned; a scalar there is an arithmetic constant.
            total += size
    return total


def _fix_inputs(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]) -> None:
    initializers = {t.name for t in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    names = {i.name for i in graph_inputs}
    missing, unknown = names - set(input_shapes), set(input_shapes) - names
    if missing or unknown:
        raise GraphStatsError(
            f"input shapes name {sorted(input_shapes)} but the graph's inputs are {sorted(names)}"
        )
    for value_info in graph_inputs:
        shape = input_shapes[value_info.name]
        dims = value_info.type.tensor_type.shape.dim
        if len(dims) != len(shape):
            raise GraphStatsError(
                f"input {value_info.name!r} has rank {len(dims)}, shape {list(shape)} given"
            )
        for dim, size in zip(dims, shape):
            if dim.HasField("dim_value") and dim.dim_value > 0 and dim.dim_value != size:
                raise GraphStatsError(
                    f"input {value_info.name!r} has fixed size "
                    f"{_dims(value_info)}, shape {list(shape)} given"
                )
            dim.Clear()
            dim.dim_value = int(size)
    # Symbolic output dims and stale value_info would conflict with the fixed ones.
    del model.graph.value_info[:]
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")


def _count_macs(model: onnx.ModelProto) -> tuple[int, list[str]]:
    graph = model.graph
    shapes: dict[str, tuple[int | str, ...]] = {}
    for value_info in [*graph.input, *graph.value_info, *graph.output]:
        shapes[value_info.name] = _dims(value_info)
    for name, (_, shape) in _constants(graph).items():
        shapes[name] = shape

    def known(name: str) -> tuple[int, ...] | None:
        shape = shapes.get(name)
        if shape is None or not all(isinstance(d, int) and d > 0 for d in shape):
            return None
        return shape  # type: ignore[return-value]

    macs, uncounted = 0, []
    for node in graph.node:
        if node.op_type not in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            continue
        out = known(node.output[0])
        first = known(node.input[0])
        weight = known(node.input[1])
        if node.op_type == "Conv" and out and weight:
            # Each output element sums Cin/groups * prod(kernel) products: weight dims 1..
            macs += int(np.prod(out)) * int(np.prod(weight[1:]))
        elif node.op_type == "ConvTranspose" and first and weight:
            # Each input element is scattered through Cout/groups * prod(kernel) weights.
            macs += int(np.prod(first)) * int(np.prod(weight[1:]))
        elif node.op_type == "Gemm" and out and first:
            trans_a = next((a.i for a in node.attribute if a.name == "transA"), 0)
            macs += int(np.prod(out)) * first[0 if trans_a else 1]
        elif node.op_type == "MatMul" and out and first:
            macs += int(np.prod(out)) * first[-1]
        else:
            uncounted.append(node.name or node.output[0])
    return macs, uncounted


def _shapes_from_a_run(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]) -> None:
    """Fill the shapes onnx's inference left open by running the model once on zeros.

    Exported models compute reshape targets through Shape -> Cast -> Slice -> Concat
    chains that onnx's data propagation does not follow; ONNX Runtime evaluates them.
    """
    import onnxruntime as ort

    known = {
        v.name
        for v in model.graph.value_info
        if all(isinstance(d, int) for d in _dims(v)) and v.type.tensor_type.HasField("shape")
    }
    wanted: list[str] = []
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            wanted += [n for n in (node.input[0], node.output[0]) if n not in known]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    outputs = {o.name for o in probe.graph.output}
    wanted = [n for n in dict.fromkeys(wanted) if n not in outputs and n not in input_shapes]
    probe.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in wanted)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Optimizations could fuse away the very tensors being asked for.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(
            probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        feeds: dict[str, np.ndarray] = {
            i.name: np.zeros(input_shapes[i.name], _NUMPY[i.type]) for i in session.get_inputs()
        }
        values = session.run(None, feeds)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise GraphStatsError(
            f"shape inference left shapes open and running the graph to find them failed: {exc}"
        ) from None
    by_name = {o.name: v for o, v in zip(session.get_outputs(), values)}
    for value_info in [*model.graph.value_info, *model.graph.output]:
        if value_info.name in by_name:
            _set_shape(value_info, by_name.pop(value_info.name).shape)
    for name, value in by_name.items():
        model.graph.value_info.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape))
        )


_NUMPY = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(bool)": np.bool_,
}


def _set_shape(value_info: onnx.ValueInfoProto, shape: tuple[int, ...]) -> None:
    tensor_type = value_info.type.tensor_type
    tensor_type.ClearField("shape")
    for size in shape:
        tensor_type.shape.dim.add().dim_value = int(size)


def graph_stats(
    path_or_proto: str | Path | onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]
) -> GraphStats:
    """Measure a model at fixed input shapes (dynamic dims are set from `input_shapes`)."""
    file_bytes = None
    if isinstance(path_or_proto, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(path_or_proto)
    else:
        path = Path(path_or_proto)
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # noqa: BLE001 - protobuf DecodeError, OSError, onnx errors
            raise GraphStatsError(f"{path}: not a readable ONNX file: {exc}") from None
        file_bytes = path.stat().st_size
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    parameters = count_parameters(model.graph)
    histogram = dict(sorted(Counter(n.op_type for n in model.graph.node).items()))
    _fix_inputs(model, {k: tuple(v) for k, v in input_shapes.items()})
    try:
        # data_prop follows Shape -> Gather -> Concat -> Reshape chains, which exported
        # models use for their dynamic reshapes.
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # noqa: BLE001 - onnx raises several C++-backed types here
        raise GraphStatsError(f"shape inference failed: {exc}") from None
    macs, uncounted = _count_macs(inferred)
    if uncounted or any(
        not all(isinstance(d, int) for d in _dims(o)) for o in inferred.graph.output
    ):
        _shapes_from_a_run(inferred, input_shapes)
        macs, uncounted = _count_macs(inferred)
    initializers = {t.name for t in inferred.graph.initializer}
    return GraphStats(
        parameters=parameters,
        macs=macs,
        opset=opset,
        op_histogram=histogram,
        inputs=[_info(i) for i in inferred.graph.input if i.name not in initializers],
        outputs=[_info(o) for o in inferred.graph.output],
        file_bytes=file_bytes,
        uncounted=uncounted,
    )


__all__ = ["GraphStats", "GraphStatsError", "TensorInfo", "count_parameters", "graph_stats"]
