"""The format-2 migration reran nothing: the planner finds every committed row current.

The runtime versions come from the committed rows (the key has them), so the check holds on
any machine; the model files are built or located as `nnkb bench` would, nothing is measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnkb.bench.plan import build_plan, select_models, select_runtimes
from nnkb.bench.runtimes import load_adapters
from nnkb.kb import load_kb
from nnkb.results import load_all

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_committed_row_is_current_for_the_planner(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    kb = load_kb(ROOT / "kb")
    adapters = load_adapters()
    for stored in load_all(ROOT / "kb"):
        versions = {row.runtime: row.runtime_version for row in stored.rows}
        plan = build_plan(
            select_models(kb, None),
            select_runtimes(adapters, sorted(versions)),
            versions,
            tmp_path / "cache",
            stored.by_identity(),
            force=False,
        )
        planned = {p.identity: p for p in plan}
        # Models added to the KB since are planned too (to run); every stored row is current.
        assert {r.identity for r in stored.rows} <= set(planned)
        assert [
            planned[r.identity].label for r in stored.rows if not planned[r.identity].cached
        ] == []
