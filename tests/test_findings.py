"""analysis.findings and analysis.profiles decide what the runtime comparison and the model
pages point out; render only words it. These tests pin the decisions on small frames."""

from __future__ import annotations

import pandas as pd

from nnkb.analysis.findings import (
    NOTABLE_REL_ERROR,
    disagreements,
    slow_runtimes,
)
from nnkb.analysis.profiles import (
    SLOW_FACTOR,
    Profile,
    Profiles,
    graph_operator_findings,
    own_type_findings,
)


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {
        "machine": "m",
        "model": "net",
        "settings": "",
        "status": "ok",
        "precision": "fp32",
        "scenario": "latency",
        "max_rel_error": 0.0,
        "top1_agree": True,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def _profile(runtime: str, p50: float, shares: dict[str, float], **kw) -> Profile:
    return Profile(
        machine="m", model="net", runtime=runtime, settings_key="", p50=p50, precision="fp32",
        shares=shares, histogram=kw.get("histogram", {"Conv": 10, "Relu": 10}),
    )  # fmt: skip


def test_a_runtime_past_the_slow_factor_is_a_slow_runtime_with_its_profile():
    frame = _frame(
        [
            {"runtime": "fast", "p50": 0.010},
            {"runtime": "near", "p50": 0.010 * SLOW_FACTOR},  # not more than the factor
            {"runtime": "slow", "p50": 0.010 * SLOW_FACTOR * 1.5},
        ]
    )
    slow = _profile("slow", 0.03, {"Reorder": 0.5, "Relu": 0.3, "Conv": 0.2})
    fast = _profile("fast", 0.01, {"Conv": 0.9, "other": 0.1})
    found = slow_runtimes(frame, Profiles((slow, fast), ()))
    assert [(s.runtime, s.fastest_runtime) for s in found] == [("slow", "fast")]
    only = found[0]
    assert abs(only.ratio - SLOW_FACTOR * 1.5) < 1e-9
    assert only.top == (("Reorder", 0.5), ("Relu", 0.3), ("Conv", 0.2))
    # Relu is a graph operator the fastest profile has no entry for; Reorder is the runtime's own.
    assert only.absent_in_fastest == ("Relu",)
    assert only.own_types == ("Reorder",)
    assert only.model_profiled


def test_a_slow_runtime_without_a_profile_says_why():
    frame = _frame([{"runtime": "fast", "p50": 0.01}, {"runtime": "slow", "p50": 0.05}])
    from nnkb.analysis.profiles import Unprofiled

    missing = Unprofiled("m", "net", "slow", "", "the runtime has no profiler")
    found = slow_runtimes(frame, Profiles((), (missing,)))
    assert found[0].profile is None
    assert found[0].unprofiled_why == "the runtime has no profiler"
    assert not found[0].model_profiled


def test_reduced_precision_rows_are_never_the_fastest_fp32_row():
    frame = _frame(
        [
            {"runtime": "int8", "p50": 0.001, "precision": "int8"},
            {"runtime": "fp32", "p50": 0.010},
        ]
    )
    assert slow_runtimes(frame, Profiles((), ())) == []


def test_disagreements_are_fp32_rows_past_the_threshold_or_with_another_top1():
    frame = _frame(
        [
            {"runtime": "ref", "p50": 0.01},
            {"runtime": "close", "p50": 0.01, "max_rel_error": NOTABLE_REL_ERROR / 2},
            {"runtime": "far", "p50": 0.01, "max_rel_error": NOTABLE_REL_ERROR * 2},
            {"runtime": "flip", "p50": 0.01, "max_rel_error": 0.0, "top1_agree": False},
            {"runtime": "bf16", "p50": 0.01, "max_rel_error": 0.5, "precision": "bf16"},
        ]
    )
    found = {d.runtime: d for d in disagreements(frame, reference="ref")}
    assert set(found) == {"far", "flip"}
    assert found["flip"].top1_differs and not found["far"].top1_differs


def test_graph_operator_findings_name_the_runtimes_without_an_entry():
    a = _profile("a", 0.01, {"Conv": 0.6, "Relu": 0.3, "other": 0.1})
    b = _profile("b", 0.01, {"Convolution": 0.95, "other": 0.05})
    found = graph_operator_findings([a, b])
    # Conv has a related entry in b (Convolution); Relu does not: b ran it fused.
    assert [(f.op, [p.runtime for p in f.missing]) for f in found] == [("Relu", ["b"])]
    assert found[0].nodes == 10 and found[0].top is a


def test_own_type_findings_need_a_slow_runtime_and_a_notable_total():
    fast = _profile("fast", 0.01, {"Conv": 1.0})
    slow = _profile("slow", 0.05, {"Conv": 0.8, "Reorder": 0.12, "Tiny": 0.03})
    found = own_type_findings([fast, slow])
    assert [(f.profile.runtime, f.own) for f in found] == [("slow", (("Reorder", 0.12),))]
    quick = _profile("slow", 0.015, slow.shares)  # not past SLOW_FACTOR
    assert own_type_findings([fast, quick]) == []


def test_a_reduced_precision_slower_than_its_fp32_row_is_a_finding_with_its_largest_share():
    from nnkb.analysis.findings import REDUCED_SLOWER_FACTOR, reduced_slower

    frame = _frame(
        [
            {"runtime": "ort", "settings": "", "p50": 0.45},
            {"runtime": "ort", "settings": "q=int8", "p50": 0.86, "precision": "int8"},
            {"runtime": "ov", "settings": "", "p50": 0.28},
            {"runtime": "ov", "settings": "q=int8", "p50": 0.11, "precision": "int8"},
            # within the factor: not a finding
            {"runtime": "cv", "settings": "", "p50": 0.30},
            {"runtime": "cv", "settings": "q=int8", "p50": 0.30 * REDUCED_SLOWER_FACTOR,
             "precision": "int8"},
        ]
    )  # fmt: skip
    slow_int8 = Profile(
        machine="m", model="net", runtime="ort", settings_key="q=int8", p50=0.86,
        precision="int8", shares={"QLinearConv": 0.89, "other": 0.11},
    )  # fmt: skip
    (found,) = reduced_slower(frame, Profiles((slow_int8,), ()))
    assert (found.runtime, found.precision, found.settings) == ("ort", "int8", "q=int8")
    assert abs(found.ratio - 0.86 / 0.45) < 1e-9
    assert found.largest == ("QLinearConv", 0.89) and found.fp32_largest is None


def test_operator_types_the_fp32_row_lacks_are_named():
    from nnkb.analysis.findings import reduced_slower

    frame = _frame(
        [
            {"runtime": "ov", "settings": "", "p50": 0.0007},
            {"runtime": "ov", "settings": "q=int8", "p50": 0.0014, "precision": "int8"},
        ]
    )
    int8 = Profile(
        machine="m", model="net", runtime="ov", settings_key="q=int8", p50=0.0014,
        precision="int8", shares={"Convolution": 0.37, "Reorder": 0.30, "FakeQuantize": 0.2,
                                  "Tiny": 0.01, "other": 0.12},
    )  # fmt: skip
    fp32 = Profile(
        machine="m", model="net", runtime="ov", settings_key="", p50=0.0007,
        precision="fp32", shares={"Convolution": 0.55, "Reorder": 0.2, "other": 0.25},
    )  # fmt: skip
    (found,) = reduced_slower(frame, Profiles((int8, fp32), ()))
    assert found.largest == ("Convolution", 0.37) and found.fp32_largest == ("Convolution", 0.55)
    assert found.not_in_fp32 == (("FakeQuantize", 0.2),)
