"""Precision variants end to end: derived INT8 files keyed into rows and reused, the precision
read back from the runtime, agreement over many inputs with the kind of the model's task,
OCR accuracy on recogniser rows, and the typed fields in the results file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb

from nnkb import results
from nnkb.bench import derived, runner
from nnkb.bench.plan import build_plan, select_models
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.settings import HARNESS
from nnkb.cli import main
from nnkb.kb import load_kb

ROOT = Path(__file__).resolve().parents[1]
PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")
NO_UNITS = {"sse2", "avx2"}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(HARNESS, "warmup_seconds", 0.05)
    monkeypatch.setitem(HARNESS, "profile_seconds", 0.05)
    monkeypatch.setattr(runner, "measure_peak", lambda: PEAK)
    kb = tinykb.make_kb(tmp_path, {"tiny": tinykb.conv_net(0)}, classifier=True)
    entry = kb / "models" / "tiny.yaml"
    entry.write_text(entry.read_text() + "task: classification\n")
    return kb


def plan_of(kb: Path, cache: Path) -> dict[tuple[str, str], object]:
    adapters = load_adapters()
    versions = {n: a.version() for n, a in adapters.items()}
    plan = build_plan(
        select_models(load_kb(kb), None), list(adapters.values()), versions, cache, {}, False,
        flags=NO_UNITS,
    )  # fmt: skip
    return {(p.runtime, p.variant): p for p in plan}


def test_int8_rows_are_keyed_by_their_derived_file(env, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    before = plan_of(env, cache)
    assert before[("onnxruntime", "INT8")].quantization.quantizer == "onnxruntime"
    assert before[("openvino", "INT8")].quantization.quantizer == "nncf"
    assert before[("onnxruntime", "FP32")].quantization is None
    assert "synthetic" in before[("onnxruntime", "INT8")].quantization.calibration
    assert before[("openvino", "FP16")].unavailable
    # A new quantiser version re-measures the INT8 rows, and only them.
    monkeypatch.setattr(derived, "quantizer_version", lambda q: f"{q} 99.0")
    after = plan_of(env, cache)
    assert after[("onnxruntime", "INT8")].key != before[("onnxruntime", "INT8")].key
    assert after[("openvino", "INT8")].key != before[("openvino", "INT8")].key
    assert after[("onnxruntime", "FP32")].key == before[("onnxruntime", "FP32")].key


@pytest.mark.slow
def test_int8_row_reads_back_int8_and_stores_agreement(env, tmp_path, capsys):
    out = tmp_path / "r.json"
    args = ["bench", "--kb", str(env), "--results", str(out), "--row-budget", "0.2"]
    assert main([*args, "--runtimes", "onnxruntime"]) == 0
    rows = {
        r.settings.get("quantizer"): r
        for r in results.read(out, named=False).rows
        if r.scenario == "latency"  # the throughput twins have no agreement or accuracy
    }
    int8, fp32 = rows["onnxruntime"], rows[None]
    assert int8.ok and int8.precision == "int8"
    assert int8.compute_ops is not None and 0 < int8.compute_ops.int8 == int8.compute_ops.total
    assert fp32.precision == "f32" and fp32.compute_ops.int8 == 0
    assert int8.quantization is not None and int8.quantization.quantizer == "onnxruntime"
    for row in (int8, fp32):
        assert row.agreement.kind == "classifier" and row.agreement.inputs == 64
        assert row.agreement.top1 is not None and row.agreement.cosine_min is None
    assert fp32.agreement.snr_db > int8.agreement.snr_db
    # The derived file is reused: a forced rerun builds nothing new.
    folders = sorted((tmp_path / "cache" / "quantized" / "onnxruntime").iterdir())
    assert main([*args, "--runtimes", "onnxruntime", "--force"]) == 0
    assert sorted((tmp_path / "cache" / "quantized" / "onnxruntime").iterdir()) == folders
    assert json.loads(out.read_text())["rows"][0]["harness_version"] == HARNESS["version"]


@pytest.mark.slow
def test_recogniser_rows_carry_ocr_accuracy(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(runner, "measure_peak", lambda: PEAK)
    monkeypatch.setitem(HARNESS, "profile_seconds", 0.05)
    out = tmp_path / "r.json"
    args = ["bench", "--kb", str(ROOT / "kb"), "--results", str(out), "--row-budget", "0.2"]
    assert main([*args, "--models", "ppocr-v4-rec", "--runtimes", "onnxruntime"]) == 0
    rows = {
        r.settings.get("quantizer"): r
        for r in results.read(out, named=False).rows
        if r.scenario == "latency"  # the throughput twins have no agreement or accuracy
    }
    fp32 = rows[None].accuracy
    assert fp32 is not None and fp32.task == "text-recognition"
    assert fp32.lines == fp32.corpus["lines"] == 500 and len(fp32.corpus["sha256"]) == 64
    assert 0 < fp32.cer < 0.1 and 0.5 < fp32.line_accuracy <= 1
    assert "text lines" in rows["onnxruntime"].quantization.calibration


def test_new_row_fields_round_trip_and_old_rows_keep_their_bytes():
    # A results file from when rows before these fields stood beside the new ones.
    committed = ROOT / "tests" / "fixtures" / "results_v2" / "amd-epyc-2c-linux-c907c428.json"
    loaded = results.read(committed)
    assert loaded.dumps() == committed.read_text(encoding="utf-8")
    old = [r for r in loaded.rows if r.harness_version == "4"]  # before these fields
    assert old and all(r.quantization is None and r.accuracy is None for r in old)
    row = next(r for r in old if r.agreement is not None)
    agreement = results.Agreement.from_json(
        {**row.agreement.to_json(), "kind": "classifier", "inputs": 64, "snr_db": 30.0,
         "top1": 0.9, "exact": False}
    )  # fmt: skip
    from dataclasses import replace

    new = replace(
        row,
        agreement=agreement,
        quantization=results.Quantization("onnxruntime", "onnxruntime 1", "c", "words", "a" * 64),
        compute_ops=results.ComputeOps(3, 4, "graph"),
    )
    again = results.Row.from_json(json.loads(json.dumps(new.to_json())))
    assert again == new and again.agreement.measured and not row.agreement.measured
    assert "quantization" not in row.to_json() and "kind" not in row.agreement.to_json()


def test_use_cases_name_their_candidates_and_tolerance():
    kb = load_kb(ROOT / "kb")
    detection = [m.id for m in kb.candidates_for("object-detection")]
    assert "ssdlite320-mobilenet-v3-large" in detection and "mobilenet-v2" not in detection
    assert "resnet-18" not in [m.id for m in kb.candidates_for("anomaly-detection")]
    assert "anomaly-detection" in kb.models["resnet-18"].backbone_for
    face = kb.use_cases["facial-recognition"].precision_tolerance
    assert face.metric == "cosine_min" and face.within(0.995) and not face.within(0.98)
    ocr = kb.use_cases["text-recognition"].precision_tolerance
    assert ocr.direction == "max_loss" and ocr.within(0.5) and not ocr.within(1.5)


def test_box_top1_counts_boxes_whose_class_is_the_references():
    import numpy as np

    from nnkb.bench.quality import box_top1

    boxes = np.zeros((1, 4, 4), np.float32)
    ref = np.array([[[0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 3, 0, 0], [0, 0, 0, 0, 2]]], float)
    out = ref.copy()
    out[0, 0] = [2, 1, 0, 0, 0]  # one box of four now prefers another class
    assert box_top1([[boxes, ref]], [[boxes, out]]) == 0.75
    assert box_top1([[boxes]], [[boxes]]) is None  # no class-score output
