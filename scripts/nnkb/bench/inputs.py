"""Row inputs: made from a seed, identical in every worker and in the reference."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

Shapes = dict[str, tuple[int, ...]]


def input_dtypes(path: Path) -> dict[str, np.dtype]:
    """Element types of the graph inputs; empty when the file is not a readable ONNX model
    (the runtime will then report its own load error)."""
    try:
        import onnx
        from onnx.helper import tensor_dtype_to_np_dtype

        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 - any unreadable file: let the runtime say why
        return {}
    dtypes = {}
    for value in model.graph.input:
        elem = value.type.tensor_type.elem_type
        if elem:
            dtypes[value.name] = np.dtype(tensor_dtype_to_np_dtype(elem))
    return dtypes


def make_inputs(
    shapes: Shapes, seed: int, dtypes: dict[str, np.dtype] | None = None
) -> dict[str, np.ndarray]:
    """Standard normal floats (images, features), zeros for integer inputs (ids, lengths).

    Each input gets its own stream derived from (seed, name), so adding an input to a
    model does not change the values of the others.
    """
    dtypes = dtypes or {}
    inputs = {}
    for name in sorted(shapes):
        shape = tuple(shapes[name])
        dtype = np.dtype(dtypes.get(name, np.float32))
        if np.issubdtype(dtype, np.floating):
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            inputs[name] = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
        else:
            inputs[name] = np.zeros(shape, dtype=dtype)
    return inputs
