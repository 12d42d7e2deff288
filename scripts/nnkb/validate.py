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
import difflib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from .kb import COLLECTIONS, SCHEMA_DIR
from .report import Problem, field_path, print_report
from .yamlsafe import LoadedYaml, Mark, Pointer, YamlProblem, load_json, load_yaml

if TYPE_CHECKING:
    from referencing._core import Resolver  # not exported by referencing, used for hints only

RESULTS = "results"
KB_FOLDERS = (*COLLECTIONS, RESULTS)
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SCHEMA_LINE = "# yaml-language-server: $schema=../../scripts/nnkb/schemas/{}.schema.json"
_SCHEMA_LINE_RE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$")
_ID_WORDS = "lowercase letters, digits and single hyphens"

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
    (RESULTS, ("machine", "hardware"), "hardware"),
    (RESULTS, ("rows", "*", "model"), "models"),
]
URL_FIELDS = ("url", "website")

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    results_files: int = 0


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time as JSON Schema means it: date, time and a UTC offset."""
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _found(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    if isinstance(value, (int, float)):
        return f"the number {_show(value)}"
    return "a list" if isinstance(value, list) else "a mapping"


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def url_problem(url: str) -> str | None:
    """What is wrong with a source URL, or None if it is a well-formed http(s) URL."""
    expected = "expected http:// or https://, a host name like example.org, no spaces"
    if any(ch.isspace() for ch in url):
        return f"malformed URL {_show(url)}: it contains a space; {expected}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"malformed URL {_show(url)}: {expected}"
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"malformed URL {_show(url)} ({exc}); {expected}"
    labels = host.split(".")
    if host != "localhost" and (len(labels) < 2 or not all(labels)):
        return f"malformed URL {_show(url)}: host {_show(host)} is not a domain; {expected}"
    return None


class Schemas:
    """The collection schemas, with `common.schema.json` resolvable by its file name."""

    def __init__(self, folder: Path = SCHEMA_DIR) -> None:
        self.contents = {
            p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.schema.json"))
        }
        self.registry: Registry = Registry().with_resources(
            (name, Resource.from_contents(schema)) for name, schema in self.contents.items()
        )
        self.format_checker = FormatChecker(formats=())
        self.format_checker.checks("date-time")(_is_date_time)
        common = self.contents["common.schema.json"]["$defs"]
        self.patterns = {
            common["id"]["pattern"]: f"an id: {_ID_WORDS}",
            common["url"]["pattern"]: "an http(s) URL",
            "^[0-9a-f]{64}$": "64 lowercase hexadecimal digits (a sha256)",
        }
        self.url_pattern = common["url"]["pattern"]
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            self._validators[name] = Draft202012Validator(
                self.contents[name], registry=self.registry, format_checker=self.format_checker
            )
        return self._validators[name]

    def locate(self, name: str, schema_path: list[str | int]) -> tuple[Any, Resolver]:
        """The subschema at a schema path inside `name`, and the resolver of the file it is in.

        Error schema paths skip `$ref`, so the walk follows a `$ref` whenever the next key is
        not in the current node.
        """
        resolver = self.registry.resolver(base_uri=name)
        node: Any = self.contents[name]
        for key in schema_path:
            while isinstance(node, dict) and key not in node and "$ref" in node:
                resolved = resolver.lookup(node["$ref"])
                resolver, node = resolved.resolver, resolved.contents
            node = node[key]
        return node, resolver

    def expected(self, schema: Any, resolver: Resolver, depth: int = 0) -> str:
        """A short phrase for what `schema` accepts: 'one of a, b', 'a mapping with title, url'."""
        if not isinstance(schema, dict) or depth > 3:
            return "a value"
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            return self.expected(resolved.contents, resolved.resolver, depth + 1)
        if "const" in schema:
            return _show(schema["const"])
        if "enum" in schema:
            return "one of " + ", ".join(str(v) for v in schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return " or ".join(self.expected(s, resolver, depth + 1) for s in schema[key])
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(_TYPE_WORDS.get(k, k) for k in kind)
        if kind == "object" and schema.get("required"):
            return "a mapping with " + ", ".join(schema["required"])
        if kind == "array" and isinstance(schema.get("items"), dict):
            return f"a list of {self.expected(schema['items'], resolver, depth + 1)}"
        if "pattern" in schema:
            return self.patterns.get(schema["pattern"], f"a string matching {schema['pattern']}")
        return _TYPE_WORDS.get(kind, "a value") if isinstance(kind, str) else "a value"

    def explain(self, error: ValidationError, name: str) -> Iterator[tuple[Pointer, str]]:
        """One (field pointer, message) per problem that `error` stands for."""
        path = tuple(error.absolute_path)
        value, kind, rule, schema = error.instance, error.validator, error.validator_value, error.schema
        _, resolver = self.locate(name, list(error.absolute_schema_path)[:-1])
        if kind == "additionalProperties" and rule is False and isinstance(value, dict):
            allowed = list(schema.get("properties", {}))
            for key in value:
                if key not in allowed:
                    hint = _suggest(key, allowed) or f"; allowed fields: {', '.join(allowed)}"
                    yield path + (key,), f"unknown field '{key}'{hint}"
        elif kind == "required" and isinstance(value, dict):
            condition = self._condition(error, name)
            props = schema.get("properties", {})
            for key in rule:
                if key not in value:
                    what = self.expected(props[key], resolver) if key in props else "a value"
                    yield path + (key,), f"missing required field '{key}'{condition}: expected {what}"
        elif kind in ("oneOf", "anyOf"):
            yield from self._explain_alternatives(error, name)
        elif kind == "type":
            yield path, f"expected {self.expected(schema, resolver)}, found {_found(value)}"
        elif kind == "enum":
            hint = _suggest(value, [str(v) for v in rule]) if isinstance(value, str) else ""
            yield path, f"{_show(value)} is not allowed; expected one of {', '.join(map(str, rule))}{hint}"
        elif kind == "const":
            yield path, f"expected {_show(rule)}, found {_found(value)}"
        elif kind == "pattern":
            message = url_problem(value) if rule == self.url_pattern else None
            if message is None:
                wanted = self.patterns.get(rule, f"a string matching {rule}")
                message = f"{_show(value)} is not valid: expected {wanted}"
            yield path, message
        elif kind == "minLength":
            yield path, ("must not be empty" if rule == 1 else
                         f"expected at least {rule} characters, found {len(value)}")
        elif kind in ("minItems", "minProperties"):
            yield path, f"expected at least {rule} item{'s' if rule != 1 else ''}, found {len(value)}"
        elif kind == "uniqueItems":
            seen: list[Any] = []
            dups = [v for v in value if v in seen or seen.append(v)]
            yield path, f"{_show(dups[0]) if dups else 'a value'} is listed twice; items must be unique"
        elif kind in ("minimum", "exclusiveMinimum"):
            sign = ">=" if kind == "minimum" else ">"
            yield path, f"expected a number {sign} {rule}, found {_found(value)}"
        elif kind == "format" and rule == "date-time":
            yield path, (f"expected an RFC 3339 date-time with offset, like "
                         f"'2026-01-31T12:00:00+00:00', found {_found(value)}")
        else:
            yield path, error.message

    def _condition(self, error: ValidationError, name: str) -> str:
        """' when source is 'builtin'' for a field required by an if/then rule, else ''."""
        schema_path = list(error.absolute_schema_path)
        if "then" not in schema_path:
            return ""
        cut = len(schema_path) - 1 - schema_path[::-1].index("then")
        try:
            condition, _ = self.locate(name, schema_path[:cut] + ["if"])
            ((key, rule),) = condition["properties"].items()
            return f" (needed when {key} is {_show(rule['const'])})"
        except (KeyError, IndexError, TypeError, ValueError):
            return ""

    def _explain_alternatives(self, error: ValidationError, name: str) -> Iterator[tuple[Pointer, str]]:
        # A branch whose top-level type does not fit the value (null vs a mapping) is not what
        # the author meant; if exactly one branch fits, its own errors say what is wrong.
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [
            errors for _, errors in sorted(branches.items())
            if not any(e.validator == "type" and not e.relative_path for e in errors)
        ]
        if len(fitting) == 1 and fitting[0]:
            for sub in fitting[0]:
                yield from self.explain(sub, name)
            return
        _, resolver = self.locate(name, list(error.absolute_schema_path)[:-1])
        yield tuple(error.absolute_path), (
            f"expected {self.expected(error.schema, resolver)}, found {_found(error.instance)}"
        )


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

    # -- output -------------------------------------------------------------------------------
    def shown(self, path: Path) -> str:
        return (Path(self.display) / path.relative_to(self.root)).as_posix()

    def add(self, path: Path, mark: Mark, pointer: Pointer, message: str) -> None:
        self.report.problems.append(Problem(
            self.shown(path), mark.line, mark.col, path.stem, field_path(pointer), message))

    # -- layout -------------------------------------------------------------------------------
    def run(self) -> Report:
        if not self.root.is_dir():
            self.report.problems.append(Problem(
                self.display, 1, 1, self.root.name, "",
                "KB folder not found; expected a folder holding " + ", ".join(
                    f"{f}/" for f in KB_FOLDERS)))
            return self.report
        for child in sorted(self.root.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() and child.name not in KB_FOLDERS:
                hint = _suggest(child.name, list(KB_FOLDERS))
                self.add(child, Mark(1, 1), (), f"unknown folder '{child.name}/' in the KB{hint}; "
                         f"expected only {', '.join(f'{f}/' for f in KB_FOLDERS)}")
            elif child.is_file() and child.suffix in (".yaml", ".yml", ".json"):
                self.add(child, Mark(1, 1), (), f"'{child.name}' is outside the collection folders; "
                         "entries go in <collection>/<id>.yaml, results in results/<machine-id>.json")
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
                self.add(child, Mark(1, 1), (),
                         f"unexpected folder '{child.name}/' in {folder}/; it holds only {form} files")
            elif child.suffix in suffixes:
                files.append(child)
            else:
                self.add(child, Mark(1, 1), (),
                         f"only {form} files belong in {folder}/; found '{child.name}'")
        return files

    def _guarded(self, check: Any, path: Path, *args: Any) -> None:
        # One file the checks did not foresee must not hide the problems of all the others.
        try:
            check(path, *args)
        except Exception as exc:  # noqa: BLE001 - reported as a problem, never a traceback
            self.add(path, Mark(1, 1), (), f"could not be checked ({type(exc).__name__}: {exc}); "
                     "please report this as a bug of nnkb validate")

    def _check_name(self, path: Path, form: str) -> None:
        if path.suffix == ".yml":
            self.add(path, Mark(1, 1), (), f"KB files end in .yaml; rename to '{path.stem}.yaml'")
        if not ID_RE.match(path.stem):
            self.add(path, Mark(1, 1), (),
                     f"file name '{path.stem}' is not a valid id: expected {form} with {_ID_WORDS}, "
                     f"like '{_slug(path.stem)}{path.suffix}'")

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
            what = f"top level is {_found(loaded.data)}"
        self.add(path, loaded.mark_for(()), (),
                 f"{what}; expected a mapping of fields as described in "
                 f"scripts/nnkb/schemas/{schema_file}")
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
            match = _SCHEMA_LINE_RE.match(loaded.first_line)
            if not match or match.group(1).rsplit("/", 1)[-1] != schema_file:
                expected = SCHEMA_LINE.format(COLLECTIONS[collection])
                self.add(path, Mark(1, 1), (), f"first line must be '{expected}' so that editors "
                         f"check the file against its schema; found {_show(loaded.first_line)}")
        if not self._check_top(path, loaded, schema_file):
            return
        self._check_schema(path, loaded, schema_file)
        for pointer, url in _urls(loaded.data):
            message = url_problem(url)
            if message:
                self.add(path, loaded.mark_for(pointer), pointer, message)
        self.loaded.append((collection, path, loaded))

    # -- results ------------------------------------------------------------------------------
    def _check_results_file(self, path: Path) -> None:
        self.report.results_files += 1
        self._check_name(path, "<machine-id>.json")
        loaded = self._load(path, load_json)
        if loaded is None or not self._check_top(path, loaded, "results.schema.json"):
            return
        self._check_schema(path, loaded, "results.schema.json")
        data = loaded.data
        machine = data.get("machine")
        if isinstance(machine, dict) and isinstance(machine.get("id"), str):
            if machine["id"] != path.stem:
                self.add(path, loaded.mark_for(("machine", "id")), ("machine", "id"),
                         f"machine id {_show(machine['id'])} must equal the file name "
                         f"'{path.stem}' (results/<machine-id>.json)")
        rows = data.get("rows")
        if isinstance(rows, list):
            first_key: dict[str, int] = {}
            for i, row in enumerate(rows):
                if isinstance(row, dict):
                    self._check_row(path, loaded, i, row, first_key)
        self.loaded.append((RESULTS, path, loaded))

    def _check_row(self, path: Path, loaded: LoadedYaml, i: int, row: dict[str, Any],
                   first_key: dict[str, int]) -> None:
        def add(pointer: Pointer, message: str) -> None:
            self.add(path, loaded.mark_for(pointer), pointer, message)

        key = row.get("key")
        if isinstance(key, str):
            if key in first_key:
                j = first_key[key]
                add(("rows", i, "key"), f"duplicate row key '{key[:12]}...' (first used by rows[{j}] "
                    f"on line {loaded.mark_for(('rows', j, 'key')).line}); each row key must be unique")
            else:
                first_key[key] = i
        status, latency = row.get("status"), row.get("latency")
        if status == "ok" and latency is None:
            add(("rows", i, "latency"),
                "status is 'ok' but latency is missing; an ok row must carry latency statistics")
        if isinstance(status, str) and status != "ok" and not row.get("reason"):
            add(("rows", i, "reason"),
                f"status is '{status}' but reason is missing; a row that is not ok must say why")
        if isinstance(latency, dict):
            def number(name: str) -> float | None:
                value = latency.get(name)
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                return value if ok else None

            for low, high in (("min", "p50"), ("p50", "p90"), ("p90", "p99"),
                              ("ci95_low", "p50"), ("p50", "ci95_high")):
                a, b = number(low), number(high)
                if a is not None and b is not None and a > b:
                    where = low if high == "p50" else high  # the value that is out of place
                    add(("rows", i, "latency", where),
                        f"{low} ({a:g}) must be <= {high} ({b:g}); the statistics are inconsistent")

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
                        self.add(path, loaded.mark_for(pointer), pointer,
                                 self._unknown_id(value, target))

    def _unknown_id(self, value: str, target: str) -> str:
        known = sorted(self.ids[target])
        message = f"unknown {_KIND[target]} '{value}' (no {target}/{value}.yaml)"
        hint = _suggest(value, known)
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
        return print_report(report.problems, str(kb_dir), report.entries, report.results_files,
                            github=github)
    except Exception as exc:  # noqa: BLE001 - the promise is a clean message, never a traceback
        print(f"nnkb validate: internal error ({type(exc).__name__}: {exc}); "
              "please report this as a bug", file=sys.stderr)
        return 1
