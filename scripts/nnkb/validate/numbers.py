"""Numbers no page can show and no analysis can hold: inf, nan and integers beyond 2^53.

JSON Schema's `type: number` accepts inf and nan (YAML's `.inf`, `.nan`; Python's json reads
`1e999` as inf), and a `maximum` does not refuse nan; this walk finds them anywhere in a file.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..yamlsafe import Pointer

#: The largest integer a float64 (pandas, JavaScript) holds exactly; the schema's maximum too.
MAX_INTEGER = 2**53 - 1


def short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"


def non_finite(data: Any, prefix: Pointer = ()) -> Iterator[tuple[Pointer, float | int]]:
    """Numbers no analysis can hold: inf and nan (Python's json reads 1e999 as inf; the file
    is not JSON any other parser accepts) and integers beyond 2^53, anywhere in the file."""
    if (
        isinstance(data, float)
        and not math.isfinite(data)
        or isinstance(data, int)
        and not isinstance(data, bool)
        and abs(data) > MAX_INTEGER
    ):
        yield prefix, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from non_finite(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from non_finite(value, prefix + (i,))


def problem(value: float) -> str:
    """The message for a value `non_finite` found."""
    if isinstance(value, int):
        return (
            f"{short(value)} is beyond the integers the analysis holds exactly; expected "
            f"at most {MAX_INTEGER} (2^53 - 1) in magnitude"
        )
    return f"{value} is not a finite number; write null for a missing value"
