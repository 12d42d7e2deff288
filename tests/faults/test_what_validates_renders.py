"""What validates, the build can render: every value the site would choke on is refused by
`nnkb validate`, `nnkb check-results` and the reader, with file, line and what was expected:
integers beyond 2^53, dates in years the renderer cannot format, text that is not Unicode
(a lone surrogate), ids in rows that are no id of the KB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnkb import results
from nnkb.cli import main
from nnkb.kb import KBError, load_kb

VALID_KB = Path(__file__).resolve().parents[1] / "fixtures" / "valid_kb"
RESULTS = "results/example-machine.json"
MODEL = "models/squeezenet-1-1.yaml"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    shutil.copytree(VALID_KB, tmp_path / "kb")
    return tmp_path / "kb"


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first line holding `old`'s text; returns its 1-based number."""
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if old in line)
    lines[index] = lines[index].replace(old, new)
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def refused(kb: Path, capsys, line: int, message: str) -> None:
    """validate, check-results and the site's reader all refuse the file at `line` with `message`."""
    path = kb / RESULTS
    assert main(["validate", "--kb", str(kb)]) == 1
    out, err = capsys.readouterr()
    assert f"{kb}/{RESULTS}:{line}:" in out and message in out, out
    assert "Traceback" not in out + err
    assert main(["check-results", "--kb", str(kb), str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"{path.as_posix()}:{line}:" in out and message in out, out
    assert "internal error" not in out + err
    with pytest.raises(results.ResultsError) as caught:
        results.load_all(kb)  # the site's reader
    assert str(caught.value).startswith(f"{path}:{line}:") and message in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"macs": 349152304', '"macs": 123456789012345678901234567890'),
        ('"memory_bytes": 8337055744', '"memory_bytes": 18446744073709551616'),
        ('"macs": 349152304', '"macs": -9007199254740993'),
    ],
)
def test_an_integer_beyond_2_53_is_refused(kb, capsys, old, new):
    line = edit(kb / RESULTS, old, new)
    refused(kb, capsys, line, "is beyond the integers the analysis holds exactly")


def test_an_integer_too_long_for_python_to_read_is_refused(kb, capsys):
    line = edit(kb / RESULTS, '"macs": 349152304', '"macs": ' + "9" * 5000)
    refused(kb, capsys, line, "a number of more than 4300 digits")
    line = edit(
        kb / MODEL, "parameters: {value: 1235496,", "parameters: {value: " + "9" * 5000 + ","
    )
    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert f"{kb}/{MODEL}:{line}:" in out and "(5000 characters)' cannot be read as !!int" in out


def test_an_integer_beyond_2_53_inside_settings_is_refused(kb, capsys):
    line = edit(kb / RESULTS, '"threads": 2', '"threads": 99999999999999999999')
    refused(kb, capsys, line, "expected at most 9007199254740991 (2^53 - 1) in magnitude")


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_outside_the_years_the_site_formats_is_refused(kb, capsys, date):
    line = edit(kb / RESULTS, "2026-11-25T08:00:00+00:00", date)
    refused(kb, capsys, line, "with offset and a year from 1970 to 9998")


def test_a_lone_surrogate_is_refused_at_read(kb, capsys):
    line = edit(kb / RESULTS, '"label": "AMD EPYC, 2 cores"', '"label": "AMD \\ud800 EPYC"')
    refused(kb, capsys, line, "text holds the lone surrogate \\ud800")


def test_a_pair_of_surrogate_escapes_is_a_character(kb, capsys):
    edit(kb / RESULTS, '"label": "AMD EPYC, 2 cores"', '"label": "AMD \\ud83d\\ude00 EPYC"')
    assert main(["validate", "--kb", str(kb)]) == 0, capsys.readouterr().out


def test_a_lone_surrogate_in_a_kb_entry_is_refused_at_read(kb, capsys):
    line = edit(kb / MODEL, "name: SqueezeNet 1.1", 'name: "SqueezeNet \\udc00"')
    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert f"{kb}/{MODEL}:{line}:" in out and "text holds the lone surrogate \\udc00" in out
    with pytest.raises(KBError, match="lone surrogate"):
        load_kb(kb)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("../../../etc/passwd", "'../../../etc/passwd' is not valid: expected an id"),
        ("no-such-model", "unknown model 'no-such-model' (no models/no-such-model.yaml)"),
    ],
)
def test_a_row_model_that_is_no_kb_id_is_refused(kb, capsys, value, message):
    line = edit(kb / RESULTS, '"model": "squeezenet-1-1"', f'"model": "{value}"')
    refused(kb, capsys, line, message)


def test_a_hardware_class_that_is_no_kb_id_is_refused(kb, capsys):
    line = edit(kb / RESULTS, '"hardware_class": "x86-cpu"', '"hardware_class": "../x"')
    refused(kb, capsys, line, "'../x' is not valid: expected an id")
