"""INT8 model files derived from an FP32 ONNX file by post-training quantisation.

Two quantisers, one per runtime that runs the result:

- `onnxruntime`: `onnxruntime.quantization.quantize_static`, QDQ format, per-channel
  symmetric int8 weights, asymmetric uint8 activations (U8S8), MinMax calibration, after
  ORT's own pre-processing (BatchNormalization folded into Conv, shapes inferred; without it
  a Q/DQ pair between Conv and BN stops the fusion and the BN runs in float). U8S8 because
  it is the pairing x86 int8 kernels are built for: VNNI's VPDPBUSD and AVX2's VPMADDUBSW
  both multiply unsigned by signed bytes; signed-by-signed has no such instruction before
  AVX-VNNI-INT8, on few CPUs yet. ORT's guide suggests S8S8 QDQ first, but on an AVX2 CPU
  without VNNI it ran no faster than FP32 (ResNet-18: S8S8 273 ms, U8S8 146 ms, FP32
  260 ms, while writing this module), with the same agreement. Weights are not range-reduced to 7 bits: that avoids VPMADDUBSW's int16
  saturation on non-VNNI CPUs but costs precision on every CPU; the agreement measured on
  the machine that runs the row shows whether saturation hurt.
- `nncf`: NNCF post-training quantisation of the OpenVINO model read from the ONNX file
  (CPU target, performance preset, fast bias correction, NNCF's default ranges: the mean
  over calibration inputs of each input's activation range, where ORT takes the extremes),
  saved as OpenVINO IR (model.xml + model.bin). The OpenVINO backend is NNCF's main one and
  the IR is what the CPU plugin runs without converting Q/DQ nodes from ONNX on every
  load; ONNX Runtime cannot read it, which is as it should be for a variant of the
  OpenVINO adapter.

A derived file is cached under `<cache>/quantized/<quantizer>/<key>/` by a key made of the
source file's sha256, the quantiser's name, version and settings, and the calibration
set's id. Each folder is built in a temporary folder and renamed into place, so a folder
that exists is complete. Nothing here is committed: the cache folder is the project's
(`nnkb.bench.plan.cache_root`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..codec import Json
from .sources import sha256_file
from .synthetic import SYNTHETIC_VERSION, Shapes, synthetic_inputs

Sample = Mapping[str, np.ndarray]

CALIBRATION_SEED = 1
CALIBRATION_COUNT = 32
# Bump when a derived folder's layout or build steps change without a quantiser version change.
LAYOUT_VERSION = "1"

ORT_RECIPE: Json = {
    "format": "QDQ",
    "per_channel": True,
    "weight_type": "QInt8",
    "activation_type": "QUInt8",
    "reduce_range": False,
    "calibrate_method": "MinMax",
    "pre_process": "quant_pre_process(skip_symbolic_shape=True)",
    "min_opset": 13,
}
# Per-channel DequantizeLinear (its `axis` attribute) exists from opset 13: an older model is
# converted up first (onnx.version_converter), or ORT refuses the quantised file.
MIN_QDQ_OPSET = 13
NNCF_RECIPE: Json = {
    "backend": "openvino",
    "target_device": "CPU",
    "preset": "PERFORMANCE",
    "fast_bias_correction": True,
    "output": "OpenVINO IR, weights not compressed to f16",
}


class QuantizeError(Exception):
    """A model that could not be quantised; the message names the file and the quantiser."""


# -- calibration sets ------------------------------------------------------------------------
@dataclass(frozen=True)
class CalibrationSet:
    """Calibration inputs with a stable id. `samples` is any iterable of input dicts (a
    generator is fine); it is read only when a derived file has to be built, so the id must
    name the content: two sets with the same id must hold the same inputs."""

    id: str
    samples: Iterable[Sample]


def synthetic_calibration(
    shapes: Shapes,
    count: int = CALIBRATION_COUNT,
    seed: int = CALIBRATION_SEED,
    dtypes: Mapping[str, np.dtype] | None = None,
) -> CalibrationSet:
    """The fixed set for models with generated weights: `count` synthetic inputs from the
    eight families, with a seed of their own (the agreement inputs use another)."""
    dims = ",".join(
        f"{n}:{'x'.join(map(str, shapes[n]))}:{np.dtype((dtypes or {}).get(n, np.float32))}"
        for n in sorted(shapes)
    )

    def generate() -> Iterator[dict[str, np.ndarray]]:
        yield from synthetic_inputs(shapes, count, seed, dtypes)

    return CalibrationSet(f"{SYNTHETIC_VERSION}:n={count}:seed={seed}:{dims}", Lazy(generate))


class Lazy:
    """An iterable that calls its factory on every iteration (nothing made until needed)."""

    def __init__(self, factory: Callable[[], Iterator[dict[str, np.ndarray]]]) -> None:
        self.factory = factory

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return self.factory()


# -- quantisers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuantizedModel:
    path: Path  # model.onnx (onnxruntime) or model.xml beside model.bin (nncf)
    quantizer: str
    quantizer_version: str
    calibration_id: str
    key: str


def quantizer_version(quantizer: str) -> str:
    """The versions that decide the output: NNCF runs its statistics and writes the IR with
    OpenVINO, so both are named. Read from the installed distributions' metadata, so that
    the bench's planner can key a derived file without importing the quantiser."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        if quantizer == "onnxruntime":
            return f"onnxruntime {version('onnxruntime')}"
        if quantizer == "nncf":
            return f"nncf {version('nncf')} openvino {version('openvino')}"
    except PackageNotFoundError as exc:
        raise QuantizeError(f"quantizer {quantizer!r}: package {exc} is not installed") from None
    raise QuantizeError(f"unknown quantizer {quantizer!r}; known: {', '.join(QUANTIZERS)}")


