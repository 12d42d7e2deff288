"""The collection schemas and the wording of their errors, for `nnkb validate`.

A JSON Schema error becomes a sentence that says what was expected ("expected a number,
found the string '1.2 M'", "unknown field 'paramters'; did you mean 'parameters'?").
`common.schema.json` is resolvable by its file name, so collection schemas refer to its
definitions as `common.schema.json#/$defs/...`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from ..codec import Json
from ..kb import SCHEMA_DIR
from ..problems import PROBLEMS_PER_FILE
from ..yamlsafe import Pointer
from .urls import url_problem
from .wording import ID_WORDS, found, show, suggest

if TYPE_CHECKING:
    from referencing._core import Resolver  # not exported by referencing, used for hints only

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_PLURALS = {"a string": "strings", "an integer": "integers", "a number": "numbers"}


#: Years a date-time may have: what every page formats and converts to UTC (9999 with an
#: offset would leave the calendar).
YEARS = (1970, 9998)


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time as JSON Schema means it: date, time and a UTC offset; a year in
    YEARS."""
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None and YEARS[0] <= parsed.year <= YEARS[1]


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
            common["id"]["pattern"]: f"an id: {ID_WORDS}",
            common["url"]["pattern"]: "an http(s) URL",
            "^[0-9a-f]{64}$": "64 lowercase hexadecimal digits (a sha256)",
        }
        self.url_pattern = common["url"]["pattern"]
        self._validators: dict[str, Draft202012Validator] = {}
        self._parts: Json = {}
        self._definition_ref: dict[str, str] = {}
        self._required_words: dict[tuple[str, tuple[Any, ...]], dict[str, str]] = {}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            self._validators[name] = Draft202012Validator(
                self._contents(name), registry=self.registry, format_checker=self.format_checker
            )
        return self._validators[name]

    def _part(self, name: str, definition: str) -> str:
        # A resource of its own whose only content refers to the definition: errors then
        # have schema paths that `locate` walks like any other.
        part = f"{name.removesuffix('.schema.json')}-{definition}.schema.json"
        self._definition_ref[part] = f"{name}#/$defs/{definition}"
        return part

    def _contents(self, name: str) -> Any:
        if name in self.contents:
            return self.contents[name]
        return self._parts[name]

    def problems(
        self, name: str, instance: Any, definition: str | None = None
    ) -> Iterator[tuple[Pointer, str]]:
        """Every (field pointer, message) of `instance` against the schema `name` (or its
        `$defs/definition`), each problem once: jsonschema reports a missing field once per
        field of the `required` list, and the wording covers all of them at the first."""
        said: set[tuple[Pointer, str]] = set()
        validator = self.validator(name)
        if definition is not None:
            # A definition checked on its own: many instances (a file's rows), so its own
            # required fields are counted here, without an exception object per missing field.
            target = self.contents[name]["$defs"][definition]
            name = self._part(name, definition)
            validator = self._definition_validator(name, target)
            if isinstance(instance, dict):
                for key in target.get("required", ()):
                    if key not in instance:
                        yield (key,), self._missing(name, key)
        required: set[tuple[Any, ...]] = set()
        for error in validator.iter_errors(instance):
            if error.validator == "required":
                where = (tuple(error.absolute_path), tuple(error.absolute_schema_path))
                if where in required:
                    continue
                required.add(where)
            for problem in self.explain(error, name):
                if problem not in said:
                    said.add(problem)
                    yield problem

    def _definition_validator(self, part: str, target: Json) -> Draft202012Validator:
        """A validator of `{"$ref": <the definition>}` that leaves the definition's own
        `required` to `problems` (any other `required` is checked as usual)."""
        if part not in self._validators:
            self._parts[part] = {"$schema": DRAFT, "$ref": self._definition_ref[part]}
            self.registry = self.registry.with_resource(
                part, Resource.from_contents(self._parts[part])
            )
            default = Draft202012Validator.VALIDATORS["required"]

            def required(validator: Any, rule: Any, instance: Any, schema: Any) -> Any:
                if schema is not target:
                    yield from default(validator, rule, instance, schema)

            cls = validators.extend(Draft202012Validator, {"required": required})
            self._validators[part] = cls(
                self._parts[part], registry=self.registry, format_checker=self.format_checker
            )
        return self._validators[part]

    def _missing(self, part: str, key: str) -> str:
        words = self._required_words.setdefault((part, ()), {})
        if key not in words:
            node, resolver = self.locate(part, [])
            props = node.get("properties", {}) if isinstance(node, dict) else {}
            what = self.expected(props[key], resolver) if key in props else "a value"
            words[key] = f"missing required field '{key}': expected {what}"
        return words[key]

    def locate(self, name: str, schema_path: list[str | int]) -> tuple[Any, Resolver]:
        """The subschema at a schema path inside `name`, and the resolver of the file it is in.

        Error schema paths skip `$ref`, so the walk follows a `$ref` whenever the next key is
        not in the current node, and at the end (an error's `schema` is the resolved one).
        """
        resolver = self.registry.resolver(base_uri=name)
        node: Any = self._contents(name)
        for key in [*schema_path, None]:
            while isinstance(node, dict) and key not in node and "$ref" in node:
                resolved = resolver.lookup(node["$ref"])
                resolver, node = resolved.resolver, resolved.contents
            if key is not None:
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
            return show(schema["const"])
        if "enum" in schema:
            return "one of " + ", ".join(str(v) for v in schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return " or ".join(self.expected(s, resolver, depth + 1) for s in schema[key])
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kind)
        if kind == "object" and schema.get("required"):
            return "a mapping with " + ", ".join(schema["required"])
        if kind == "array" and isinstance(schema.get("items"), dict):
            item = self.expected(schema["items"], resolver, depth + 1)
            return (
                f"a list of {_PLURALS[item]}" if item in _PLURALS else f"a list, each item {item}"
            )
        if "pattern" in schema:
            return self.patterns.get(schema["pattern"], f"a string matching {schema['pattern']}")
        return _TYPE_WORDS.get(kind, "a value") if isinstance(kind, str) else "a value"

    def explain(self, error: ValidationError, name: str) -> Iterator[tuple[Pointer, str]]:
        """One (field pointer, message) per problem that `error` stands for."""
        path = tuple(error.absolute_path)
        value, kind, rule, schema = (
            error.instance,
            error.validator,
            error.validator_value,
            error.schema,
        )
        _, resolver = self.locate(name, list(error.absolute_schema_path)[:-1])
        if kind == "additionalProperties" and rule is False and isinstance(value, dict):
            allowed = list(schema.get("properties", {}))
            unknown = [key for key in value if key not in allowed]
            listed = f"; allowed fields: {', '.join(allowed)}"
            for n, key in enumerate(unknown):
                # A "did you mean" costs a fuzzy match: only for as many as are ever shown.
                hint = (suggest(key, allowed) if n < PROBLEMS_PER_FILE else "") or listed
                yield path + (key,), f"unknown field {show(key)}{hint}"
        elif kind == "required" and isinstance(value, dict):
            # Worded once per schema place and field: a file of many rows reuses the words.
            where = (name, tuple(error.absolute_schema_path))
            if where not in self._required_words:
                condition = self._condition(error, name)
                self._required_words[where] = {
                    key: f"missing required field '{key}'{condition}: expected "
                    + self._expected_field(error, name, key)
                    for key in rule
                }
            words = self._required_words[where]
            for key in rule:
                if key not in value:
                    yield path + (key,), words[key]
        elif kind in ("oneOf", "anyOf"):
            yield from self._explain_alternatives(error, name)
        elif kind == "type":
            yield path, f"expected {self.expected(schema, resolver)}, found {found(value)}"
        elif kind == "enum":
            # A stricter cutoff than for names: 'passed' is not a typo of 'crashed'.
            hint = suggest(value, [str(v) for v in rule], 0.75) if isinstance(value, str) else ""
            yield (
                path,
                f"{show(value)} is not allowed; expected one of {', '.join(map(str, rule))}{hint}",
            )
        elif kind == "const":
            yield path, f"expected {show(rule)}, found {found(value)}"
        elif kind == "pattern":
            message = url_problem(value) if rule == self.url_pattern else None
            if message is None:
                wanted = self.patterns.get(rule, f"a string matching {rule}")
                message = f"{show(value)} is not valid: expected {wanted}"
            yield path, message
        elif kind == "minLength":
            yield (
                path,
                (
                    "must not be empty"
                    if rule == 1
                    else f"expected at least {rule} characters, found {len(value)}"
                ),
            )
        elif kind in ("minItems", "minProperties"):
            yield (
                path,
                f"expected at least {rule} item{'s' if rule != 1 else ''}, found {len(value)}",
            )
        elif kind == "uniqueItems":
            seen: set[str] = set()
            for i, item in enumerate(value):  # linear: each item's canonical JSON once
                key = json.dumps(item, sort_keys=True, default=str)
                if key in seen:
                    yield path + (i,), f"{show(item)} is listed twice; items must be unique"
                    break
                seen.add(key)
        elif kind in ("minimum", "exclusiveMinimum"):
            sign = ">=" if kind == "minimum" else ">"
            yield path, f"expected a number {sign} {rule}, found {found(value)}"
        elif kind in ("maximum", "exclusiveMaximum"):
            sign = "<=" if kind == "maximum" else "<"
            yield path, f"expected a number {sign} {rule}, found {found(value)}"
        elif kind == "format" and rule == "date-time":
            yield (
                path,
                (
                    f"expected an RFC 3339 date-time with offset and a year from "
                    f"{YEARS[0]} to {YEARS[1]}, like "
                    f"'2026-01-31T12:00:00+00:00', found {found(value)}"
                ),
            )
        else:
            yield path, error.message

    def _expected_field(self, error: ValidationError, name: str, key: str) -> str:
        """What a missing field should hold, from the nearest schema that declares it.

        A `then: {required: [...]}` rule does not declare the fields itself; the object
        schema around it does.
        """
        schema_path = list(error.absolute_schema_path)[:-1]
        for end in range(len(schema_path), -1, -1):
            node, resolver = self.locate(name, schema_path[:end])
            props = node.get("properties", {}) if isinstance(node, dict) else {}
            if isinstance(props, dict) and key in props:
                return self.expected(props[key], resolver)
        return "a value"

    def _condition(self, error: ValidationError, name: str) -> str:
        """' when source is 'builtin'' for a field required by an if/then rule, else ''."""
        schema_path = list(error.absolute_schema_path)
        if "then" not in schema_path:
            return ""
        cut = len(schema_path) - 1 - schema_path[::-1].index("then")
        try:
            condition, _ = self.locate(name, schema_path[:cut] + ["if"])
            ((key, rule),) = condition["properties"].items()
            return f" (needed when {key} is {show(rule['const'])})"
        except (KeyError, IndexError, TypeError, ValueError):
            return ""

    def _explain_alternatives(
        self, error: ValidationError, name: str
    ) -> Iterator[tuple[Pointer, str]]:
        # A branch whose top-level type does not fit the value (null vs a mapping) is not what
        # the author meant; if exactly one branch fits, its own errors say what is wrong.
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [
            errors
            for _, errors in sorted(branches.items())
            if not any(e.validator == "type" and not e.relative_path for e in errors)
        ]
        if len(fitting) == 1 and fitting[0]:
            for sub in fitting[0]:
                yield from self.explain(sub, name)
            return
        _, resolver = self.locate(name, list(error.absolute_schema_path)[:-1])
        yield (
            tuple(error.absolute_path),
            (f"expected {self.expected(error.schema, resolver)}, found {found(error.instance)}"),
        )
