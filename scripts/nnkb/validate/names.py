"""Names are shown as written: a Unicode format character (category Cf: bidi overrides such
as U+202E, zero-width spaces and joiners, the soft hyphen) in one would let an entry look like
another, or hide text. `nnkb validate` refuses them in the fields that name things."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from ..yamlsafe import Pointer

#: Fields that name things, wherever they are in a KB entry, a cited table or a results file.
NAME_FIELDS = frozenset({"name", "title", "label", "family", "cpu_model"})


def format_characters(data: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, str]]:
    """(pointer, first format character) of every name field holding one."""
    stack: list[tuple[Pointer, Any]] = [(prefix, data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                here = pointer + (key,)
                if key in NAME_FIELDS and isinstance(item, str) and not item.isascii():
                    found = next((c for c in item if unicodedata.category(c) == "Cf"), None)
                    if found is not None:
                        yield here, found
                elif isinstance(item, (dict, list)):
                    stack.append((here, item))
        elif isinstance(value, list):
            stack.extend((pointer + (i,), item) for i, item in enumerate(value))


def problem(char: str) -> str:
    name = unicodedata.name(char, "a format character")
    return (
        f"holds the invisible format character U+{ord(char):04X} ({name}); a name is shown as "
        "written, and bidi controls or zero-width characters make one look like another: "
        "remove it"
    )
