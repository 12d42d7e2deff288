"""A row's `phases`: what the parent spent on it, the worker's own steps and the rest of the
worker's process as its start-up; the model build charged to one row of the model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from nnkb.bench.measure import Laps
from nnkb.bench.prepare import RowFiles


def planned(key: str, sha: str = "s" * 64, build_s: float = 0.4) -> SimpleNamespace:
    return SimpleNamespace(key=key, model_sha256=sha, build_s=build_s, model_path=Path("m"))


def test_a_row_gets_its_parent_steps_worker_steps_and_start_up():
    files = RowFiles()
    first = planned("k1")
    files.charge(first, "reference", 1.25)
    files.charge(first, "reference", 0.25)  # both kinds of reference outputs add up
    phases = files.phases_of(first, {"load": 0.5, "measure": 2.0}, process_s=3.5)
    assert phases == {"build": 0.4, "reference": 1.5, "start": 1.0, "load": 0.5, "measure": 2.0}


def test_the_model_build_goes_to_the_first_row_of_the_model_only():
    files = RowFiles()
    assert "build" in files.phases_of(planned("k1"), None, None)
    assert "build" not in files.phases_of(planned("k2"), None, None)
    assert "build" in files.phases_of(planned("k3", sha="t" * 64), None, None)


def test_a_row_that_ran_no_process_has_no_start_up():
    files = RowFiles()
    assert files.phases_of(planned("k1", build_s=0.0), None, None) == {}


def test_timed_blocks_charge_their_row_even_when_they_raise():
    files = RowFiles()
    row = planned("k1", build_s=0.0)
    with pytest.raises(ValueError), files.timed(row, "quantize"):
        raise ValueError("quantiser failed")
    assert set(files.phases_of(row, None, None)) == {"quantize"}


def test_laps_charge_the_time_since_the_previous_lap():
    laps = Laps()
    laps.lap("load")
    laps.lap("measure")
    laps.lap("load")
    assert list(laps.seconds) == ["load", "measure"]
    assert all(seconds >= 0 for seconds in laps.seconds.values())
