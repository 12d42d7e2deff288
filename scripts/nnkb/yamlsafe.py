"""Load one KB YAML file safely, keeping the line and column of every value.

Every KB and results file is read here (`read_regular_file`): only regular files, never
through a symlink, never more than MAX_FILE_BYTES + 1 bytes.

PyYAML's safe loader accepts duplicate keys silently and expands aliases without
limit; a KB file is contributor input, so both are refused here with a position.
Tags other than YAML's plain scalars and collections, recursive aliases and very
deep nesting are refused too, so that no input can end in a traceback.

`load_json` reads a results file with the same positions: the data comes from the
json module (exact JSON semantics), the positions from composing the same text as YAML.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .codec import Json

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 50_000
MAX_DEPTH = 100

_CORE = "tag:yaml.org,2002:"
# Tags the YAML resolver assigns to plain data; anything else was written by hand (`!!python/...`).
_ALLOWED_TAGS = {
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}

# Not every platform has these flags; where one is missing the lstat check still applies.
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Windows opens in text mode unless told otherwise (CRLF -> LF, Ctrl-Z ends the file): the
# bytes read must be the file's, so positions and sizes are the same on every platform.
_O_BINARY = getattr(os, "O_BINARY", 0)

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
    # Positions worked out on first need (JSON: only a file with a problem pays for them).
    lazy_marks: Callable[[], dict[Pointer, Mark]] | None = None

    def mark_for(self, pointer: Pointer) -> Mark:
        """Position of the value at `pointer`, or of its nearest ancestor that has one."""
        if self.lazy_marks is not None:
            self.marks, self.lazy_marks = self.lazy_marks(), None
        pointer = tuple(pointer)
        while pointer not in self.marks and pointer:
            pointer = pointer[:-1]
        return self.marks.get(pointer, Mark(1, 1))


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, max_nodes: int | None = MAX_NODES) -> None:
        self.marks: dict[Pointer, Mark] = {}
        self.count = 0
        self.max_nodes = max_nodes
        self.open: set[int] = set()  # ids of the collection nodes being built (cycle check)

    def build(self, node: yaml.Node, pointer: Pointer) -> Any:
        self.count += 1
        if self.max_nodes is not None and self.count > self.max_nodes:
            raise YamlProblem(
                f"document expands to more than {self.max_nodes} values; "
                "aliases that multiply (an alias bomb) are refused",
                _mark(node),
            )
        if len(pointer) > MAX_DEPTH:
            raise YamlProblem(f"values are nested more than {MAX_DEPTH} levels deep", _mark(node))
        if node.tag not in _ALLOWED_TAGS and node.tag != _CORE + "value":
            raise YamlProblem(
                f"tag '{node.tag.replace(_CORE, '!!')}' is not allowed; "
                "KB files hold plain strings, numbers, booleans, lists and mappings",
                _mark(node),
            )
        self.marks[pointer] = _mark(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.open:
                raise YamlProblem(
                    "an alias refers to a value that contains it; recursive aliases are refused",
                    _mark(node),
                )
            self.open.add(id(node))
            try:
                return self._build_collection(node, pointer)
            finally:
                self.open.discard(id(node))
        return _construct_scalar(node)

    def _build_collection(self, node: yaml.Node, pointer: Pointer) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: Json = {}
            key_marks: dict[Any, Mark] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlProblem(
                        "merge keys (<<) are not allowed in KB files", _mark(key_node)
                    )
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
        return [self.build(item, pointer + (i,)) for i, item in enumerate(node.value)]


_SCALAR_LOADER = yaml.SafeLoader("")
# Python refuses to read an integer of more than 4300 digits (sys.get_int_max_str_digits()).
_TOO_LONG = "a number of more than 4300 digits; no count or measurement is that long"
_LONG_NUMBER = re.compile(r"\d{4301,}")


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == _CORE + "value":  # a lone `=`: PyYAML has no constructor for it
        return node.value
    try:
        value = _SCALAR_LOADER.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # e.g. `!!int abc`
        shown = (
            node.value
            if len(node.value) <= 40
            else f"{node.value[:20]}...({len(node.value)} characters)"
        )
        reason = _TOO_LONG if "integer string conversion" in str(exc) else str(exc)
        raise YamlProblem(
            f"value '{shown}' cannot be read as {node.tag.replace(_CORE, '!!')} ({reason})",
            _mark(node),
        ) from None
    finally:
        # The loader caches every node it constructed; drop it so memory does not grow per file.
        _SCALAR_LOADER.constructed_objects.pop(node, None)
    # Dates stay strings so that data round-trips to JSON unchanged.
    if not isinstance(value, (str, int, float, bool, type(None))):
        return node.value
    return value


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is ('a symlink', 'a FIFO'...), else None."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def symlinked_folder(path: Path) -> str | None:
    """The problem with a KB folder (models/, results/...) that is a symlink, else None.

    Files found through it would come from outside the KB, so the folder is not read.
    """
    if path.is_symlink():
        return f"'{path.name}' is a symlink; KB folders must be real folders inside the KB"
    return None


def _check_regular(path: Path, info: os.stat_result, limit: int) -> None:
    kind = _not_regular(info.st_mode)
    if kind is not None:
        raise YamlProblem(f"'{path.name}' is {kind}; KB files must be regular files")
    if info.st_size > limit:
        raise YamlProblem(f"file is {info.st_size} bytes; KB files may be at most {limit} bytes")


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `limit` bytes.

    A symlink, folder, FIFO, device or socket is refused from lstat, before it is opened:
    a symlink's target may be a secret (whose first line would land in CI logs) or
    /dev/zero. O_NOFOLLOW and O_NONBLOCK keep a file swapped in after the check from being
    followed or from blocking, and at most `limit` + 1 bytes are read whatever stat says,
    so a file that grows while it is read cannot eat memory. Raises YamlProblem (or OSError
    if the file cannot be opened at all).
    """
    _check_regular(path, os.lstat(path), limit)
    fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC)
    try:
        _check_regular(path, os.fstat(fd), limit)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise YamlProblem(f"file is more than {limit} bytes; KB files may be at most {limit} bytes")
    return b"".join(chunks)


