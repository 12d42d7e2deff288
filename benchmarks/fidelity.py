"""Does the harness measure what the runtimes' own tools measure?

On the same ONNX file (SqueezeNet 1.1 from the KB by default):
- OpenVINO: the harness's median vs `benchmark_app -m FILE -d CPU -hint latency -t 15
  -ip f32` (shipped with the openvino package); target: within 5 %. `-ip f32` because
  benchmark_app otherwise feeds image inputs as u8 and adds a conversion to the graph,
  which the harness (float32 inputs) does not run.
- ONNX Runtime: the harness's median vs a bare `session.run` loop with the same session
  settings; target: within 2 %.
- OpenVINO throughput: the inferences per second of the harness's throughput row (the FP32
  twin: THROUGHPUT hint, AsyncInferQueue of the requests it chose) vs `benchmark_app -hint
  throughput -t SECONDS -ip f32 -infer_precision f32` (its "Throughput: ... FPS"); target:
  within 5 %.

A shared or virtual machine drifts between fast and slow phases lasting tens of seconds,
larger than the differences looked for; so each check runs in --rounds paired rounds
(harness, then the other tool, back to back) and judges the median of the per-round
ratios. Prints every median, the ratios and PASS/FAIL per check; exits 1 if a check fails.
Not a test: it takes a few minutes and its numbers move with whatever else the CPU does.

    .venv/bin/python benchmarks/fidelity.py [--model squeezenet-1-1] [--seconds 15] [--rounds 3]

benchmark_app is the console script the openvino package installs beside this Python
(`python -m openvino.tools.benchmark.main` where the script is missing).
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from nnkb.bench.inputs import input_dtypes, make_inputs
from nnkb.bench.isolate import run_worker
from nnkb.bench.protocol import RowJob
from nnkb.bench.runtimes import load_adapters
from nnkb.bench.settings import HARNESS
from nnkb.kb import load_kb
from nnkb.models.sources import default_cache_dir, materialize

TARGETS = {"openvino": 0.05, "onnxruntime": 0.02, "openvino throughput": 0.05}


def harness_row(runtime: str, path: Path, shapes: dict, budget: float, settings: dict) -> dict:
    """The worker's result for one row, run exactly as `nnkb bench` runs it."""
    job = RowJob(
        runtime=runtime,
        model_path=str(path),
        inputs={k: list(v) for k, v in shapes.items()},
        settings=settings,
        harness=HARNESS,
        row_budget_s=budget,
        classifier=False,
        reference=None,
        reference_label="",
    )
    result = run_worker(job, HARNESS["row_timeout_seconds"] + budget)
    if result["status"] != "ok":
        sys.exit(f"fidelity: harness {runtime} row {result['status']}: {result['reason']}")
    return result


def harness_median(runtime: str, path: Path, shapes: dict, budget: float) -> float:
    """The harness's p50 for one row (the adapter's default settings)."""
    settings = load_adapters()[runtime].settings()
    result = harness_row(runtime, path, shapes, budget, settings)
    lat = result["latency"]
    print(
        f"  harness {runtime}: p50 {lat['p50'] * 1e3:.3f} ms, n={lat['n']}, "
        f"95% CI [{lat['ci95_low'] * 1e3:.3f}, {lat['ci95_high'] * 1e3:.3f}] ms, "
        f"precision {result['precision']}"
    )
    return lat["p50"]


def harness_throughput(path: Path, shapes: dict) -> float:
    """The inferences per second of OpenVINO's FP32 throughput row."""
    adapter = load_adapters()["openvino"]
    settings = next(s for s in adapter.throughput_variants() if adapter.variant_label(s) == "FP32")
    result = harness_row("openvino", path, shapes, HARNESS["row_budget_seconds"], settings)
    t = result["throughput"]
    print(
        f"  harness openvino throughput: {t['inferences_per_s']:.2f} inferences/s over "
        f"{t['duration_s']:.1f} s ({t['method']}); request p50 "
        f"{result['latency']['p50'] * 1e3:.3f} ms"
    )
    return float(t["inferences_per_s"])


def benchmark_app() -> list[str]:
    """The command that runs OpenVINO's benchmark_app with this Python's openvino."""
    tool = Path(sys.executable).with_name("benchmark_app")
    if tool.exists():
        return [str(tool)]
    return [sys.executable, "-m", "openvino.tools.benchmark.main"]


def run_benchmark_app(args: list[str], pattern: str) -> tuple[float, str]:
    """benchmark_app's figure matched by `pattern` and its output."""
    proc = subprocess.run(benchmark_app() + args, capture_output=True, text=True, check=False)
    match = re.search(pattern, proc.stdout)
    if proc.returncode != 0 or not match:
        sys.exit(
            f"fidelity: benchmark_app failed ({proc.returncode}):\n{proc.stdout[-2000:]}"
            f"\n{proc.stderr[-2000:]}"
        )
    return float(match.group(1)), proc.stdout


