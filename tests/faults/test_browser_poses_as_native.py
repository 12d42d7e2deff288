"""A browser's results cannot pose as native ones, nor the reverse (errors, not warnings): a
machine with a browser part has an id starting with 'browser-', no measured peak and only
browser rows; any other machine has neither that id nor browser rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nnkb.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BROWSER = FIXTURES / "browser_results" / "browser-chromium-linux-2t-975c4b9e.json"
NATIVE = FIXTURES / "valid_kb" / "results" / "example-machine.json"


def write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / f"{data['machine']['id']}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


def errors(tmp_path: Path, capsys, data: dict[str, Any]) -> str:
    """`nnkb check-results` on the file: exit status 1 and its error lines."""
    path = write(tmp_path, data)
    (tmp_path / "empty").mkdir(exist_ok=True)
    assert main(["check-results", "--kb", str(tmp_path / "empty"), str(path)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "warning:" not in out
    return out


def test_the_untouched_files_pass(tmp_path, capsys):
    for source in (BROWSER, NATIVE):
        path = write(tmp_path, json.loads(source.read_text()))
        assert main(["check-results", "--kb", str(tmp_path / "none"), str(path)]) == 0
        assert "0 errors" in capsys.readouterr().err


def test_a_browser_file_relabelled_as_native_is_an_error(tmp_path, capsys):
    data = json.loads(BROWSER.read_text())
    del data["machine"]["hardware"]["browser"]
    data["machine"]["id"] = "chromium-2c-975c4b9e"
    out = errors(tmp_path, capsys, data)
    assert (
        ".rows[0].runtime: runtime 'onnxruntime-web' runs in a browser, but the machine has no "
        "browser part (hardware.browser); browser results go in their own file"
    ) in out


def test_a_browser_file_under_a_native_id_is_an_error(tmp_path, capsys):
    data = json.loads(BROWSER.read_text())
    data["machine"]["id"] = "example-machine"
    out = errors(tmp_path, capsys, data)
    assert (
        "example-machine.machine.id: machine id 'example-machine' must start with 'browser-': "
        "the machine was measured in a browser (hardware.browser)"
    ) in out


def test_a_browser_part_beside_native_rows_and_a_peak_is_an_error(tmp_path, capsys):
    data = json.loads(NATIVE.read_text())
    browser = json.loads(BROWSER.read_text())
    data["machine"]["hardware"]["browser"] = browser["machine"]["hardware"]["browser"]
    out = errors(tmp_path, capsys, data)
    assert "machine.id: machine id 'example-machine' must start with 'browser-'" in out
    assert (
        "machine.hardware.peak: a machine measured in a browser (hardware.browser) has no " in out
    )
    assert (
        ".rows[0].runtime: runtime 'onnxruntime' in a file measured in a browser "
        "(hardware.browser); expected onnxruntime-web"
    ) in out


def test_a_native_file_under_a_browser_id_is_an_error(tmp_path, capsys):
    data = json.loads(NATIVE.read_text())
    data["machine"]["id"] = "browser-chromium-linux-2t-975c4b9e"
    out = errors(tmp_path, capsys, data)
    assert (
        "machine id 'browser-chromium-linux-2t-975c4b9e' starts with 'browser-', but the "
        "machine has no browser part"
    ) in out


def test_validate_refuses_a_browser_relabelled_as_native(tmp_path, capsys):
    kb = tmp_path / "kb"
    (kb / "results").mkdir(parents=True)
    data = json.loads(BROWSER.read_text())
    del data["machine"]["hardware"]["browser"]
    data["machine"]["id"] = "chromium-2c-975c4b9e"
    write(kb / "results", data)
    assert main(["validate", "--kb", str(kb)]) == 1
    assert "runs in a browser, but the machine has no browser part" in capsys.readouterr().out
