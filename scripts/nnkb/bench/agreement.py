"""How closely a reduced-precision variant's outputs agree with the FP32 reference.

`agreement(kind, reference, candidate)` compares one model's outputs on the same inputs
(at least 64: `agreement_inputs`) with a metric that means something for what the output
is (`OUTPUT_KINDS`), and the signal-to-noise ratio and maximum relative error for every
kind. METHOD_TEXT explains them in plain words for the methodology page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..codec import Json
from ..kb import TASK_OUTPUT_KINDS  # noqa: F401 - re-exported: callers import it from here
from ..models.natural import Preprocess, image_input, natural_inputs, set_id, set_words
from ..models.quantize import CALIBRATION_COUNT
from ..models.synthetic import FAMILIES, SYNTHETIC_VERSION, synthetic_inputs

OUTPUT_KINDS = ("classifier", "embedding", "anomaly_map", "tensor")
# The output kind of a model by its KB `task` (one table, in kb.py); other tasks: "tensor".
AGREEMENT_SEED = 2  # the calibration sets use nnkb.models.quantize.CALIBRATION_SEED (1)
AGREEMENT_COUNT = 64

# One input's output: an array, or a sequence of arrays for a model with several outputs.
Output = np.ndarray | Sequence[np.ndarray]


class AgreementError(ValueError):
    """Outputs that cannot be compared (different counts or shapes, unknown kind)."""


@dataclass(frozen=True)
class Agreement:
    """Agreement over `inputs` inputs. Fields that do not apply to the kind are None.

    snr_db is infinite when the candidate equals the reference exactly (`exact`).
    """

    kind: str
    inputs: int
    snr_db: float  # over all inputs: 10 log10(sum ref^2 / sum (out - ref)^2)
    snr_db_min: float  # the worst single input
    max_rel_error: float  # secondary: explodes where the reference is near zero
    exact: bool
    top1: float | None = None  # share of inputs whose top-1 class is the reference's
    top5: float | None = None  # share whose reference top-1 class is in the candidate's top 5
    distinct_top1: int | None = None  # how many different classes the reference's top-1 takes
    cosine_mean: float | None = None
    cosine_min: float | None = None
    spearman_mean: float | None = None  # rank correlation of the scores within each map
    spearman_min: float | None = None
    image_spearman: float | None = None  # rank correlation of the maps' maxima across inputs

    def to_dict(self) -> Json:
        """Plain JSON values: infinite SNR (exact outputs) becomes None beside exact=True."""
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


def agreement_inputs(
    shapes: Mapping[str, Sequence[int]],
    count: int = AGREEMENT_COUNT,
    seed: int = AGREEMENT_SEED,
    dtypes: Mapping[str, np.dtype] | None = None,
    preprocess: Mapping[str, Any] | None = None,
    task: str = "",
) -> list[dict[str, np.ndarray]]:
    """The varied inputs agreement is measured on, with a seed the calibration sets do not
    use: natural images prepared as the KB states (`preprocess`, one image input;
    nnkb.models.natural), else `count` inputs cycling through the eight synthetic families
    of nnkb.models.synthetic.FAMILIES."""
    fixed = {k: tuple(v) for k, v in shapes.items()}
    if preprocess and len(fixed) == 1 and image_input(next(iter(fixed.values()))):
        return natural_inputs(fixed, Preprocess.of(preprocess), task, count, seed)
    return synthetic_inputs(fixed, count, seed, dtypes)


def agreement_set(
    shapes: Mapping[str, Sequence[int]],
    preprocess: Mapping[str, Any] | None,
    task: str,
    count: int = AGREEMENT_COUNT,
) -> tuple[str, str]:
    """(id, words) of the agreement inputs `agreement_inputs` makes for a model."""
    fixed = {k: tuple(v) for k, v in shapes.items()}
    if preprocess and len(fixed) == 1 and image_input(next(iter(fixed.values()))):
        ((_, shape),) = fixed.items()
        stated = Preprocess.of(preprocess)
        return (
            set_id(task, shape, stated, count, AGREEMENT_SEED),
            set_words(task, count) + ", prepared as the KB states",
        )
    return (
        f"{SYNTHETIC_VERSION}:n={count}:seed={AGREEMENT_SEED}",
        f"{count} seeded synthetic inputs of eight kinds ({SYNTHETIC_VERSION})",
    )


def _flat(output: Output) -> np.ndarray:
    if isinstance(output, np.ndarray):
        return output.astype(np.float64).ravel()
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in output])


def _rows(output: Output) -> np.ndarray:
    """(batch, features): one row per batch element of the first output."""
    array = np.asarray(output if isinstance(output, np.ndarray) else output[0], np.float64)
    return array.reshape(array.shape[0], -1) if array.ndim > 1 else array.reshape(1, -1)


def _snr(ref: np.ndarray, err: np.ndarray) -> float:
    noise = float(np.sum(err**2))
    signal = float(np.sum(ref**2))
    if noise == 0.0:
        return math.inf
    return 10.0 * math.log10(signal / noise) if signal > 0 else -math.inf


def _max_rel(ref: np.ndarray, out: np.ndarray) -> float:
    """As the benchmark's check does: |out - ref| / (|ref| + 1e-3 max|ref|) over finite values."""
    both = np.isfinite(ref) & np.isfinite(out)
    if not both.any():
        return math.nan
    ref, out = ref[both], out[both]
    floor = 1e-3 * float(np.abs(ref).max()) or 1e-12
    return float((np.abs(out - ref) / (np.abs(ref) + floor)).max())


