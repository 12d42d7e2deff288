"""`nnkb validate`: example-file tests (a corpus of invalid KBs, each with its expected output),
the valid fixture KB, the real kb/, and the command's behaviour on CI and on garbage input."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnkb import cli
from nnkb.problems import Problem
from nnkb.validate import check_kb
from nnkb.validate.schemas import Schemas

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
VALID_KB = FIXTURES / "valid_kb"
INVALID = FIXTURES / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if (p / "expected.txt").is_file())
NNKB = Path(sys.executable).parent / "nnkb"  # the installed console script in .venv/bin


def build_case(case: str, workdir: Path) -> Path:
    """valid_kb copied to workdir/kb with the case's files laid over it."""
    kb = workdir / "kb"
    shutil.copytree(VALID_KB, kb)
    folder = INVALID / case
    if (folder / "kb").is_dir():
        shutil.copytree(folder / "kb", kb, dirs_exist_ok=True)
    spec_file = folder / "case.json"
    spec = json.loads(spec_file.read_text()) if spec_file.is_file() else {}
    for rel, size in spec.get("pad_to_bytes", {}).items():
        target = kb / rel
        padding = "# padding: a file over the size limit\n"
        missing = size - target.stat().st_size
        target.write_text(target.read_text() + padding * (missing // len(padding) + 1))
    return kb


def expected_lines(case: str) -> list[str]:
    return (INVALID / case / "expected.txt").read_text().splitlines()


def run_inprocess(
    monkeypatch, capsys, workdir: Path, kb: str = "kb", github: bool = False
) -> tuple[int, str, str]:
    """`nnkb validate --kb <kb>` in this process (no interpreter to start: the console script
    itself is run once, in test_valid_fixture_kb_passes_with_console_script)."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    if github:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    status = cli.main(["validate", "--kb", kb])
    out, err = capsys.readouterr()
    return status, out, err


def run_console(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [str(NNKB), "validate", *args],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_corpus_covers_every_failure_class():
    assert len(CASES) >= 15
    for case in CASES:
        lines = expected_lines(case)
        assert lines, f"{case}/expected.txt is empty"
        for line in lines:
            # path:line:col: entry[.field]: message
            path, line_no, col, rest = line.split(":", 3)
            assert path.startswith("kb/") and line_no.isdigit() and col.isdigit(), line
            assert ": " in rest.strip(), line


@pytest.mark.parametrize("case", CASES)
def test_invalid_case_reports_expected_problems(case, tmp_path, monkeypatch, capsys):
    build_case(case, tmp_path)
    status, out, err = run_inprocess(monkeypatch, capsys, tmp_path)
    assert out.splitlines() == expected_lines(case)
    assert status == 1
    count = len(expected_lines(case))
    files = len({line.split(":", 1)[0] for line in expected_lines(case)})
    assert err.strip().endswith(
        f"{count} problem{'s' if count > 1 else ''} in {files} file{'s' if files > 1 else ''}"
    )
    assert "Traceback" not in out + err


def test_valid_fixture_kb_passes_with_console_script(tmp_path):
    shutil.copytree(VALID_KB, tmp_path / "kb")
    result = run_console(tmp_path, "--kb", "kb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "kb/ is valid: 6 entries, 1 results file"
    assert result.stderr == ""


def test_all_problems_of_several_files_in_one_run_sorted(tmp_path, monkeypatch, capsys):
    cases = [
        "results-inconsistent-stats",
        "unknown-field-suggestion",
        "duplicate-key",
        "dangling-successor",
    ]
    kb = build_case(cases[0], tmp_path)
    for case in cases[1:]:
        shutil.copytree(INVALID / case / "kb", kb, dirs_exist_ok=True)
    status, out, err = run_inprocess(monkeypatch, capsys, tmp_path)
    expected = sorted(
        (line for case in cases for line in expected_lines(case)),
        key=lambda line: (line.split(":")[0], int(line.split(":")[1])),
    )
    assert out.splitlines() == expected
    assert status == 1
    assert err.strip() == "4 problems in 4 files"


def test_github_actions_annotations(tmp_path, monkeypatch, capsys):
    build_case("unknown-field-suggestion", tmp_path)
    status, out, _ = run_inprocess(monkeypatch, capsys, tmp_path, github=True)
    assert status == 1
    lines = out.splitlines()
    assert lines == [
        expected_lines("unknown-field-suggestion")[0],
        (
            "::error file=kb/models/squeezenet-1-1.yaml,line=14,col=3::squeezenet-1-1.published."
            "paramters: unknown field 'paramters'; did you mean 'parameters'?"
        ),
    ]


def test_annotation_escapes_workflow_command_characters():
    problem = Problem("kb/a,b:c.yaml", 3, 4, "a", "x", "50% off\nnext line")
    assert problem.github_annotation() == (
        "::error file=kb/a%2Cb%3Ac.yaml,line=3,col=4::a.x: 50%25 off%0Anext line"
    )


def test_garbage_files_give_clean_messages_not_tracebacks(tmp_path, monkeypatch, capsys):
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    rng = random.Random(1234)
    (kb / "models" / "garbage.yaml").write_bytes(rng.randbytes(4096))
    (kb / "hardware" / "nul-bytes.yaml").write_bytes(b"name: \x00\x01\x02\n")
    (kb / "results" / "noise.json").write_bytes(rng.randbytes(512))
    (kb / "use_cases" / "deep.yaml").write_text("a: " + "[" * 5000 + "\n")
    status, out, err = run_inprocess(monkeypatch, capsys, tmp_path)
    assert status == 1
    assert "Traceback" not in out + err
    assert "kb/models/garbage.yaml:1:1: garbage: file is not UTF-8 text" in out
    assert (
        "kb/hardware/nul-bytes.yaml:1:7: nul-bytes: character U+0000 is not allowed in YAML" in out
    )
    assert "kb/results/noise.json:1:1: noise: file is not UTF-8 text" in out
    # At the first value too deep: the 101st `[`, after "a: " and 100 others.
    assert "kb/use_cases/deep.yaml:1:104: deep: values are nested more than 100 levels deep" in out


def test_unexpected_internal_error_is_a_problem_not_a_traceback(tmp_path, monkeypatch, capsys):
    shutil.copytree(VALID_KB, tmp_path / "kb")

    def broken(self, error, name):
        raise RuntimeError("boom")

    monkeypatch.setattr(Schemas, "explain", broken)
    (tmp_path / "kb" / "hardware" / "x86-cpu.yaml").write_text(
        (VALID_KB / "hardware" / "x86-cpu.yaml").read_text().replace("category: cpu", "category: 7")
    )
    status, out, _ = run_inprocess(monkeypatch, capsys, tmp_path)
    assert status == 1
    assert out.splitlines() == [
        (
            "kb/hardware/x86-cpu.yaml:1:1: x86-cpu: could not be checked (RuntimeError: boom); "
            "please report this as a bug of nnkb validate"
        )
    ]


def test_missing_kb_folder(tmp_path, monkeypatch, capsys):
    status, out, _ = run_inprocess(monkeypatch, capsys, tmp_path, kb="no-such-kb")
    assert status == 1
    assert out.startswith("no-such-kb:1:1: no-such-kb: KB folder not found; expected a folder")


def test_hidden_files_and_readme_are_allowed(tmp_path, monkeypatch, capsys):
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    (kb / "README.md").write_text("# The knowledge base\n")
    (kb / "models" / ".gitkeep").write_text("")
    (kb / ".cache").mkdir()
    status, out, _ = run_inprocess(monkeypatch, capsys, tmp_path)
    assert (status, out.strip()) == (0, "kb/ is valid: 6 entries, 1 results file")


def _real_kb_has_models() -> bool:
    return any((REPO / "kb" / "models").glob("*.yaml"))


@pytest.mark.skipif(not _real_kb_has_models(), reason="kb/models is still empty")
def test_real_kb_validates(monkeypatch, capsys):
    status, out, err = run_inprocess(monkeypatch, capsys, REPO)
    assert status == 0, out + err
    assert out.startswith("kb/ is valid: ")


REAL_KB = pytest.param(
    REPO / "kb",
    id="real-kb",
    marks=pytest.mark.skipif(not _real_kb_has_models(), reason="kb/models is still empty"),
)


@pytest.mark.parametrize("source", [REAL_KB, pytest.param(VALID_KB, id="valid-fixture-kb")])
def test_copy_with_injected_fault_names_file_and_line(source, tmp_path, monkeypatch, capsys):
    shutil.copytree(source, tmp_path / "kb")
    target = min((tmp_path / "kb" / "models").glob("*.yaml"))
    text = target.read_text()
    if not text.endswith("\n"):
        text += "\n"
    fault_line = len(text.splitlines()) + 1
    target.write_text(text + "use_case: [image-classification]\n")
    status, out, err = run_inprocess(monkeypatch, capsys, tmp_path)
    assert status == 1
    assert (
        f"kb/models/{target.name}:{fault_line}:1: {target.stem}.use_case: unknown field "
        "'use_case'; did you mean 'use_cases'?"
    ) in out.splitlines()
    assert "Traceback" not in out + err


def test_windows_line_endings_and_byte_order_mark_are_accepted(tmp_path, monkeypatch, capsys):
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    entry = kb / "hardware" / "x86-cpu.yaml"
    entry.write_bytes(b"\xef\xbb\xbf" + entry.read_bytes().replace(b"\n", b"\r\n"))
    status, out, _ = run_inprocess(monkeypatch, capsys, tmp_path)
    assert (status, out.strip()) == (0, "kb/ is valid: 6 entries, 1 results file")


def _framework_with_adapters(tmp_path: Path, line: str) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    entry = kb / "frameworks" / "pytorch.yaml"
    entry.write_text(entry.read_text().replace("sources:\n", f"{line}\nsources:\n"))
    return kb


def test_unknown_adapter_without_close_match_lists_the_known_adapters(tmp_path):
    kb = _framework_with_adapters(tmp_path, "benchmark_adapters: [tensorflow-lite]")
    report = check_kb(kb, "kb", adapters=lambda: ["onnxruntime", "openvino"])
    assert [p.line_text() for p in report.problems] == [
        (
            "kb/frameworks/pytorch.yaml:21:22: pytorch.benchmark_adapters[0]: unknown benchmark "
            "adapter 'tensorflow-lite' (none in scripts/nnkb/bench/runtimes/); "
            "known adapters: onnxruntime, openvino"
        )
    ]


def test_known_adapters_are_listed_only_when_a_framework_names_one(tmp_path):
    def fail() -> list[str]:
        raise AssertionError("adapters loaded although no framework lists one")

    assert check_kb(VALID_KB, "kb", adapters=fail).problems == []


def test_adapter_modules_that_fail_to_load_are_a_problem_not_a_traceback(tmp_path):
    def broken() -> list[str]:
        raise ImportError("no module named 'nnkb_extra_broken'")

    kb = _framework_with_adapters(tmp_path, "benchmark_adapters: [onnxruntime]")
    report = check_kb(kb, "kb", adapters=broken)
    assert [p.line_text() for p in report.problems] == [
        (
            "kb/frameworks/pytorch.yaml:21:22: pytorch.benchmark_adapters[0]: cannot check adapter "
            "names: loading the bench adapters failed (ImportError: no module named "
            "'nnkb_extra_broken')"
        )
    ]


def test_old_single_adapter_field_suggests_the_list(tmp_path):
    kb = _framework_with_adapters(tmp_path, "benchmark_adapter: onnxruntime")
    report = check_kb(kb, "kb")
    assert [p.line_text() for p in report.problems] == [
        (
            "kb/frameworks/pytorch.yaml:21:1: pytorch.benchmark_adapter: unknown field "
            "'benchmark_adapter'; did you mean 'benchmark_adapters'?"
        )
    ]
