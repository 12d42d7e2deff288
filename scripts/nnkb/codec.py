"""The one (de)serialising module, a leaf: the names of raw JSON data (`Json`, `Settings`) and
one codec for the results dataclasses. A dataclass is read from its JSON object and written
back by its fields and their type hints, so that each field is described twice (in the schema
and in its dataclass), never a third time by hand.

Reading follows the hints: a nested dataclass is read as one, a `tuple[X, ...]` from a list,
a `dict[str, X]` value by value; anything else (str, int, float, bool, a JSON object held as
`Json`) is taken as it is. Nothing is coerced, because a coerced `8` -> `8.0` would change
the bytes written back. Data reaching `decode` has passed the schema, so a required field is
present; a field absent from the object takes its default, or None.

Writing is the reverse, with each field's rule from its metadata:
- by default a field is always written, None as null;
- `when_set()`: written only when not None. Fields added after files were written use it,
  so that an older file reads and writes back byte for byte;
- `written_with(name)`: written (None as null) only when the field `name` is set; a group of
  fields measured together (an agreement's many-input metrics, present from harness 5);
- `not_written()`: not part of the object (where a file was read from).
"""

from __future__ import annotations

import dataclasses
import functools
import types
from typing import Any, Self, TypeVar, Union, get_args, get_origin, get_type_hints

#: A JSON object as read from a file or a process boundary, or as written to one: raw KB
#: entries, results and manifests before (or after) they become types.
Json = dict[str, Any]
#: A runtime variant's settings: the JSON object a row stores (and its identity hashes), read
#: by the runtime's adapter, which alone knows its keys.
Settings = dict[str, Any]

T = TypeVar("T")

_RULE = "nnkb.results.written"
_WHEN_SET = "when set"
_NEVER = "never"


def when_set() -> Any:
    """A field (default None) written only when it is set."""
    return dataclasses.field(default=None, metadata={_RULE: _WHEN_SET})


def written_with(name: str) -> Any:
    """A field (default None) written, None included, only when the field `name` is set."""
    return dataclasses.field(default=None, metadata={_RULE: ("with", name)})


def not_written() -> Any:
    """A field (default None) that is not part of the JSON object: where the object was read
    from, for example. It takes no part in comparisons either."""
    return dataclasses.field(default=None, compare=False, metadata={_RULE: _NEVER})


class Record:
    """A results dataclass: `from_json` and `to_json` through the codec."""

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        return decode(cls, obj)

    def to_json(self) -> Json:
        return encode(self)


def decode(kind: type[T], obj: Json) -> T:
    """The dataclass `kind` read from its JSON object."""
    values = {}
    hints = _hints(kind)  # type: ignore[arg-type]
    for f in dataclasses.fields(kind):  # type: ignore[arg-type]
        if not f.init:
            continue
        if f.metadata.get(_RULE) == _NEVER:
            continue
        if f.name in obj:
            values[f.name] = _read(hints[f.name], obj[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = None
    return kind(**values)


def encode(record: Any) -> Json:
    """The JSON object of a dataclass instance, its fields in declaration order."""
    data: Json = {}
    for f in dataclasses.fields(record):
        if not f.init:
            continue
        value = getattr(record, f.name)
        rule = f.metadata.get(_RULE)
        if rule == _NEVER or (rule == _WHEN_SET and value is None):
            continue
        if isinstance(rule, tuple) and getattr(record, rule[1]) is None:
            continue
        data[f.name] = _write(value)
    return data


@functools.cache
def _hints(kind: type) -> Json:
    return get_type_hints(kind)


def _read(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        present = [arg for arg in get_args(hint) if arg is not type(None)]
        return _read(present[0], value) if len(present) == 1 else value
    if dataclasses.is_dataclass(hint):
        return decode(hint, value)  # type: ignore[arg-type]
    args = get_args(hint)
    if origin is tuple:
        return tuple(_read(args[0] if args else Any, v) for v in value)
    if origin is list:
        return [_read(args[0] if args else Any, v) for v in value]
    if origin is dict:
        return {k: _read(args[1] if args else Any, v) for k, v in value.items()}
    return value


def _write(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    if isinstance(value, (tuple, list)):
        return [_write(v) for v in value]
    if isinstance(value, dict):
        return {k: _write(v) for k, v in value.items()}
    return value
