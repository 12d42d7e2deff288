"""source: file -- a file inside this repository, its path relative to the repository root.

The repository root is the folder that holds the KB folder, whatever the current directory.
A path may not leave it, neither by `..` nor through a symlink, and absolute paths are
refused: a KB entry names a file of the project, never one of the machine that runs it.
"""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from ...kb import OnnxSpec
from ._common import ModelSourceError, check_sha256


def repository_root(kb_root: Path) -> Path:
    """The folder `file` paths are relative to: the one that holds the KB folder."""
    return Path(kb_root).resolve().parent


def path_problem(kb_root: Path, value: str) -> str | None:
    """Why `value` cannot be the `onnx.path` of a `file` source in the KB at `kb_root`, as a
    message starting with the field name; None when it is a relative path that stays inside
    the repository. Whether the file exists is not checked here (the bench reports that)."""
    return _problem(repository_root(kb_root), str(value))


def _problem(root: Path, text: str) -> str | None:
    if not text.strip():
        return "onnx.path: empty; expected a path relative to the repository root"
    if "\0" in text:
        return "onnx.path: contains a NUL character"
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).anchor:
        # The value itself is left out: it would print a path of the author's machine.
        return (
            "onnx.path: an absolute path is not allowed; expected a path relative to the "
            "repository root (the folder that holds the KB folder)"
        )
    root = root.resolve()
    if not (root / text).resolve().is_relative_to(root):
        return (
            f"onnx.path: '{text}' leads outside the repository (after resolving '..' and "
            "symlinks); model files must be inside the repository"
        )
    return None


def locate(spec: OnnxSpec, repo_root: Path) -> Path:
    """The resolved path of the source's file, checked to be a regular file inside the
    repository. Messages name the path as written (relative), never the resolved one."""
    value = spec.path or ""
    problem = _problem(repo_root, value)
    if problem:
        raise ModelSourceError(problem)
    path = (repo_root.resolve() / value).resolve()
    try:
        mode = path.stat().st_mode
    except OSError:
        raise ModelSourceError(
            f"onnx.path: no file at {value} (relative to the repository root)"
        ) from None
    if not stat.S_ISREG(mode):
        raise ModelSourceError(f"onnx.path: {value} is not a regular file")
    return path


def load(spec: OnnxSpec, cache_dir: Path, repo_root: Path) -> Path:
    path = locate(spec, repo_root)
    check_sha256(path, spec.sha256 or "", f"file {PurePosixPath(spec.path or '')}")
    return path
