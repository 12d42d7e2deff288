"""Downloads are safe to open: strict JSON, and CSV cells a spreadsheet shows as text.

The hostile fixture entry (tests/fixtures/site_kb/models/hostile-net.yaml) has a family that
starts like a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nnkb.render.build.downloads import FORMULA_STARTS, csv_text, finite, neutralise
from nnkb.render.build.site import build_context, render_files

SITE_KB = Path(__file__).parent / "fixtures" / "site_kb"
ANALYSIS_KB = Path(__file__).parent / "fixtures" / "analysis_kb"


def strict_loads(text: str | bytes) -> Any:
    """json.loads that refuses NaN, Infinity and numbers too large for a float."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    def number(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {text}")
        return value

    return json.loads(text, parse_constant=refuse, parse_float=number)


@pytest.fixture(scope="module", params=[SITE_KB, ANALYSIS_KB], ids=["site_kb", "analysis_kb"])
def files(request, tmp_path_factory) -> dict[str, str | bytes]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNKB_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
        return render_files(build_context(request.param))


def test_strict_loads_refuses_what_is_not_json():
    for text in ('{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e999}'):
        with pytest.raises(ValueError):
            strict_loads(text)


def test_every_json_download_parses_strictly(files):
    checked = [path for path in files if path.endswith(".json")]
    for path in checked:
        strict_loads(files[path])
    assert "api/results.json" in checked and "api/kb.json" in checked


def test_non_finite_numbers_become_null():
    assert finite({"a": [1.0, float("nan")], "b": float("inf"), "c": "x"}) == {
        "a": [1.0, None],
        "b": None,
        "c": "x",
    }


def cells(text: str | bytes) -> list[list[str]]:
    text = text.decode() if isinstance(text, bytes) else text
    return list(csv.reader(io.StringIO(text)))


def test_no_csv_cell_starts_like_a_formula(files):
    checked = 0
    for path, content in files.items():
        if not path.endswith(".csv"):
            continue
        header, *rows = cells(content)
        for row in rows:
            for column, cell in zip(header, row):
                checked += 1
                if cell.startswith(FORMULA_STARTS):
                    # A plain number in a numeric column is a number, not a formula.
                    float(cell)
    assert checked > 50


def test_hostile_family_is_prefixed_and_shown_whole():
    files = render_files(build_context(SITE_KB))
    header, *rows = cells(files["api/models.csv"])
    hostile = dict(zip(header, next(r for r in rows if r[0] == "hostile-net")))
    assert hostile["family"] == '\'=HYPERLINK("https://example.org") <b>Bold</b> | pipe'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_cells_starting_like_a_formula_are_neutralised(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("plain") == "plain" and neutralise(-1.5) == -1.5


def test_negative_numbers_stay_numbers_in_numeric_columns():
    frame = pd.DataFrame({"name": ["-x", "ok"], "value": [-1.5, 2.0], "count": [-3, 4]})
    assert cells(csv_text(frame)) == [
        ["name", "value", "count"],
        ["'-x", "-1.5", "-3"],
        ["ok", "2.0", "4"],
    ]


def test_cited_downloads_hold_every_figure_with_its_source():
    from nnkb.cited import load_cited

    files = render_files(build_context(SITE_KB))
    figures = [f for t in load_cited(SITE_KB) for f in t.figures]
    data = strict_loads(files["api/cited.json"])["figures"]
    header, *rows = cells(files["api/cited.csv"])
    assert len(data) == len(rows) == len(figures) == 4
    assert set(header) == set(data[0])  # the CSV and the JSON hold the same fields
    for record in data:
        assert record["source_url"] == "https://example.com/fixture-lab/edge-results"
        assert record["source_title"] and record["source_location"]
    first = dict(zip(header, rows[0]))
    assert (first["model"], first["value"], first["unit"], first["batch"]) == (
        "resnet-18",
        "4.25",
        "ms",
        "1",
    )
    # A condition that starts like a formula is text in a spreadsheet.
    assert first["conditions"].startswith("'=SUM")
    assert [dict(zip(header, r))["source_location"] for r in rows][-1] == "Table 3"
    # A figure without a batch stays empty, not 'nan' or '0'.
    assert "batch" in header and all(dict(zip(header, r))["batch"] != "nan" for r in rows)
