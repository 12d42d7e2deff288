"""source: package -- a file shipped inside an installed Python package.

The package is located with importlib.util.find_spec rather than importlib.resources.files,
because the latter imports the package: packages installed only for their data (with
--no-deps, see requirements-models.txt) may fail to import, and only the file is needed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ...kb import OnnxSpec
from ._common import ModelSourceError, check_sha256


def _package_dirs(import_name: str) -> list[Path]:
    top, *rest = import_name.split(".")
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        return []
    return [Path(location).joinpath(*rest) for location in found.submodule_search_locations]


def load(spec: OnnxSpec, cache_dir: Path, repo_root: Path) -> Path:
    dirs = _package_dirs(spec.import_name or "")
    if not dirs:
        raise ModelSourceError(
            f"onnx.package: Python package {spec.import_name!r} is not installed; install the "
            f"distribution {spec.package!r} (pinned in requirements-models.txt, installed "
            f"with --no-deps)"
        )
    for folder in dirs:
        path = (folder / (spec.resource or "")).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise ModelSourceError(f"onnx.resource: {spec.resource!r} points outside the package")
        if path.is_file():
            check_sha256(path, spec.sha256 or "", f"file {spec.resource} of package {spec.package}")
            return path
    # The folders looked in are left out: they are absolute paths of this machine.
    raise ModelSourceError(
        f"onnx.resource: package {spec.import_name!r} has no file {spec.resource!r} "
        f"(distribution {spec.package!r}, pinned in requirements-models.txt)"
    )
