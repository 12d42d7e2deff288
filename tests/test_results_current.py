"""The committed rows still match the planner: every committed row's identity is planned
(none is dropped as stale settings), and its key differs from the planned one only by the
harness version (5 added the precision read-back and the agreement over 64 inputs), so
nothing else about the rows changed.

The runtime versions come from the committed rows (the key has them), so the check holds on
any machine; the model files are built or located as `nnkb bench` would, nothing is measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnkb.bench.keys import row_key
from nnkb.bench.plan import build_plan, select_models, select_runtimes
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.settings import HARNESS
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
            matrix="full",  # every committed row, those only a full run measures too
        )
        planned = {p.identity: p for p in plan}
        # Models added to the KB since are planned too (to run); every stored row is current.
        assert {r.identity for r in stored.rows} <= set(planned)
        for row in stored.rows:
            p = planned[row.identity]
            if p.missing:  # a url model whose file this machine's store lacks: kept as stored
                assert p.cached, p.label
                continue
            if row.quantization is not None:
                continue  # an INT8 row's key holds its derived file's key (keys.py); not migrated
            old = row_key(
                p.model_id, p.model_sha256, p.runtime, p.runtime_version, p.settings,
                p.spec.inputs, HARNESS["input_seed"], harness_version=row.harness_version,
                preprocess=p.spec.preprocess, postprocess=p.spec.postprocess,
            )  # fmt: skip
            assert old == row.key, p.label
