"""Collect stage of `nnkb validate`: every check on one KB folder, each problem recorded once.

Per file: file name, schema line (entries), JSON Schema errors worded by `schemas.py`,
URLs (entries), results consistency (results files). Then, across files: references between
collections (`references.py`).

The first line of a KB YAML file names its schema for editors:
`# yaml-language-server: $schema=../../scripts/nnkb/schemas/<schema>.schema.json`; any path
ending in the right file name is accepted, since the KB can be a copy somewhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..kb import COLLECTIONS
from ..problems import Problem, field_path
from ..yamlsafe import LoadedYaml, Mark, Pointer, load_yaml
from .candidates import check_candidates
from .names import format_characters
from .names import problem as name_problem
from .numbers import non_finite
from .numbers import problem as number_problem
from .parse import KB_FOLDERS, RESULTS, find_files, load_file
from .references import ID_RE, check_adapters, check_model_files, check_references
from .schemas import Schemas
from .urls import url_fields, url_problem
from .wording import ID_WORDS, found, show

SCHEMA_LINE = "# yaml-language-server: $schema=../../scripts/nnkb/schemas/{}.schema.json"
_SCHEMA_LINE_RE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    results_files: int = 0


def _bench_adapters() -> list[str]:
    # Imported here: the adapter modules pull in numpy, which only this check needs.
    from ..bench.runtimes import load_adapters

    return list(load_adapters())


def _slug(stem: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", stem.lower())) or "my-entry"


class Checker:
    """Runs every check on one KB folder and collects the problems."""

    def __init__(
        self,
        root: Path,
        display: str,
        schemas: Schemas | None = None,
        adapters: Callable[[], list[str]] | None = None,
    ) -> None:
        self.root = root
        self.display = display
        self.schemas = schemas or Schemas()
        self.adapters = adapters or _bench_adapters
        self.report = Report()
        self.ids: dict[str, set[str]] = {c: set() for c in COLLECTIONS}
        self.loaded: list[tuple[str, Path, LoadedYaml]] = []  # (collection or RESULTS, path, data)
        self._shown: dict[Path, tuple[str, str]] = {}  # path -> (as shown, entry)

    # -- output -------------------------------------------------------------------------------
    def shown(self, path: Path) -> str:
        if path not in self._shown:  # once per file: a file can have a million problems
            self._shown[path] = (
                (Path(self.display) / path.relative_to(self.root)).as_posix(),
                path.stem,
            )
        return self._shown[path][0]

    def add(self, path: Path, mark: Mark, pointer: Pointer, message: str) -> None:
        shown = self.shown(path)
        self.report.problems.append(
            Problem(shown, mark.line, mark.col, self._shown[path][1], field_path(pointer), message)
        )

    # -- stages -------------------------------------------------------------------------------
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
        files = find_files(self.root, self.add)
        for collection in COLLECTIONS:
            for path in files.entries[collection]:
                self.ids[collection].add(path.stem)
                self._guarded(self._check_entry, path, collection)
        for path in files.results:
            self._guarded(self._check_results_file, path)
        check_references(self.loaded, self.ids, self.add)
        check_adapters(self.loaded, self.adapters, self.add)
        check_model_files(self.loaded, self.root, self.add)
        check_candidates(self.loaded, self.add)
        if files.cited:
            from ..cited import check_cited  # imported here: cited uses this package's wording

            ids = {c: set(v) for c, v in self.ids.items()}
            self.report.problems += check_cited(self.root, self.display, ids, self.schemas)
        return self.report

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
        return load_file(path, loader, self.add)

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

    def _check_schema(
        self, path: Path, loaded: LoadedYaml, schema_file: str, said: set[Pointer] | None = None
    ) -> None:
        for pointer, message in self.schemas.problems(schema_file, loaded.data):
            if pointer not in (said or ()):  # a non-finite number: said once, before
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
        odd = set()
        for pointer, value in non_finite(loaded.data):
            odd.add(pointer)
            self.add(path, loaded.mark_for(pointer), pointer, number_problem(value))
        self._check_schema(path, loaded, schema_file, odd)
        for pointer, char in format_characters(loaded.data):
            self.add(path, loaded.mark_for(pointer), pointer, name_problem(char))
        for pointer, url in url_fields(loaded.data):
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
        # Imported here: the results package uses this package's Problem and wording.
        from ..results.check import check_results_file

        self.report.results_files += 1
        self._check_name(path, "<machine-id>.json")
        problems, loaded = check_results_file(path, self.shown(path), self.schemas)
        self.report.problems.extend(problems)
        if loaded is not None:
            self.loaded.append((RESULTS, path, loaded))


def check_kb(
    root: Path, display: str | None = None, adapters: Callable[[], list[str]] | None = None
) -> Report:
    """Every problem of the KB at `root`; paths in problems start with `display` (default: root).

    `adapters` lists the bench adapter names (default: those `nnkb bench` loads).
    """
    shown = display if display is not None else str(root)
    return Checker(Path(root), shown, adapters=adapters).run()
