"""What validate accepts, the build can render: zero, negative and non-finite latencies,
peaks and intervals are refused by `nnkb validate` and by the reader, with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnkb import results
from nnkb.cli import main

VALID_KB = Path(__file__).resolve().parents[1] / "fixtures" / "valid_kb"
RESULTS = "results/example-machine.json"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ('"p50"', "0.0", "expected a number >= 1e-09, found the number 0.0"),
        ('"ci95_high"', "-1", "expected a number >= 1e-09, found the number -1"),
        ('"p99"', "1e999", "inf is not a finite number; write null for a missing value"),
        ('"mean"', "NaN", "NaN is not a JSON number; write null for a missing value"),
        ('"fp32_flops"', "1e-300", "expected a number >= 1000000.0"),
        ('"fp32_flops"', "Infinity", "Infinity is not a JSON number"),
    ],
)
def test_an_implausible_figure_is_refused_with_file_and_line(
    tmp_path, capsys, field, value, message
):
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    path = kb / RESULTS
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(field + ":"))
    key, _, rest = lines[index].partition(":")
    lines[index] = f"{key}: {value}" + ("," if rest.rstrip().endswith(",") else "")
    path.write_text("\n".join(lines) + "\n")

    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert f"{kb}/{RESULTS}:{index + 1}:" in out and message in out
    with pytest.raises(results.ResultsError) as caught:
        results.read(path)
    assert str(caught.value).startswith(f"{path}:{index + 1}:")
    assert message in str(caught.value)
