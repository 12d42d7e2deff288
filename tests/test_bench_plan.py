"""The matrix and its cache keys: what reruns and what does not; filter and KB errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb
from bench_adapters import FakeAdapter

from nnkb.bench import plan as planmod
from nnkb.bench.keys import row_key
from nnkb.bench.rows import base_row
from nnkb.cli import main
from nnkb.kb import load_kb

BASE = {
    "model_id": "m",
    "model_sha256": "0" * 64,
    "runtime": "onnxruntime",
    "runtime_version": "1.0",
    "settings": {"threads": 2},
    "inputs": {"input": (1, 3, 8, 8)},
    "seed": 0,
}


@pytest.mark.parametrize(
    "change",
    [
        {"model_id": "n"},
        {"model_sha256": "1" * 64},
        {"model_sha256": None},
        {"runtime": "openvino"},
        {"runtime_version": "1.1"},
        {"settings": {"threads": 1}},
        {"inputs": {"input": (1, 3, 16, 16)}},
        {"seed": 1},
        {"harness_version": "999"},
    ],
)
def test_key_changes_with_what_can_change_a_number(change):
    assert row_key(**{**BASE, **change}) != row_key(**BASE)


def test_key_is_stable():
    assert row_key(**BASE) == row_key(**dict(BASE, settings={"threads": 2}))
    assert len(row_key(**BASE)) == 64


def _plan(kb_root: Path, stored=None, force=False):
    kb = load_kb(kb_root)
    adapters = [FakeAdapter("x"), FakeAdapter("y")]
    versions = {a.name: a.version() for a in adapters}
    models = planmod.select_models(kb, None)
    return planmod.build_plan(
        models, adapters, versions, kb_root.parent / ".cache", stored or {}, force
    )


def _stored(plan):
    """The rows a bench would have stored for `plan` (their measurements do not matter)."""
    rows = [base_row(p, "2025-01-01T00:00:00Z", 1.0, (None, None, None, None)) for p in plan]
    return {r.identity: r for r in rows}


def test_prose_edits_keep_keys_and_model_edits_change_only_that_model(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0), "b": tinykb.conv_net(1)})
    before = {(p.model_id, p.runtime): p.key for p in _plan(kb)}
    assert len(before) == 4 and len(set(before.values())) == 4

    text = (kb / "models" / "a.yaml").read_text()
    (kb / "models" / "a.yaml").write_text(text.replace("A tiny net.", "Rewritten prose."))
    assert {(p.model_id, p.runtime): p.key for p in _plan(kb)} == before

    path, sha = tinykb.write_model(tmp_path / "files", "b", tinykb.conv_net(2))
    (kb / "models" / "b.yaml").write_text(tinykb.model_yaml(path, sha))
    after = {(p.model_id, p.runtime): p.key for p in _plan(kb)}
    assert [k for k in after if after[k] != before[k]] == [("b", "test-x"), ("b", "test-y")]


def test_cached_rows_and_force(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0)})
    stored = _stored(_plan(kb))
    assert not any(p.cached for p in _plan(kb))
    assert all(p.cached for p in _plan(kb, stored))
    assert not any(p.cached for p in _plan(kb, stored, force=True))


def test_a_new_model_with_the_same_file_bytes_gets_its_own_rows(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0)})
    stored = _stored(_plan(kb))
    # "twin" points at the very same file as "a": same bytes, same sha256
    (kb / "models" / "twin.yaml").write_text((kb / "models" / "a.yaml").read_text())
    plan = _plan(kb, stored)
    twins = [p for p in plan if p.model_id == "twin"]
    assert len(twins) == 2 and not any(p.cached for p in twins)
    assert all(p.cached for p in plan if p.model_id == "a")
    assert len({p.key for p in plan}) == len(plan) == 4


def test_two_models_whose_file_cannot_be_had_do_not_collide(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0), "b": tinykb.conv_net(1)})
    for name in ("a", "b"):
        (tmp_path / "files" / f"{name}.onnx").unlink()
    plan = _plan(kb)
    assert all(p.problem and p.model_sha256 is None for p in plan)
    assert len({p.key for p in plan}) == len(plan) == 4
    # ...and neither is ever current: the missing file may be back next time
    assert not any(p.cached for p in _plan(kb, _stored(plan)))


def test_default_matrix_skips_null_and_benchmark_false(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0)})
    path, sha = tinykb.write_model(tmp_path / "files", "off", tinykb.conv_net(3))
    (kb / "models" / "off.yaml").write_text(tinykb.model_yaml(path, sha, benchmark=False))
    (kb / "models" / "none.yaml").write_text("name: none\ndescription: x\nonnx: null\n")
    loaded = load_kb(kb)
    assert [m.id for m in planmod.select_models(loaded, None)] == ["a"]
    assert [m.id for m in planmod.select_models(loaded, ["off"])] == ["off"]
    with pytest.raises(planmod.PlanError, match="has no ONNX file"):
        planmod.select_models(loaded, ["none"])


def test_a_model_file_that_cannot_be_had_is_a_problem_not_a_crash(tmp_path):
    kb = tinykb.make_kb(tmp_path, {"a": tinykb.conv_net(0)})
    (tmp_path / "files" / "a.onnx").write_bytes(b"changed behind the KB's back")
    rows = _plan(kb)
    assert all(p.problem and "sha256" in p.problem for p in rows)
    assert not any(p.cached for p in _plan(kb, _stored(rows)))


def test_unknown_model_or_runtime_is_a_clear_error(tmp_path, capsys):
    kb = tinykb.make_kb(tmp_path, {"tiny": tinykb.conv_net(0)})
    assert main(["bench", "--kb", str(kb), "--models", "tiyn"]) == 1
    err = capsys.readouterr().err
    assert "unknown model 'tiyn'; did you mean 'tiny'?" in err and "Traceback" not in err
    assert main(["bench", "--kb", str(kb), "--runtimes", "tensorrt"]) == 1
    assert "unknown runtime 'tensorrt'" in capsys.readouterr().err


def test_unloadable_kb_is_a_clear_error(tmp_path, capsys):
    kb = tinykb.make_kb(tmp_path, {"tiny": tinykb.conv_net(0)})
    (kb / "models" / "broken.yaml").write_text("name: a\nname: b\n")
    assert main(["bench", "--kb", str(kb)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:2" in err and "Traceback" not in err
    assert main(["bench", "--kb", str(tmp_path / "missing")]) == 1
    assert "no such knowledge base folder" in capsys.readouterr().err


def test_dry_run_lists_rows_and_writes_nothing(tmp_path, capsys):
    kb = tinykb.make_kb(tmp_path, {"tiny": tinykb.conv_net(0)})
    out_file = tmp_path / "r.json"
    assert main(["bench", "--kb", str(kb), "--results", str(out_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    for runtime in ("onnxruntime", "openvino", "opencv"):
        assert "tiny" in out and runtime in out
    # Precision variants: ONNX Runtime FP32 and INT8; OpenVINO default, FP32, INT8 and FP16
    for label in ("onnxruntime · FP32", "onnxruntime · INT8", "openvino · FP32", "openvino · INT8"):
        assert f"tiny × {label}" in out
    assert "tiny × openvino · FP16" in out and "tiny × opencv · FP32" in out
    # Throughput twins of the FP32 and INT8 variants: ONNX Runtime 2, OpenVINO 2, OpenCV 1
    for label in ("onnxruntime · FP32", "onnxruntime · INT8", "openvino · FP32", "opencv · FP32"):
        assert f"tiny × {label} · throughput" in out
    assert "openvino · FP16 · throughput" not in out
    assert "12 rows: 12 to run, 0 cached, 0 outside the matrix" in out
    assert not out_file.exists()


def _tiered_kb(tmp_path: Path) -> Path:
    """Model a in the default matrix, b only in the full one, c in neither."""
    kb = tinykb.make_kb(tmp_path, {m: tinykb.conv_net(i) for i, m in enumerate("abc")})
    for model_id, tier in (("b", "full"), ("c", "false")):
        path = kb / "models" / f"{model_id}.yaml"
        path.write_text(path.read_text().replace("benchmark: true", f"benchmark: {tier}"))
    return kb


def _tiered_plan(kb_root: Path, matrix: str, named: list[str] | None = None):
    kb = load_kb(kb_root)
    adapters = [FakeAdapter("x")]
    models = planmod.select_models(kb, named)
    return planmod.build_plan(
        models, adapters, {"x": "1.0"}, kb_root.parent / ".cache", {}, False,
        matrix=matrix, named=bool(named),
    )  # fmt: skip


def test_the_default_matrix_plans_full_tier_models_outside_without_building_them(tmp_path):
    kb = _tiered_kb(tmp_path)
    default = {p.model_id: p for p in _tiered_plan(kb, "default")}
    assert sorted(default) == ["a", "b"]  # c (benchmark: false) only when named
    assert not default["a"].outside and default["a"].model_path is not None
    assert default["b"].outside and default["b"].model_path is None
    full = {p.model_id: p for p in _tiered_plan(kb, "full")}
    assert not full["b"].outside and full["b"].model_path is not None
    # The same identities under both matrices: a default run keeps the rows a full run stored.
    assert default["b"].identity == full["b"].identity


def test_a_named_model_is_measured_whatever_its_tier(tmp_path):
    kb = _tiered_kb(tmp_path)
    named = {p.model_id: p for p in _tiered_plan(kb, "default", ["b", "c"])}
    assert sorted(named) == ["b", "c"]
    assert not any(p.outside for p in named.values())


def test_dry_run_says_which_rows_only_the_full_matrix_measures(tmp_path, capsys):
    kb = _tiered_kb(tmp_path)
    out = tmp_path / "results.json"
    assert main(["bench", "--kb", str(kb), "--results", str(out), "--dry-run",
                 "--runtimes", "onnxruntime"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "b × onnxruntime" in text and "not in the default matrix (--matrix full)" in text
    assert "c × onnxruntime" not in text


@pytest.mark.parametrize(
    ("benchmark", "matrix"), [(True, "default"), ("full", "full"), (False, None)]
)
def test_onnx_spec_names_the_smallest_matrix_that_measures_it(benchmark, matrix):
    from nnkb.kb import OnnxSpec

    assert OnnxSpec("file", {"x": (1,)}, benchmark=benchmark).matrix == matrix
