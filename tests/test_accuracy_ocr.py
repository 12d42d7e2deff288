"""Text-recognition accuracy: the synthetic corpus, CTC decoding, CER and line accuracy, and
the PP-OCRv4 recogniser reading the corpus through ONNX Runtime."""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from nnkb.accuracy import ocr, ocr_corpus, runners
from nnkb.accuracy.ocr_corpus import REC_HEIGHT, REC_MIN_WIDTH, build_corpus, recogniser_batches

ROOT = Path(__file__).resolve().parents[1]
needs_rapidocr = pytest.mark.skipif(
    importlib.util.find_spec("rapidocr_onnxruntime") is None,
    reason="rapidocr-onnxruntime (requirements-models.txt) missing",
)

# -- the corpus ---------------------------------------------------------------------------------


def test_corpus_is_deterministic_and_large_enough():
    # __wrapped__: build twice for real instead of getting the cached corpus back.
    first = build_corpus.__wrapped__(ocr_corpus.DEFAULT_SEED, ocr_corpus.DEFAULT_LINES)
    second = build_corpus.__wrapped__(ocr_corpus.DEFAULT_SEED, ocr_corpus.DEFAULT_LINES)
    assert len(first.lines) >= 500
    assert first.sha256 == second.sha256
    assert first.texts == second.texts
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first.lines, second.lines))
    assert len(set(first.texts)) > 450  # varied, not a few lines repeated


def test_corpus_hash_follows_seed_and_pixels():
    base = build_corpus(ocr_corpus.DEFAULT_SEED, 30)
    assert build_corpus(ocr_corpus.DEFAULT_SEED + 1, 30).sha256 != base.sha256
    # A smaller corpus is the start of a larger one, under its own hash.
    larger = build_corpus(ocr_corpus.DEFAULT_SEED, 40)
    assert larger.texts[:30] == base.texts
    assert larger.sha256 != base.sha256
    # The hash covers pixels, not only texts: one changed pixel is another corpus.
    line = base.lines[0]
    image = line.image.copy()
    image[0, 0, 0] ^= 1
    changed = (ocr_corpus.Line(line.text, image, line.kind, line.font, line.size),) + base.lines[1:]
    assert ocr_corpus._hash(base.version, base.seed, changed) != base.sha256


def test_corpus_mix_sizes_and_characters():
    corpus = build_corpus()
    kinds = [line.kind for line in corpus.lines]
    n = len(kinds)
    assert kinds.count("words") == 4 * n // 10
    for kind in ("figures", "mixed", "codes"):
        assert kinds.count(kind) == 2 * n // 10
    assert {line.size for line in corpus.lines} == set(ocr_corpus.FONT_SIZES)
    assert {line.font for line in corpus.lines} == set(ocr_corpus.FONTS)
    printable = set(string.printable[:95])
    assert all(set(text) <= printable for text in corpus.texts)
    assert all(text == text.strip() and text for text in corpus.texts)
    assert any(c.isdigit() for c in "".join(corpus.texts))
    assert any(t.isupper() for t in corpus.texts) and any(t.islower() for t in corpus.texts)
    for line in corpus.lines:
        assert line.image.dtype == np.uint8 and line.image.ndim == 3 and line.image.shape[2] == 3
        # dark text on a light ground (thin blurred strokes of small sizes stay grey)
        background = np.median(line.image)
        assert background > 180 and background - line.image.min() > 80


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind of line 'poems'"):
        ocr_corpus.make_text("poems", np.random.default_rng(0))


# -- preprocessing, as rapidocr's TextRecognizer does it --------------------------------------


def test_resize_normalise_matches_rapidocr_rules():
    image = np.full((20, 100, 3), 255, dtype=np.uint8)
    image[:, :10] = 0
    out = ocr_corpus.resize_normalise(image, max_wh_ratio=10.0)
    # width int(48 * 10) = 480; the line itself is ceil(48 * 100 / 20) = 240 wide
    assert out.shape == (3, REC_HEIGHT, 480) and out.dtype == np.float32
    assert out[:, :, 0].max() == pytest.approx(-1.0)  # black -> -1
    assert out[:, :, 200].min() == pytest.approx(1.0)  # white -> +1
    assert not out[:, :, 240:].any()  # padding is zero
    # A line wider than the batch is squeezed to the batch width, not cut.
    assert ocr_corpus.resize_normalise(image, max_wh_ratio=2.0).shape == (3, REC_HEIGHT, 96)


