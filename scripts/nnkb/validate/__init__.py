"""`nnkb validate`: check every KB file and results file and report every problem in one run.

Three stages, as in check-jsonschema:

- parse (`parse.py`): find the KB's files (layout rules) and load each one with the position
  of every value (`nnkb.yamlsafe`); a file that cannot be loaded is one problem;
- collect (`checks.py`): file names, schema lines, JSON Schema errors (worded by
  `schemas.py`), URLs (`urls.py`), results consistency, then references between files
  (`references.py`);
- report (`report.py`): every problem as `path:line:col: entry.field: message`, sorted, plus a
  GitHub `::error` annotation on GitHub Actions, and a summary line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..problems import Problem
from .report import print_report

if TYPE_CHECKING:
    from .checks import Checker, Report, check_kb

__all__ = ["Checker", "Problem", "Report", "check_kb", "print_report", "run"]


def __getattr__(name: str) -> Any:
    # The checks import every source loader (onnx among them): loaded on first use, so that
    # a module that needs only the report (a bench worker reading a results row) starts fast.
    if name in ("Checker", "Report", "check_kb"):
        from . import checks

        return getattr(checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(args: argparse.Namespace) -> int:
    """`nnkb validate [--kb DIR]`: print every problem; exit status 1 if there is any."""
    kb_dir = Path(args.kb)
    try:
        from .checks import check_kb

        report = check_kb(kb_dir, str(kb_dir))
        github = os.environ.get("GITHUB_ACTIONS") == "true"
        return print_report(
            report.problems, str(kb_dir), report.entries, report.results_files, github=github
        )
    except Exception as exc:  # noqa: BLE001 - the promise is a clean message, never a traceback
        print(
            f"nnkb validate: internal error ({type(exc).__name__}: {exc}); "
            "please report this as a bug",
            file=sys.stderr,
        )
        return 1
