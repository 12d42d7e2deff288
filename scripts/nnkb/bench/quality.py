"""What a row's worker measures after the timed repetitions, outside them: the precision
the runtime really executed in, agreement with the FP32 reference over the agreement inputs,
and task accuracy where the weights are real (the PP-OCR recogniser on the OCR corpus).

Each of them costs the row's own session a few dozen inferences (the OCR corpus: 500), so
they run once per row, in its first process, never in a verification process.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..codec import Json
from .inputs import Shapes, input_dtypes
from .protocol import RowJob
from .runtimes.base import Adapter, Session


def agreement_over_inputs(session: Session, job: RowJob, shapes: Shapes, path: Path) -> Json:
    """The many-input metrics of the row's Agreement (nnkb.bench.agreement) as JSON fields.

    The candidate is the row's own session, fed the same inputs as the cached reference
    outputs; PaDiM's feature maps are turned into anomaly maps first, as PaDiM scores them.
    """
    from .agreement import agreement, agreement_inputs, agreement_set, padim_anomaly_maps
    from .derived import load_inputs_reference

    if not job.inputs_reference:
        raise ValueError("no reference outputs over the agreement inputs")
    reference = load_inputs_reference(Path(job.inputs_reference))
    dtypes = input_dtypes(Path(job.source_model_path or path))
    samples = agreement_inputs(
        shapes, len(reference), dtypes=dtypes, preprocess=job.preprocess,
        task=job.task or "",
    )  # fmt: skip
    candidate = []
    for sample in samples:
        session.bind(sample)
        session.run()
        candidate.append([array for _, array in session.outputs()])
    kind = job.output_kind or "tensor"
    if kind == "anomaly_map" and len(reference[0]) > 1:
        maps = padim_anomaly_maps(reference, candidate)
        result = agreement(kind, *maps).to_dict()
    else:
        result = agreement(kind, reference, candidate).to_dict()
    result["max_rel_error_inputs"] = result.pop("max_rel_error")
    result["inputs_set"] = agreement_set(shapes, job.preprocess, job.task or "", len(reference))[1]
    if job.task == "detection":
        result["box_top1"] = box_top1(reference, candidate)
    if job.postprocess:
        result.update(boxes_agreement(job.postprocess, shapes, reference, candidate))
    return result


def boxes_agreement(postprocess: str, shapes: Shapes, reference: list, candidate: list) -> Json:
    """A detector's box-by-box agreement after its own decoding (nnkb.accuracy.detection)."""
    from ..accuracy.detection import box_agreement, detect

    ((_, shape),) = shapes.items()
    height, width = int(shape[-2]), int(shape[-1])
    found = box_agreement(
        [detect(postprocess, r, height, width) for r in reference],
        [detect(postprocess, c, height, width) for c in candidate],
    )
    found.pop("boxes")
    return found


def box_top1(reference: list, candidate: list) -> float | None:
    """Detection: the share of boxes (over all inputs) whose highest-scoring class is the
    reference's, read from the class-score output (the last output with more than four
    values per box: SSD's cls_logits, N x boxes x classes). None without such an output."""
    scores = [j for j, a in enumerate(reference[0]) if a.ndim == 3 and a.shape[-1] > 4]
    if not scores:
        return None
    j = scores[-1]
    same = [
        np.argmax(r[j], axis=-1) == np.argmax(c[j], axis=-1) for r, c in zip(reference, candidate)
    ]
    return float(np.mean(np.concatenate([s.ravel() for s in same])))


def ocr_accuracy(adapter: Adapter, job: RowJob, shapes: Shapes, path: Path) -> dict:
    """Character error rate and line accuracy of the row's runtime and precision on the
    OCR corpus, read through a session of the row's settings that takes any line width."""
    from ..accuracy.ocr import evaluate, load_charset
    from ..accuracy.ocr_corpus import build_corpus

    charset = load_charset(job.source_model_path or path)
    settings = adapter.accuracy_settings(job.settings)
    session = adapter.load(path, settings, shapes)
    (name,) = shapes

    def run(batch: np.ndarray) -> np.ndarray:
        session.bind({name: batch})
        session.run()
        return session.outputs()[0][1]

    result = evaluate(run, build_corpus(), charset)
    data = result.to_dict()
    data.pop("batch_size")
    return {"task": "text-recognition", **data, "corpus": asdict(result.corpus)}
