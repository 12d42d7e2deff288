"""The adapter registry: one line per runtime.

Extra adapter modules (tests' crashing/hanging adapters, or a runtime under development)
are named in the environment variable NNKB_EXTRA_ADAPTERS, separated by os.pathsep, as
module names or paths of .py files. The parent and every worker read it, so an extra
adapter is available on both sides of the subprocess boundary.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType

from .base import Adapter, Session

__all__ = ["ADAPTER_MODULES", "EXTRA_ENV", "Adapter", "Session", "load_adapters"]

ADAPTER_MODULES: dict[str, str] = {
    "onnxruntime": "nnkb.bench.runtimes.onnxruntime",
    "openvino": "nnkb.bench.runtimes.openvino",
    "opencv": "nnkb.bench.runtimes.opencv",
}

EXTRA_ENV = "NNKB_EXTRA_ADAPTERS"


def _import(spec: str) -> ModuleType:
    if spec.endswith(".py"):
        path = Path(spec)
        module_spec = importlib.util.spec_from_file_location(f"nnkb_extra_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"{EXTRA_ENV}: cannot import {spec}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def _adapters_of(module: ModuleType) -> list[Adapter]:
    if hasattr(module, "ADAPTERS"):
        return list(module.ADAPTERS)
    return [module.ADAPTER]


def load_adapters() -> dict[str, Adapter]:
    """Every registered adapter by name, built-in ones first, then NNKB_EXTRA_ADAPTERS."""
    adapters: dict[str, Adapter] = {}
    specs = list(ADAPTER_MODULES.values())
    specs += [s for s in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if s.strip()]
    for spec in specs:
        for adapter in _adapters_of(_import(spec.strip())):
            adapters[adapter.name] = adapter
    return adapters
