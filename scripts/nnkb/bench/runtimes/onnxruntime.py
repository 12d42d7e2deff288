"""ONNX Runtime, CPU execution provider, all graph optimisations."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...codec import Json, Settings
from .base import (
    QUANTIZER,
    Adapter,
    ComputeOps,
    OpTimes,
    ProfileBudget,
    Session,
    Shapes,
    physical_cores,
)

if TYPE_CHECKING:
    from ..throughput import Measured, Plan

PROFILE_SOURCE = "onnxruntime profiler (kernel time by op type)"
GRAPH_SOURCE = "onnxruntime optimised graph (SessionOptions.optimized_model_filepath)"
# Operator types of ORT's optimised CPU graph that do the arithmetic of a convolution or a
# matrix product: in int8 (QDQ groups fused into quantised kernels) or in float.
INT8_COMPUTE_OPS = frozenset(
    {
        "QLinearConv",
        "ConvInteger",
        "MatMulInteger",
        "QLinearMatMul",
        "QGemm",
        "MatMulIntegerToFloat",
        "DynamicQuantizeMatMul",
        "QAttention",
        "NhwcQLinearConv",
    }
)
FLOAT_COMPUTE_OPS = frozenset(
    {"Conv", "FusedConv", "NhwcFusedConv", "ConvTranspose", "MatMul", "FusedMatMul", "Gemm"}
)


def count_compute_ops(op_types: list[str]) -> tuple[int, int]:
    """(int8, total) convolutions and matrix products among a graph's operator types."""
    int8 = sum(op in INT8_COMPUTE_OPS for op in op_types)
    return int8, int8 + sum(op in FLOAT_COMPUTE_OPS for op in op_types)


class OrtSession(Session):
    # The CPU provider runs the graph in the model's own element types (no implicit
    # down-conversion); the adapter's read_precision reads an INT8 file's graph back.
    precision = "f32"

    def __init__(self, session: Any):
        self.session = session
        self.names = [o.name for o in session.get_outputs()]
        self.feeds: dict[str, np.ndarray] = {}
        self.last: list[np.ndarray] = []

    def bind(self, inputs: dict[str, np.ndarray]) -> None:
        self.feeds = dict(inputs)

    def run(self) -> Any:
        self.last = self.session.run(None, self.feeds)
        return self.last

    def outputs(self) -> list[tuple[str, np.ndarray]]:
        return [(n, np.array(a, copy=True)) for n, a in zip(self.names, self.last)]


def create_session(
    path: Path,
    settings: Settings,
    profile_prefix: str | None = None,
    optimized_path: Path | None = None,
) -> OrtSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if optimized_path is not None:
        options.optimized_model_filepath = str(optimized_path)
        # ORT warns that an ORT_ENABLE_ALL graph is machine-specific: it is read back here,
        # on the machine that made it, and never kept.
        options.log_severity_level = 3
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    options.graph_optimization_level = getattr(
        ort.GraphOptimizationLevel, settings["graph_optimization_level"]
    )
    options.intra_op_num_threads = settings["intra_op_num_threads"]
    options.inter_op_num_threads = settings["inter_op_num_threads"]
    options.execution_mode = getattr(ort.ExecutionMode, settings["execution_mode"])
    session = ort.InferenceSession(str(path), options, providers=[settings["execution_provider"]])
    return OrtSession(session)


