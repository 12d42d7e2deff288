"""Text-recognition accuracy: CTC greedy decoding, character error rate and line accuracy.

`evaluate(run, corpus, charset)` feeds the corpus to any runtime through one callable,
`run(batch) -> logits` (N x 3 x 48 x W float32 in, N x T x classes out), decodes the
columns as rapidocr-onnxruntime does and scores the strings against the texts drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from .ocr_corpus import (
    BLUR_SIGMA,
    DEFAULT_LINES,
    FONT_SIZES,
    FONTS,
    NOISE_SIGMA,
    Corpus,
    recogniser_batches,
)

# rapidocr's CTCLabelDecode: class 0 is the CTC blank, the dictionary follows, and a space
# is appended as the last class (PaddleOCR's use_space_char).
BLANK = 0
# One line per inference: a line's input then depends on that line alone (in a batch it is
# padded to the batch's widest line, which changes a few readings), so a figure does not
# move with the corpus's size or the batching, and a subset reads as it does in the whole.
# Batches of 8 save about a tenth of the time.
DEFAULT_BATCH = 1

METHOD_TEXT = f"""\
**Text-recognition accuracy.** The PP-OCR recogniser's accuracy is measured on a synthetic
corpus that nnkb builds itself, not on a published data set: {DEFAULT_LINES} single text
lines, drawn by Pillow in {len(FONTS)} DejaVu fonts (the ones matplotlib ships: Sans, Sans
Bold, Serif and Sans Mono) at {len(FONT_SIZES)} sizes from {min(FONT_SIZES)} to \
{max(FONT_SIZES)} pixels, dark on light grey, then lightly blurred (Gaussian,
{BLUR_SIGMA[0]:g} to {BLUR_SIGMA[1]:g} pixel) and noised (Gaussian, {NOISE_SIGMA[0]:g} to \
{NOISE_SIGMA[1]:g} grey levels), all from one fixed random seed.
The texts are a fixed mix: phrases of one to five common English words in lower, title,
upper or sentence case, some ending in punctuation (four lines in ten); figures such as
dates, prices, times and phone numbers (two in ten); references such as addresses, order
numbers and e-mail-like strings (two in ten); and random codes over all printable ASCII
characters (two in ten), which give the recogniser no words to lean on. Each line is cropped
as a text detector would crop it, prepared exactly as the rapidocr-onnxruntime package
prepares it (height 48 pixels, width from the aspect ratio and at least 320, values scaled to
-1..1) and read on its own, one line per inference; the network's output is read by greedy CTC decoding (the most likely symbol in each column,
repeats merged, blanks dropped). The **character error rate** (CER) counts the
single-character insertions, deletions and substitutions needed to turn what was read into
what was drawn (the Levenshtein distance), summed over the corpus and divided by the number
of characters drawn: lower is better, and 1 % is about one wrong character in a hundred.
**Line accuracy** is the share of lines read exactly right, spaces included. This
recogniser, PaddleOCR's Chinese-and-English model, often runs Latin words together, a limit
of the model that its maintainers acknowledge
([PaddleX issue 3519](https://github.com/PaddlePaddle/PaddleX/issues/3519)); most of its
errors here are missing spaces, so the CER with spaces removed from both sides is given
beside it. Rendered text is cleaner than photographs, so these figures are not the model's
published accuracy: they show what a runtime or a reduced precision changes, since every
variant reads the same images. Each figure is stored with the hash of the corpus, which
covers every text and pixel.
"""


@dataclass(frozen=True)
class CorpusInfo:
    """How the corpus was made: enough to tell whether two figures read the same images."""

    id: str
    version: int
    seed: int
    lines: int
    sha256: str
    renderer: str


@dataclass(frozen=True)
class OcrAccuracy:
    cer: float  # character edits / reference characters, over the whole corpus (0..)
    line_accuracy: float  # lines read exactly / lines (0..1)
    # The same with every space removed from both sides: PP-OCRv4's Chinese recogniser often
    # runs Latin words together (a known limit of the model, not of a runtime), and this
    # figure shows how much of `cer` that is.
    cer_without_spaces: float
    lines: int
    chars: int  # reference characters
    edits: int  # summed Levenshtein distance
    exact: int  # lines read exactly
    corpus: CorpusInfo
    batch_size: int
    elapsed_s: float  # wall time of the inference and decoding, not of building the corpus
    predictions: tuple[str, ...] = field(repr=False, default=())  # in corpus order

    def to_dict(self) -> dict:
        """JSON-ready, without the predictions (they are for looking into mistakes)."""
        data = asdict(self)
        data.pop("predictions")
        return data

    def mistakes(self, texts: Sequence[str]) -> list[tuple[str, str]]:
        """(drawn, read) for every line read wrongly, in corpus order."""
        return [(t, p) for t, p in zip(texts, self.predictions, strict=True) if t != p]


def load_charset(model_path: Path | str) -> list[str]:
    """The recogniser's classes: blank, the dictionary stored in the ONNX file's metadata
    under "character" (one symbol per line, as rapidocr reads it), then a space."""
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    meta = {prop.key: prop.value for prop in model.metadata_props}
    if "character" not in meta:
        raise ValueError(
            f"{model_path}: no 'character' entry in the ONNX metadata; not a PP-OCR "
            f"recogniser exported with its dictionary"
        )
    return ["blank", *meta["character"].splitlines(), " "]


def ctc_greedy_decode(logits: np.ndarray, charset: Sequence[str]) -> list[str]:
    """Best class per column, repeats merged, blanks dropped; N x T x classes -> N strings."""
    if logits.ndim != 3:
        raise ValueError(f"expected logits of shape N x T x classes, got {logits.shape}")
    if logits.shape[2] != len(charset):
        raise ValueError(
            f"the model has {logits.shape[2]} classes but the dictionary {len(charset)}"
        )
    best = logits.argmax(axis=2)
    texts = []
    for row in best:
        keep = np.ones(len(row), dtype=bool)
        keep[1:] = row[1:] != row[:-1]
        keep &= row != BLANK
        texts.append("".join(charset[i] for i in row[keep]))
    return texts


def character_errors(reference: str, hypothesis: str) -> int:
    """Insertions, deletions and substitutions turning `hypothesis` into `reference`."""
    return Levenshtein.distance(reference, hypothesis)


def score(references: Sequence[str], hypotheses: Sequence[str]) -> tuple[int, int, int]:
    """(edits, reference characters, exact lines) summed over paired lines."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    edits = sum(character_errors(r, h) for r, h in zip(references, hypotheses, strict=True))
    chars = sum(len(r) for r in references)
    exact = sum(r == h for r, h in zip(references, hypotheses, strict=True))
    return edits, chars, exact


def evaluate(
    run: Callable[[np.ndarray], np.ndarray],
    corpus: Corpus,
    charset: Sequence[str],
    batch_size: int = DEFAULT_BATCH,
) -> OcrAccuracy:
    """Read every line of the corpus through `run` and score what was read."""
    predictions: list[str] = [""] * len(corpus.lines)
    start = time.perf_counter()
    for indices, batch in recogniser_batches(corpus, batch_size):
        logits = np.asarray(run(batch))
        if logits.shape[0] != len(indices):
            raise ValueError(f"run returned {logits.shape[0]} rows for a batch of {len(indices)}")
        for index, text in zip(indices, ctc_greedy_decode(logits, charset), strict=True):
            predictions[index] = text
    elapsed = time.perf_counter() - start
    edits, chars, exact = score(corpus.texts, predictions)
    nospace_edits, nospace_chars, _ = score(
        [t.replace(" ", "") for t in corpus.texts], [p.replace(" ", "") for p in predictions]
    )
    lines = len(corpus.lines)
    info = CorpusInfo(corpus.id, corpus.version, corpus.seed, lines, corpus.sha256, corpus.renderer)
    return OcrAccuracy(
        cer=edits / chars if chars else 0.0,
        line_accuracy=exact / lines if lines else 0.0,
        cer_without_spaces=nospace_edits / nospace_chars if nospace_chars else 0.0,
        lines=lines,
        chars=chars,
        edits=edits,
        exact=exact,
        corpus=info,
        batch_size=batch_size,
        elapsed_s=elapsed,
        predictions=tuple(predictions),
    )
