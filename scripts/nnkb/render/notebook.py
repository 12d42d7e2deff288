"""The site's notebooks, executed once per change of what they read, not at every build.

A notebook's executed copy is kept as `<cache>/<key>.ipynb`, where the key hashes everything
its output depends on: the notebook's own source, every file of the knowledge base (the
results files included), the nnkb package's source, the Python version and the installed
packages with their versions. A build whose key already has a copy reuses it; mkdocs-jupyter
renders that copy without executing it (mkdocs.yml: execute: false). The copy is written
atomically, outside docs/, so `mkdocs serve` does not see its own output and rebuild.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

import nnkb

# Bumped when the way a notebook is executed changes (kernel, timeout, environment).
EXECUTION_VERSION = "1"
CELL_TIMEOUT_S = 600
KERNEL = "python3"

Runner = Callable[[Path, Path, Path], None]  # (source, executed copy to write, kb root)


def _files(folder: Path) -> Iterable[Path]:
    # Dot files are lock files and editors' swap files, not content.
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            yield path


def _hash_tree(hasher: hashlib._Hash, label: str, folder: Path) -> None:
    for path in _files(folder):
        hasher.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
        hasher.update(hashlib.sha256(path.read_bytes()).digest())


def environment_fingerprint() -> str:
    """Python's version and every installed distribution with its version, one line each."""
    dists = sorted(
        {f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()}
    )
    return "\n".join([sys.version, *dists])


def notebook_key(source: Path, kb_root: Path, environment: str | None = None) -> str:
    """The hash of everything the executed notebook depends on (see the module docstring)."""
    hasher = hashlib.sha256()
    hasher.update(f"execution {EXECUTION_VERSION} kernel {KERNEL}\0".encode())
    hasher.update(Path(source).read_bytes())
    # The KB's path is part of it too: a copy of the KB elsewhere is another build.
    hasher.update(f"\0kb {Path(kb_root).resolve()}\0".encode())
    _hash_tree(hasher, "kb", Path(kb_root))
    _hash_tree(hasher, "nnkb", Path(nnkb.__file__).parent)
    hasher.update((environment if environment is not None else environment_fingerprint()).encode())
    return hasher.hexdigest()


def run_notebook(source: Path, target: Path, kb_root: Path) -> None:
    """Execute `source` with nbclient in its own folder, against `kb_root`, into `target`."""
    import nbclient
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL,
        allow_errors=False,
        resources={"metadata": {"path": str(Path(source).parent)}},
    )
    previous = os.environ.get("NNKB_KB")
    os.environ["NNKB_KB"] = str(kb_root)  # the kernel inherits the environment
    try:
        client.execute()
    finally:
        if previous is None:
            os.environ.pop("NNKB_KB", None)
        else:
            os.environ["NNKB_KB"] = previous
    nbformat.write(notebook, target)


def executed_notebook(
    source: Path,
    kb_root: Path,
    cache_dir: Path,
    runner: Runner = run_notebook,
    environment: str | None = None,
) -> tuple[Path, bool]:
    """The executed copy of `source` for the current inputs, and whether it was executed now.

    Executes only when no copy has the current key; a copy is written to a temp file in the
    cache folder and renamed into place, so a failed or interrupted run leaves nothing behind.
    Copies of the same notebook under older keys are removed once the new one is in place.
    """
    key = notebook_key(source, kb_root, environment)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{key}.ipynb"
    if target.is_file():
        return target, False
    fd, tmp_name = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".ipynb", dir=cache_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        runner(Path(source), tmp, Path(kb_root))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker = cache_dir / f"{Path(source).stem}.key"
    if marker.is_file():
        old = marker.read_text(encoding="utf-8").strip()
        if old != key:
            (cache_dir / f"{old}.ipynb").unlink(missing_ok=True)
    marker_tmp = marker.with_name(f".{marker.name}.tmp")
    marker_tmp.write_text(key + "\n", encoding="utf-8")
    os.replace(marker_tmp, marker)
    return target, True
