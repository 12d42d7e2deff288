"""Results files: kb/results/<machine-id>.json, one per machine, written by `nnkb bench`.

Writes are deterministic (sorted keys, rows in a stable order, fixed indent, trailing
newline), atomic (temporary file in the same folder + os.replace, so a killed run leaves
the old or the new file, never half of one) and skipped when nothing changed, so a no-op
bench leaves git clean.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

FORMAT_VERSION = 1
GENERATED_BY = "nnkb bench"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "results.schema.json"


class ResultsError(Exception):
    """A results file that cannot be read or does not match the schema."""


@dataclass
class ResultsFile:
    path: Path
    machine: dict[str, Any]
    rows: list[dict[str, Any]]
    harness: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def machine_id(self) -> str:
        return self.machine["id"]


def row_identity(row: dict[str, Any]) -> tuple[str, str, str]:
    """(model, runtime, settings): one row per identity in a file; also the sort order."""
    return row["model"], row["runtime"], json.dumps(row.get("settings", {}), sort_keys=True)


def dumps(data: dict[str, Any]) -> str:
    data = {**data, "rows": sorted(data.get("rows", []), key=row_identity)}
    # allow_nan=False: NaN is not JSON; a non-finite value must become null before this
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomic(path: Path, data: dict[str, Any]) -> bool:
    """Write `data` to `path` unless the file already holds exactly that. True if written."""
    path = Path(path)
    text = dumps(data)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def check(data: Any) -> list[str]:
    """Every schema problem of a results document, as 'field.path: message'."""
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        problems.append(f"{where.lstrip('.') or '(top level)'}: {error.message}")
    return problems


def read(path: Path, validate: bool = True) -> ResultsFile:
    """Load one results file; ResultsError names the file, line and problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from None
    if validate:
        problems = check(data)
        if problems:
            raise ResultsError(
                f"{path}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
    return ResultsFile(
        path, data.get("machine", {}), data.get("rows", []), data.get("harness"), data
    )


def load_all(kb_root: Path) -> list[ResultsFile]:
    """Every machine's results file under kb_root/results, by file name."""
    folder = Path(kb_root) / "results"
    if not folder.is_dir():
        return []
    return [read(p) for p in sorted(folder.glob("*.json"))]


def document(
    machine: dict[str, Any], rows: list[dict[str, Any]], harness: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_by": GENERATED_BY,
        "machine": machine,
        "rows": rows,
    }
    if harness is not None:
        data["harness"] = harness
    return data
