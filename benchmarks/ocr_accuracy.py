"""How well does the PP-OCRv4 recogniser read, as each runtime and precision runs it?

Builds the synthetic text-line corpus (nnkb.accuracy.ocr_corpus), reads it with the KB's
ppocr-v4-rec ONNX file through ONNX Runtime (FP32), OpenVINO with the f32 precision hint,
OpenVINO at its default precision (bf16 or f16 on CPUs with such units, otherwise f32; the
precision the plugin reports is printed) and OpenCV DNN (FP32), and prints per variant the character error
rate, the same without spaces, the line accuracy, and the wall and CPU time of the pass
(CPU time summed over the process's threads: on a busy machine it shows what the pass would
take alone, about CPU time / 2 on 2 idle cores). With
--mistakes N it also prints the first N lines each variant read wrongly.

Not a test: its wall times move with whatever else the CPU does.

    .venv/bin/python benchmarks/ocr_accuracy.py [--kb kb] [--lines 500] [--batch 8] [--mistakes 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnkb.accuracy import ocr, ocr_corpus, runners
from nnkb.kb import load_kb
from nnkb.models.sources import ModelSourceError, default_cache_dir, materialize

MODEL = "ppocr-v4-rec"


def variants(path: Path) -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    ov_f32, f32_precision = runners.openvino_run(path, "f32")
    ov_default, default_precision = runners.openvino_run(path)
    return [
        ("ONNX Runtime · FP32", runners.onnxruntime_run(path)),
        (f"OpenVINO · {f32_precision} (hint f32)", ov_f32),
        (f"OpenVINO · {default_precision} (default)", ov_default),
        ("OpenCV DNN · FP32", runners.opencv_run(path)),
    ]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=Path("kb"))
    parser.add_argument("--lines", type=int, default=ocr_corpus.DEFAULT_LINES)
    parser.add_argument("--batch", type=int, default=ocr.DEFAULT_BATCH)
    parser.add_argument("--mistakes", type=int, default=0, help="show N misread lines each")
    args = parser.parse_args()

    kb = load_kb(args.kb)
    try:
        path = materialize(kb.models[MODEL], default_cache_dir(args.kb))
    except ModelSourceError as exc:
        print(f"ocr_accuracy: {exc}", file=sys.stderr)
        return 1

    start = time.perf_counter()
    corpus = ocr_corpus.build_corpus(ocr_corpus.DEFAULT_SEED, args.lines)
    built = time.perf_counter() - start
    charset = ocr.load_charset(path)
    print(f"model: {MODEL} ({path.name}), {len(charset)} classes")
    print(
        f"corpus: {corpus.id} v{corpus.version}, seed {corpus.seed}, {len(corpus.lines)} lines, "
        f"{corpus.chars} characters, sha256 {corpus.sha256[:16]}…, {corpus.renderer}, "
        f"built in {built:.1f} s"
    )
    print(f"batch size {args.batch}; load average at start: {load_average()}")
    print()
    print("| variant | CER | CER without spaces | line accuracy | pass, wall (s) | pass, CPU (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, run in variants(path):
        cpu = time.process_time()
        result = ocr.evaluate(run, corpus, charset, args.batch)
        cpu = time.process_time() - cpu
        print(
            f"| {label} | {100 * result.cer:.2f} % | {100 * result.cer_without_spaces:.2f} % "
            f"| {100 * result.line_accuracy:.1f} % ({result.exact}/{result.lines}) "
            f"| {result.elapsed_s:.1f} | {cpu:.1f} |",
            flush=True,
        )
        for drawn, read in result.mistakes(corpus.texts)[: args.mistakes]:
            print(f"    {drawn!r} -> {read!r}")
    print(f"\nload average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
