"""Helpers of the fault corpus: run a bench on the tiny KB, seed a results file, and the check
every fault test ends with (the results file still validates and keeps every earlier row)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bench"
sys.path.insert(0, str(FIXTURES))


from nnkb import results
from nnkb.cli import main


def make_kb(root: Path) -> Path:
    """A KB at root/kb with two tiny models, a and b."""
    import tinykb  # from FIXTURES, on the path above

    return tinykb.make_kb(root, {"a": tinykb.conv_net(0), "b": tinykb.conv_net(1)})


PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


def bench(kb: Path, out: Path, *extra: str) -> int:
    return main(["bench", "--kb", str(kb), "--results", str(out), "--row-budget", "0.2", *extra])


def seeded(env: Path) -> tuple[Path, Path, bytes]:
    """(kb, results file, its bytes) after a first run stored one row: model a, test-raise."""
    kb, out = env / "kb", env / "results" / "r.json"
    out.parent.mkdir(exist_ok=True)
    assert bench(kb, out, "--models", "a", "--runtimes", "test-raise") == 0
    return kb, out, out.read_bytes()


def assert_intact(out: Path, earlier: bytes) -> None:
    """The file validates and holds every row it held before, unchanged."""
    before = results.ResultsFile.from_json(json.loads(earlier))
    after = results.read(out, named=False)
    rows = after.by_identity()
    for row in before.rows:
        assert rows.get(row.identity) == row
