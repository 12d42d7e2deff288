"""Reading, writing and locking results files: kb/results/<machine-id>.json.

One reader: `read` runs the checks `nnkb validate` runs (check.py) and returns typed objects.
Writes are deterministic (`ResultsFile.dumps`), atomic (temporary file in the same folder +
os.replace, so a killed run or a full disk leaves the old file or the new one, never half
of one) and skipped when nothing changed, so a no-op bench leaves git clean. `locked` makes
one writer at a time: `nnkb bench` holds it while it reads, measures and writes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..kbfiles import RESULTS, LayoutError, kb_files
from ..problems import PROBLEMS_PER_FILE, Problem, count, field_path
from ..validate.wording import suggest
from ..yamlsafe import LoadedYaml, Pointer
from .model import ResultsFile


class ResultsError(Exception):
    """A results file that cannot be read, checked or written; the message is one line
    naming the file."""


def read(path: Path, named: bool = True) -> ResultsFile:
    """The results file at `path`, checked as `nnkb validate` checks it (`named=False`: a
    file that need not be named after its machine, as `nnkb bench --results` writes).
    ResultsError carries the first problem as `path:line:col: entry.field: message`."""
    return _read(Path(path), named)[0]


def _read(path: Path, named: bool = True) -> tuple[ResultsFile, LoadedYaml]:
    from .check import check_results_file  # the schemas: loaded when a file is read

    problems, loaded = check_results_file(path, named=named)
    _raise_first(problems)
    assert loaded is not None
    return ResultsFile.from_json(loaded.data, path), loaded


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        first = min(p for p in problems if not p.hidden)
        others = count(problems) - 1
        more = f" (and {others} more; run `nnkb validate`)" if others else ""
        raise ResultsError(first.line_text() + more)


def load_all(kb_root: Path) -> list[ResultsFile]:
    """Every machine's results file under kb_root/results, by file name, each checked as
    `nnkb validate` checks it, including that its models and hardware class are in the KB."""
    root = Path(kb_root)
    try:  # the files `nnkb validate` reads, no others (nnkb.kbfiles)
        paths = kb_files(root, RESULTS)
        known = known_ids(root)
    except LayoutError as exc:
        raise ResultsError(f"{root}: {exc}") from None
    loaded_files = []
    for path in paths:
        results, loaded = _read(path)
        _raise_first(unknown_ids(results, loaded, known))
        loaded_files.append(results)
    return loaded_files


def known_ids(kb_root: Path) -> dict[str, list[str]]:
    """The model and hardware ids rows and machines may name: the KB's files (LayoutError
    when a folder is a symlink)."""
    return {c: sorted(p.stem for p in kb_files(kb_root, c)) for c in ("models", "hardware")}


def unknown_ids(
    results: ResultsFile, loaded: LoadedYaml, known: dict[str, list[str]]
) -> list[Problem]:
    """The reference checks of `nnkb validate` for one results file: models, hardware class."""
    path = results.path or Path("results.json")
    references: list[tuple[Pointer, str, str | None, str]] = [
        (
            ("machine", "hardware_class"),
            "hardware class",
            results.machine.hardware_class,
            "hardware",
        )
    ]
    references += [
        (("rows", i, "model"), "model", r.model, "models") for i, r in enumerate(results.rows)
    ]
    problems: list[Problem] = []
    for pointer, kind, value, collection in references:
        if value is not None and collection in known and value not in known[collection]:
            mark = loaded.mark_for(pointer)
            message = f"unknown {kind} '{value}' (no {collection}/{value}.yaml)"
            # The closest id costs a fuzzy match: only for as many problems as are shown.
            if len(problems) < PROBLEMS_PER_FILE:
                message += suggest(value, known[collection])
            problems.append(
                Problem(str(path), mark.line, mark.col, path.stem, field_path(pointer), message)
            )
    return problems


def write_atomic(path: Path, results: ResultsFile) -> bool:
    """Write `results` to `path` unless the file already holds exactly that; True if written.
    The folder must exist. ResultsError names the file and the cause (a read-only folder, a
    full disk); the previous file is then untouched."""
    path = Path(path)
    text = results.dumps()
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        # newline="\n": the same bytes on Windows, whose text mode would write CRLF.
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return True


def lock_path(path: Path) -> Path:
    # A dot file: `nnkb validate` ignores it, and it never looks like a results file.
    return Path(path).parent / f".{Path(path).name}.lock"


@contextmanager
def locked(path: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the results file's lock; when another process holds it, say so through
    `waiting` (default: a line on stderr) and wait for it. ResultsError when the lock file
    cannot be made (missing or read-only folder)."""
    lock = FileLock(lock_path(path))
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            message = (
                f"{path} is being written by another `nnkb bench` (lock {lock_path(path)}); "
                "waiting for it to finish"
            )
            (waiting or (lambda m: print(f"nnkb bench: {m}", file=sys.stderr)))(message)
            lock.acquire()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot lock: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
