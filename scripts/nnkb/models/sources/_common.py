"""What every model source shares: the error type, sha256 checks and atomic writes."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20
# mkstemp creates files readable by the owner only; cached models are ordinary files.
FILE_MODE = 0o644


class ModelSourceError(Exception):
    """A model's ONNX file cannot be had or is not the one the KB pins."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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


def write_atomic(path: Path, data: bytes | Path) -> None:
    """Write bytes (or copy a file) via a temporary file in the same folder and rename, so
    readers never see a half-written model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, Path):
                with open(data, "rb") as source:
                    shutil.copyfileobj(source, handle, _CHUNK)
            else:
                handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
