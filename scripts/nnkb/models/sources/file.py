"""source: file -- a file in this repository (path relative to the repository root) or absolute."""

from __future__ import annotations

from pathlib import Path

from ...kb import OnnxSpec
from ._common import ModelSourceError, check_sha256


def load(spec: OnnxSpec, cache_dir: Path) -> Path:
    path = Path(spec.path or "")
    if not path.is_absolute():
        # Commands run from the repository root, as the Makefile does.
        path = Path.cwd() / path
    if not path.is_file():
        raise ModelSourceError(f"onnx.path: no file at {path}")
    check_sha256(path, spec.sha256 or "")
    return path
