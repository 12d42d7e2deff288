"""Row cache keys: a row is rerun exactly when something that can change its numbers does.

In the key: the model file's bytes (its sha256), the runtime and its version, the runtime
settings, the input shapes and seed, and the harness version. Not in it: anything in the
KB's prose, the machine (each machine has its own results file), the time budget.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .settings import HARNESS_VERSION


def row_key(
    model_sha256: str | None,
    runtime: str,
    runtime_version: str | None,
    settings: dict[str, Any],
    inputs: dict[str, tuple[int, ...] | list[int]],
    seed: int,
    harness_version: str = HARNESS_VERSION,
) -> str:
    payload = {
        "model_sha256": model_sha256,
        "runtime": runtime,
        "runtime_version": runtime_version,
        "settings": settings,
        "inputs": {name: list(shape) for name, shape in inputs.items()},
        "input_seed": seed,
        "harness_version": harness_version,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
