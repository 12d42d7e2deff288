"""Content keys and an atomic on-disk cache for what a site build computes from its inputs.

A key hashes every file of the knowledge base (results files included), the nnkb package's
source, the Python version and the installed packages with their versions, plus whatever
else the caller names; an entry is stored under its key, so a changed input is a new key and
never a stale hit. Writes go to a temp file in the same folder and are renamed into place.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import nnkb

# Bumped when what is stored under a key changes shape.
CACHE_VERSION = "1"


def _files(folder: Path) -> Iterable[Path]:
    # Dot files are lock files and editors' swap files, and Python writes bytecode whenever it
    # first imports a module: none of them is content.
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (
            path.is_file()
            and path.suffix != ".pyc"
            and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
        ):
            yield path


def hash_tree(hasher: Any, label: str, folder: Path) -> None:
    """Add every file under `folder` (its relative path and content) to `hasher`."""
    for path in _files(folder):
        hasher.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
        hasher.update(hashlib.sha256(path.read_bytes()).digest())


@functools.cache
def environment_fingerprint() -> str:
    """Python's version and every installed distribution with its version, one line each."""
    dists = {f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()}
    return "\n".join([sys.version, *sorted(dists)])


def inputs_key(kb_root: Path, *parts: str | bytes, environment: str | None = None) -> str:
    """The hash of the KB folder (and its path), nnkb's source, the environment and `parts`."""
    hasher = hashlib.sha256(f"nnkb build cache {CACHE_VERSION}\0".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(f"{len(data)}\0".encode())
        hasher.update(data)
    # The KB's path is part of it: a copy of the KB elsewhere is another build.
    hasher.update(f"\0kb {Path(kb_root).resolve()}\0".encode())
    hash_tree(hasher, "kb", Path(kb_root))
    hash_tree(hasher, "nnkb", Path(nnkb.__file__).parent)
    hasher.update((environment if environment is not None else environment_fingerprint()).encode())
    return hasher.hexdigest()


def atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load(folder: Path, key: str) -> Any | None:
    """The object stored under `key`, or None (also for an unreadable entry: it is rebuilt)."""
    path = folder / f"{key}.pickle"
    try:
        with path.open("rb") as stream:
            return pickle.load(stream)
    except FileNotFoundError:
        return None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        # a truncated or foreign entry is a miss, not an error
        return None


def store(folder: Path, key: str, value: Any) -> None:
    """Store `value` under `key` and drop the folder's other entries (one build's worth)."""
    atomic_write(folder / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    for old in folder.glob("*.pickle"):
        if old.stem != key:
            old.unlink(missing_ok=True)
