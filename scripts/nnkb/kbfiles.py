"""The one list of a KB folder's files: what `nnkb validate`, the KB loader, the results
reader, the cited loader and the site build read, all of them through `kb_files`.

- A file or folder whose name starts with "." is never read: `.gitkeep`, `.DS_Store`, an
  editor's `.x.yaml.swp`. One that looks like an entry or results file (`.x.yaml`,
  `.m.json`) is a problem `nnkb validate` reports (`hidden_problem`): it would not be
  published, which its author did not mean.
- Otherwise a file is read when its suffix is its folder's (`.yaml`/`.yml` in the collection
  folders and cited/, `.json` in results/); anything else (an editor backup `x.yaml~` or
  `#x.yaml#`, `x.yaml.orig`, `notes.txt`) is not read, and validate reports it.
- A folder that is a symlink is not entered: `symlinked_folder` says why.
"""

from __future__ import annotations

from pathlib import Path

from .yamlsafe import symlinked_folder

RESULTS = "results"
ENTRY_SUFFIXES = (".yaml", ".yml")
RESULTS_SUFFIXES = (".json",)
_KB_SUFFIXES = (*ENTRY_SUFFIXES, *RESULTS_SUFFIXES)


class LayoutError(Exception):
    """A KB folder cannot be listed (a symlinked folder); the message says why."""


def suffixes(folder: str) -> tuple[str, ...]:
    return RESULTS_SUFFIXES if folder == RESULTS else ENTRY_SUFFIXES


def is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def hidden_problem(path: Path) -> str | None:
    """Why a hidden file in a KB folder is a problem (it looks like an entry), else None."""
    if not is_hidden(path):
        return None
    stem = path.name.lstrip(".")
    if Path(stem).suffix not in _KB_SUFFIXES:
        return None
    return (
        f"hidden file '{path.name}' is never read (names starting with '.' are left out of "
        f"the KB and the site); rename it to '{stem}' or delete it"
    )


def kb_files(root: Path, folder: str) -> list[Path]:
    """The files of `root/folder` that are read, sorted; [] when the folder does not exist.
    LayoutError when the folder is a symlink."""
    base = Path(root) / folder
    problem = symlinked_folder(base)
    if problem:
        raise LayoutError(problem)
    if not base.is_dir():
        return []
    wanted = suffixes(folder)
    return sorted(p for p in base.iterdir() if not is_hidden(p) and p.suffix in wanted)
