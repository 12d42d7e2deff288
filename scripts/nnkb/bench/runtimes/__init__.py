"""The runtime adapters, discovered: every module in this folder that defines `ADAPTER` (or a
list `ADAPTERS`) is a runtime. Adding one is one new file here, no registration line.

Extra adapter modules (tests' crashing/hanging adapters, or a runtime under development
kept outside the package) are named in the environment variable NNKB_EXTRA_ADAPTERS,
separated by os.pathsep, as module names or paths of .py files. The parent and every worker
read it, so an extra adapter is available on both sides of the subprocess boundary.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path
from types import ModuleType

from ...codec import Settings
from .base import Adapter, Session

__all__ = [
    "EXTRA_ENV",
    "Adapter",
    "AdapterError",
    "Session",
    "label_for",
    "load_adapters",
    "reference_adapter",
]

EXTRA_ENV = "NNKB_EXTRA_ADAPTERS"
# Modules of this folder that hold shared code, not a runtime.
NOT_ADAPTERS = frozenset({"base"})


class AdapterError(Exception):
    """An adapter module that cannot be used: two adapters with one name, two references."""


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
    if hasattr(module, "ADAPTER"):
        return [module.ADAPTER]
    return []


def builtin_modules() -> list[str]:
    """The importable names of the adapter modules in this folder, sorted."""
    return sorted(
        f"{__name__}.{info.name}"
        for info in pkgutil.iter_modules(__path__)
        if info.name not in NOT_ADAPTERS and not info.name.startswith("_")
    )


def load_adapters() -> dict[str, Adapter]:
    """Every adapter by name: this folder's modules first, then NNKB_EXTRA_ADAPTERS (which may
    replace one of them under its name, as a test double)."""
    adapters: dict[str, Adapter] = {}
    found_in: dict[str, str] = {}
    for spec in builtin_modules():
        for adapter in _adapters_of(_import(spec)):
            if adapter.name in adapters:
                raise AdapterError(
                    f"adapter name '{adapter.name}' is defined by both {found_in[adapter.name]} "
                    f"and {spec}; each runtime needs its own name"
                )
            adapters[adapter.name] = adapter
            found_in[adapter.name] = spec
    extras = [s.strip() for s in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if s.strip()]
    for spec in extras:
        for adapter in _adapters_of(_import(spec)):
            adapters[adapter.name] = adapter
    return adapters


def reference_adapter(adapters: dict[str, Adapter]) -> Adapter | None:
    """The adapter whose FP32 run gives every row's reference outputs (`reference = True`),
    None when no adapter declares the role. Two adapters declaring it is an error: the rows
    of one model must all be compared with the same outputs."""
    chosen = [a for _, a in sorted(adapters.items()) if a.reference]
    if len(chosen) > 1:
        names = ", ".join(a.name for a in chosen)
        raise AdapterError(
            f"more than one adapter declares reference = True ({names}); exactly one runtime "
            "computes the FP32 reference outputs"
        )
    return chosen[0] if chosen else None


def label_for(adapters: dict[str, Adapter], runtime: str, settings: Settings) -> str:
    """How pages name a results row's runtime and settings: its adapter's label, or the
    adapter name itself for a row measured with an adapter this installation does not have
    (a results file from another machine)."""
    adapter = adapters.get(runtime)
    return adapter.label(settings) if adapter is not None else runtime
