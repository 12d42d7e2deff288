"""Row cache keys, and the one rule that says whether a stored row is current.

A row is rerun exactly when something that can change its numbers does. In the key: the
model id and its file's bytes (sha256), the runtime and its version, the runtime settings,
the input shapes and seed, and the harness version; for a variant that runs a quantised derived
file, that file's key (source bytes, quantiser name, version and recipe, calibration set).
Not in it: anything in the KB's prose,
the machine (each machine has its own results file), the time budget.

The model id is in the key so that two models with the same file bytes, or two models whose
file could not be had (no sha256), each keep their own row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..codec import Json, Settings
from ..results import Identity, Row
from .settings import HARNESS_VERSION


def row_key(
    model_id: str,
    model_sha256: str | None,
    runtime: str,
    runtime_version: str | None,
    settings: Settings,
    inputs: Mapping[str, tuple[int, ...] | list[int]],
    seed: int,
    harness_version: str | None = HARNESS_VERSION,
    derived_key: str | None = None,
    preprocess: Mapping[str, Any] | None = None,
    postprocess: str | None = None,
) -> str:
    payload: Json = {
        "model": model_id,
        "model_sha256": model_sha256,
        "runtime": runtime,
        "runtime_version": runtime_version,
        "settings": settings,
        "inputs": {name: list(shape) for name, shape in inputs.items()},
        "input_seed": seed,
        "harness_version": harness_version,
    }
    if derived_key is not None:  # a quantised derived file: its own key, as its bytes
        payload["derived_key"] = derived_key
    if preprocess:  # natural quality inputs: a new preprocessing measures the row again
        payload["preprocess"] = preprocess
    if postprocess:  # a detector's decoding: box agreement is part of the row
        payload["postprocess"] = postprocess
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def current_row(
    stored: Mapping[Identity, Row], identity: Identity, key: str, model_sha256: str | None
) -> Row | None:
    """The stored row at `identity` if it is current: same key, and the model file was had.

    The one rule the planner (cached or not) and the runner (which row to verify) share. A
    row whose model file could not be had is never current: the cause (a download, a
    missing package) may be gone next time.
    """
    row = stored.get(identity)
    if row is None or model_sha256 is None or row.key != key:
        return None
    return row


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