def cache_key(source_sha256: str, quantizer: str, version: str, calibration_id: str) -> str:
    recipe = {"onnxruntime": ORT_RECIPE, "nncf": NNCF_RECIPE}.get(quantizer)
    payload = {
        "source_sha256": source_sha256,
        "quantizer": quantizer,
        "quantizer_version": version,
        "recipe": recipe,
        "calibration_id": calibration_id,
        "layout": LAYOUT_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _at_least_opset(source: Path, out: Path) -> Path:
    """`source`, or a copy converted to MIN_QDQ_OPSET in `out` when it declares an older one."""
    import onnx
    from onnx import version_converter

    model = onnx.load(str(source))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or opset >= MIN_QDQ_OPSET:
        return source
    converted = out / "opset.onnx"
    onnx.save(version_converter.convert_version(model, MIN_QDQ_OPSET), str(converted))
    return converted


def _build_onnxruntime(source: Path, samples: list[dict[str, np.ndarray]], out: Path) -> Path:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.remaining = iter(samples)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.remaining, None)

    prepared = out / "prepared.onnx"
    quant_pre_process(str(_at_least_opset(source, out)), str(prepared), skip_symbolic_shape=True)
    target = out / "model.onnx"
    quantize_static(
        str(prepared),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        reduce_range=False,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    prepared.unlink()
    (out / "opset.onnx").unlink(missing_ok=True)
    return target


def _build_nncf(source: Path, samples: list[dict[str, np.ndarray]], out: Path) -> Path:
    import nncf
    import openvino as ov

    nncf.set_log_level(logging.WARNING)
    model = ov.Core().read_model(str(source))
    quantized = nncf.quantize(
        model,
        nncf.Dataset(samples),
        subset_size=len(samples),
        target_device=nncf.TargetDevice.CPU,
        preset=nncf.QuantizationPreset.PERFORMANCE,
        fast_bias_correction=True,
    )
    target = out / "model.xml"
    # compress_to_fp16 would store the float constants left (biases, scales) as f16.
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return target


BUILDERS: dict[str, Callable[[Path, list[dict[str, np.ndarray]], Path], Path]] = {
    "onnxruntime": _build_onnxruntime,
    "nncf": _build_nncf,
}
QUANTIZERS = tuple(BUILDERS)
MODEL_FILES = {"onnxruntime": ("model.onnx",), "nncf": ("model.xml", "model.bin")}


def _cached(folder: Path, quantizer: str, key: str) -> bool:
    try:
        recipe = json.loads((folder / "recipe.json").read_text())
    except (OSError, ValueError):
        return False
    return recipe.get("key") == key and all((folder / f).is_file() for f in MODEL_FILES[quantizer])


def quantize(
    source: Path, quantizer: str, calibration: CalibrationSet, cache_dir: Path
) -> QuantizedModel:
    """The INT8 file for `source` made by `quantizer` ("onnxruntime" or "nncf"), built once
    per key under `cache_dir`/quantized and reused afterwards.

    `cache_dir` is the project's cache root (`nnkb.bench.plan.cache_root(kb_root)`).
    Raises QuantizeError naming the file, the quantiser and what went wrong.
    """
    source = Path(source)
    if quantizer not in BUILDERS:
        raise QuantizeError(f"unknown quantizer {quantizer!r}; known: {', '.join(QUANTIZERS)}")
    try:
        source_sha = sha256_file(source)
    except OSError as exc:
        raise QuantizeError(f"{source}: cannot read the model to quantise: {exc}") from None
    version = quantizer_version(quantizer)
    key = cache_key(source_sha, quantizer, version, calibration.id)
    folder = Path(cache_dir) / "quantized" / quantizer / key[:32]
    result = QuantizedModel(
        folder / MODEL_FILES[quantizer][0], quantizer, version, calibration.id, key
    )
    if _cached(folder, quantizer, key):
        return result
    samples = [dict(sample) for sample in calibration.samples]
    if not samples:
        raise QuantizeError(f"{source}: {quantizer}: calibration set {calibration.id!r} is empty")
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{key[:16]}-"))
    try:
        # Progress bars and notices go to stderr: stdout may carry a caller's output.
        with contextlib.redirect_stdout(sys.stderr):
            BUILDERS[quantizer](source, samples, building)
        recipe = {
            "key": key,
            "source": str(source),
            "source_sha256": source_sha,
            "quantizer": quantizer,
            "quantizer_version": version,
            "calibration_id": calibration.id,
            "calibration_count": len(samples),
        }
        (building / "recipe.json").write_text(json.dumps(recipe, indent=1, sort_keys=True))
        # mkdtemp makes owner-only folders; cached models are ordinary files.
        os.chmod(building, 0o755)
        for path in building.iterdir():
            os.chmod(path, 0o644)
        if folder.exists() and not _cached(folder, quantizer, key):
            shutil.rmtree(folder)  # a leftover that is not a complete build of this key
        try:
            os.rename(building, folder)
        except OSError:
            # Another process renamed its identical build into place first: use that one.
            if not _cached(folder, quantizer, key):
                raise
    except QuantizeError:
        raise
    except Exception as exc:  # any quantiser failure: one clear message
        raise QuantizeError(f"{source}: {quantizer} ({version}): {exc}") from exc
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return result
