"""A results file built to be expensive costs what reading it costs: each problem is said once,
at most PROBLEMS_PER_FILE problems are printed per file and the rest counted ("and N more"),
and equal rows are checked once. The 1 MB file of empty rows is made by the benchmark script's
own generator (benchmarks/validate_cost.py times it; the target is under 10 s)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from nnkb import results
from nnkb.cli import main
from nnkb.problems import PROBLEMS_PER_FILE, count
from nnkb.validate.checks import check_kb

ROOT = Path(__file__).resolve().parents[2]
VALID_KB = ROOT / "tests" / "fixtures" / "valid_kb"
_spec = importlib.util.spec_from_file_location(
    "validate_cost", ROOT / "benchmarks" / "validate_cost.py"
)
assert _spec and _spec.loader
validate_cost = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate_cost)

ROW_FIELDS = 30  # the fields every row must have (results.schema.json, $defs.row.required)
MORE = re.compile(r": and ([\d]+) more problems in this file, not shown \(at most 200 ")


def empty_rows_kb(tmp_path: Path, size: int) -> tuple[Path, Path, int]:
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    path = kb / "results" / "empty-rows.json"
    return kb, path, validate_cost.write_empty_rows(path, size)


def assert_bounded(out: str, path: Path, rows: int) -> None:
    lines = [line for line in out.splitlines() if line.startswith(str(path))]
    assert len(lines) == PROBLEMS_PER_FILE + 1, out[-2000:]
    match = MORE.search(lines[-1])
    assert match, lines[-1]
    assert int(match.group(1)) == rows * ROW_FIELDS - PROBLEMS_PER_FILE
    shown = lines[:-1]
    assert len(set(shown)) == len(shown)  # each problem once
    assert sum(".rows[0].key: missing required field 'key'" in line for line in shown) == 1


def test_a_missing_field_is_one_problem(tmp_path):
    kb, path, rows = empty_rows_kb(tmp_path, 600)
    report = check_kb(kb)
    mine = [p for p in report.problems if p.path == str(path)]
    shown = [p for p in mine if not p.hidden]
    assert len(shown) == len(set(shown)) == PROBLEMS_PER_FILE
    assert count(mine) == rows * ROW_FIELDS


def test_empty_rows_are_reported_200_then_counted(tmp_path, capsys):
    kb, path, rows = empty_rows_kb(tmp_path, 30_000)
    assert rows > 9_000
    assert main(["validate", "--kb", str(kb)]) == 1
    out, err = capsys.readouterr()
    assert_bounded(out, path, rows)
    assert f"{rows * ROW_FIELDS} problems in 1 file" in err
    assert "Traceback" not in out + err


def test_check_results_reports_200_then_counts(tmp_path, capsys):
    kb, path, rows = empty_rows_kb(tmp_path, 30_000)
    assert main(["check-results", "--kb", str(kb), str(path)]) == 1
    out, err = capsys.readouterr()
    assert_bounded(out, path, rows)
    assert f"{rows * ROW_FIELDS} errors, 0 warnings" in err


def test_the_reader_names_the_first_problem_and_counts_the_others(tmp_path):
    _, path, rows = empty_rows_kb(tmp_path, 3_000)
    with pytest.raises(results.ResultsError) as caught:
        results.read(path)
    assert f"(and {rows * ROW_FIELDS - 1} more; run `nnkb validate`)" in str(caught.value)


@pytest.mark.slow
def test_a_1_mb_file_of_empty_rows_is_bounded(tmp_path, capsys):
    kb, path, rows = empty_rows_kb(tmp_path, 1_000_000)
    assert path.stat().st_size == 1_000_000 and rows > 330_000
    assert main(["validate", "--kb", str(kb)]) == 1
    out, _ = capsys.readouterr()
    assert_bounded(out, path, rows)


def test_a_row_of_many_unknown_fields_is_bounded(tmp_path, capsys):
    kb, path, _ = empty_rows_kb(tmp_path, 2_000)
    data = json.loads(path.read_text())
    data["rows"] = [{f"k{i}": 0 for i in range(20_000)}]
    path.write_text(json.dumps(data))
    assert main(["validate", "--kb", str(kb)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if str(path) in line]
    assert len(lines) == PROBLEMS_PER_FILE + 1
    assert "unknown field 'k0'; allowed fields: key, model," in "\n".join(lines)
    assert MORE.search(lines[-1])


def test_a_long_list_with_a_repeat_at_its_end_is_reported_once(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    model = kb / "models" / "squeezenet-1-1.yaml"
    many = ", ".join(f"u{i}" for i in range(30_000))
    text = model.read_text().replace(
        "use_cases: [image-classification]", f"use_cases: [{many}, u0]"
    )
    model.write_text(text)
    messages = [p.message for p in check_kb(kb).problems]
    assert messages.count("'u0' is listed twice; items must be unique") == 1


def test_distinct_broken_rows_are_each_counted(tmp_path, capsys):
    kb, path, _ = empty_rows_kb(tmp_path, 2_000)
    data = json.loads(path.read_text())
    rows = 5_000
    data["rows"] = [{"model": f"m{i}"} for i in range(rows)]
    path.write_text(json.dumps(data))
    assert main(["validate", "--kb", str(kb)]) == 1
    out, err = capsys.readouterr()
    # Each row: every field but model missing, and a model the KB does not have.
    assert f"{rows * ROW_FIELDS} problems in 1 file" in err
    assert "rows[0].model: unknown model 'm0' (no models/m0.yaml)" in out
