"""Load one KB YAML file safely, keeping the line and column of every value.

PyYAML's safe loader accepts duplicate keys silently and expands aliases without
limit; a KB file is contributor input, so both are refused here with a position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 50_000

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


class YamlProblem(Exception):
    """A file that cannot be turned into data; carries the position of the fault."""

    def __init__(self, message: str, mark: Mark = Mark(1, 1)):
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class LoadedYaml:
    data: Any
    marks: dict[Pointer, Mark] = field(default_factory=dict)
    first_line: str = ""

    def mark_for(self, pointer: Pointer) -> Mark:
        """Position of the value at `pointer`, or of its nearest ancestor that has one."""
        pointer = tuple(pointer)
        while pointer not in self.marks and pointer:
            pointer = pointer[:-1]
        return self.marks.get(pointer, Mark(1, 1))


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.marks: dict[Pointer, Mark] = {}
        self.count = 0

    def build(self, node: yaml.Node, pointer: Pointer) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(
                f"document expands to more than {MAX_NODES} values; "
                "aliases that multiply (an alias bomb) are refused",
                _mark(node),
            )
        self.marks[pointer] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            key_marks: dict[Any, Mark] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlProblem("merge keys (<<) are not allowed in KB files", _mark(key_node))
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlProblem("mapping keys must be plain strings", _mark(key_node))
                key = _construct_scalar(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in key_marks:
                    first = key_marks[key]
                    raise YamlProblem(
                        f"duplicate key '{key}' (first defined on line {first.line}); "
                        "each key may appear once",
                        _mark(key_node),
                    )
                key_marks[key] = _mark(key_node)
                result[key] = self.build(value_node, pointer + (key,))
                # A value's mark is where the key is written: editors show that line.
                self.marks[pointer + (key,)] = _mark(key_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, pointer + (i,)) for i, item in enumerate(node.value)]
        return _construct_scalar(node)


_SCALAR_LOADER = yaml.SafeLoader("")


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    value = _SCALAR_LOADER.construct_object(node, deep=True)
    # Dates stay strings so that data round-trips to JSON unchanged.
    if not isinstance(value, (str, int, float, bool, type(None))):
        return node.value
    return value


def load_yaml(path: Path) -> LoadedYaml:
    """Parse `path`; raise YamlProblem with a position for anything that is not clean data."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlProblem(f"file is {size} bytes; KB files may be at most {MAX_FILE_BYTES} bytes")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlProblem(f"YAML syntax error: {exc.problem or exc}", where) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    first_line = text.splitlines()[0] if text else ""
    if node is None:
        return LoadedYaml(data=None, first_line=first_line)
    builder = _Builder()
    data = builder.build(node, ())
    return LoadedYaml(data=data, marks=builder.marks, first_line=first_line)
