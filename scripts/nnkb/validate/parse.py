"""Parse stage of `nnkb validate`: find the KB's files and load each one with positions.

Layout rules:
- The KB folder holds the four collection folders (use_cases/, models/, frameworks/, hardware/)
  and results/. Any other folder is a problem: the schemas live in scripts/nnkb/schemas/, not
  in the KB. Other files at the top (README.md) are allowed, except .yaml/.yml/.json files,
  which belong in a collection or in results/.
- A collection folder holds only `<id>.yaml` files; results/ holds only `<machine-id>.json`.
- Which files are read is `nnkb.kbfiles.kb_files`, the list every reader uses: names
  starting with "." are never read (a hidden `.x.yaml` is reported), nor are names without
  the folder's suffix (editor backups, reported).
- Only regular files inside the KB are read: a collection folder that is a symlink is not
  entered, and yamlsafe refuses an entry or results file that is a symlink, a folder, a FIFO
  or a device without opening it.

Files are read by yamlsafe, which refuses anything that is not clean data with its position;
a file that cannot be loaded is one problem, and the checks skip it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..kb import COLLECTIONS
from ..kbfiles import LayoutError, hidden_problem, is_hidden, kb_files
from ..yamlsafe import LoadedYaml, Mark, Pointer, YamlProblem
from .wording import suggest

RESULTS = "results"
CITED = "cited"  # published figures (nnkb.cited), checked by their own module
KB_FOLDERS = (*COLLECTIONS, RESULTS, CITED)

#: How a stage records a problem: (file, position, field pointer, message).
Add = Callable[[Path, Mark, Pointer, str], None]


@dataclass
class KBFiles:
    """The files the checks look at: entry files per collection, and results files."""

    entries: dict[str, list[Path]] = field(default_factory=dict)
    results: list[Path] = field(default_factory=list)
    cited: list[Path] = field(default_factory=list)


def find_files(root: Path, add: Add) -> KBFiles:
    """The KB's entry and results files; every layout problem on the way goes to `add`."""
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and child.name not in KB_FOLDERS:
            hint = suggest(child.name, list(KB_FOLDERS))
            add(
                child,
                Mark(1, 1),
                (),
                f"unknown folder '{child.name}/' in the KB{hint}; "
                f"expected only {', '.join(f'{f}/' for f in KB_FOLDERS)}",
            )
        elif not child.is_dir() and child.suffix in (".yaml", ".yml", ".json"):
            add(
                child,
                Mark(1, 1),
                (),
                f"'{child.name}' is outside the collection folders; "
                "entries go in <collection>/<id>.yaml, results in results/<machine-id>.json",
            )
    files = KBFiles()
    for collection in COLLECTIONS:
        files.entries[collection] = _folder_files(root, collection, "<id>.yaml", add)
    files.results = _folder_files(root, RESULTS, "<machine-id>.json", add)
    # Only the layout here (a symlinked folder, stray files): nnkb.cited reads the tables.
    files.cited = _folder_files(root, CITED, "<id>.yaml", add)
    return files


def _folder_files(root: Path, folder: str, form: str, add: Add) -> list[Path]:
    """The folder's files as every reader lists them (`nnkb.kbfiles`); the others reported."""
    base = root / folder
    try:
        files = kb_files(root, folder)
    except LayoutError as exc:
        add(base, Mark(1, 1), (), str(exc))
        return []
    if not base.is_dir():
        return []
    read = set(files)
    for child in sorted(base.iterdir()):
        if child in read:
            if folder == CITED and child.suffix == ".yml":
                add(child, Mark(1, 1), (), f"KB files end in .yaml; rename to '{child.stem}.yaml'")
            continue
        if is_hidden(child):
            hidden = hidden_problem(child)
            if hidden:
                add(child, Mark(1, 1), (), hidden)
        # A folder named like a file (`x.yaml/`) is a file's problem: the loader names it.
        elif child.is_dir():
            add(
                child,
                Mark(1, 1),
                (),
                f"unexpected folder '{child.name}/' in {folder}/; it holds only {form} files",
            )
        else:
            add(
                child,
                Mark(1, 1),
                (),
                f"only {form} files belong in {folder}/; found '{child.name}' "
                "(it is not read: not by validate, nor by the site)",
            )
    return files


def load_file(path: Path, loader: Callable[[Path], LoadedYaml], add: Add) -> LoadedYaml | None:
    """The file's data with positions, or None after reporting why it cannot be loaded."""
    try:
        return loader(path)
    except YamlProblem as exc:
        add(path, exc.mark, (), exc.message)
    except OSError as exc:
        add(path, Mark(1, 1), (), f"cannot read the file ({exc.strerror or exc})")
    return None