def benchmark_app_throughput(path: Path, seconds: int) -> float:
    """benchmark_app's inferences per second with the throughput hint, FP32 like the row."""
    args = ["-m", str(path), "-d", "CPU", "-hint", "throughput", "-t", str(seconds)]
    fps, out = run_benchmark_app([*args, "-ip", "f32", "-infer_precision", "f32"],
                                 r"Throughput:\s+([0-9.]+)\s*FPS")  # fmt: skip
    for line in out.splitlines():
        if "NUM_STREAMS" in line or "OPTIMAL_NUMBER_OF_INFER_REQUESTS" in line:
            print(f"  benchmark_app: {line.strip()}")
    print(f"  benchmark_app: throughput {fps:.2f} FPS")
    return fps


def benchmark_app_median(path: Path, seconds: int) -> float:
    cmd = [
        "-m",
        str(path),
        "-d",
        "CPU",
        "-hint",
        "latency",
        "-t",
        str(seconds),
        "-ip",
        "f32",
    ]
    median, out = run_benchmark_app(cmd, r"Median:\s+([0-9.]+)\s*ms")
    for line in out.splitlines():
        if "inference precision" in line.lower() or "INFERENCE_PRECISION_HINT" in line:
            print(f"  benchmark_app: {line.strip()}")
            break
    return median / 1e3


def bare_ort_median(path: Path, shapes: dict, seconds: float) -> float:
    """A plain session.run loop with the adapter's settings: no harness code at all, in a
    fresh process like the harness's worker (this process has OpenVINO's compiled models
    and their thread pool from the other checks, which slowed an in-process loop by ~13 %)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_bare_ort_loop, path, shapes, seconds).result()


def _bare_ort_loop(path: Path, shapes: dict, seconds: float) -> float:
    import onnxruntime as ort

    settings = load_adapters()["onnxruntime"].settings()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = settings["intra_op_num_threads"]
    options.inter_op_num_threads = settings["inter_op_num_threads"]
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = make_inputs(shapes, HARNESS["input_seed"], input_dtypes(path))
    end = time.perf_counter() + 1.0
    while time.perf_counter() < end:  # warm-up
        session.run(None, feeds)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    print(
        f"  bare session.run loop: p50 {np.median(times) * 1e3:.3f} ms, n={len(times)}", flush=True
    )
    return float(np.median(times))


def check(name: str, pairs: list[tuple[float, float]], target: float, unit: str = "ms") -> bool:
    """PASS when the median of the rounds' ratios (harness / tool) is within ±target of 1;
    `unit` "ms" for latencies in seconds, "/s" for inferences per second."""
    ratios = [ours / theirs for ours, theirs in pairs]
    ratio = float(np.median(ratios))
    ok = abs(ratio - 1) <= target
    scale = 1e3 if unit == "ms" else 1.0
    rounds = ", ".join(f"{o * scale:.3f}/{t * scale:.3f} {unit}" for o, t in pairs)
    print(
        f"{'PASS' if ok else 'FAIL'} {name}: median ratio {ratio:.3f} "
        f"(rounds harness/tool: {rounds}; target within ±{target:.0%})"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=Path("kb"))
    parser.add_argument("--model", default="squeezenet-1-1")
    parser.add_argument("--seconds", type=int, default=15, help="benchmark_app -t, bare loop")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = load_kb(args.kb).models[args.model]
    path = materialize(model, default_cache_dir(args.kb))
    assert model.onnx is not None, f"{args.model} has no ONNX file"
    shapes = model.onnx.inputs
    print(f"model {args.model}: {path}")

    ov_pairs, ort_pairs, tput_pairs = [], [], []
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}: OpenVINO")
        ours = harness_median("openvino", path, shapes, HARNESS["row_budget_seconds"])
        theirs = benchmark_app_median(path, args.seconds)
        print(f"  benchmark_app: median {theirs * 1e3:.3f} ms")
        ov_pairs.append((ours, theirs))
        print(f"round {round_}: ONNX Runtime")
        ours = harness_median("onnxruntime", path, shapes, HARNESS["row_budget_seconds"])
        ort_pairs.append((ours, bare_ort_median(path, shapes, args.seconds)))
        print(f"round {round_}: OpenVINO throughput")
        ours = harness_throughput(path, shapes)
        tput_pairs.append((ours, benchmark_app_throughput(path, args.seconds)))

    results = [
        check("openvino vs benchmark_app", ov_pairs, TARGETS["openvino"]),
        check("onnxruntime vs bare loop", ort_pairs, TARGETS["onnxruntime"]),
        check(
            "openvino throughput vs benchmark_app -hint throughput",
            tput_pairs,
            TARGETS["openvino throughput"],
            unit="/s",
        ),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
