"""One loader per model source; `materialize` gives a verified ONNX file for a KB model.

A loader is `load(spec, cache_dir, repo_root) -> Path` in its own module. Adding a source is
one module plus one line in LOADERS (and the source's name in schemas/model.schema.json).

Every error is a ModelSourceError whose message may be published in a results row: it names
the KB file relative to the repository root and never an absolute path of this machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import onnx

from ...kb import Model, OnnxSpec
from ..convert import ConversionError, converted
from . import builtin, file, package, url
from ._common import ModelSourceError, os_problem, sha256_file, write_atomic
from .url import NotInStore

LOADERS: dict[str, Callable[[OnnxSpec, Path, Path], Path]] = {
    "builtin": builtin.load,
    "package": package.load,
    "file": file.load,
    "url": url.load,
}


def default_cache_dir(kb_root: Path) -> Path:
    """Where built and downloaded models are kept: $NNKB_CACHE/models, else .cache/nnkb/models
    beside the KB folder (the same place `nnkb bench` uses)."""
    env = os.environ.get("NNKB_CACHE")
    return (Path(env) if env else Path(kb_root).resolve().parent / ".cache" / "nnkb") / "models"


def _kb_root(model: Model) -> Path:
    """The KB folder of a model entry (<kb>/models/<id>.yaml)."""
    return Path(model.path).resolve().parent.parent


def materialize(model: Model, cache_dir: Path) -> Path:
    """Return the path of the model's ONNX file, built, located or downloaded, and verified.

    `file` paths resolve against the repository root (the folder that holds the model's KB
    folder). Raises ModelSourceError naming the KB file and what went wrong.
    """
    repo_root = file.repository_root(_kb_root(model))
    try:
        shown = Path(model.path).resolve().relative_to(repo_root).as_posix()
    except ValueError:
        shown = Path(model.path).name
    where = f"{shown}: model {model.id}"
    spec = model.onnx
    if spec is None:
        raise ModelSourceError(f"{where}: has no ONNX file (onnx: null)")
    loader = LOADERS.get(spec.source)
    if loader is None:
        raise ModelSourceError(
            f"{where}: onnx.source: unknown source {spec.source!r}; known: {', '.join(LOADERS)}"
        )
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        path = loader(spec, Path(cache_dir), repo_root)
        if spec.convert:
            try:
                path = converted(path, spec.convert, Path(cache_dir))
            except (ConversionError, onnx.checker.ValidationError) as exc:
                raise ModelSourceError(f"onnx.convert: {exc}") from None
        return path
    except ModelSourceError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    except OSError as exc:
        folders = {"model cache": Path(cache_dir), "repository file": repo_root}
        raise ModelSourceError(f"{where}: {os_problem(exc, folders)}") from None


__all__ = [
    "LOADERS",
    "ModelSourceError",
    "NotInStore",
    "default_cache_dir",
    "materialize",
    "sha256_file",
    "write_atomic",
]
