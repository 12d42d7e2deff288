"""Cross-file checks of `nnkb validate`: ids that name other entries must exist, and the
benchmark adapters a framework lists must be adapters of `nnkb bench`.

Runs after every file is loaded, on the files that loaded as a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..models.sources.file import path_problem
from ..problems import PROBLEMS_PER_FILE
from ..yamlsafe import LoadedYaml, Pointer
from .parse import RESULTS, Add
from .wording import show, suggest

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

KIND = {
    "use_cases": "use case",
    "models": "model",
    "frameworks": "framework",
    "hardware": "hardware class",
}

# Fields holding ids of other entries: (collection of the file, field pattern, target collection).
# "*" in a pattern stands for every list index.
REFERENCES: list[tuple[str, Pointer, str]] = [
    ("models", ("use_cases", "*"), "use_cases"),
    ("models", ("backbone_for", "*"), "use_cases"),
    ("frameworks", ("hardware", "values", "*"), "hardware"),
    ("frameworks", ("successor",), "frameworks"),
    ("hardware", ("runtime_routes", "*", "framework"), "frameworks"),
    ("use_cases", ("hardware_notes", "*", "hardware"), "hardware"),
    (RESULTS, ("machine", "hardware_class"), "hardware"),
    (RESULTS, ("rows", "*", "model"), "models"),
]

#: A loaded file: (collection or RESULTS, path, data with positions).
Loaded = tuple[str, Path, LoadedYaml]


def select(data: Any, pattern: Pointer, prefix: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """(pointer, value) for every value in `data` at a field pattern with "*" list indexes."""
    if not pattern:
        yield prefix, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from select(item, rest, prefix + (i,))
    elif isinstance(data, dict) and head in data:
        yield from select(data[head], rest, prefix + (head,))


def check_references(loaded: list[Loaded], ids: dict[str, set[str]], add: Add) -> None:
    """Report every reference to an id that has no file in its collection."""
    for collection, path, file in loaded:
        unknown = 0
        for source, pattern, target in REFERENCES:
            if source != collection:
                continue
            for pointer, value in select(file.data, pattern):
                # Values that are not ids at all are reported by the schema already.
                if not isinstance(value, str) or not ID_RE.match(value):
                    continue
                if value not in ids[target]:
                    # The closest ids cost a fuzzy match: only for as many as can be shown.
                    unknown += 1
                    hint = unknown <= PROBLEMS_PER_FILE
                    add(path, file.mark_for(pointer), pointer, unknown_id(value, target, ids, hint))


def unknown_id(value: str, target: str, ids: dict[str, set[str]], closest: bool = True) -> str:
    known = sorted(ids[target])
    message = f"unknown {KIND[target]} '{value}' (no {target}/{value}.yaml)"
    if not closest:
        return message
    hint = suggest(value, known)
    if hint:
        return message + hint
    if known:
        return f"{message}; valid ids: {', '.join(known)}"
    return f"{message}; {target}/ has no entries yet"


def check_adapters(loaded: list[Loaded], known: Callable[[], list[str]], add: Add) -> None:
    """Report every name in a framework's `benchmark_adapters` that no bench adapter has.

    `known` lists the adapter names; it is called only if some framework lists adapters,
    since it imports the adapter modules.
    """
    names: list[str] | None = None
    for collection, path, file in loaded:
        if collection != "frameworks":
            continue
        for pointer, value in select(file.data, ("benchmark_adapters", "*")):
            if not isinstance(value, str) or not value:
                continue  # the schema says what is wrong with it
            if names is None:
                try:
                    names = sorted(known())
                except Exception as exc:  # noqa: BLE001 - a broken adapter module is a problem
                    add(
                        path,
                        file.mark_for(pointer),
                        pointer,
                        f"cannot check adapter names: loading the bench adapters failed "
                        f"({type(exc).__name__}: {exc})",
                    )
                    return
            if value not in names:
                add(path, file.mark_for(pointer), pointer, unknown_adapter(value, names))


def check_model_files(loaded: list[Loaded], kb_root: Path, add: Add) -> None:
    """A `file` model source names a file inside the repository by a relative path."""
    for collection, path, file in loaded:
        if collection != "models":
            continue
        onnx = file.data.get("onnx") if isinstance(file.data, dict) else None
        if not isinstance(onnx, dict) or onnx.get("source") != "file":
            continue
        value = onnx.get("path")
        if not isinstance(value, str):
            continue  # the schema says what is wrong with it
        problem = path_problem(kb_root, value)
        if problem:
            pointer = ("onnx", "path")
            add(path, file.mark_for(pointer), pointer, problem.removeprefix("onnx.path: "))


def unknown_adapter(value: str, names: list[str]) -> str:
    message = f"unknown benchmark adapter {show(value)} (none in scripts/nnkb/bench/runtimes/)"
    hint = suggest(value, names)
    if hint:
        return message + hint
    return f"{message}; known adapters: {', '.join(names) or 'none'}"