def _read_text(path: Path) -> str:
    raw = read_regular_file(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing the first value nested deeper than MAX_DEPTH as it
    composes: its scanner looks up to 1024 characters ahead at every open `[`, so a line of
    thousands took a second or more to reach Python's recursion limit."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # self.depth is the value's depth, as _Builder counts it; a key (index None in a
        # mapping) is not a value, and _Builder refuses keys that are not plain strings.
        is_key = isinstance(parent, yaml.MappingNode) and index is None
        if self.depth > MAX_DEPTH and not is_key:
            start = self.peek_event().start_mark
            raise YamlProblem(
                f"values are nested more than {MAX_DEPTH} levels deep",
                Mark(start.line + 1, start.column + 1),
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose_yaml(text: str) -> yaml.Node | None:
    if len(text) > _CACHED_TEXT_CHARS:  # bounds the cache's memory; KB entries are far smaller
        return yaml.compose(text, Loader=_DepthLimitedLoader)
    return _compose_cached(text)


_CACHED_TEXT_CHARS = 100_000


@functools.lru_cache(maxsize=256)
def _compose_cached(text: str) -> yaml.Node | None:
    # A site build validates the KB and then loads it, parsing each file twice; PyYAML's pure
    # Python composer is the slow part. Nodes are only read after composing, so one tree can
    # serve both. Errors are not cached: they are raised again, the same, on the next call.
    return yaml.compose(text, Loader=_DepthLimitedLoader)


def _compose_json(text: str) -> yaml.Node | None:
    # Only for text that json.loads has read to its end: nested no deeper than the json module
    # allows, so libyaml's composer (several times faster, and recursive in C) is safe here;
    # it gives the same marks.
    return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _compose(
    text: str, max_nodes: int | None, compose: Callable[[str], yaml.Node | None] = _compose_yaml
) -> tuple[Any, dict[Pointer, Mark]]:
    try:
        node = compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        message = f"YAML syntax error: {exc.problem or exc}"
        # The cause is often where the construct began ("while parsing a flow sequence").
        context, start = exc.context, exc.context_mark
        if context and start and exc.problem_mark and start.line != exc.problem_mark.line:
            message += f" ({context} that starts on line {start.line + 1})"
        raise YamlProblem(message, where) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only an offset
        offset = exc.position
        where = Mark(
            text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
        )
        raise YamlProblem(
            f"character U+{ord(exc.character) if isinstance(exc.character, str) else exc.character:04X}"
            " is not allowed in YAML; remove it or write it as an escape in a quoted string",
            where,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    except RecursionError:  # PyYAML composes recursively: `[[[[...` thousands deep
        raise YamlProblem(f"values are nested more than {MAX_DEPTH} levels deep") from None
    if node is None:
        return None, {}
    builder = _Builder(max_nodes)
    return builder.build(node, ()), builder.marks


def load_yaml(path: Path) -> LoadedYaml:
    """Parse `path`; raise YamlProblem with a position for anything that is not clean data."""
    text = _read_text(path)
    first_line = text.splitlines()[0] if text else ""
    data, marks = _compose(text, MAX_NODES)
    loaded = LoadedYaml(data=data, marks=marks, first_line=first_line)
    _refuse_unencodable(loaded)
    return loaded


def _unencodable(data: Any, prefix: Pointer = ()) -> tuple[Pointer, str] | None:
    """The first text (value or key) that is not valid Unicode, with its pointer: an escape
    such as \\ud800 gives a lone surrogate, which no page or UTF-8 file can hold."""
    stack: list[tuple[Pointer, Any]] = [(prefix, data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return pointer, value
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and not key.isascii():
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError:
                        return pointer + (key,), key
                stack.append((pointer + (key,), item))
        elif isinstance(value, list):
            stack.extend((pointer + (i,), item) for i, item in enumerate(value))
    return None


# A \\u escape of a surrogate that is not half of a pair.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _refuse_unencodable(loaded: LoadedYaml, text: str = "") -> None:
    found = _unencodable(loaded.data)
    if found is None:
        return
    pointer, value = found
    bad = next(c for c in value if 0xD800 <= ord(c) <= 0xDFFF)
    mark = loaded.mark_for(pointer)
    escape = _LONE_SURROGATE.search(text)
    if mark == Mark(1, 1) and escape:  # no positions (PyYAML cannot compose it): the escape's
        offset = escape.start()
        mark = Mark(text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)
    raise YamlProblem(
        f"text holds the lone surrogate \\u{ord(bad):04x}, which is not a character: "
        "an escape that is half of a pair; write the character itself",
        mark,
    )


_NON_JSON_CONSTANT = re.compile(r"-?\b(?:NaN|Infinity)\b")


def load_json(path: Path) -> LoadedYaml:
    """Parse a JSON file strictly; positions of values as in `load_yaml`.

    Duplicate keys and NaN/Infinity (which Python's json accepts) are refused.
    """
    text = _read_text(path)
    first_line = text.splitlines()[0] if text else ""
    if not text.strip():
        return LoadedYaml(data=None, first_line=first_line)

    def refuse_constant(name: str) -> Any:
        match = _NON_JSON_CONSTANT.search(text)
        offset = match.start() if match else 0
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise YamlProblem(
            f"{name} is not a JSON number; write null for a missing value", Mark(line, col)
        )

    def positions(
        compose: Callable[[str], yaml.Node | None] = _compose_json,
    ) -> dict[Pointer, Mark]:
        try:
            # JSON is YAML, so composing it gives positions (and refuses duplicate keys).
            # The YAML values are discarded: YAML 1.1 reads `1e-05` as a string.
            return _compose(text, max_nodes=None, compose=compose)[1]
        except YamlProblem as exc:
            if exc.message.startswith("duplicate key"):
                raise
            return {}  # valid JSON that PyYAML cannot read (rare): positions fall back to 1:1

    try:
        data = json.loads(text, parse_constant=refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise YamlProblem(f"JSON syntax error: {exc.msg}", Mark(exc.lineno, exc.colno)) from None
    except RecursionError:
        raise YamlProblem(f"values are nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # not JSONDecodeError (caught above): an integer too long to read
        if "integer string conversion" not in str(exc):
            raise
        match = _LONG_NUMBER.search(text)
        offset = match.start() if match else 0
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise YamlProblem(_TOO_LONG, Mark(line, col)) from None
    except _DuplicateKey as exc:
        positions(_compose_yaml)  # raises the duplicate key with its position; the text after
        # the key was not read by json, so it is composed in Python, which survives any depth
        raise YamlProblem(f"duplicate key {exc.args[0]!r}") from None
    # Composing is pure Python and the slow part of reading a results file: only a file with a
    # problem to report needs positions.
    loaded = LoadedYaml(data=data, first_line=first_line, lazy_marks=positions)
    _refuse_unencodable(loaded, text)
    return loaded


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> Json:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result
