"""Pages take what they say about a runtime from its adapter: its name, the names of its settings
variants, its methodology sentences, and which runtime is the reference for speed-ups."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from nnkb.bench.runtimes import load_adapters
from nnkb.render.build.site import build_context
from nnkb.render.shared import page as page_module
from nnkb.render.shared.page import variant_text

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"


@pytest.fixture(autouse=True)
def empty_model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))


def pages_with(monkeypatch, render_only, paths, **changes: dict[str, object]) -> dict[str, str]:
    """The fixture's pages at `paths` with some adapter attributes changed:
    {adapter: {attribute: value}}."""
    adapters = {name: copy.copy(adapter) for name, adapter in load_adapters().items()}
    for name, attributes in changes.items():
        for attribute, value in attributes.items():
            setattr(adapters[name], attribute, value)
    monkeypatch.setattr(page_module, "load_adapters", lambda: adapters)
    return render_only(build_context(FIXTURE), *paths)


def test_runtime_names_and_methodology_come_from_the_adapters(monkeypatch, render_only):
    pages = pages_with(
        monkeypatch,
        render_only,
        ("comparisons/runtimes.md", "methodology.md"),
        opencv={"display_name": "Open CV Deep", "methodology": "**Open CV Deep** says so."},
    )
    assert "| Open CV Deep: speed-up (median) |" in pages["comparisons/runtimes.md"]
    assert "**Open CV Deep** says so." in pages["methodology.md"]


def test_the_reference_for_speed_ups_is_the_adapter_with_the_reference_role(
    monkeypatch, render_only
):
    pages = pages_with(
        monkeypatch,
        render_only,
        ("comparisons/runtimes.md", "models/big-net.md"),
        onnxruntime={"reference": False},
        openvino={"reference": True},
    )
    runtimes = pages["comparisons/runtimes.md"]
    assert "## Speed-up over OpenVINO" in runtimes
    assert "| ONNX Runtime · FP32: speed-up (median) |" in runtimes
    assert "reference run of OpenVINO" in pages["models/big-net.md"]


def test_a_variant_is_named_by_its_adapter():
    openvino = load_adapters()["openvino"]
    usual = openvino.settings()
    assert variant_text(openvino, {**usual, "inference_precision_hint": "f32"}, usual) == "FP32"
    assert variant_text(openvino, usual, usual) == ""
    # Settings the adapter does not know are named by their difference from the usual ones.
    assert variant_text(openvino, {"num_streams": 2}, {"num_streams": 1}) == "num_streams=2"
    assert variant_text(None, {"a": 1}, {}) == "a=1"
