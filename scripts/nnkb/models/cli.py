"""`nnkb model ID [--out FILE] [--kb DIR]`: get a KB model's ONNX file and print its statistics."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..kb import KBError, Model, load_kb
from .graphstats import GraphStats, GraphStatsError, graph_stats
from .sources import (
    ModelSourceError,
    NotInStore,
    default_cache_dir,
    materialize,
    sha256_file,
    write_atomic,
)


def _fail(message: str) -> int:
    print(f"nnkb model: {message}", file=sys.stderr)
    return 1


def _shape(shape: tuple) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _versus(measured: int, cited, scale: float, unit: str) -> str:
    if cited is None:
        return ""
    return (
        f"  (published {cited.value / scale:,.3f} {unit}, ratio {measured / cited.value:.4f};"
        f" {cited.source.title})"
    )


def format_report(model: Model, path: Path, stats: GraphStats) -> str:
    lines = [
        f"model       {model.id}  ({model.path})",
        f"file        {path}",
        f"bytes       {stats.file_bytes:,}",
        f"sha256      {sha256_file(path)}",
        f"opset       {stats.opset}",
    ]
    lines += [f"input       {i.name}: {i.dtype} {_shape(i.shape)}" for i in stats.inputs]
    lines += [f"output      {o.name}: {o.dtype} {_shape(o.shape)}" for o in stats.outputs]
    lines.append(
        f"parameters  {stats.parameters:,}"
        + _versus(stats.parameters, model.published_parameters, 1e6, "M")
    )
    lines.append(
        f"MACs        {stats.macs / 1e9:,.3f} G"
        + _versus(stats.macs, model.published_macs, 1e9, "G")
    )
    if stats.uncounted:
        lines.append(f"not counted {', '.join(stats.uncounted)} (shapes unknown)")
    ops = ", ".join(f"{op} {n}" for op, n in stats.op_histogram.items())
    lines.append(f"operators   {sum(stats.op_histogram.values())}: {ops}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    kb_dir = Path(args.kb)
    if not (kb_dir / "models").is_dir():
        return _fail(f"{kb_dir}: no models/ folder; expected a knowledge base folder (--kb DIR)")
    try:
        kb = load_kb(kb_dir)
    except KBError as exc:
        return _fail(f"{exc} (run `nnkb validate` for every problem)")
    model = kb.models.get(args.id)
    if model is None:
        close = difflib.get_close_matches(args.id, list(kb.models), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        known = ", ".join(sorted(kb.models)) or "none"
        return _fail(f"unknown model id {args.id!r} in {kb_dir}/models; {hint}known ids: {known}")
    if model.onnx is None:
        reason = model.not_benchmarked_reason or "no reason given"
        return _fail(f"{model.path}: model {model.id} has no ONNX file (onnx: null): {reason}")
    try:
        path = materialize(model, default_cache_dir(kb_dir))
        stats = graph_stats(path, model.onnx.inputs)
    except NotInStore as exc:
        return _fail(f"{exc}; get it with: nnkb models fetch {model.id} (or nnkb models add FILE)")
    except ModelSourceError as exc:
        return _fail(str(exc))
    except GraphStatsError as exc:
        return _fail(f"{model.path}: model {model.id}: {exc}")
    if args.out:
        try:
            write_atomic(Path(args.out), path)
        except OSError as exc:
            return _fail(f"--out {args.out}: {exc}")
        path = Path(args.out)
    print(format_report(model, path, stats))
    return 0
