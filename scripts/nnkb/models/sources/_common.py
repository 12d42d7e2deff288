"""What every model source shares: the error type, sha256 checks and atomic writes."""

from __future__ import annotations

from pathlib import Path

from ..files import FILE_MODE, sha256_file, write_atomic

__all__ = [
    "FILE_MODE",
    "ModelSourceError",
    "check_sha256",
    "os_problem",
    "sha256_file",
    "write_atomic",
]


class ModelSourceError(Exception):
    """A model's ONNX file cannot be had or is not the one the KB pins."""


def check_sha256(path: Path, expected: str, name: str) -> None:
    """Refuse a file whose sha256 is not the pinned one. `name` says which file in words that
    may be published ("file models/x.onnx"): the message carries neither the local path nor
    the file's real hash, which would disclose a file of the machine beside a wrong pin."""
    if sha256_file(path) != expected:
        raise ModelSourceError(f"onnx.sha256: {name} does not match its sha256 pin")


def os_problem(exc: OSError, folders: dict[str, Path]) -> str:
    """An OSError in words that may be published: its cause, and the file named relative to
    one of `folders` (label -> folder) or by its name alone, never by its absolute path."""
    cause = exc.strerror or type(exc).__name__
    if not exc.filename:
        return cause
    path = Path(str(exc.filename))
    for label, folder in folders.items():
        try:
            return f"{cause}: {label} {path.resolve().relative_to(folder.resolve())}"
        except ValueError:
            continue
    return f"{cause}: {path.name}"
