"""The data the benchmark page sets a reader's result beside: each machine's native medians of
the model, with what the site recommends there (analysis.standing, render.build.webbench)."""

from __future__ import annotations

from pathlib import Path

from nnkb.analysis.standing import native_times
from nnkb.render.build.site import build_context
from nnkb.render.build.webbench import standings

KB_ROOT = Path(__file__).resolve().parents[1] / "kb"


def test_native_times_are_each_machines_fp32_medians():
    site = build_context(KB_ROOT)
    times = native_times(site.frame, "squeezenet-1-1")
    assert times and [t.machine for t in times] == sorted(t.machine for t in times)
    for time in times:
        rows = site.frame[
            (site.frame["machine"] == time.machine)
            & (site.frame["model"] == "squeezenet-1-1")
            & (site.frame["status"] == "ok")
        ]
        assert time.fastest_p50 == min(
            r.p50 for r in rows.itertuples() if str(r.precision).lower() in ("fp32", "f32")
        )
        assert time.onnxruntime_p50 is None or time.onnxruntime_p50 >= time.fastest_p50


def test_standings_name_the_machines_and_the_recommendations_there():
    site = build_context(KB_ROOT)
    found = standings(site, ["squeezenet-1-1"])["squeezenet-1-1"]
    labels = {n["label"] for n in found["native"]}
    assert labels and all(label for label in labels)
    picks = [p for n in found["native"] for p in n["recommended"]]
    assert picks and all(p.startswith("Image classification: ") for p in picks)
    assert "squeezenet-1-1" not in " ".join(picks)  # names, not ids
