"""The one codec of the results dataclasses: reading follows the type hints, writing each
field's rule, and nothing is coerced."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from nnkb.codec import Record, decode, encode, not_written, when_set, written_with
from nnkb.results import Agreement, HardwarePart, ProcessSummary, Row, Stats

RESULTS = Path(__file__).resolve().parents[1] / "scripts/nnkb/results"


@dataclass(frozen=True)
class Inner(Record):
    n: int


@dataclass(frozen=True)
class Outer(Record):
    name: str
    items: tuple[Inner, ...]
    shapes: dict[str, tuple[int, ...]] | None
    kind: str | None = None
    grouped: float | None = written_with("kind")
    later: str | None = when_set()
    where: str | None = not_written()


def test_nested_types_are_read_from_their_hints_and_written_back():
    obj = {"name": "a", "items": [{"n": 1}, {"n": 2}], "shapes": {"x": [1, 3]}, "kind": None}
    read = Outer.from_json(obj)
    assert read.items == (Inner(1), Inner(2)) and read.shapes == {"x": (1, 3)}
    assert read.to_json() == obj


def test_a_field_written_when_set_is_absent_until_set():
    bare = Outer("a", (), None)
    assert "later" not in bare.to_json()
    assert Outer("a", (), None, later="x").to_json()["later"] == "x"


def test_a_group_is_written_with_its_field_none_included():
    assert "grouped" not in Outer("a", (), None).to_json()
    assert Outer("a", (), None, kind="k").to_json()["grouped"] is None


def test_a_field_not_written_is_neither_written_nor_read_nor_compared():
    assert "where" not in Outer("a", (), None, where="/tmp/x").to_json()
    assert Outer.from_json({"name": "a", "items": [], "shapes": None, "where": "y"}).where is None
    assert Outer("a", (), None, where="p") == Outer("a", (), None, where="q")


def test_numbers_keep_their_json_type():
    stats = Stats.from_json(
        {"n": 8, "p50": 1, "p90": 1.0, "p99": 2, "mean": 1.5, "min": 1, "stdev": 0.0,
         "ci95_low": 1, "ci95_high": 2.0, "converged": True}
    )  # fmt: skip
    text = json.dumps(encode(stats), sort_keys=True)
    assert '"p50": 1,' in text and '"p90": 1.0,' in text


def test_a_process_is_written_as_measured_or_failed_never_both():
    failed = ProcessSummary.failure("timeout", "slow", "2026-01-01T00:00:00Z")
    assert failed.to_json() == {
        "measured_at": "2026-01-01T00:00:00Z",
        "status": "timeout",
        "reason": "slow",
    }
    stats = Stats(5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0, 0.09, 0.11, True)
    measured = ProcessSummary.of(stats, "2026-01-01T00:00:00Z").to_json()
    assert set(measured) == {"measured_at", "p50", "ci95_low", "ci95_high", "n"}


def test_an_agreement_before_harness_5_keeps_its_four_keys():
    old = {"reference": "x", "max_abs_error": 0.0, "max_rel_error": 0.0, "top1_agree": True}
    assert Agreement.from_json(old).to_json() == old
    measured = Agreement.from_json({**old, "kind": "classifier", "top1": 1.0}).to_json()
    assert measured["top5"] is None and "box_f1" not in measured


def test_an_absent_required_field_reads_as_none_and_a_native_machine_has_no_browser_key():
    part = {"cpu_model": "c", "arch": "x86_64", "physical_cores": 2, "logical_cpus": 2,
            "isa_features": ["avx2"], "memory_bytes": 2**34, "peak": None}  # fmt: skip
    read = HardwarePart.from_json(part)
    assert read.isa_features == ("avx2",) and read.browser is None
    assert read.to_json() == part
    assert decode(Inner, {}).n is None


def test_no_results_type_writes_its_own_json_by_hand():
    """Every from_json/to_json under results/ goes through the codec: a hand-written one
    would describe its fields a third time."""
    hand_written = []
    for path in sorted(RESULTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in ("from_json", "to_json"):
                calls = {
                    c.func.id
                    for c in ast.walk(node)
                    if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                }
                if not calls & {"decode", "encode"}:
                    hand_written.append(f"{path.name}:{node.lineno} {node.name}")
    assert not hand_written, hand_written
    assert issubclass(Row, Record)


def test_raw_json_is_named_in_the_codec_only():
    """`dict[str, Any]` is spelled once, in the (de)serialising module; everywhere else raw
    JSON carries its name (`Json`, a variant's `Settings`) or a type."""
    package = RESULTS.parent
    spelled = {
        p.relative_to(package).as_posix(): p.read_text(encoding="utf-8").count("dict[str, Any]")
        for p in sorted(package.rglob("*.py"))
    }
    assert {name: n for name, n in spelled.items() if n} == {"codec.py": 2}
