"""What a precision variant needs before and beside its timed run: the quantised derived
file with its calibration set, and the FP32 reference outputs over the agreement inputs.

Calibration sets (fixed and documented, recorded in every INT8 row):

- the PP-OCR text recogniser (task text-recognition, real weights): 32 text lines rendered
  like the OCR corpus (nnkb.accuracy.ocr_corpus) but with a seed of their own, so the lines
  accuracy is measured on are never calibrated on, prepared as the recogniser reads them at
  the row's input width;
- a model whose KB entry states its preprocessing (`onnx.preprocess`) and takes one image:
  32 natural images prepared that way (nnkb.models.natural), with the calibration seed;
- every other model, the PP-OCR text detector and direction classifier included: 32 seeded
  synthetic inputs of eight kinds (nnkb.models.synthetic; `synthetic_calibration`).

The derived file is built in a worker subprocess (the bench's timeout applies; a quantiser
that crashes fails its row), once per key under the project's cache folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..codec import Json
from ..models import natural
from ..models.quantize import (
    CALIBRATION_COUNT,
    CALIBRATION_SEED,
    CalibrationSet,
    Lazy,
    cache_key,
    quantizer_version,
    synthetic_calibration,
)
from ..models.synthetic import SYNTHETIC_VERSION
from .inputs import Shapes, input_dtypes
from .protocol import QuantizeJob, ReferenceInputsJob

OCR_TASK = "text-recognition"
# The rendered calibration lines: the OCR corpus's recipe with another seed.
OCR_CALIBRATION_SEED_OFFSET = 1


def calibration_for(
    task: str, shapes: Shapes, model_path: Path, preprocess: Json | None = None
) -> tuple[CalibrationSet, str]:
    """The calibration set of a model, and what it is in words (recorded in the row)."""
    if task == OCR_TASK and len(shapes) == 1:
        return _ocr_calibration(shapes), (
            f"{CALIBRATION_COUNT} text lines rendered like the OCR corpus (another seed), "
            "prepared as the recogniser reads them"
        )
    if natural_applies(shapes, preprocess):
        assert preprocess is not None
        return _natural_calibration(task, shapes, preprocess), natural.set_words(
            task, CALIBRATION_COUNT
        ) + ", prepared as the KB states"
    dtypes = input_dtypes(model_path)
    return synthetic_calibration(shapes, dtypes=dtypes), (
        f"{CALIBRATION_COUNT} seeded synthetic inputs of eight kinds ({SYNTHETIC_VERSION})"
    )


def natural_applies(shapes: Shapes, preprocess: Json | None) -> bool:
    """Whether a model's calibration and agreement inputs are natural images: it states its
    preprocessing and takes one N x 3 x H x W input."""
    return (
        bool(preprocess) and len(shapes) == 1 and natural.image_input(next(iter(shapes.values())))
    )


def _natural_calibration(task: str, shapes: Shapes, preprocess: Json) -> CalibrationSet:
    stated = natural.Preprocess.of(preprocess)
    ((_, shape),) = shapes.items()

    def generate() -> Iterator[dict[str, np.ndarray]]:
        yield from natural.natural_inputs(shapes, stated, task, CALIBRATION_COUNT, CALIBRATION_SEED)

    ident = natural.set_id(task, shape, stated, CALIBRATION_COUNT, CALIBRATION_SEED)
    return CalibrationSet(ident, Lazy(generate))


def _ocr_calibration(shapes: Shapes) -> CalibrationSet:
    from ..accuracy import ocr_corpus as oc

    ((name, shape),) = shapes.items()
    width = int(shape[-1])
    seed = oc.DEFAULT_SEED + OCR_CALIBRATION_SEED_OFFSET

    def generate() -> Iterator[dict[str, np.ndarray]]:
        corpus = oc.build_corpus(seed=seed, count=CALIBRATION_COUNT)
        for line in corpus.lines:
            yield {name: oc.resize_normalise(line.image, width / oc.REC_HEIGHT)[None]}

    ident = f"{oc.CORPUS_ID}-v{oc.CORPUS_VERSION}:seed={seed}:n={CALIBRATION_COUNT}:w={width}"
    return CalibrationSet(ident, Lazy(generate))


def derived_key(
    source_sha256: str,
    quantizer: str,
    task: str,
    shapes: Shapes,
    model_path: Path,
    preprocess: Json | None = None,
) -> tuple[str, str, str, str]:
    """(key, quantizer version, calibration id, calibration words) of the derived file,
    without building it: the row key includes the key, so a new quantiser version, recipe
    or calibration set re-measures the row."""
    calibration, words = calibration_for(task, shapes, model_path, preprocess)
    version = quantizer_version(quantizer)
    return (
        cache_key(source_sha256, quantizer, version, calibration.id),
        version,
        calibration.id,
        words,
    )


def build_derived(job: QuantizeJob) -> Json:
    """The worker's side of a "quantize" job: the derived file's path (built if missing)."""
    from ..models.quantize import quantize

    shapes = {k: tuple(v) for k, v in job.inputs.items()}
    source = Path(job.model_path)
    calibration, _ = calibration_for(job.task, shapes, source, job.preprocess)
    built = quantize(source, job.quantizer, calibration, Path(job.cache_dir))
    if built.key != job.key:
        # The planner keyed the row with other versions than the worker sees: say so.
        return {"status": "failed", "reason": "quantiser version changed during the run"}
    return {"status": "ok", "reason": None, "path": str(built.path)}


# -- reference outputs over the agreement inputs ---------------------------------------------
def inputs_reference_path(
    cache_dir: Path,
    model_sha: str,
    shapes: Shapes,
    count: int,
    version: str,
    inputs_set: str | None = None,
) -> Path:
    from .agreement import AGREEMENT_SEED

    described: Json = {
        "shapes": {k: list(v) for k, v in shapes.items()},
        "count": count,
        "seed": AGREEMENT_SEED,
        "synthetic": SYNTHETIC_VERSION,
        "ort": version,
    }
    if inputs_set is not None:  # natural inputs: their set id (synthetic keeps its old tag)
        described["set"] = inputs_set
    spec = json.dumps(described, sort_keys=True)
    tag = hashlib.sha256(spec.encode()).hexdigest()[:12]
    return cache_dir / "reference" / f"{model_sha[:16]}-inputs-{tag}.npz"


def load_inputs_reference(path: Path) -> list[list[np.ndarray]]:
    with np.load(path) as data:
        count, outputs = (int(v) for v in data["shape"])
        return [[data[f"in{i}_out{j}"] for j in range(outputs)] for i in range(count)]


# -- the parent's side: build what a row needs in a worker, with the row timeout ------------
def ensure_derived(
    model_path: Path,
    task: str,
    shapes: Shapes,
    quantizer: str,
    key: str,
    cache_dir: Path,
    timeout: float,
    preprocess: Json | None = None,
) -> tuple[Path | None, str | None]:
    """(path of the derived file, None), built in a worker subprocess if not cached, or
    (None, why not)."""
    from .isolate import run_worker

    job = QuantizeJob(
        model_path=str(model_path),
        inputs={k: list(v) for k, v in shapes.items()},
        task=task,
        quantizer=quantizer,
        key=key,
        cache_dir=str(cache_dir),
        preprocess=preprocess,
    )
    result = run_worker(job, timeout)
    if result.get("status") != "ok" or not result.get("path"):
        return None, f"{result.get('status')}: {result.get('reason')}"
    return Path(result["path"]), None


def ensure_inputs_reference(
    model_path: Path,
    model_sha: str,
    shapes: Shapes,
    version: str,
    cache_dir: Path,
    timeout: float,
    preprocess: Json | None = None,
    task: str = "",
) -> tuple[Path | None, str | None]:
    """The cached reference outputs over the agreement inputs, computed on first need."""
    from .agreement import AGREEMENT_COUNT, agreement_set
    from .isolate import run_worker

    inputs_set = agreement_set(shapes, preprocess, task)[0] if preprocess else None
    out = inputs_reference_path(cache_dir, model_sha, shapes, AGREEMENT_COUNT, version, inputs_set)
    if out.exists():
        return out, None
    job = ReferenceInputsJob(
        model_path=str(model_path),
        inputs={k: list(v) for k, v in shapes.items()},
        count=AGREEMENT_COUNT,
        out=str(out),
        preprocess=preprocess,
        task=task,
    )
    result = run_worker(job, timeout)
    if out.exists():
        return out, None
    return None, f"{result.get('status')}: {result.get('reason')}"