def _classifier(refs: np.ndarray, outs: np.ndarray) -> Json:
    ref_top1 = refs.argmax(axis=1)
    top5 = np.argsort(-outs, axis=1)[:, :5]
    return {
        "top1": float(np.mean(outs.argmax(axis=1) == ref_top1)),
        # With five classes or fewer every class is in the top 5: nothing to report.
        "top5": float(np.mean((top5 == ref_top1[:, None]).any(axis=1)))
        if refs.shape[1] > 5
        else None,
        "distinct_top1": int(np.unique(ref_top1).size),
    }


def _embedding(refs: np.ndarray, outs: np.ndarray) -> Json:
    norms = np.linalg.norm(refs, axis=1) * np.linalg.norm(outs, axis=1)
    cosine = np.sum(refs * outs, axis=1) / np.where(norms > 0, norms, np.nan)
    cosine = np.where(norms > 0, cosine, np.where(np.all(refs == outs, axis=1), 1.0, 0.0))
    return {"cosine_mean": float(cosine.mean()), "cosine_min": float(cosine.min())}


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    if np.array_equal(a, b):
        return 1.0
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan  # a constant map has no ranking to agree with
    # Imported here: scipy.stats takes about a second to import, and the site (which imports
    # this module for METHOD_TEXT) never computes an agreement.
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def _anomaly_map(refs: np.ndarray, outs: np.ndarray) -> Json:
    per_map = np.array([_rank_correlation(r, o) for r, o in zip(refs, outs)])
    defined = per_map[np.isfinite(per_map)]
    image = _rank_correlation(refs.max(axis=1), outs.max(axis=1)) if len(refs) > 1 else math.nan
    return {
        "spearman_mean": float(defined.mean()) if defined.size else None,
        "spearman_min": float(defined.min()) if defined.size else None,
        "image_spearman": image if math.isfinite(image) else None,
    }


KIND_METRICS = {"classifier": _classifier, "embedding": _embedding, "anomaly_map": _anomaly_map}


