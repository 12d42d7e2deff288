"""Shared pytest setup: the --update-golden flag and the golden-file check.

Golden files (tests/golden/) are rewritten from the current output when pytest runs with
--update-golden or with NNKB_UPDATE_GOLDEN=1 in the environment; the flag sets the variable.
Tests compare through the `golden` fixture: `golden("render/models-index.md", text)`.

A page's plotly charts are stored beside its golden file, as `<name>.charts.json` with the
figure's data, layout and config indented and with sorted keys, and the page keeps a marker
where each chart was: a plotly upgrade that changes a figure then gives a readable diff.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"
_CHART = re.compile(r'<div style="height:\d+px; width:100%;">.*?</script>\s*</div>', re.DOTALL)
_NEW_PLOT = "Plotly.newPlot("


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


def chart_arguments(fragment: str) -> list[Any]:
    """The arguments of the Plotly.newPlot call in a chart fragment: id, data, layout, config."""
    decoder = json.JSONDecoder()
    pos = fragment.index(_NEW_PLOT) + len(_NEW_PLOT)
    arguments = []
    for _ in range(4):
        while fragment[pos] in " \n\t,":
            pos += 1
        value, pos = decoder.raw_decode(fragment, pos)
        arguments.append(value)
    return arguments


def split_charts(text: str) -> tuple[str, dict[str, Any]]:
    """The page with a marker for each chart, and the charts by div id."""
    charts: dict[str, Any] = {}

    def marker(match: re.Match[str]) -> str:
        div_id, data, layout, config = chart_arguments(match.group(0))
        charts[div_id] = {"data": data, "layout": layout, "config": config}
        return f"<!-- chart {div_id}: see the .charts.json golden file -->"

    return _CHART.sub(marker, text), charts


def _compare(path: Path, text: str) -> None:
    if os.environ.get("NNKB_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run pytest with --update-golden"
    expected = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "new")
    )
    assert text == expected, f"{path.name} differs from its golden file:\n{diff}"


def check_golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/<name> (its charts with <name>.charts.json)."""
    page, charts = split_charts(text)
    charts_path = GOLDEN / f"{name}.charts.json"
    if charts:
        _compare(charts_path, json.dumps(charts, indent=1, sort_keys=True) + "\n")
    else:
        assert not charts_path.exists() or os.environ.get("NNKB_UPDATE_GOLDEN") == "1", (
            f"{charts_path} is left over: the page has no chart any more"
        )
        charts_path.unlink(missing_ok=True)
    _compare(GOLDEN / name, page)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """The golden-file check, `golden("render/models-index.md", text)`."""
    return check_golden
