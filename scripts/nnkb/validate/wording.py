"""How `nnkb validate` shows values in its messages and suggests the name that was meant."""

from __future__ import annotations

import difflib
import json
from typing import Any

ID_WORDS = "lowercase letters, digits and single hyphens"


def show(value: Any) -> str:
    """A value as it would be written, quoted, cut to 60 characters."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def found(value: Any) -> str:
    """What kind of value was found: 'the string 'x'', 'a list', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, (int, float)):
        return f"the number {show(value)}"
    return "a list" if isinstance(value, list) else "a mapping"


def suggest(word: str, choices: list[str], cutoff: float = 0.6) -> str:
    """'; did you mean 'x'?' for the closest of `choices`, or '' if none is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return f"; did you mean '{close[0]}'?" if close else ""