def test_batches_cover_every_line_once_sorted_by_width():
    corpus = build_corpus(ocr_corpus.DEFAULT_SEED, 50)
    seen, widths = [], []
    for indices, batch in recogniser_batches(corpus, 8):
        assert batch.shape[0] == len(indices) <= 8
        assert batch.shape[1:3] == (3, REC_HEIGHT) and batch.shape[3] >= REC_MIN_WIDTH
        seen += indices
        widths.append(batch.shape[3])
    assert sorted(seen) == list(range(50))
    assert widths == sorted(widths)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        next(recogniser_batches(corpus, 0))


# -- decoding and metrics ------------------------------------------------------------------------

CHARSET = ["blank", "a", "b", "c", " "]


def _logits(sequence: list[int], classes: int = len(CHARSET)) -> np.ndarray:
    logits = np.full((len(sequence), classes), -5.0, dtype=np.float32)
    logits[np.arange(len(sequence)), sequence] = 5.0
    return logits


def test_ctc_greedy_decode_merges_repeats_and_drops_blanks():
    rows = np.stack(
        [
            _logits([1, 1, 0, 1, 2, 2, 0, 0, 4, 3]),  # a a _ a b b _ _ ' ' c -> "aab c"
            _logits([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),  # blanks only -> ""
            _logits([3, 3, 3, 3, 0, 3, 4, 4, 1, 1]),  # "cc a": a blank splits a repeat
        ]
    )
    assert ocr.ctc_greedy_decode(rows, CHARSET) == ["aab c", "", "cc a"]


def test_ctc_decode_refuses_mismatched_dictionary():
    with pytest.raises(ValueError, match="the model has 6 classes but the dictionary 5"):
        ocr.ctc_greedy_decode(np.zeros((1, 4, 6), np.float32), CHARSET)
    with pytest.raises(ValueError, match="N x T x classes"):
        ocr.ctc_greedy_decode(np.zeros((4, 5), np.float32), CHARSET)


def test_character_errors_and_score_on_known_strings():
    assert ocr.character_errors("kitten", "sitting") == 3
    assert ocr.character_errors("Order #10396", "Order#10396") == 1
    assert ocr.character_errors("abc", "") == 3
    edits, chars, exact = ocr.score(["kitten", "abc", "same"], ["sitting", "", "same"])
    assert (edits, chars, exact) == (6, 13, 1)
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        ocr.score(["a", "b"], ["a"])


def _oracle(corpus: ocr_corpus.Corpus, charset: list[str], batch_size: int, wrong: set[int]):
    """A `run` that 'reads' each line perfectly, except lines in `wrong`, read as ''."""
    index = {c: i for i, c in enumerate(charset)}
    batches = iter(recogniser_batches(corpus, batch_size))

    def run(batch: np.ndarray) -> np.ndarray:
        indices, expected = next(batches)
        assert np.array_equal(batch, expected)
        columns = batch.shape[3] // 8
        out = np.stack([_logits([0] * columns, len(charset)) for _ in indices])
        for row, line in enumerate(indices):
            if line not in wrong:
                text = corpus.lines[line].text
                # blank between symbols so doubled letters survive the merge
                seq = [s for c in text for s in (index[c], 0)]
                out[row, : len(seq)] = _logits(seq, len(charset))
        return out

    return run


def test_evaluate_scores_what_run_returns():
    corpus = build_corpus(ocr_corpus.DEFAULT_SEED, 20)
    charset = ["blank", *sorted(set("".join(corpus.texts)) - {" "}), " "]
    perfect = ocr.evaluate(_oracle(corpus, charset, 4, set()), corpus, charset, batch_size=4)
    assert (perfect.cer, perfect.line_accuracy, perfect.exact) == (0.0, 1.0, 20)
    assert perfect.predictions == tuple(corpus.texts)
    assert perfect.corpus.sha256 == corpus.sha256 and perfect.corpus.lines == 20

    wrong = {0, 5}
    result = ocr.evaluate(_oracle(corpus, charset, 4, wrong), corpus, charset, batch_size=4)
    missed = sum(len(corpus.texts[i]) for i in wrong)
    assert result.edits == missed and result.chars == corpus.chars
    assert result.cer == pytest.approx(missed / corpus.chars)
    assert result.line_accuracy == pytest.approx(18 / 20)
    assert [drawn for drawn, _ in result.mistakes(corpus.texts)] == [
        corpus.texts[0],
        corpus.texts[5],
    ]
    assert "predictions" not in result.to_dict() and result.to_dict()["corpus"]["lines"] == 20


def test_evaluate_refuses_a_run_that_loses_rows():
    corpus = build_corpus(ocr_corpus.DEFAULT_SEED, 20)
    with pytest.raises(ValueError, match="run returned 1 rows for a batch of 4"):
        ocr.evaluate(lambda b: np.zeros((1, 40, 5), np.float32), corpus, CHARSET, batch_size=4)


def test_load_charset_needs_the_dictionary(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph)
    onnx.save(model, tmp_path / "bare.onnx")
    with pytest.raises(ValueError, match="bare.onnx: no 'character' entry"):
        ocr.load_charset(tmp_path / "bare.onnx")
    helper.set_model_props(model, {"character": "x\ny\nz"})
    onnx.save(model, tmp_path / "dict.onnx")
    assert ocr.load_charset(tmp_path / "dict.onnx") == ["blank", "x", "y", "z", " "]


# -- the real recogniser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recogniser(tmp_path_factory) -> Path:
    from nnkb.kb import load_kb
    from nnkb.models.sources import materialize

    kb = load_kb(ROOT / "kb")
    return materialize(kb.models["ppocr-v4-rec"], tmp_path_factory.mktemp("models"))


@needs_rapidocr
def test_recogniser_dictionary_covers_the_corpus(recogniser):
    charset = ocr.load_charset(recogniser)
    assert len(charset) == 6625  # the model's output classes
    assert charset[0] == "blank" and charset[-1] == " "
    assert set("".join(build_corpus().texts)) <= set(charset)


# Read with ONNX Runtime FP32, one line per inference, the full corpus gives CER 4.39 %
# (1.63 % without spaces) and line accuracy 69.4 %, its first 60 lines 3.3 % and 78.3 %;
# OpenVINO f32 and OpenCV DNN read every line the same. The bounds leave about ten characters
# of room on the subset, and the rendering is pinned with Pillow. What they catch, measured on
# the same 60 lines: pixels left in 0..255 instead of -1..1 give CER 104 %, a dictionary
# shifted by one class 99.9 %, pixels in 0..1 instead of -1..1 5.1 % and line accuracy 60 %.
# (Inverted colours would pass, at 3.4 %: the model reads light-on-dark text too, and the
# corpus is grey, so colour order cannot go wrong either.)
SUBSET_LINES, SUBSET_MAX_CER, SUBSET_MIN_LINE_ACCURACY = 60, 0.045, 0.70


RUNNERS = {
    "onnxruntime": lambda path: runners.onnxruntime_run(path),
    "openvino-f32": lambda path: runners.openvino_run(path, "f32")[0],
    "opencv": lambda path: runners.opencv_run(path),
}


@needs_rapidocr
@pytest.mark.parametrize("runtime", sorted(RUNNERS))
def test_runtimes_read_a_subset(recogniser, runtime):
    corpus = build_corpus(ocr_corpus.DEFAULT_SEED, SUBSET_LINES)
    run = RUNNERS[runtime](recogniser)
    result = ocr.evaluate(run, corpus, ocr.load_charset(recogniser))
    assert result.lines == SUBSET_LINES
    assert result.cer < SUBSET_MAX_CER, result.mistakes(corpus.texts)
    assert result.line_accuracy > SUBSET_MIN_LINE_ACCURACY


@needs_rapidocr
def test_openvino_reports_the_precision_it_chose(recogniser):
    _, precision = runners.openvino_run(recogniser, "f32")
    assert precision == "f32"


@pytest.mark.slow
@needs_rapidocr
def test_onnxruntime_reads_the_full_corpus(recogniser):
    corpus = build_corpus()
    result = ocr.evaluate(runners.onnxruntime_run(recogniser), corpus, ocr.load_charset(recogniser))
    assert result.lines == 500
    assert result.cer < 0.055 and result.cer_without_spaces < 0.025
    assert result.line_accuracy > 0.63


def test_method_text_describes_this_corpus():
    text = ocr.METHOD_TEXT
    assert "synthetic" in text and f"{ocr_corpus.DEFAULT_LINES} single text" in text
    # The shares the text states are the ones the corpus cycles through.
    shares = {kind: ocr_corpus.KINDS.count(kind) for kind in set(ocr_corpus.KINDS)}
    assert len(ocr_corpus.KINDS) == 10
    assert shares == {"words": 4, "figures": 2, "mixed": 2, "codes": 2}
    assert "(four lines in ten)" in text and text.count("(two in ten)") == 3
    assert "**character error rate**" in text.lower() and "**line accuracy**" in text.lower()
