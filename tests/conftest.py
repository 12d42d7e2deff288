"""Shared pytest setup: the --update-golden flag.

Golden files (tests/golden/) are rewritten from the current output when pytest runs with
--update-golden or with NNKB_UPDATE_GOLDEN=1 in the environment; the flag sets the variable,
so tests only need to read NNKB_UPDATE_GOLDEN.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files in tests/golden/ from the current output",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-golden"):
        os.environ["NNKB_UPDATE_GOLDEN"] = "1"
