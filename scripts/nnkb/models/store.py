"""The model store: pretrained ONNX files kept by their sha256, shared by every checkout.

A KB model with a `url` source names its file by URL, sha256 and size. The bench and the site
build read such a file only from the store, never from the network; `nnkb models fetch` puts
files there by downloading them (downloads.py), `nnkb models add` by importing a copy
obtained some other way (a mirror, an offline machine, a colleague), in both cases only after
their sha256 is the one the KB pins. A file is stored as `sha256/<hex>.onnx`: the same bytes
are stored once, whatever model or URL names them, and a new pin is a new file.

Where: $NNKB_MODEL_STORE, else the user's cache folder (platformdirs: ~/.cache/nnkb/models on
Linux, ~/Library/Caches/nnkb/models on macOS, %LOCALAPPDATA%\\nnkb\\Cache\\models on
Windows), so that a second clone of the project reuses what the first fetched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .files import FILE_MODE, sha256_file, write_atomic

STORE_ENV = "NNKB_MODEL_STORE"


def default_store_dir() -> Path:
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("nnkb", appauthor=False)) / "models"


@dataclass(frozen=True)
class ModelStore:
    root: Path

    @classmethod
    def default(cls) -> ModelStore:
        return cls(default_store_dir())

    def path_for(self, sha256: str) -> Path:
        return self.root / "sha256" / f"{sha256}.onnx"

    def partial_for(self, sha256: str) -> Path:
        """Where a download in progress keeps its bytes (a later fetch resumes from it)."""
        return self.root / "partial" / f"{sha256}.part"

    def find(self, sha256: str) -> Path | None:
        """The stored file with this sha256, or None. A file whose bytes no longer hash to
        its name (a damaged disk, a hand edit) is removed and not returned."""
        path = self.path_for(sha256)
        if not path.is_file():
            return None
        if sha256_file(path) != sha256:
            path.unlink(missing_ok=True)
            return None
        return path

    def put(self, source: Path, sha256: str) -> Path:
        """Copy `source` into the store under `sha256` (which the caller has checked),
        atomically: a reader sees the whole file or none."""
        path = self.path_for(sha256)
        write_atomic(path, source)
        return path

    def adopt(self, partial: Path, sha256: str) -> Path:
        """Move a finished, verified download into place (same filesystem: a rename)."""
        path = self.path_for(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
        return path
