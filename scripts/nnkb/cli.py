"""The `nnkb` command: one subcommand per pipeline stage.

kb/ -> validate -> bench -> results -> render (mkdocs hook). Each subcommand takes
--kb DIR so it can run on a copy of the knowledge base.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """A usage error is one line (what is wrong, where to read more) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _add_kb(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kb", type=Path, default=Path("kb"), help="knowledge base folder (default: kb)"
    )


def positive_seconds(text: str) -> float:
    """A number of seconds > 0 and finite: a timeout of -5 or a budget of nan is a typo."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a positive, finite number of seconds")
    return value


#: A row's budget and timeout are at most a day: the schema's maximum for `budget_s` and any
#: stored time, so a row measured with them can be written and read back.
MAX_ROW_SECONDS = 86400.0


def row_seconds(text: str) -> float:
    """positive_seconds, at most MAX_ROW_SECONDS."""
    value = positive_seconds(text)
    if value > MAX_ROW_SECONDS:
        raise argparse.ArgumentTypeError(
            f"'{text}' is more than a day; expected at most {MAX_ROW_SECONDS:g} seconds "
            "(the results schema's maximum for a row)"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nnkb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check every KB file and results file; report all problems")
    _add_kb(p)

    p = sub.add_parser("bench", help="run the benchmark rows whose cached result is missing")
    _add_kb(p)
    p.add_argument("--models", nargs="+", metavar="ID", help="only these kb/models ids")
    p.add_argument("--runtimes", nargs="+", metavar="NAME", help="only these runtime adapters")
    p.add_argument("--force", action="store_true", help="rerun rows even if their key is cached")
    p.add_argument(
        "--budget",
        type=positive_seconds,
        metavar="SECONDS",
        help="stop starting new rows after this many seconds",
    )
    p.add_argument(
        "--row-budget",
        type=row_seconds,
        metavar="SECONDS",
        help="time budget for the repetitions of one row",
    )
    p.add_argument(
        "--timeout",
        type=row_seconds,
        metavar="SECONDS",
        help="kill a row's subprocess after this many seconds",
    )
    p.add_argument(
        "--results",
        type=Path,
        metavar="FILE",
        help="results file to write (default: KB/results/<machine-id>.json)",
    )
    p.add_argument(
        "--matrix",
        choices=("default", "full"),
        default="default",
        help="default: the models whose onnx.benchmark is true, every variant of each (INT8 "
        "included; ~10 min cold on 2 cores); full: also the models whose onnx.benchmark is "
        "'full' (too costly for a cold default run; a default run keeps their stored rows)",
    )
    p.add_argument("--dry-run", action="store_true", help="list the rows that would run")

    p = sub.add_parser("model", help="write a model's ONNX file and print its graph statistics")
    _add_kb(p)
    p.add_argument("id", help="kb/models id")
    p.add_argument("--out", type=Path, help="write the ONNX file here")

    from .models.store_cli import add_parser as add_models_parser

    add_models_parser(sub, _add_kb)

    p = sub.add_parser(
        "machine", help="print this machine's fingerprint, id and results file in the KB"
    )
    _add_kb(p)

    p = sub.add_parser(
        "check-results",
        help="check results files: schema and consistency errors, plausibility warnings",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="results files to check")
    p.add_argument(
        "--kb",
        type=Path,
        default=Path("kb"),
        help="knowledge base whose results files are the comparable machines (default: kb)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            from .validate import run
        elif args.command == "bench":
            from .bench.runner import run
        elif args.command == "model":
            from .models.cli import run
        elif args.command == "models":
            from .models.store_cli import run
        elif args.command == "machine":
            from .bench.machine import run
        elif args.command == "check-results":
            from .check_results import run
        else:  # pragma: no cover - argparse rejects unknown commands
            raise AssertionError(args.command)
        return run(args)
    except KeyboardInterrupt:
        print("nnkb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
