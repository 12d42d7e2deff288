"""source: builtin -- the architecture built in code from its seed (nnkb.models.builtin)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy
import onnx

from ...kb import OnnxSpec
from .. import builtin as builtin_package
from ..builtin import BUILDERS
from ._common import ModelSourceError, sha256_file, write_atomic


@cache
def _code_digest() -> str:
    """Hash of everything a build depends on: the builder code, onnx and numpy versions."""
    digest = hashlib.sha256(f"onnx {onnx.__version__} numpy {numpy.__version__}".encode())
    for source in sorted(Path(builtin_package.__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _recipe_path(spec: OnnxSpec, cache_dir: Path) -> Path:
    recipe = hashlib.sha256(f"{spec.builder}\0{spec.seed}\0{_code_digest()}".encode())
    return cache_dir / "builtin" / "recipes" / f"{recipe.hexdigest()[:32]}.json"


def _cached(spec: OnnxSpec, cache_dir: Path) -> Path | None:
    """The file a previous build with the same code and seed wrote, if it is still intact.

    Building R(2+1)D-18 takes about a second; a cached `nnkb bench` should not pay that."""
    try:
        recipe = json.loads(_recipe_path(spec, cache_dir).read_text())
    except (OSError, ValueError):
        return None
    path = cache_dir / "builtin" / recipe.get("file", "")
    if path.is_file() and path.stat().st_size == recipe.get("bytes"):
        return path
    return None


def load(spec: OnnxSpec, cache_dir: Path, repo_root: Path) -> Path:
    builder = BUILDERS.get(spec.builder or "")
    if builder is None:
        raise ModelSourceError(
            f"onnx.builder: unknown builder {spec.builder!r}; known: {', '.join(sorted(BUILDERS))}"
        )
    path = _cached(spec, cache_dir)
    if path is not None and not spec.sha256:
        return path
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
    recipe = {"builder": spec.builder, "seed": spec.seed, "file": path.name, "bytes": len(data)}
    write_atomic(_recipe_path(spec, cache_dir), json.dumps(recipe, sort_keys=True).encode())
    return path
