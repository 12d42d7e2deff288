"""source: builtin -- the architecture built in code from its seed (nnkb.models.builtin)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ...kb import OnnxSpec
from ..builtin import BUILDERS
from ._common import ModelSourceError, sha256_file, write_atomic


def load(spec: OnnxSpec, cache_dir: Path) -> Path:
    builder = BUILDERS.get(spec.builder or "")
    if builder is None:
        raise ModelSourceError(
            f"onnx.builder: unknown builder {spec.builder!r}; known: {', '.join(sorted(BUILDERS))}"
        )
    data = builder(int(spec.seed or 0)).SerializeToString()
    digest = hashlib.sha256(data).hexdigest()
    if spec.sha256 and spec.sha256 != digest:
        raise ModelSourceError(
            f"onnx.sha256: builder {spec.builder} with seed {spec.seed} now gives sha256 "
            f"{digest}, expected {spec.sha256}"
        )
    # Named by content: a changed builder gets a new file instead of reusing a stale one.
    path = cache_dir / "builtin" / f"{spec.builder}-seed{spec.seed}-{digest[:16]}.onnx"
    if not (path.is_file() and sha256_file(path) == digest):
        write_atomic(path, data)
    return path
