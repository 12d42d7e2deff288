"""Reference outputs: ONNX Runtime FP32 with graph optimisations off, on the row's inputs.

Computed once per (model sha256, input shapes, input seed, onnxruntime version) in its own
worker subprocess (a model that crashes ONNX Runtime must not take the run down) and cached
as .npz, so the three runtimes' rows of a model share one reference and a rerun of one row
does not recompute it. Each row's worker compares its first inference against the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .inputs import Shapes, input_dtypes, make_inputs
from .runtimes.base import physical_cores

SETTINGS: dict[str, Any] = {
    "execution_provider": "CPUExecutionProvider",
    "graph_optimization_level": "ORT_DISABLE_ALL",
    "intra_op_num_threads": physical_cores(),
    "inter_op_num_threads": 1,
    "execution_mode": "ORT_SEQUENTIAL",
}


def reference_label(ort_version: str) -> str:
    return f"onnxruntime {ort_version} CPUExecutionProvider ORT_DISABLE_ALL fp32"


def reference_path(
    cache_dir: Path, model_sha: str, shapes: Shapes, seed: int, ort_version: str
) -> Path:
    spec = json.dumps(
        {"shapes": {k: list(v) for k, v in shapes.items()}, "seed": seed, "ort": ort_version},
        sort_keys=True,
    )
    tag = hashlib.sha256(spec.encode()).hexdigest()[:12]
    return cache_dir / "reference" / f"{model_sha[:16]}-{tag}.npz"


def compute_reference(model_path: Path, shapes: Shapes, seed: int, out: Path) -> None:
    from .runtimes.onnxruntime import create_session

    session = create_session(model_path, SETTINGS)
    session.bind(make_inputs(shapes, seed, input_dtypes(model_path)))
    session.run()
    outputs = session.outputs()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.npz")
    arrays = {f"out_{i}": a for i, (_, a) in enumerate(outputs)}
    np.savez(tmp, names=np.array([n for n, _ in outputs]), **arrays)
    os.replace(tmp, out)


def load_reference(path: Path) -> list[tuple[str, np.ndarray]]:
    with np.load(path) as data:
        names = [str(n) for n in data["names"]]
        return [(n, data[f"out_{i}"]) for i, n in enumerate(names)]


def _pair(
    outputs: list[tuple[str, np.ndarray]], reference: list[tuple[str, np.ndarray]]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Match outputs to the reference by name; by position when a runtime renames them."""
    by_name = dict(outputs)
    if all(name in by_name for name, _ in reference):
        return [(name, by_name[name], ref) for name, ref in reference]
    return [(name, out, ref) for (name, out), (_, ref) in zip(outputs, reference)]


def non_finite(
    outputs: list[tuple[str, np.ndarray]], reference: list[tuple[str, np.ndarray]] | None
) -> str | None:
    """Why the outputs are unusable (NaN/inf where the reference has finite values)."""
    pairs = (
        _pair(outputs, reference) if reference else [(n, a, np.zeros_like(a)) for n, a in outputs]
    )
    for name, out, ref in pairs:
        if out.dtype.kind not in "fc" or out.shape != ref.shape:
            continue
        bad = int(np.count_nonzero(~np.isfinite(out) & np.isfinite(ref)))
        if bad:
            return f"output '{name}' has {bad} non-finite values (NaN/inf) of {out.size}"
    return None


def compare(
    outputs: list[tuple[str, np.ndarray]],
    reference: list[tuple[str, np.ndarray]],
    classifier: bool,
    label: str,
) -> tuple[dict[str, Any], str | None]:
    """The row's `agreement` object, and a mismatch reason when shapes or counts differ."""
    agreement: dict[str, Any] = {
        "reference": label,
        "max_abs_error": None,
        "max_rel_error": None,
        "top1_agree": None,
    }
    if len(outputs) != len(reference):
        return agreement, f"{len(outputs)} outputs, reference has {len(reference)}"
    max_abs = max_rel = 0.0
    for name, out, ref in _pair(outputs, reference):
        if out.size != ref.size:
            return agreement, f"output '{name}' has shape {out.shape}, reference {ref.shape}"
        out = out.reshape(ref.shape).astype(np.float64)
        ref = ref.astype(np.float64)
        both = np.isfinite(out) & np.isfinite(ref)
        if not both.any():
            continue
        err = np.abs(out[both] - ref[both])
        # The floor keeps near-zero reference elements from dominating the relative error.
        floor = 1e-3 * float(np.abs(ref[both]).max()) or 1e-12
        max_abs = max(max_abs, float(err.max()))
        max_rel = max(max_rel, float((err / (np.abs(ref[both]) + floor)).max()))
    agreement["max_abs_error"] = max_abs
    agreement["max_rel_error"] = max_rel
    if classifier:
        name, out, ref = _pair(outputs, reference)[0]
        ref = ref.reshape(ref.shape[0] if ref.ndim > 1 else 1, -1)
        out = out.reshape(ref.shape)
        agreement["top1_agree"] = bool(np.array_equal(out.argmax(-1), ref.argmax(-1)))
    return agreement, None
