"""A new model whose ONNX file has the same bytes as an existing model's gets its own rows,
with --force too, and the results file still validates."""

from __future__ import annotations

import shutil

from faultkit import FIXTURES

from nnkb import results
from nnkb.cli import main
from nnkb.validate import check_kb


def test_a_model_with_the_same_file_bytes_gets_its_own_rows_and_validates(bench_env, capsys):
    kb = bench_env / "kb"
    shutil.copytree(FIXTURES.parent / "valid_kb" / "hardware", kb / "hardware")
    args = ["bench", "--kb", str(kb), "--runtimes", "test-raise", "--row-budget", "0.2"]
    assert main(args) == 0
    [out] = (kb / "results").glob("*.json")  # the machine's own file, named by its id
    shutil.copy(kb / "models" / "a.yaml", kb / "models" / "twin.yaml")  # the same file
    capsys.readouterr()

    assert main(args) == 0
    assert "ran 1 (failed 1, unavailable 0), cached 2" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    stored = results.read(out)
    rows = {r.model: r for r in stored.rows}
    assert sorted(rows) == ["a", "b", "twin"]
    assert rows["twin"].model_sha256 == rows["a"].model_sha256
    assert len({r.key for r in stored.rows}) == 3
    # validate checks the results file as the reader does (the tiny KB's own YAML is terse)
    assert [p for p in check_kb(kb).problems if "/results/" in p.path] == []
