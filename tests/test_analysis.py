"""Tables computed by nnkb.analysis, checked on tests/fixtures/analysis_kb.

Generated tables are compared with tests/golden/analysis/*; after an intended change, rerun
with NNKB_UPDATE_GOLDEN=1 and review the diff of the golden files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nnkb import analysis
from nnkb.kb import SCHEMA_DIR, load_kb
from nnkb.render.shared import numbers
from nnkb.results import ResultsFile, load_all
from results_builder import results_file

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"


def load_results() -> list[ResultsFile]:
    return load_all(FIXTURE)


@pytest.fixture(scope="module")
def kb():
    return load_kb(FIXTURE)


@pytest.fixture(scope="module")
def frame():
    return analysis.results_frame(load_results())


def csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format="%.6g", lineterminator="\n")


# --- the fixture itself ------------------------------------------------------------------------


def test_fixture_is_schema_valid():
    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.schema.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema)) for name, schema in schemas.items()
    )

    def errors(schema: str, data: object) -> list[str]:
        validator = Draft202012Validator(schemas[f"{schema}.schema.json"], registry=registry)
        return [e.message for e in validator.iter_errors(data)]

    checked = 0
    for collection, schema in [
        ("use_cases", "use_case"),
        ("models", "model"),
        ("frameworks", "framework"),
        ("hardware", "hardware"),
    ]:
        for path in sorted((FIXTURE / collection).glob("*.yaml")):
            text = path.read_text()
            first = f"# yaml-language-server: $schema=../../../../scripts/nnkb/schemas/{schema}"
            assert text.splitlines()[0] == first + ".schema.json", path
            assert errors(schema, yaml.safe_load(text)) == [], path
            checked += 1
    for path in sorted((FIXTURE / "results").glob("*.json")):
        assert errors("results", json.loads(path.read_text())) == [], path
        checked += 1
    assert checked == 16


def test_fixture_passes_nnkb_validate(capsys):
    from nnkb.cli import main

    assert main(["validate", "--kb", str(FIXTURE)]) == 0, capsys.readouterr()


def test_fixture_loads_as_typed_kb(kb):
    assert sorted(kb.use_cases) == ["anomaly-detection", "image-classification"]
    assert len(kb.models) == 5
    adapters = sorted(a for f in kb.frameworks.values() for a in f.benchmark_adapters)
    assert adapters == ["onnxruntime", "opencv", "openvino"]


# --- results_frame -----------------------------------------------------------------------------


def test_results_frame_has_one_row_per_result_row(frame, golden):
    assert list(frame.columns) == analysis.RESULT_COLUMNS
    assert len(frame) == sum(len(r.rows) for r in load_results())
    assert sorted(frame["machine"].unique()) == ["arm-test", "x86-test"]
    row = frame[
        (frame["machine"] == "x86-test")
        & (frame["model"] == "tiny-net")
        & (frame["runtime"] == "openvino")
    ].iloc[0]
    assert row["p50"] == 0.0015
    assert row["throughput"] == pytest.approx(1 / 0.0015)
    assert (
        row["machine_label"]
        == "Intel Xeon Fixture, AVX-512 with BF16 (Cooper Lake class), 2 vCPUs, 24 GiB, cloud VM"
    )
    assert row["hardware"] == "x86-cpu"
    assert row["settings"] == "num_streams=1, performance_hint=LATENCY"
    assert row["peak_flops"] == 4e11
    assert bool(row["top1_agree"]) is True
    failed = frame[(frame["model"] == "mid-net") & (frame["runtime"] == "opencv")].iloc[0]
    assert failed["status"] == "failed"
    assert "HardSwish" in failed["reason"]
    assert math.isnan(failed["p50"]) and math.isnan(failed["throughput"])
    golden("analysis/results-frame.csv", csv(frame))


def test_results_frame_of_nothing_is_empty_with_columns():
    frame = analysis.results_frame([])
    assert frame.empty and list(frame.columns) == analysis.RESULT_COLUMNS


def test_settings_key_is_stable_and_readable():
    assert analysis.settings_key({"b": 2, "a": "x", "c": True}) == "a=x, b=2, c=true"
    assert analysis.settings_key({"a": "x", "b": 2}) == analysis.settings_key({"b": 2, "a": "x"})
    assert analysis.settings_key({}) == "" and analysis.settings_key(None) == ""


# --- ranking and Pareto front ------------------------------------------------------------------


@pytest.mark.parametrize("use_case", ["anomaly-detection", "image-classification"])
def test_ranking_golden(kb, frame, use_case, golden):
    ranking = analysis.use_case_ranking(kb, frame, use_case)
    golden(f"analysis/ranking-{use_case}.csv", csv(ranking))


def test_ranking_takes_each_models_best_ok_runtime(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    x86 = ranking[ranking["machine"] == "x86-test"].set_index("model")
    # onnxruntime with 2 threads (2.0 ms) beats 1 thread (2.6 ms), openvino (1.5 ms) beats both.
    assert x86.loc["tiny-net", "runtime"] == "openvino"
    assert x86.loc["tiny-net", "p50"] == 0.0015
    # big-net: onnxruntime and openvino tie at 20.0 ms; openvino's p90 is lower.
    assert x86.loc["big-net", "runtime"] == "openvino"
    # twin-net and mid-net tie at 5.0 ms; twin-net's cited AUROC is higher, so it ranks first.
    assert list(x86["rank"]) == [1, 2, 3, 4]
    assert list(x86.index) == ["tiny-net", "twin-net", "mid-net", "big-net"]
    assert list(x86["meets_floor"]) == [False, True, True, True]
    assert ranking.attrs["higher_is_better"] is True and ranking.attrs["floor"] == 0.85


def test_ranking_lists_models_without_an_ok_row_with_the_reason(kb, frame):
    ranking = analysis.use_case_ranking(kb, frame, "image-classification")
    arm = ranking[ranking["machine"] == "arm-test"].set_index("model")
    assert arm.loc["big-net", "status"] == "crashed/failed"
    assert "onnxruntime crashed: subprocess killed by signal 9" in arm.loc["big-net", "reason"]
    assert "openvino failed: compile_model ran out of memory" in arm.loc["big-net", "reason"]
    assert arm.loc["offline-net", "status"] == "not-benchmarked"
    assert arm.loc["offline-net", "reason"].startswith("No redistributable ONNX file")
    assert pd.isna(arm.loc["big-net", "rank"]) and pd.isna(arm.loc["big-net", "p50"])
    # twin-net cites top-1 only on CIFAR-10, which is not the use case's dataset.
    assert pd.isna(arm.loc["twin-net", "accuracy"]) and pd.isna(arm.loc["twin-net", "meets_floor"])


def test_ranking_converts_percent_to_the_floors_unit(kb, frame):
    kb.use_cases["image-classification"].data["accuracy_floor"]["unit"] = "ratio"
    kb.use_cases["image-classification"].data["accuracy_floor"]["value"] = 0.7
    try:
        ranking = analysis.use_case_ranking(kb, frame, "image-classification")
    finally:
        kb.use_cases["image-classification"].data["accuracy_floor"].update(unit="%", value=70.0)
    big = ranking[(ranking["model"] == "big-net") & (ranking["machine"] == "x86-test")].iloc[0]
    assert big["accuracy"] == pytest.approx(0.761) and big["accuracy_unit"] == "ratio"
    assert bool(big["meets_floor"]) is True


def test_ranking_model_without_rows_on_a_machine_is_not_measured(kb):
    frame = analysis.results_frame(
        [results_file("m1", [{"model": "tiny-net", "runtime": "onnxruntime", "p50": 0.01}])]
    )
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection").set_index("model")
    assert ranking.loc["tiny-net", "status"] == "ok"
    assert ranking.loc["mid-net", "status"] == "not-measured"


def test_unknown_use_case_names_the_valid_ones(kb, frame):
    with pytest.raises(KeyError, match="anomaly-detection, image-classification"):
        analysis.use_case_ranking(kb, frame, "face-recognition")


def pareto_case(points: list[tuple[str, float, float | None]], status: str = "ok"):
    return pd.DataFrame(
        {
            "machine": "m",
            "model": [p[0] for p in points],
            "status": status,
            "p50": [p[1] for p in points],
            "accuracy": [p[2] for p in points],
        }
    )


def test_pareto_front_higher_is_better_by_hand():
    ranking = pareto_case(
        [
            ("a", 1.0, 0.5),
            ("b", 2.0, 0.7),
            ("c", 2.0, 0.6),  # as fast as b, less accurate
            ("d", 3.0, 0.7),  # as accurate as b, slower
            ("e", 0.5, 0.4),  # fastest
            ("f", 2.0, 0.7),  # identical to b: neither dominates the other
            ("g", 0.7, None),  # no cited accuracy: cannot be placed
            ("h", 4.0, 0.9),  # most accurate
        ]
    )
    front = analysis.pareto_front(ranking, higher_is_better=True)
    assert list(front["model"]) == ["e", "a", "b", "f", "h"]


def test_pareto_front_lower_is_better_by_hand():
    ranking = pareto_case([("a", 1.0, 10.0), ("b", 2.0, 5.0), ("c", 3.0, 6.0), ("d", 0.5, 12.0)])
    assert list(analysis.pareto_front(ranking, higher_is_better=False)["model"]) == ["d", "a", "b"]
    # The same points read as higher-is-better give a different front.
    assert list(analysis.pareto_front(ranking, higher_is_better=True)["model"]) == ["d"]


def test_pareto_front_skips_rows_that_did_not_run():
    ranking = pd.concat(
        [pareto_case([("a", 2.0, 0.5)]), pareto_case([("b", 1.0, 0.9)], status="failed")]
    )
    assert list(analysis.pareto_front(ranking)["model"]) == ["a"]


def test_pareto_front_of_fixture_follows_the_ranking_attrs(kb, frame, golden):
    ranking = analysis.use_case_ranking(kb, frame, "anomaly-detection")
    front = analysis.pareto_front(ranking)
    golden("analysis/pareto-anomaly-detection.csv", csv(front))
    by_machine = front.groupby("machine")["model"].apply(list).to_dict()
    # mid-net ties twin-net on latency with a lower AUROC, so it is dominated.
    assert by_machine == {
        "arm-test": ["tiny-net", "twin-net"],
        "x86-test": ["tiny-net", "twin-net", "big-net"],
    }


# --- runtimes and machines ---------------------------------------------------------------------


def test_runtime_speedups_arithmetic(frame, golden):
    speedups = analysis.runtime_speedups(frame, "onnxruntime")
    golden("analysis/speedups.csv", csv(speedups))
    s = speedups.set_index(["machine", "model", "runtime"])["speedup"]
    assert s[("x86-test", "mid-net", "openvino")] == pytest.approx(0.006 / 0.005)
    # Baseline is onnxruntime's best settings (2 threads, 2.0 ms), not the 1-thread row.
    assert s[("x86-test", "tiny-net", "openvino")] == pytest.approx(0.002 / 0.0015)
    assert s[("x86-test", "big-net", "opencv")] == pytest.approx(0.02 / 0.03)
    assert s[("arm-test", "twin-net", "openvino")] == pytest.approx(0.75)
    assert (s.xs("onnxruntime", level="runtime") == 1.0).all()
    opencv = speedups[(speedups["model"] == "big-net") & (speedups["runtime"] == "opencv")]
    assert bool(opencv["top1_agree"].iloc[0]) is False
    assert opencv["max_abs_error"].iloc[0] == 0.25


def test_runtime_speedup_is_nan_without_an_ok_baseline():
    frame = analysis.results_frame(
        [
            results_file(
                "m1",
                [
                    {"model": "x", "runtime": "onnxruntime", "status": "failed", "reason": "r"},
                    {"model": "x", "runtime": "openvino", "p50": 0.01},
                    {"model": "y", "runtime": "onnxruntime", "p50": 0.03},
                    {"model": "y", "runtime": "openvino", "p50": 0.01},
                ],
            )
        ]
    )
    s = analysis.runtime_speedups(frame, "onnxruntime").set_index(["model", "runtime"])["speedup"]
    assert math.isnan(s[("x", "openvino")])
    assert s[("y", "openvino")] == pytest.approx(3.0)
    assert ("x", "onnxruntime") not in s.index


def test_load_failures_lists_every_row_that_failed_never_one_that_does_not_apply(frame, golden):
    failures = analysis.load_failures(frame)
    golden("analysis/failures.csv", csv(failures))
    # "Could not run" counts failures only: a row that does not apply on its machine (runtime
    # not installed, variant its CPU lacks instructions for) is listed apart.
    skipped = analysis.not_applicable(frame)
    assert set(skipped["status"]) == {"unavailable"}
    assert len(failures) + len(skipped) == int((frame["status"] != "ok").sum()) == 7
    assert "unavailable" not in set(failures["status"])
    opencv = failures[(failures["runtime"] == "opencv") & (failures["machine"] == "x86-test")]
    assert list(zip(opencv["model"], opencv["status"])) == [
        ("mid-net", "failed"),
        ("twin-net", "timeout"),
    ]
    assert "Can't create layer of type 'HardSwish'" in opencv["reason"].iloc[0]


def test_machine_efficiency(frame, golden):
    eff = analysis.machine_efficiency(frame, "x86-test")
    golden("analysis/efficiency-x86-test.csv", csv(eff))
    assert eff.attrs == {"machine": "x86-test", "peak_flops": 4e11}
    tiny = eff.set_index(["model", "runtime"]).loc[("tiny-net", "openvino")]
    assert tiny["flops"] == 1e8
    assert tiny["achieved_gflops"] == pytest.approx(1e8 / 0.0015 / 1e9)
    assert tiny["peak_percent"] == pytest.approx(100 * 1e8 / 0.0015 / 4e11)
    assert tiny["flops_per_weight_byte"] == pytest.approx(1e8 / (4 * 100_000))
    # One row per model and runtime: tiny-net's slower 1-thread onnxruntime row is dropped.
    assert len(eff) == 10


def test_efficiency_is_computed_from_macs_latency_and_peak():
    frame = analysis.results_frame(
        [
            results_file(
                "m1",
                [
                    {
                        "model": "x",
                        "runtime": "onnxruntime",
                        "p50": 0.5,
                        "macs": 10**9,
                        "parameters": 10**6,
                    }
                ],
                peak=1e10,
            )
        ]
    )
    row = analysis.machine_efficiency(frame, "m1").iloc[0]
    assert row["achieved_flops"] == pytest.approx(4e9)
    assert row["peak_fraction"] == pytest.approx(0.4)
    assert row["flops_per_weight_byte"] == pytest.approx(500.0)


def test_zero_latency_and_peak_give_no_derived_figures_and_no_error():
    frame = analysis.results_frame(
        [
            results_file(
                "m1",
                [{"model": "x", "runtime": "onnxruntime", "p50": 0.0, "macs": 10**9}],
                peak=0.0,
            ),
            results_file(
                "m2",
                [{"model": "x", "runtime": "onnxruntime", "p50": 1e-300, "macs": 10**9}],
                peak=1e-300,
            ),
        ]
    )
    assert frame["throughput"].isna().iloc[0] and frame["peak_fraction"].isna().all()
    assert frame["achieved_flops"].isna().iloc[1]  # 2e9 / 1e-300 is not a finite number
    assert analysis.machine_efficiency(frame, "m1").attrs["peak_flops"] is None
    assert analysis.runtime_speedups(frame, "onnxruntime")["speedup"].isna().iloc[0]


def test_settings_difference_against_the_usual_settings():
    files = [
        results_file(
            "m1",
            [
                {"model": "a", "runtime": "openvino", "p50": 0.01, "settings": {"hint": "f32"}},
                {"model": "a", "runtime": "openvino", "p50": 0.01, "settings": {}},
                {"model": "b", "runtime": "openvino", "p50": 0.01, "settings": {}},
            ],
        )
    ]
    assert analysis.usual_settings(files) == {"openvino": {}}
    frame = analysis.results_frame(files)
    assert sorted(frame["settings_difference"]) == ["", "", "hint=f32"]
    assert analysis.settings_difference({}, {"hint": "f32"}) == "hint=unset"


def test_machine_efficiency_unknown_machine(frame):
    with pytest.raises(KeyError, match="arm-test, x86-test"):
        analysis.machine_efficiency(frame, "nope")


def test_empty_frame_gives_empty_tables(kb):
    empty = analysis.results_frame([])
    assert analysis.use_case_ranking(kb, empty, "anomaly-detection").empty
    assert analysis.pareto_front(analysis.use_case_ranking(kb, empty, "anomaly-detection")).empty
    assert analysis.runtime_speedups(empty, "onnxruntime").empty
    assert analysis.load_failures(empty).empty
    assert analysis.recommend(kb, empty, "anomaly-detection") == []


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.00085, "850 µs"),
        (0.0123, "12.3 ms"),
        (0.005, "5.00 ms"),
        (0.2, "200 ms"),
        (1.2, "1.20 s"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "–"),
    ],
)
def test_format_latency(seconds, text):
    assert numbers.format_latency(seconds) == text


def test_other_formatters():
    assert numbers.format_ratio(1.8333) == "1.8x" and numbers.format_ratio(12.4) == "12x"
    assert numbers.format_ratio(0.75) == "0.75x"
    assert numbers.format_accuracy(76.1, "%") == "76.1 %"
    assert numbers.format_accuracy(0.92, "ratio") == "0.92"
    assert numbers.format_accuracy(None) == "not cited"
    assert numbers.format_flops(1.234e10) == "12.3 GFLOP/s"
    assert numbers.format_percent(0.1667) == "16.7 %"
    assert numbers.format_bytes(44_002_048) == "44.0 MB" and numbers.format_bytes(12) == "12 B"