def agreement(kind: str, reference: Sequence[Output], candidate: Sequence[Output]) -> Agreement:
    """Compare a candidate's outputs with the reference's, input by input.

    `reference[i]` and `candidate[i]` are the outputs for input i: an array (for a
    classifier the logits, for an embedding the vector, for an anomaly map the scores) or a
    sequence of arrays (every output of the model; the kind's metric then reads the first,
    SNR all). Arrays have a batch dimension first, as model outputs do; for the kind's
    metric each batch element is one input (a (1, H, W) anomaly map is one map of H*W
    scores). Non-finite values make the SNR NaN: the benchmark rejects such rows first.
    """
    if kind not in OUTPUT_KINDS:
        raise AgreementError(f"unknown output kind {kind!r}; known: {', '.join(OUTPUT_KINDS)}")
    if len(reference) != len(candidate) or not reference:
        raise AgreementError(
            f"{len(candidate)} candidate outputs for {len(reference)} reference outputs"
        )
    refs_flat = [_flat(r) for r in reference]
    outs_flat = [_flat(o) for o in candidate]
    for i, (r, o) in enumerate(zip(refs_flat, outs_flat)):
        if r.shape != o.shape:
            raise AgreementError(f"input {i}: candidate has {o.size} values, reference {r.size}")
    ref_all, out_all = np.concatenate(refs_flat), np.concatenate(outs_flat)
    fields: Json = {
        "kind": kind,
        "inputs": len(reference),
        "snr_db": _snr(ref_all, out_all - ref_all),
        "snr_db_min": min(_snr(r, o - r) for r, o in zip(refs_flat, outs_flat)),
        "max_rel_error": _max_rel(ref_all, out_all),
        "exact": bool(np.array_equal(ref_all, out_all)),
    }
    if kind in KIND_METRICS:
        refs = np.concatenate([_rows(r) for r in reference])
        outs = np.concatenate([_rows(o) for o in candidate])
        fields.update(KIND_METRICS[kind](refs, outs))
    return Agreement(**fields)


