"""`nnkb validate`: check every KB file and results file and report every problem in one run.

parse (yamlsafe) -> JSON Schema (iter_errors, one problem per error) -> cross-file checks
(references between collections, results consistency) -> report (report.py).

Layout rules, beyond the schemas:
- The KB folder holds the four collection folders (use_cases/, models/, frameworks/, hardware/)
  and results/. Any other folder is a problem: the schemas live in scripts/nnkb/schemas/, not
  in the KB. Other files at the top (README.md) are allowed, except .yaml/.yml/.json files,
  which belong in a collection or in results/.
- A collection folder holds only `<id>.yaml` files; results/ holds only `<machine-id>.json`.
- Names starting with "." (.gitkeep, .DS_Store) are ignored everywhere.
- The first line of a KB YAML file names its schema for editors:
  `# yaml-language-server: $schema=../../scripts/nnkb/schemas/<schema>.schema.json`; any path
  ending in the right file name is accepted, since the KB can be a copy somewhere else.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .kb import COLLECTIONS
from .report import (
    ID_WORDS,
    Problem,
    Schemas,
    field_path,
    found,
    print_report,
    show,
    suggest,
    url_problem,
)
from .results.check import check_results_file
from .yamlsafe import LoadedYaml, Mark, Pointer, YamlProblem, load_json, load_yaml

RESULTS = "results"
KB_FOLDERS = (*COLLECTIONS, RESULTS)
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SCHEMA_LINE = "# yaml-language-server: $schema=../../scripts/nnkb/schemas/{}.schema.json"
_SCHEMA_LINE_RE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")

_KIND = {
    "use_cases": "use case",
    "models": "model",
    "frameworks": "framework",
    "hardware": "hardware class",
}

# Fields holding ids of other entries: (collection of the file, field pattern, target collection).
# "*" in a pattern stands for every list index.
REFERENCES: list[tuple[str, Pointer, str]] = [
    ("models", ("use_cases", "*"), "use_cases"),
    ("frameworks", ("hardware", "values", "*"), "hardware"),
    ("frameworks", ("successor",), "frameworks"),
    ("use_cases", ("hardware_notes", "*", "hardware"), "hardware"),
    (RESULTS, ("machine", "hardware_class"), "hardware"),
    (RESULTS, ("rows", "*", "model"), "models"),
]
URL_FIELDS = ("url", "website")


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    results_files: int = 0


def _select(data: Any, pattern: Pointer, prefix: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """(pointer, value) for every value in `data` at a field pattern with "*" list indexes."""
    if not pattern:
        yield prefix, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _select(item, rest, prefix + (i,))
    elif isinstance(data, dict) and head in data:
        yield from _select(data[head], rest, prefix + (head,))


def _urls(data: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in URL_FIELDS and isinstance(value, str):
                yield prefix + (key,), value
            else:
                yield from _urls(value, prefix + (key,))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _urls(item, prefix + (i,))


def _slug(stem: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", stem.lower())) or "my-entry"


class Checker:
    """Runs every check on one KB folder and collects the problems."""

    def __init__(self, root: Path, display: str, schemas: Schemas | None = None) -> None:
        self.root = root
        self.display = display
        self.schemas = schemas or Schemas()
        self.report = Report()
        self.ids: dict[str, set[str]] = {c: set() for c in COLLECTIONS}
        self.loaded: list[tuple[str, Path, LoadedYaml]] = []  # (collection or RESULTS, path, data)
        statuses = self.schemas.contents["results.schema.json"]["$defs"]["row"]["properties"]
        # An unknown status is the schema's problem; asking it for a reason too would be noise.
        self.failed_statuses = set(statuses["status"]["enum"]) - {"ok"}

    # -- output -------------------------------------------------------------------------------
    def shown(self, path: Path) -> str:
        return (Path(self.display) / path.relative_to(self.root)).as_posix()

    def add(self, path: Path, mark: Mark, pointer: Pointer, message: str) -> None:
        self.report.problems.append(
            Problem(self.shown(path), mark.line, mark.col, path.stem, field_path(pointer), message)
        )

    # -- layout -------------------------------------------------------------------------------
    def run(self) -> Report:
        if not self.root.is_dir():
            self.report.problems.append(
                Problem(
                    self.display,
                    1,
                    1,
                    self.root.name,
                    "",
                    "KB folder not found; expected a folder holding "
                    + ", ".join(f"{f}/" for f in KB_FOLDERS),
                )
            )
            return self.report
        for child in sorted(self.root.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() and child.name not in KB_FOLDERS:
                hint = suggest(child.name, list(KB_FOLDERS))
                self.add(
                    child,
                    Mark(1, 1),
                    (),
                    f"unknown folder '{child.name}/' in the KB{hint}; "
                    f"expected only {', '.join(f'{f}/' for f in KB_FOLDERS)}",
                )
            elif child.is_file() and child.suffix in (".yaml", ".yml", ".json"):
                self.add(
                    child,
                    Mark(1, 1),
                    (),
                    f"'{child.name}' is outside the collection folders; "
                    "entries go in <collection>/<id>.yaml, results in results/<machine-id>.json",
                )
        for collection in COLLECTIONS:
            for path in self._folder_files(collection, (".yaml", ".yml"), "<id>.yaml"):
                self.ids[collection].add(path.stem)
                self._guarded(self._check_entry, path, collection)
        for path in self._folder_files(RESULTS, (".json",), "<machine-id>.json"):
            self._guarded(self._check_results_file, path)
        self._check_references()
        return self.report

    def _folder_files(self, folder: str, suffixes: tuple[str, ...], form: str) -> list[Path]:
        base = self.root / folder
        if not base.is_dir():
            return []
        files = []
        for child in sorted(base.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                self.add(
                    child,
                    Mark(1, 1),
                    (),
                    f"unexpected folder '{child.name}/' in {folder}/; it holds only {form} files",
                )
            elif child.suffix in suffixes:
                files.append(child)
            else:
                self.add(
                    child,
                    Mark(1, 1),
                    (),
                    f"only {form} files belong in {folder}/; found '{child.name}'",
                )
        return files

    def _guarded(self, check: Any, path: Path, *args: Any) -> None:
        # One file the checks did not foresee must not hide the problems of all the others.
        try:
            check(path, *args)
        except Exception as exc:  # noqa: BLE001 - reported as a problem, never a traceback
            self.add(
                path,
                Mark(1, 1),
                (),
                f"could not be checked ({type(exc).__name__}: {exc}); "
                "please report this as a bug of nnkb validate",
            )

    def _check_name(self, path: Path, form: str) -> None:
        if path.suffix == ".yml":
            self.add(path, Mark(1, 1), (), f"KB files end in .yaml; rename to '{path.stem}.yaml'")
        if not ID_RE.match(path.stem):
            self.add(
                path,
                Mark(1, 1),
                (),
                f"file name '{path.stem}' is not a valid id: expected {form} with {ID_WORDS}, "
                f"like '{_slug(path.stem)}{path.suffix}'",
            )

    def _load(self, path: Path, loader: Any) -> LoadedYaml | None:
        try:
            return loader(path)
        except YamlProblem as exc:
            self.add(path, exc.mark, (), exc.message)
        except OSError as exc:
            self.add(path, Mark(1, 1), (), f"cannot read the file ({exc.strerror or exc})")
        return None

    def _check_top(self, path: Path, loaded: LoadedYaml, schema_file: str) -> bool:
        if isinstance(loaded.data, dict):
            return True
        if loaded.data is None:
            what = "file is empty" if not loaded.first_line.strip() else "file has no fields"
        else:
            what = f"top level is {found(loaded.data)}"
        self.add(
            path,
            loaded.mark_for(()),
            (),
            f"{what}; expected a mapping of fields as described in "
            f"scripts/nnkb/schemas/{schema_file}",
        )
        return False

    def _check_schema(self, path: Path, loaded: LoadedYaml, schema_file: str) -> None:
        for error in self.schemas.validator(schema_file).iter_errors(loaded.data):
            for pointer, message in self.schemas.explain(error, schema_file):
                self.add(path, loaded.mark_for(pointer), pointer, message)

    # -- KB entries ---------------------------------------------------------------------------
    def _check_entry(self, path: Path, collection: str) -> None:
        self.report.entries += 1
        schema_file = f"{COLLECTIONS[collection]}.schema.json"
        self._check_name(path, "<id>.yaml")
        loaded = self._load(path, load_yaml)
        if loaded is None:
            return
        if loaded.first_line.strip() or loaded.data is not None:
            self._check_schema_line(path, loaded.first_line, collection)
        if not self._check_top(path, loaded, schema_file):
            return
        self._check_schema(path, loaded, schema_file)
        for pointer, url in _urls(loaded.data):
            message = url_problem(url)
            if message:
                self.add(path, loaded.mark_for(pointer), pointer, message)
        self.loaded.append((collection, path, loaded))

    def _check_schema_line(self, path: Path, first_line: str, collection: str) -> None:
        schema_file = f"{COLLECTIONS[collection]}.schema.json"
        expected = SCHEMA_LINE.format(COLLECTIONS[collection])
        match = _SCHEMA_LINE_RE.match(first_line.lstrip("\ufeff"))  # a BOM is fine
        if not match:
            self.add(
                path,
                Mark(1, 1),
                (),
                f"first line must be '{expected}' so that editors "
                f"check the file against its schema; found {show(first_line)}",
            )
            return
        named = match.group(1).rsplit("/", 1)[-1]
        if named != schema_file:
            self.add(
                path,
                Mark(1, 1),
                (),
                f"first line names the schema '{named}', but files in "
                f"{collection}/ use {schema_file}; expected '{expected}'",
            )

    # -- results ------------------------------------------------------------------------------
    def _check_results_file(self, path: Path) -> None:
        # The reader's own checks (nnkb.results.check), so the reader and validate agree.
        self.report.results_files += 1
        self._check_name(path, "<machine-id>.json")
        problems, loaded = check_results_file(path, self.shown(path), self.schemas)
        self.report.problems.extend(problems)
        if loaded is not None:
            self.loaded.append((RESULTS, path, loaded))

    # -- references ---------------------------------------------------------------------------
    def _check_references(self) -> None:
        for collection, path, loaded in self.loaded:
            for source, pattern, target in REFERENCES:
                if source != collection:
                    continue
                for pointer, value in _select(loaded.data, pattern):
                    # Values that are not ids at all are reported by the schema already.
                    if not isinstance(value, str) or not ID_RE.match(value):
                        continue
                    if value not in self.ids[target]:
                        self.add(
                            path, loaded.mark_for(pointer), pointer, self._unknown_id(value, target)
                        )

    def _unknown_id(self, value: str, target: str) -> str:
        known = sorted(self.ids[target])
        message = f"unknown {_KIND[target]} '{value}' (no {target}/{value}.yaml)"
        hint = suggest(value, known)
        if hint:
            return message + hint
        if known:
            return f"{message}; valid ids: {', '.join(known)}"
        return f"{message}; {target}/ has no entries yet"


def check_kb(root: Path, display: str | None = None) -> Report:
    """Every problem of the KB at `root`; paths in problems start with `display` (default: root)."""
    return Checker(Path(root), display if display is not None else str(root)).run()


def run(args: argparse.Namespace) -> int:
    """`nnkb validate [--kb DIR]`: print every problem; exit status 1 if there is any."""
    kb_dir = Path(args.kb)
    try:
        report = check_kb(kb_dir, str(kb_dir))
        github = os.environ.get("GITHUB_ACTIONS") == "true"
        return print_report(
            report.problems, str(kb_dir), report.entries, report.results_files, github=github
        )
    except Exception as exc:  # noqa: BLE001 - the promise is a clean message, never a traceback
        print(
            f"nnkb validate: internal error ({type(exc).__name__}: {exc}); "
            "please report this as a bug",
            file=sys.stderr,
        )
        return 1
