"""Do the INT8 (and bf16/f16) variants compute what the FP32 model computes, and how much faster?

For each model (builtin architectures with seeded weights): quantise it with both quantisers
(ONNX Runtime static QDQ, NNCF to OpenVINO IR) on the synthetic calibration set, run the
FP32 reference (ONNX Runtime, optimisations off) and each variant through the benchmark's
own adapters on the 64 agreement inputs, and print the agreement metric for the model's
output kind, the SNR and the maximum relative error, and a rough median latency of 20 runs
on one input with the speed-up over ONNX Runtime FP32. Not a test: it takes minutes, and the
latencies move with whatever else the CPU does (they are printed, never stored).

    PYTHONPATH=scripts .venv/bin/python benchmarks/precision_agreement.py [--models ID ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nnkb.bench.agreement import (
    TASK_OUTPUT_KINDS,
    Agreement,
    agreement,
    agreement_inputs,
    padim_anomaly_maps,
)
from nnkb.bench.inputs import input_dtypes
from nnkb.bench.plan import cache_root
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.runtimes.onnxruntime import create_session
from nnkb.kb import load_kb
from nnkb.models.quantize import quantize, synthetic_calibration
from nnkb.models.sources import materialize
from nnkb.models.synthetic import FAMILIES

DEFAULT_MODELS = ["squeezenet-1-1", "mobilenet-v2", "resnet-18", "mobilefacenet", "padim-resnet-18"]
ROOT = Path(__file__).resolve().parent.parent


def run_all(session: Any, inputs: list[dict[str, np.ndarray]]) -> list[list[np.ndarray]]:
    outputs = []
    for sample in inputs:
        session.bind(sample)
        session.run()
        outputs.append([array for _, array in session.outputs()])
    return outputs


def median_ms(session: Any, sample: dict[str, np.ndarray], runs: int) -> float:
    session.bind(sample)
    for _ in range(3):  # first runs allocate and pick kernels
        session.run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def measure(kind: str, reference: list, outputs: list) -> tuple[Agreement, Agreement]:
    """(agreement for the output kind, agreement of the raw outputs as tensors)."""
    raw = agreement("tensor", reference, outputs)
    if kind == "anomaly_map":
        ref_maps, out_maps = padim_anomaly_maps(reference, outputs)
        return agreement(kind, ref_maps, out_maps), raw
    if kind == "tensor":
        return raw, raw
    return agreement(kind, [r[0] for r in reference], [o[0] for o in outputs]), raw


HEAVY = {"Conv", "FusedConv", "Gemm", "FusedGemm", "MatMul", "FusedMatMul", "FullyConnected"}
INT8_OPS = {"QLinearConv", "QGemm", "QLinearMatMul", "ConvInteger", "MatMulInteger"}


def int8_share(adapter_name: str, session: Any, path: Path) -> str:
    """How many convolutions and matrix products ran in int8, read back from the runtime:
    ORT's optimised graph (quantised kernels), OpenVINO's runtime model (their precision)."""
    if adapter_name == "openvino":
        kinds = []
        for op in session.compiled.get_runtime_model().get_ops():
            info = op.get_rt_info()
            if info["layerType"].astype(str) in HEAVY | {"Convolution"}:
                kinds.append(info["runtimePrecision"].astype(str) in ("u8", "i8"))
    else:
        import onnx
        import onnxruntime

        with tempfile.TemporaryDirectory() as folder:
            options = onnxruntime.SessionOptions()
            options.optimized_model_filepath = str(Path(folder) / "optimised.onnx")
            options.log_severity_level = 3  # its file is machine-specific: read here, then gone
            onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            graph = onnx.load(options.optimized_model_filepath).graph
        kinds = [n.op_type in INT8_OPS for n in graph.node if n.op_type in HEAVY | INT8_OPS]
    return f"int8 {sum(kinds)}/{len(kinds)}" if any(kinds) else session.precision


def by_family(reference: list, outputs: list) -> str:
    """SNR of each input family (input i is of family i mod 8): which inputs lose most."""
    parts = []
    for index, family in enumerate(FAMILIES):
        picked = range(index, len(reference), len(FAMILIES))
        raw = agreement("tensor", [reference[i] for i in picked], [outputs[i] for i in picked])
        parts.append(f"{family.name} {raw.snr_db:.0f}")
    return ", ".join(parts)


def kind_figures(a: Agreement) -> str:
    def pct(x: float | None) -> str:
        return "  -  " if x is None else f"{100 * x:5.1f}%"

    if a.kind == "classifier":
        return f"top1 {pct(a.top1)} top5 {pct(a.top5)} ({a.distinct_top1} classes)"
    if a.kind == "embedding":
        return f"cosine mean {a.cosine_mean:.5f} min {a.cosine_min:.5f}"
    if a.kind == "anomaly_map":
        return (
            f"rho mean {a.spearman_mean:.4f} min {a.spearman_min:.4f} image {a.image_spearman:.4f}"
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--kb", default=str(ROOT / "kb"))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    kb = load_kb(Path(args.kb))
    cache = cache_root(Path(args.kb))
    adapters = load_adapters()
    ort, ov = adapters["onnxruntime"], adapters["openvino"]
    header = (
        f"{'model':16} {'variant':26} {'ran':11} {'output-kind metric':44} "
        f"{'SNR dB':>7} {'min':>6} {'max rel':>8} {'ms':>8} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    for model_id in args.models:
        model = kb.models[model_id]
        path = materialize(model, cache / "models")
        assert model.onnx is not None
        shapes = {k: tuple(v) for k, v in model.onnx.inputs.items()}
        dtypes = input_dtypes(path)
        inputs = agreement_inputs(shapes, dtypes=dtypes)
        kind = TASK_OUTPUT_KINDS.get(model.task, "tensor")
        calibration = synthetic_calibration(shapes, dtypes=dtypes)
        started = time.perf_counter()
        int8_ort = quantize(path, "onnxruntime", calibration, cache)
        ort_s = time.perf_counter() - started
        int8_ov = quantize(path, "nncf", calibration, cache)
        nncf_s = time.perf_counter() - started - ort_s

        reference_started = time.perf_counter()
        reference_session = create_session(path, ort.reference_settings())
        reference = run_all(reference_session, inputs)
        reference_s = time.perf_counter() - reference_started
        passes: list[float] = []
        variants = [
            ("ONNX Runtime · FP32", ort, path, ort.settings()),
            ("ONNX Runtime · INT8", ort, int8_ort.path, ort.settings()),
            ("OpenVINO · default", ov, path, ov.settings()),
            (
                "OpenVINO · FP32 hint",
                ov,
                path,
                {**ov.settings(), "inference_precision_hint": "f32"},
            ),
            ("OpenVINO · INT8", ov, int8_ov.path, ov.settings()),
        ]
        baseline = None
        for label, adapter, file, settings in variants:
            session = adapter.load(Path(file), settings, shapes)
            pass_started = time.perf_counter()
            outputs = run_all(session, inputs)
            passes.append(time.perf_counter() - pass_started)
            ms = median_ms(session, inputs[0], args.runs)
            baseline = baseline or ms
            figures, raw = measure(kind, reference, outputs)
            snr = "exact" if raw.exact else f"{raw.snr_db:7.1f}"
            print(
                f"{model_id:16} {label:26} {int8_share(adapter.name, session, Path(file)):11} "
                f"{kind_figures(figures):44} {snr:>7} {raw.snr_db_min:6.1f} "
                f"{raw.max_rel_error:8.3g} {ms:8.2f} {baseline / ms:7.2f}x"
            )
            if "INT8" in label:
                print(
                    f"{'':16} {'':26} {'':11} SNR dB by input family: {by_family(reference, outputs)}"
                )
            sys.stdout.flush()
        print(
            f"{'':16} cost: quantised in {ort_s:.1f} s (onnxruntime) + {nncf_s:.1f} s (nncf), "
            f"cached afterwards; FP32 reference on {len(inputs)} inputs {reference_s:.1f} s; "
            f"agreement pass per variant {min(passes):.1f}-{max(passes):.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
