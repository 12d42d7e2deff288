"""A problem in a file and its wording: the one type `nnkb validate`, the results reader,
`nnkb check-results` and the cited-figures loader report, below all of them (a leaf beside
yamlsafe). One line per problem, `path:line:col: entry.field: message`, the format compilers
use, so editors and terminals turn it into a link; on GitHub Actions also a workflow command
(`::error file=...`) so the problem shows as an annotation on the pull request's diff. At
most PROBLEMS_PER_FILE per file are shown (`limited`), then one line counting the rest.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .yamlsafe import Pointer

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

#: At most this many problems are reported per file; the rest are counted ("and N more"), so
#: a file of a million broken rows costs what reading it costs, not a report of millions of lines.
PROBLEMS_PER_FILE = 200


def field_path(pointer: Pointer) -> str:
    """`("rows", 3, "latency", "p50")` -> `rows[3].latency.p50`; odd keys are quoted."""
    out = ""
    for part in pointer:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file. Field order is the sort order: path, then line."""

    path: str  # as the user would type it, e.g. kb/models/resnet-18.yaml
    line: int  # 1-based
    col: int  # 1-based
    entry: str  # file stem
    field: str  # dotted field path, "" for the file as a whole
    message: str
    hidden: int = 0  # > 0: not a problem but the count of problems past the limit, not shown

    @property
    def where(self) -> str:
        if not self.field:
            return self.entry
        joiner = "" if self.field.startswith("[") else "."
        return f"{self.entry}{joiner}{self.field}"

    @property
    def text(self) -> str:
        if self.hidden:
            return (
                f"and {plural(self.hidden, 'more problem')} in this file, not shown "
                f"(at most {PROBLEMS_PER_FILE} are shown per file)"
            )
        return self.message

    def line_text(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.where}: {self.text}"

    def github_annotation(self) -> str:
        # Escaping as in @actions/core: data escapes %, CR, LF; properties also ':' and ','.
        return (
            f"::error file={_escape_property(self.path)},line={self.line},col={self.col}"
            f"::{_escape_data(f'{self.where}: {self.text}')}"
        )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def limited(problems: Iterable[Problem], limit: int = PROBLEMS_PER_FILE) -> list[Problem]:
    """The problems sorted and without repeats, at most `limit` per file; a file with more
    ends with one `hidden` marker counting the rest (and the markers its checks left)."""
    by_path: dict[str, list[Problem]] = defaultdict(list)
    hidden: dict[str, int] = defaultdict(int)
    markers: dict[str, Problem] = {}
    for problem in set(problems):
        if problem.hidden:
            hidden[problem.path] += problem.hidden
            markers.setdefault(problem.path, problem)
        else:
            by_path[problem.path].append(problem)
    out: list[Problem] = []
    for path in sorted(by_path.keys() | hidden.keys()):
        ordered = sorted(by_path[path])
        out += ordered[:limit]
        more = hidden[path] + max(0, len(ordered) - limit)
        if more:
            at = ordered[limit] if len(ordered) > limit else markers[path]
            last = ordered[min(len(ordered), limit) - 1] if ordered else at
            # Placed after the last problem shown, so it prints last.
            out.append(replace(max(at, last), field="", message="", hidden=more))
    return out


def count(problems: Iterable[Problem]) -> int:
    """How many problems `problems` stands for, the hidden ones included."""
    return sum(p.hidden or 1 for p in problems)
