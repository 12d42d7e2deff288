"""source: url -- a pretrained file published at a URL, read from the model store only.

Neither the bench nor the site build downloads: `nnkb models fetch` (or `nnkb models add`
for a copy obtained another way) puts the file in the store, keyed by the sha256 the KB
pins (nnkb.models.store). A model whose file is not there raises NotInStore, which the bench
turns into an "unavailable" row and a one-line hint.
"""

from __future__ import annotations

from pathlib import Path

from ...kb import OnnxSpec
from ..store import ModelStore
from ._common import ModelSourceError


class NotInStore(ModelSourceError):
    """The pinned file is not in the model store (it is not an error of the KB entry)."""


def load(spec: OnnxSpec, cache_dir: Path, repo_root: Path) -> Path:
    store = ModelStore.default()
    path = store.find(spec.sha256 or "")
    if path is None:
        raise NotInStore("model file not in the store")
    return path
