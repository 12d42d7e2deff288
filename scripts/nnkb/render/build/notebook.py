"""The site's notebooks, executed once per change of what they read, not at every build.

A notebook's executed copy is kept as `<cache>/<key>.ipynb`, where the key hashes everything
its output depends on: the notebook's own source, every file of the knowledge base (the
results files included), the nnkb package's source, the Python version and the installed
packages with their versions. A build whose key already has a copy reuses it; mkdocs-jupyter
renders that copy without executing it (mkdocs.yml: execute: false). The copy is written
atomically, outside docs/, so `mkdocs serve` does not see its own output and rebuild.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .buildcache import inputs_key

# Bumped when the way a notebook is executed changes (kernel, timeout, environment).
EXECUTION_VERSION = "1"
CELL_TIMEOUT_S = 600
KERNEL = "python3"


class NotebookError(Exception):
    """A notebook failed to execute (a cell raised, timed out, or the kernel died)."""


Runner = Callable[[Path, Path, Path], None]  # (source, executed copy to write, kb root)


def notebook_key(source: Path, kb_root: Path, environment: str | None = None) -> str:
    """The hash of everything the executed notebook depends on (see the module docstring)."""
    return inputs_key(
        kb_root,
        f"notebook execution {EXECUTION_VERSION} kernel {KERNEL}",
        Path(source).read_bytes(),
        environment=environment,
    )


def run_notebook(source: Path, target: Path, kb_root: Path) -> None:
    """Execute `source` with nbclient in its own folder, against `kb_root`, into `target`."""
    import nbclient
    import nbformat
    from nbclient.exceptions import CellControlSignal, DeadKernelError

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
    except (CellControlSignal, DeadKernelError, TimeoutError, RuntimeError) as exc:
        # CellExecutionError's text names the cell and shows its traceback.
        raise NotebookError(str(exc)) from None
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
