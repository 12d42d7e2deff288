"""Plausibility that needs no other machine, values that must be finite and positive, names
that cannot look like other names, and text escaped exactly once on the page."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from nnkb.cli import main
from nnkb.render.build.site import build_context
from nnkb.render.pages.machines import machine_pages
from nnkb.render.shared.page import MACHINES_INDEX, machine_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VALID_KB = FIXTURES / "valid_kb"
NATIVE = VALID_KB / "results" / "example-machine.json"
BROWSER = FIXTURES / "browser_results" / "browser-chromium-linux-2t-975c4b9e.json"
MODEL = "models/squeezenet-1-1.yaml"
PARAMETERS = "  parameters: {value: 1235496,"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    shutil.copytree(VALID_KB, tmp_path / "kb")
    return tmp_path / "kb"


def one_nanosecond(data: dict) -> dict:
    for row in data["rows"]:
        if row["latency"]:
            for key in ("p50", "p90", "p99", "mean", "min", "ci95_low", "ci95_high"):
                row["latency"][key] = 1e-9
            row["latency"]["stdev"] = 0.0
            for process in row["processes"] or []:
                for key in ("p50", "ci95_low", "ci95_high"):
                    process[key] = 1e-9
    return data


def test_a_file_claiming_one_nanosecond_is_warned_without_any_peer(tmp_path, capsys):
    data = one_nanosecond(json.loads(NATIVE.read_text()))
    path = tmp_path / NATIVE.name
    path.write_text(json.dumps(data, indent=1))
    (tmp_path / "empty").mkdir()
    assert main(["check-results", "--kb", str(tmp_path / "empty"), str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out
    assert "measured with a median below 1 µs (first: 1e-09 s)" in out
    assert "faster than the machine's own measured FP32 peak allows" in out
    assert main(["check-results", "--strict", "--kb", str(tmp_path / "empty"), str(path)]) == 1


@pytest.mark.parametrize(("value", "message"), [(".inf", "inf is not a finite number"),
                                                (".nan", "nan is not a finite number"),
                                                ("-.inf", "-inf is not a finite number"),
                                                ("0", "expected a number > 0, found the number 0")])  # fmt: skip
def test_a_cited_value_must_be_finite_and_positive(kb, capsys, value, message):
    path = kb / MODEL
    text = path.read_text()
    assert PARAMETERS in text
    path.write_text(text.replace(PARAMETERS, f"  parameters: {{value: {value},"))
    line = text[: text.index(PARAMETERS)].count("\n") + 1
    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert f"{kb}/{MODEL}:{line}:" in out and f".parameters.value: {message}" in out


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\ufeff"])
def test_a_name_with_a_format_character_is_refused(kb, capsys, char):
    path = kb / MODEL
    path.write_text(path.read_text().replace("name: SqueezeNet 1.1", f"name: Squeeze{char}Net 1.1"))
    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert f"squeezenet-1-1.name: holds the invisible format character U+{ord(char):04X}" in out


def test_a_machine_label_with_a_bidi_override_is_refused(kb, capsys):
    path = kb / "results" / "example-machine.json"
    data = json.loads(path.read_text())
    data["machine"]["label"] = "AMD EPYC\u202e, 2 cores"
    path.write_text(json.dumps(data, indent=1))
    assert main(["validate", "--kb", str(kb)]) == 1
    out = capsys.readouterr().out
    assert "example-machine.machine.label: holds the invisible format character U+202E" in out


def test_browser_page_text_is_escaped_exactly_once(tmp_path, kb_copy: Callable[..., Path]):
    kb = kb_copy(tmp_path / "kb")
    data = json.loads(BROWSER.read_text())
    data["machine"]["label"] = "<script>alert(1)</script> & co"
    data["machine"]["hardware"]["browser"]["user_agent"] = "<b>agent</b>"
    failed = data["rows"][0]
    failed.update(status="failed", reason="<script>x</script>", latency=None, processes=None)
    (kb / "results" / BROWSER.name).write_text(json.dumps(data, indent=1))
    pages = machine_pages(build_context(kb))
    page = pages[machine_path(BROWSER.stem)]
    listed = pages[MACHINES_INDEX]
    assert "[&lt;script&gt;alert(1)&lt;/script&gt; &amp; co](" in listed
    assert "&amp;lt;" not in listed
    assert "&amp;lt;" not in page and "&amp;amp;" not in page  # escaped twice
    assert "&lt;b&gt;agent&lt;/b&gt;" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert page.startswith("# &lt;script&gt;alert(1)&lt;/script&gt; &amp; co\n")
