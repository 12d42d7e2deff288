"""The adapters: discovered from bench/runtimes/, cheap to import, and carrying their own
names, variant labels, methodology text and the FP32 reference role."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb

from nnkb.bench import reference as ref
from nnkb.bench import runtimes
from nnkb.bench.runtimes import AdapterError, load_adapters, reference_adapter
from nnkb.bench.runtimes.onnxruntime import OnnxRuntime

REAL = {"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO", "opencv": "OpenCV DNN"}


def test_every_module_of_the_folder_is_discovered_without_importing_a_runtime():
    code = (
        "import sys\n"
        "from nnkb.bench.runtimes import load_adapters\n"
        "print(sorted(load_adapters()))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('onnxruntime', 'openvino', 'cv2')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["['onnxruntime', 'opencv', 'openvino']", "[]"]


def test_display_names_and_labels_of_the_default_settings():
    adapters = load_adapters()
    for name, display in REAL.items():
        adapter = adapters[name]
        assert adapter.display_name == display
        precision = "default precision" if name == "openvino" else "FP32"
        assert adapter.variant_label(adapter.settings()) == precision
        assert adapter.label(adapter.settings()) == f"{display} · {precision}"


def test_precision_variants_are_labelled_by_their_adapter():
    adapters = load_adapters()
    openvino, ort = adapters["openvino"], adapters["onnxruntime"]
    default, f32, int8, f16 = openvino.variants()
    assert [openvino.label(s) for s in (default, f32, int8, f16)] == [
        "OpenVINO · default precision",
        "OpenVINO · FP32",
        "OpenVINO · INT8",
        "OpenVINO · FP16",
    ]
    assert openvino.variant_label(f32) == "FP32"
    assert [ort.label(s) for s in ort.variants()] == ["ONNX Runtime · FP32", "ONNX Runtime · INT8"]
    assert [ort.quantizer(s) for s in ort.variants()] == [None, "onnxruntime"]
    assert openvino.quantizer(int8) == "nncf"
    assert openvino.label({**default, "performance_hint": "THROUGHPUT"}) == (
        "OpenVINO · default precision, performance_hint=THROUGHPUT"
    )


def test_fp16_and_default_precision_are_not_applicable_without_the_cpu_units():
    openvino = load_adapters()["openvino"]
    default, f32, int8, f16 = openvino.variants()
    plain = {"sse2", "avx2", "avx512f"}
    reason = openvino.unavailable(f16, plain)
    assert reason is not None and "not applicable" in reason and "AVX512_FP16" in reason
    assert openvino.unavailable(f16, plain | {"amx_fp16"}) is None
    assert "not applicable" in (openvino.unavailable(default, plain) or "")
    assert openvino.unavailable(default, plain | {"avx512_bf16"}) is None
    assert openvino.unavailable(f32, plain) is None and openvino.unavailable(int8, plain) is None


def test_thread_counts_follow_the_machine_and_are_no_variant():
    adapters = load_adapters()
    ort, opencv = adapters["onnxruntime"], adapters["opencv"]
    assert ort.variant_label({**ort.settings(), "intra_op_num_threads": 64}) == "FP32"
    assert opencv.variant_label({**opencv.settings(), "threads": 64}) == "FP32"
    # Any other difference is named, a missing setting as "unset".
    basic = {**ort.settings(), "graph_optimization_level": "ORT_ENABLE_BASIC"}
    assert ort.label(basic) == "ONNX Runtime · FP32, graph_optimization_level=ORT_ENABLE_BASIC"
    settings = {k: v for k, v in ort.settings().items() if k != "execution_mode"}
    assert ort.variant_label(settings) == "FP32, execution_mode=unset"


def test_rows_of_an_adapter_this_installation_lacks_keep_their_name():
    adapters = load_adapters()
    f32 = adapters["openvino"].variants()[1]
    assert runtimes.label_for(adapters, "openvino", f32) == "OpenVINO · FP32"
    assert runtimes.label_for(adapters, "tensorrt", {"fp16": True}) == "tensorrt"


def test_each_adapter_says_what_the_methodology_page_says_about_it():
    for name, adapter in load_adapters().items():
        assert adapter.methodology.startswith(f"**{REAL[name]}** (adapter `{name}`)")
    assert "bf16" in load_adapters()["openvino"].methodology
    assert "ORT_DISABLE_ALL" in load_adapters()["onnxruntime"].methodology


def test_onnx_runtime_is_the_one_declared_reference():
    adapters = load_adapters()
    assert [a.name for a in adapters.values() if a.reference] == ["onnxruntime"]
    assert reference_adapter(adapters) is adapters["onnxruntime"]
    assert reference_adapter({k: v for k, v in adapters.items() if k != "onnxruntime"}) is None
    label = adapters["onnxruntime"].reference_label("1.2.3")
    assert label == "onnxruntime 1.2.3 CPUExecutionProvider ORT_DISABLE_ALL fp32"
    settings = adapters["onnxruntime"].reference_settings()
    assert settings["graph_optimization_level"] == "ORT_DISABLE_ALL"


def test_two_reference_adapters_are_refused_by_name():
    class Twin(OnnxRuntime):
        name = "twin"

    with pytest.raises(AdapterError, match=r"more than one adapter .* \(onnxruntime, twin\)"):
        reference_adapter({**load_adapters(), "twin": Twin()})


def test_two_modules_defining_one_adapter_name_are_refused(tmp_path, monkeypatch):
    (tmp_path / "nnkb_dup_adapter.py").write_text(
        textwrap.dedent("""\
        from nnkb.bench.runtimes.opencv import OpenCv

        class Copy(OpenCv):
            pass

        ADAPTER = Copy()
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = [*runtimes.builtin_modules(), "nnkb_dup_adapter"]
    monkeypatch.setattr(runtimes, "builtin_modules", lambda: modules)
    with pytest.raises(AdapterError, match="adapter name 'opencv' is defined by both"):
        load_adapters()


def test_extra_adapters_from_the_environment_are_added(monkeypatch):
    monkeypatch.setenv("NNKB_EXTRA_ADAPTERS", str(tinykb.ADAPTERS))
    adapters = load_adapters()
    assert {"onnxruntime", "test-raise", "test-profile-segfault"} <= set(adapters)
    assert adapters["test-raise"].label({"behaviour": "raise"}) == "test-raise"
    # A test double subclassing ONNX Runtime gives the reference role back.
    assert reference_adapter(adapters) is adapters["onnxruntime"]


def test_reference_of_needs_the_reference_runtime_installed():
    adapters = load_adapters()
    assert ref.reference_of(adapters, {"onnxruntime": "1.2.3"}) == (
        adapters["onnxruntime"],
        "1.2.3",
    )
    assert ref.reference_of(adapters, {"onnxruntime": None, "openvino": "2026.1"}) is None


def test_reference_outputs_come_from_the_reference_adapter(tmp_path):
    path, _ = tinykb.write_model(tmp_path, "tiny", tinykb.conv_net(0, size=8))
    out = tmp_path / "ref.npz"
    ref.compute_reference(path, {"input": (1, 3, 8, 8)}, 0, out)
    ((name, logits),) = ref.load_reference(out)
    assert name == "logits" and logits.shape == (1, 10) and np.isfinite(logits).all()
