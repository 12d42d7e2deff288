"""Precision variants on the pages, from hand-made rows with INT8 variants, agreement over
many inputs, OCR accuracy and a row above the FP32 peak (tests/fixtures/analysis_kb's KB).

On "vnni" (peak 1 GFLOP/s, 10 M MACs per inference: 2 % of the peak at 1 s):
  twin-net ONNX Runtime FP32 10 ms (CER 4.39 %), ONNX Runtime INT8 4 ms (SNR 35 dB, CER 4.89 %,
  10 of 12 ops in int8), OpenVINO INT8 3 ms (SNR 15 dB: not within the 30 dB tolerance) and
  OpenVINO BF16 5 ms without agreement; at 10 M MACs, 4 ms is 500 % of the 1 GFLOP/s peak.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nnkb.bench.runtimes import load_adapters
from nnkb.kb import load_kb
from nnkb.render.build.downloads import results_csv
from nnkb.render.pages.methodology import methodology_page
from nnkb.render.pages.usecase import recommendation_section
from nnkb.render.sections.measured import measured_table
from nnkb.render.sections.precision_table import task_accuracy_section
from nnkb.render.shared.page import Page, SiteContext
from nnkb.results import Agreement, ComputeOps, Quantization, ResultsFile, TaskAccuracy
from results_builder import machine, row

FIXTURE = Path(__file__).parent / "fixtures" / "analysis_kb"
ADAPTERS = load_adapters()
ORT = ADAPTERS["onnxruntime"].settings()
OV = ADAPTERS["openvino"].settings()
CORPUS = {"id": "lines", "version": 1, "seed": 0, "lines": 500, "sha256": "0", "renderer": "x"}


def agreement(snr_db: float) -> Agreement:
    return Agreement(
        "onnxruntime", 0.5, 40.0, None, kind="tensor", inputs=64, snr_db=snr_db,
        max_rel_error_inputs=812.0,
    )  # fmt: skip


def ocr(cer: float) -> TaskAccuracy:
    return TaskAccuracy("text-recognition", cer, 0.8, cer, 500, 9000, 1, 400, CORPUS, 1.0)


def quantized(quantizer: str) -> Quantization:
    return Quantization(quantizer, "1.0", "synthetic-32", "32 seeded synthetic inputs", "k")


@pytest.fixture(scope="module")
def site() -> SiteContext:
    found = machine("vnni", peak=1e9)
    features = ("avx2", "avx512f", "avx512_vnni")
    found = replace(found, hardware=replace(found.hardware, isa_features=features))
    common = {"macs": 10_000_000}
    rows = [
        row("twin-net", "onnxruntime", 0.010, settings=ORT, precision="fp32",
            accuracy=ocr(0.0439), **common),
        row("twin-net", "onnxruntime", 0.004, settings={**ORT, "quantizer": "onnxruntime"},
            precision="int8", agreement=agreement(35.0), accuracy=ocr(0.0489),
            quantization=quantized("onnxruntime"), compute_ops=ComputeOps(10, 12, "test"),
            **common),
        row("twin-net", "openvino", 0.003, settings={**OV, "quantizer": "nncf"}, precision="int8",
            agreement=agreement(15.0), quantization=quantized("nncf"), **common),
        row("twin-net", "openvino", 0.005, settings=OV, precision="bf16", **common),
    ]  # fmt: skip
    return SiteContext(kb=load_kb(FIXTURE), results_files=[ResultsFile(found, rows)])


def test_methodology_has_the_variant_table_and_how_variants_are_checked(site):
    page = methodology_page(site)
    table = page.split("## Precision variants against ONNX Runtime FP32")[1].split("\n## ")[0]
    assert "| Speed-up vs ONNX Runtime · FP32 |" in table
    assert (
        "| ONNX Runtime · INT8 | 4.00 ms | 2.5x | CER +0.50 points, line accuracy +0.0 points"
        in table
    )
    assert "| OpenVINO · INT8 | 3.00 ms | 3.3x | SNR 15.0 dB |" in table
    assert "| OpenVINO · BF16 (default precision) |" in table or "| OpenVINO · BF16 |" in table
    assert "| not measured |" in table
    assert "| 10 of 12 |" in table
    assert "### Agreement with the FP32 reference" in page
    assert '??? note "Quantisers and calibration"' in page
    assert "per-channel" in page  # the quantiser's own documentation
    assert "**Text-recognition accuracy.**" in page
    rules = page.split("## How a recommendation is made")[1]
    assert "faster, accuracy not" in rules and "AVX512_BF16" in rules and "VNNI" in rules


def test_recommendation_box_gives_the_fallback_and_the_rows_left_out(site):
    page = Page(site, "use_cases/anomaly-detection.md")
    text = recommendation_section(page, site.kb.use_cases["anomaly-detection"])
    assert "TwinNet on ONNX Runtime · INT8, 4.00 ms per inference" in text
    assert "needs **AVX512_VNNI** (INT8 kernels); **on a CPU without them**:" in text
    assert "on ONNX Runtime · FP32 at **10.0 ms** (2.5x the time)" in text
    assert "TwinNet on OpenVINO in INT8 is faster at 3.00 ms, accuracy not within tolerance" in text


def test_text_accuracy_per_runtime_and_precision(site):
    page = Page(site, "use_cases/anomaly-detection.md")
    use_case = site.kb.use_cases["anomaly-detection"]
    text = task_accuracy_section(page, use_case)
    assert text is not None
    assert (
        "| [TwinNet](../models/twin-net.md) | ONNX Runtime · FP32 | 4.39 % | 80.0 % | 500 |" in text
    )
    assert "| ONNX Runtime · INT8 | 4.89 % |" in text
    assert "rendered text lines" in text and "DejaVu" in text


def test_row_above_the_fp32_peak_is_marked_in_the_table(site):
    page = Page(site, "models/twin-net.md")
    table = measured_table(page, site.frame).to_markdown()
    assert "500 % (above the FP32 peak: ran in int8)" in table
    assert "| [ONNX Runtime](../frameworks/onnx-runtime.md) 1.0 · INT8 |" in table
    assert "| SNR 35.0 dB (64 inputs) |" in table
    assert "812" not in table  # max relative error stays in the downloads


def test_downloads_keep_max_relative_error_and_the_agreement_metrics(site):
    csv = results_csv(site)
    header = csv.splitlines()[0].split(",")
    for column in (
        "precision",
        "max_rel_error_inputs",
        "agree_snr_db",
        "cer",
        "quantizer",
        "label",
    ):
        assert column in header
    assert "812.0" in csv
    assert "ONNX Runtime · INT8" in csv and "OpenVINO · BF16" in csv
