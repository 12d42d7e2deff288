"""The fault corpus's fixture: a tiny KB, the fast test adapters, no peak measurement."""

from __future__ import annotations

import pytest
from faultkit import make_kb


@pytest.fixture
def bench_env(quiet_bench):
    """A KB with models a and b, test adapters registered, cache in tmp, no peak measured."""
    make_kb(quiet_bench)
    return quiet_bench
