"""What a runtime adapter provides. A new runtime is one module in this folder that defines
`ADAPTER`, plus one line in `runtimes/__init__.py`.

The parent process only calls `version()` and `settings()` (for cache keys); `load()` and
everything on the session run in the row's worker subprocess, so an adapter must not import
its runtime at module level.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import psutil

Shapes = dict[str, tuple[int, ...]]


def physical_cores() -> int:
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


class Session(ABC):
    """A loaded model. `bind` happens before timing; only `run` is timed."""

    #: inference precision the runtime reports (or is configured) to use, e.g. "f32", "bf16"
    precision: str | None = None

    @abstractmethod
    def bind(self, inputs: dict[str, np.ndarray]) -> None:
        """Hand the inputs to the runtime once; later `run` calls reuse them."""

    @abstractmethod
    def run(self) -> Any:
        """One inference on the bound inputs. Timed: do nothing else here."""

    @abstractmethod
    def outputs(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) of every output of the last `run`, as numpy copies. Not timed."""


class Adapter(ABC):
    #: adapter name used in results rows and on the command line
    name: str
    #: importable module of the runtime; `version()` is None when it cannot be imported
    module: str

    def version(self) -> str | None:
        try:
            runtime = importlib.import_module(self.module)
        except Exception:  # noqa: BLE001 - a broken install is as unavailable as a missing one
            return None
        return self.version_of(runtime)

    def version_of(self, runtime: Any) -> str | None:
        version = getattr(runtime, "__version__", None)
        return str(version) if version is not None else None

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """The runtime settings of a row: part of its cache key and recorded in it."""

    def variants(self) -> list[dict[str, Any]]:
        """Every setting the default matrix measures; one row per model and variant.

        The first is the runtime's default configuration; an adapter adds more when a
        setting changes results enough that readers need both (OpenVINO's precision)."""
        return [self.settings()]

    @abstractmethod
    def load(self, path: Path, settings: dict[str, Any], shapes: Shapes) -> Session:
        """Create a session for the ONNX file at `path` (timed as session creation)."""
