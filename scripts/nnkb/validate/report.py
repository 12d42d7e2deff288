"""Report stage of `nnkb validate`: every problem printed (nnkb.problems words each one),
then a summary line."""

from __future__ import annotations

import sys
from typing import TextIO

from ..problems import Problem, count, limited, plural


def print_report(
    problems: list[Problem],
    kb_display: str,
    entries: int,
    results_files: int,
    *,
    github: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print every problem (sorted) and a summary line; return the exit status.

    Problems go to `out`, their count to `err`; on success the summary goes to `out`.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    ordered = limited(problems)
    for problem in ordered:
        print(problem.line_text(), file=out)
        if github:
            print(problem.github_annotation(), file=out)
    if ordered:
        files = len({p.path for p in ordered})
        print(f"{plural(count(ordered), 'problem')} in {plural(files, 'file')}", file=err)
        return 1
    print(
        f"{kb_display.rstrip('/')}/ is valid: {plural(entries, 'entry', 'entries')}, "
        f"{plural(results_files, 'results file')}",
        file=out,
    )
    return 0