def kernel_times(events: list[Json]) -> dict[str, float]:
    """Seconds per op type from an ORT profile's trace events, the first run left out.

    Every node execution is a "Node" event named "<node>_kernel_time" with the op type in
    args.op_name (the fused and layout-conversion nodes the optimiser added included); the
    first "model_run" holds the session's one-off allocations, so nodes that start before it
    ends are left out.
    """
    runs = sorted(
        (e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
        key=lambda e: e["ts"],
    )
    after = runs[0]["ts"] + runs[0]["dur"] if len(runs) > 1 else float("-inf")
    seconds: dict[str, float] = defaultdict(float)
    for event in events:
        if (
            event.get("cat") == "Node"
            and str(event.get("name", "")).endswith("_kernel_time")
            and event["ts"] >= after
        ):
            seconds[str(event.get("args", {}).get("op_name", "?"))] += event["dur"] / 1e6
    return dict(seconds)


class OnnxRuntime(Adapter):
    name = "onnxruntime"
    module = "onnxruntime"
    display_name = "ONNX Runtime"
    reference = True
    machine_settings = ("intra_op_num_threads",)
    methodology = (
        "**ONNX Runtime** (adapter `onnxruntime`) runs the model on its CPU execution provider "
        "with every graph optimisation on (`ORT_ENABLE_ALL`), one intra-op thread per physical "
        "core and sequential execution. The CPU provider computes in the model's own element "
        "types, so every benchmarked model, all FP32, runs in FP32. ONNX Runtime also gives "
        "the reference outputs every row is compared with: the same provider with graph "
        "optimisations off (`ORT_DISABLE_ALL`), in FP32. Its profiler reports the layout "
        "conversions it inserts (`ReorderInput`, `ReorderOutput`) and its fused operators "
        "(`FusedConv`) beside the graph's own operator types. Its **INT8** variant runs a "
        "copy of the model quantised by `onnxruntime.quantization` (static post-training "
        "quantisation, QDQ format, per-channel int8 weights, uint8 activations, calibrated "
        "on a fixed set of inputs); the precision recorded for it is read back from the "
        "graph ONNX Runtime executes: the share of convolutions and matrix products it "
        "fused into int8 kernels (`QLinearConv`, `MatMulInteger`...). In the **throughput** "
        "scenario it searches batch sizes (where the graph leaves the batch dimension open; "
        "batch 1 where the graph fixes it) and every split of the physical cores into "
        "parallel sessions times intra-op threads (1 x 2 and 2 x 1 on two cores), a short "
        "window each, and measures the fastest configuration for the full window."
    )

    def settings(self) -> Settings:
        return {
            "execution_provider": "CPUExecutionProvider",
            "graph_optimization_level": "ORT_ENABLE_ALL",
            "intra_op_num_threads": physical_cores(),
            "inter_op_num_threads": 1,
            "execution_mode": "ORT_SEQUENTIAL",
        }

    def variants(self) -> list[Settings]:
        # FP32 as the model file stores it, and INT8 by static post-training quantisation
        # (nnkb.models.quantize: QDQ, per-channel int8 weights, uint8 activations).
        return [self.settings(), {**self.settings(), QUANTIZER: "onnxruntime"}]

    precision_settings = (QUANTIZER,)

    def declared_precision(self, settings: Settings) -> str | None:
        return "INT8" if self.quantizer(settings) else "FP32"

    def read_precision(
        self, session: Session, path: Path, settings: Settings, shapes: Shapes
    ) -> tuple[str | None, ComputeOps | None]:
        # The graph ORT executes after its optimisations, written out by a second session
        # with the same settings: a QDQ group it fused into an int8 kernel (QLinearConv...)
        # ran in int8, a convolution it left in float did not.
        import onnx

        with tempfile.TemporaryDirectory(prefix="nnkb-ort-graph-") as folder:
            optimised = Path(folder) / "optimised.onnx"
            create_session(path, settings, optimized_path=optimised)
            graph = onnx.load(str(optimised), load_external_data=False).graph
            op_types = [node.op_type for node in graph.node]
        int8, total = count_compute_ops(op_types)
        return ("int8" if int8 else "f32"), ComputeOps(int8, total, GRAPH_SOURCE)

    def reference_settings(self) -> Settings:
        # Graph optimisations off: the reference is the graph as written, not a rewrite of it.
        return {**self.settings(), "graph_optimization_level": "ORT_DISABLE_ALL"}

    def reference_label(self, version: str) -> str:
        return f"onnxruntime {version} CPUExecutionProvider ORT_DISABLE_ALL fp32"

    def load(self, path: Path, settings: Settings, shapes: Shapes) -> Session:
        return create_session(path, settings)

    def profile(
        self,
        session: Session,
        path: Path,
        settings: Settings,
        shapes: Shapes,
        inputs: dict[str, np.ndarray],
        budget: ProfileBudget,
    ) -> OpTimes | None:
        # A second session with the profiler on: the timed one never ran with it.
        with tempfile.TemporaryDirectory(prefix="nnkb-ort-profile-") as folder:
            profiled = create_session(path, settings, profile_prefix=str(Path(folder) / "ort"))
            profiled.bind(inputs)
            profiled.run()  # left out of the profile: first-run allocations
            runs = 0
            while budget.more(runs):
                profiled.run()
                runs += 1
            trace = Path(profiled.session.end_profiling())
            if not trace.is_absolute():
                trace = Path(folder) / trace.name
            events = json.loads(trace.read_text())
        return OpTimes(kernel_times(events), runs, PROFILE_SOURCE)

    def measure_throughput(
        self, path: Path, settings: Settings, shapes: Shapes, plan: Plan
    ) -> Measured:
        # Parallel sessions, each with its share of the cores, against fewer sessions with
        # more threads each; with a batch dimension the graph leaves open, batches too.
        from ...results.throughput import best_trial
        from ..throughput import Measured, full_window, trial

        cores = physical_cores()
        splits = [(n, cores // n) for n in range(1, cores + 1) if cores % n == 0]
        batches = plan.batches_for(path, shapes)
        inputs = {batch: plan.inputs(path, shapes, batch) for batch in batches}  # made once

        def sessions(streams: int, threads: int) -> list[OrtSession]:
            return [
                create_session(path, {**settings, "intra_op_num_threads": threads})
                for _ in range(streams)
            ]

        trials = []
        for streams, threads in splits:
            group = sessions(streams, threads)
            for batch in batches:
                for session in group:
                    session.bind(inputs[batch])
                trials.append(trial([s.run for s in group], batch, threads, plan))
            del group  # one split's sessions in memory at a time
        best = best_trial(trials)
        assert best is not None  # every split tries at least batch 1
        group = sessions(best.streams, best.threads or 1)
        for session in group:
            session.bind(inputs[best.batch])
        window = full_window([s.run for s in group], plan)
        batch_words = (
            f"batch {', '.join(map(str, batches))}" if len(batches) > 1
            else "batch fixed at 1 (the graph fixes its batch dimension)"
        )  # fmt: skip
        splits_words = ", ".join(f"{n} x {t}" for n, t in splits)
        method = (
            f"search: {batch_words} x sessions x intra-op threads {splits_words} "
            f"({cores} physical cores), {plan.trial_s:g} s per trial; the fastest measured "
            f"for {plan.window_s:g} s, one thread per session sending its next request "
            "when its last one returns"
        )
        return Measured(
            window, best.batch, best.streams, best.threads, method, trials,
            group[0].outputs(), group[0],
        )  # fmt: skip


ADAPTER = OnnxRuntime()
