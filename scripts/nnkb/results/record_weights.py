"""Record which weights the stored rows measured, in place, from the KB they were measured
with:

    python -m nnkb.results.record_weights --kb kb kb/results/*.json

A row without `weights` gets "random" when its model is a builtin graph in the KB (seeded
random weights: an architecture-only measurement) and "pretrained" when its model file's
sha256 is the one the KB pins for a published file. Any other row is left without it (its
weights stay unknown, and the analysis never lets such a row judge a precision). Run it
before a model's source changes from builtin to a published file, so the rows measured on
random weights keep saying so. Every measurement and key is kept.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ..kb import KBError, load_kb
from .io import ResultsError, read, write_atomic
from .model import ResultsFile, Row


def weights_of(row: Row, kb_models: dict) -> str | None:
    model = kb_models.get(row.model)
    spec = model.onnx if model is not None else None
    if spec is None:
        return None
    if spec.source == "builtin":
        return spec.weights
    return spec.weights if row.model_sha256 and row.model_sha256 == spec.sha256 else None


def record(results: ResultsFile, kb_models: dict) -> ResultsFile:
    rows = [
        row if row.weights is not None else replace(row, weights=weights_of(row, kb_models))
        for row in results.rows
    ]
    return replace(results, rows=rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nnkb.results.record_weights", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--kb", type=Path, default=Path("kb"))
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    try:
        models = load_kb(args.kb).models
    except KBError as exc:
        print(f"nnkb.results.record_weights: {exc}", file=sys.stderr)
        return 1
    status = 0
    for path in args.files:
        try:
            before = read(path)
            after = record(before, models)
            if after != before:
                write_atomic(path, after)
        except ResultsError as exc:
            print(f"nnkb.results.record_weights: {exc}", file=sys.stderr)
            status = 1
            continue
        counts = {w: sum(r.weights == w for r in after.rows) for w in ("pretrained", "random")}
        print(f"{path}: {counts['pretrained']} pretrained, {counts['random']} random rows")
    return status


if __name__ == "__main__":
    sys.exit(main())