def padim_anomaly_maps(
    reference: Sequence[Sequence[np.ndarray]],
    candidate: Sequence[Sequence[np.ndarray]],
    channels: int = 100,
    seed: int = 0,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """PaDiM's anomaly maps from its feature extractor's outputs, for both sets of outputs.

    As PaDiM does: the feature maps are brought to the first one's resolution (nearest
    neighbour) and concatenated, `channels` of them kept at random (seeded), a Gaussian
    fitted (covariance + 0.01 I), and each position scored by its Mahalanobis distance.
    Unlike PaDiM, one Gaussian is fitted over all positions of the reference's features
    rather than one per position: synthetic inputs have no aligned object whose positions
    differ, and 64 inputs are too few for a 100-dimensional covariance per position. Both
    sets are scored with the same statistics, so the maps differ only by what the
    candidate's features change. Each input's outputs are (layer1, layer2, layer3), batch 1.
    """

    sizes = [int(f.shape[-3]) for f in reference[0]]
    h, w = reference[0][0].shape[-2:]
    c = sum(sizes)
    keep = np.sort(np.random.default_rng(seed).choice(c, size=min(channels, c), replace=False))
    starts = np.cumsum([0, *sizes])

    def embed(features: Sequence[np.ndarray]) -> np.ndarray:
        """The kept channels of the concatenated, upsampled feature maps, (kept, H, W). Each
        map's kept channels are picked before it is upsampled: the same values as picking
        them from the whole embedding, without upsampling the channels left out."""
        parts = []
        for f, start, end in zip(features, starts, starts[1:]):
            mine = keep[(keep >= start) & (keep < end)] - start
            f = np.asarray(f, np.float64)[0][mine]
            parts.append(f.repeat(h // f.shape[-2], axis=-2).repeat(w // f.shape[-1], axis=-1))
        return np.concatenate(parts)

    def vectors(outputs: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
        return np.stack([embed(f).reshape(len(keep), h * w).T for f in outputs])

    ref_x, out_x = vectors(reference), vectors(candidate)  # (N, H*W, D)
    flat = ref_x.reshape(-1, len(keep))
    mean = flat.mean(axis=0)
    # np.cov(flat, rowvar=False), as one matrix product of contiguous arrays (seconds less
    # per PaDiM row than np.cov's strided copy).
    centred = flat - mean
    covariance = centred.T @ centred / (len(flat) - 1)
    precision = np.linalg.inv(covariance + 0.01 * np.eye(len(keep)))

    def score(x: np.ndarray) -> list[np.ndarray]:
        d = (x - mean).reshape(-1, len(keep))  # one 2-D product rather than one per input
        distance = np.sqrt(np.maximum(np.sum((d @ precision) * d, axis=-1), 0.0))
        return [m.reshape(1, h, w) for m in distance.reshape(len(x), h * w)]

    return score(ref_x), score(out_x)


def _families_text() -> str:
    return "\n".join(f"- *{family.name}*: {family.text}." for family in FAMILIES)


METHOD_TEXT = f"""\
### Agreement with the FP32 reference

A reduced-precision variant (INT8, bf16, f16) is compared with the same model run by ONNX
Runtime in FP32 on {AGREEMENT_COUNT} inputs: that shows how much the arithmetic changes the
outputs, which is what precision changes. Only on a model's published, trained weights does
that say anything about accuracy: a builtin graph with random weights (named "architecture
only, random weights") has no task accuracy to lose, and its weights and activations have other
ranges than trained ones, so its reduced-precision rows are shown for their speed and never
judged. Where a task metric can be measured on real weights (the PP-OCR recognisers on a
rendered text corpus), it is measured too.

The inputs depend on what the KB says of the model:

- **A model whose entry states its preprocessing** (layout, colour order, mean and standard
  deviation on the 0-255 scale, each with its source): natural images, prepared as stated.
  Image models see seeded crops of the eight sample photographs that scikit-image ships
  (resized to the input size, mirrored half the time); face-embedding models see the 100 face
  images of its Labeled Faces in the Wild subset, scaled up to the input size. The images
  keep the licences of scikit-image's data folder. The resize stretches; a model's own
  letterboxing is not reproduced.
- **Every other model**: {AGREEMENT_COUNT} inputs cycling through eight synthetic kinds, so
  that no single input distribution decides the result:

{_families_text()}

The INT8 models are calibrated on {CALIBRATION_COUNT} further inputs of the same set, drawn with a
different seed (natural images for a model with stated preprocessing, rendered text lines for
the recognisers, the synthetic kinds otherwise). Every INT8 row records its calibration set
and every row its agreement inputs. The two quantisers set activation ranges differently:
ONNX Runtime takes the extremes seen over the calibration inputs, so the quietest inputs get
the coarsest steps; NNCF takes the average of each input's range, so the loudest inputs are
clipped.

What is compared depends on what the output is:

- **Classifiers** (logits): *top-1 agreement*, the share of inputs where the variant's
  highest-scoring class is the reference's; and *top-5 agreement*, the share where the
  reference's class is among the variant's five highest. With random weights the reference
  often picks the same class for every input, which makes top-1 agreement easy; the number
  of distinct classes the reference picked is shown beside it.
- **Embeddings** (face recognition): the *cosine similarity* between the variant's and the
  reference's vector for each input, as face verification compares embeddings by their
  angle; the mean and the minimum over the inputs.
- **Anomaly maps** (PaDiM): the per-position anomaly scores computed from the variant's
  features and from the reference's, with the same Gaussian statistics fitted on the
  reference; *Spearman rank correlation* between the two maps of each input (mean and
  minimum: is the same region the most anomalous?), and between the inputs' highest scores
  (is the same image the most anomalous?). Only the order matters for detection, which is
  judged by ranking (AUROC).
- **Any output**: the *signal-to-noise ratio* in decibels,
  10 log10(sum of squared reference values / sum of squared differences), over all inputs
  and for the worst one. 20 dB means the differences carry 1 % of the output's energy,
  40 dB 0.01 %.

The maximum relative error is kept in the downloads only: where the reference is near zero
it becomes very large even when the outputs agree by every measure above.
"""
