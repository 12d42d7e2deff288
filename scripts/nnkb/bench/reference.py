"""Reference outputs: the reference runtime's FP32 run on the row's inputs.

Which runtime that is, and with which settings, is the adapters' declaration
(`reference = True`, `reference_settings()`: ONNX Runtime with graph optimisations off), not a
name written here. Computed once per (model sha256, input shapes, input seed, reference
runtime version) in its own worker subprocess (a model that crashes the runtime must not
take the run down) and cached as .npz, so every runtime's rows of a model share one
reference and a rerun of one row does not recompute it. Each row's worker compares its
first inference against the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..codec import Json
from .inputs import Shapes, input_dtypes, make_inputs
from .runtimes import Adapter, AdapterError, load_adapters, reference_adapter


def reference_of(
    adapters: dict[str, Adapter], versions: dict[str, str | None]
) -> tuple[Adapter, str] | None:
    """The reference adapter and its installed version; None when no adapter declares the
    role or its runtime is not installed (rows then carry no agreement)."""
    adapter = reference_adapter(adapters)
    if adapter is None:
        return None
    version = versions.get(adapter.name)
    return (adapter, version) if version else None


def reference_path(
    cache_dir: Path, model_sha: str, shapes: Shapes, seed: int, version: str
) -> Path:
    """Where the reference outputs for a model, inputs and reference runtime version live."""
    # "ort": the key of the first reference runtime, kept so cached files stay valid.
    spec = json.dumps(
        {"shapes": {k: list(v) for k, v in shapes.items()}, "seed": seed, "ort": version},
        sort_keys=True,
    )
    tag = hashlib.sha256(spec.encode()).hexdigest()[:12]
    return cache_dir / "reference" / f"{model_sha[:16]}-{tag}.npz"


def compute_reference(model_path: Path, shapes: Shapes, seed: int, out: Path) -> None:
    """Run the reference adapter once on the row's inputs and keep its outputs at `out`."""
    adapter = reference_adapter(load_adapters())
    if adapter is None:
        raise AdapterError("no runtime adapter declares reference = True")
    session = adapter.load(model_path, adapter.reference_settings(), shapes)
    session.bind(make_inputs(shapes, seed, input_dtypes(model_path)))
    session.run()
    outputs = session.outputs()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.npz")
    arrays: Json = {f"out_{i}": a for i, (_, a) in enumerate(outputs)}
    arrays["names"] = np.array([n for n, _ in outputs])
    np.savez(tmp, **arrays)
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
) -> tuple[Json, str | None]:
    """The row's `agreement` object, and a mismatch reason when shapes or counts differ."""
    agreement: Json = {
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


def compute_inputs_reference(
    model_path: Path,
    shapes: Shapes,
    count: int,
    out: Path,
    preprocess: Json | None = None,
    task: str = "",
) -> None:
    """The reference adapter's FP32 outputs for each agreement input, kept at `out`."""
    from .agreement import agreement_inputs  # scipy: only in the worker that needs it

    adapter = reference_adapter(load_adapters())
    if adapter is None:
        raise AdapterError("no runtime adapter declares reference = True")
    session = adapter.load(model_path, adapter.reference_settings(), shapes)
    arrays: Json = {}
    samples = agreement_inputs(
        shapes, count, dtypes=input_dtypes(model_path), preprocess=preprocess, task=task
    )
    for i, sample in enumerate(samples):
        session.bind(sample)
        session.run()
        for j, (_, array) in enumerate(session.outputs()):
            arrays[f"in{i}_out{j}"] = array
    arrays["shape"] = np.array([count, j + 1])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, out)
