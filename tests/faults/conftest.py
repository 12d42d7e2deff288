"""The fault corpus's fixture: a tiny KB, the fast test adapters, no peak measurement."""

from __future__ import annotations

import pytest
from faultkit import FIXTURES, PEAK, make_kb

from nnkb.bench import runner
from nnkb.bench.settings import HARNESS


@pytest.fixture
def bench_env(tmp_path, monkeypatch):
    """A KB with models a and b, test adapters registered, cache in tmp, no peak measured."""
    monkeypatch.setenv("NNKB_EXTRA_ADAPTERS", str(FIXTURES / "bench_adapters.py"))
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(HARNESS, "warmup_seconds", 0.05)
    monkeypatch.setitem(HARNESS, "profile_seconds", 0.05)
    monkeypatch.setattr(runner, "measure_peak", lambda: PEAK)
    make_kb(tmp_path)
    return tmp_path
