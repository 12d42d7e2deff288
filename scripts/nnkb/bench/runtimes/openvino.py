"""OpenVINO, CPU device, latency hint; the precision it picked is read back."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...codec import Json, Settings
from ...results import THROUGHPUT, scenario_of
from .base import QUANTIZER, Adapter, ComputeOps, OpTimes, ProfileBudget, Session, Shapes

if TYPE_CHECKING:
    from ..throughput import Measured, Plan

PROFILE_SOURCE = (
    "openvino performance counters (PERF_COUNT; real_time by node_type of the compiled graph)"
)


class OpenVinoSession(Session):
    def __init__(self, compiled: Any):
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        # The CPU plugin may lower FP32 to bf16/f16 on capable CPUs unless told not to; the
        # row records what it chose rather than what was asked.
        hint = compiled.get_property("INFERENCE_PRECISION_HINT")
        self.precision = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
        self.names = [o.get_any_name() for o in compiled.outputs]
        self.bound: list[Any] = []  # keep the tensors' numpy buffers alive

    def bind(self, inputs: dict[str, np.ndarray]) -> None:
        import openvino as ov

        self.bound = []  # every input is set again: the previous buffers are free
        for port in self.compiled.inputs:
            array = np.ascontiguousarray(inputs[port.get_any_name()])
            tensor = ov.Tensor(array, shared_memory=True)
            self.request.set_tensor(port, tensor)
            self.bound.append(array)

    def run(self) -> Any:
        # share_outputs: return views of the output tensors instead of copying them per call
        return self.request.infer(share_outputs=True)

    def outputs(self) -> list[tuple[str, np.ndarray]]:
        return [
            (name, np.array(self.request.get_output_tensor(i).data, copy=True))
            for i, name in enumerate(self.names)
        ]


OPENVINO_CPU_DOCS = (
    "https://docs.openvino.ai/2024/openvino-workflow/running-inference/"
    "inference-devices-and-modes/cpu-device.html"
)
PRECISION_HINT = "inference_precision_hint"
GRAPH_SOURCE = "openvino runtime model (rt_info layerType and runtimePrecision)"
# Layer types of the CPU plugin's executed graph that do a convolution's or a matrix
# product's arithmetic.
COMPUTE_LAYERS = frozenset(
    {"Convolution", "GroupConvolution", "Deconvolution", "FullyConnected", "MatMul", "Gemm"}
)
INT8_TYPES = frozenset({"i8", "u8"})
# FP16 arithmetic on x86 needs one of these (/proc/cpuinfo flag names): without them the
# plugin would emulate f16 or refuse the hint, which measures nothing a reader can use.
FP16_FLAGS = ("avx512_fp16", "amx_fp16")
# Without any of these the CPU plugin's default inference precision on x86 is f32, so the
# default-precision row would repeat the FP32 row: it is recorded as not applicable instead.
LOWERING_FLAGS = ("avx512_bf16", "amx_bf16", "avx512_fp16", "amx_fp16")
PRECISION_LABELS = {"f32": "FP32", "f16": "FP16", "bf16": "BF16"}


def _rt(info: Any, key: str) -> str | None:
    if key not in info:
        return None
    value = info[key]
    return str(value.astype(str) if hasattr(value, "astype") else value)


def runtime_compute_ops(compiled: Any) -> tuple[int, int]:
    """(int8, total) convolutions and matrix products of a compiled model's executed graph."""
    int8 = total = 0
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if _rt(info, "layerType") not in COMPUTE_LAYERS:
            continue
        total += 1
        int8 += (_rt(info, "runtimePrecision") or "").lower() in INT8_TYPES
    return int8, total


class OpenVino(Adapter):
    name = "openvino"
    module = "openvino"
    display_name = "OpenVINO"
    # The precision is the variant readers compare: "FP32", not a settings dump.
    precision_settings = (PRECISION_HINT, QUANTIZER)
    runtime_chooses = "default precision"
    methodology = (
        "**OpenVINO** (adapter `openvino`) compiles the model for its CPU device with the "
        "latency performance hint, the input shapes fixed to the row's. It chooses its "
        "inference precision itself: on CPUs with native bf16 instructions (AVX512_BF16 or "
        "AMX) its CPU plugin computes in bf16 instead of FP32 unless told otherwise "
        f"([OpenVINO documentation: CPU device, floating-point data types]({OPENVINO_CPU_DOCS})). "
        "bf16 keeps FP32's range but only 8 bits of mantissa, so the outputs move by an "
        "amount the agreement columns show; in exchange the arithmetic is faster. OpenVINO is "
        "therefore measured twice: as it behaves by default, and with "
        "`inference_precision_hint=f32` (labelled *FP32*), which holds it to FP32. Its "
        "**INT8** variant runs a copy of the model quantised by NNCF (post-training "
        "quantisation of the OpenVINO model, saved as IR), and its **FP16** variant the f16 "
        "hint, measured only on CPUs with AVX512_FP16 or AMX-FP16. The precision recorded "
        "is read back from the compiled model: the share of convolutions and matrix products "
        "its executed graph runs in int8 (`runtimePrecision` u8/i8). Its "
        "profiler reports the nodes of its compiled graph, where an activation after a "
        "convolution is part of the `Convolution` node. In the **throughput** scenario the "
        "model is compiled with the throughput hint instead (`PERFORMANCE_HINT THROUGHPUT`, "
        "as OpenVINO's `benchmark_app -hint throughput` does); the number of streams and "
        "infer requests it chose is read back from the compiled model and that many "
        "requests are kept in flight in an `AsyncInferQueue`."
    )

    def version_of(self, runtime: Any) -> str | None:
        # "2026.4.1-22982-e213a147257-releases/2026/4" -> "2026.4.1"
        return str(runtime.get_version()).split("-")[0]

    def settings(self) -> Settings:
        return {"device": "CPU", "performance_hint": "LATENCY", "static_input_shapes": True}

    def variants(self) -> list[Settings]:
        # On CPUs with bf16 or fp16 units the plugin lowers FP32 models by default; the f32
        # variant shows how much of the speed comes from that and what it costs in accuracy.
        # INT8 runs the NNCF-quantised IR; FP16 only where the CPU computes in f16.
        return [
            self.settings(),
            {**self.settings(), PRECISION_HINT: "f32"},
            {**self.settings(), QUANTIZER: "nncf"},
            {**self.settings(), PRECISION_HINT: "f16"},
        ]

    def declared_precision(self, settings: Settings) -> str | None:
        hint = settings.get(PRECISION_HINT)
        if self.quantizer(settings):
            return "INT8"
        if hint:
            return PRECISION_LABELS.get(str(hint), f"{hint} hint")
        return None  # the plugin chooses (bf16 or f16 where the CPU has the units)

    def unavailable(self, settings: Settings, cpu_flags: set[str]) -> str | None:
        default = not settings.get(PRECISION_HINT) and not self.quantizer(settings)
        x86 = bool(cpu_flags & {"sse2", "avx", "avx2"})
        if default and x86 and not cpu_flags & set(LOWERING_FLAGS):
            return (
                "default precision not applicable on this CPU: without AVX512_BF16, AMX or "
                "AVX512_FP16 OpenVINO computes in FP32 by default, which the OpenVINO · FP32 "
                "row measures"
            )
        if settings.get(PRECISION_HINT) == "f16" and not cpu_flags & set(FP16_FLAGS):
            return (
                "FP16 not applicable on this CPU: it has neither AVX512_FP16 nor AMX-FP16, "
                "so OpenVINO's f16 inference precision has no native arithmetic to run on"
            )
        return None

    def accuracy_settings(self, settings: Settings) -> Settings:
        return {**settings, "static_input_shapes": False}

    def read_precision(
        self, session: Session, path: Path, settings: Settings, shapes: Shapes
    ) -> tuple[str | None, ComputeOps | None]:
        # The hint says what float type the plugin uses; an INT8 IR's quantised layers run
        # in u8/i8 whatever the hint, which only the executed graph shows.
        if not isinstance(session, OpenVinoSession):
            return session.precision, None
        int8, total = runtime_compute_ops(session.compiled)
        precision = "int8" if int8 else session.precision
        return precision, ComputeOps(int8, total, GRAPH_SOURCE)

    def load(self, path: Path, settings: Settings, shapes: Shapes) -> Session:
        return OpenVinoSession(self.compile(path, settings, shapes))

    def compile(
        self, path: Path, settings: Settings, shapes: Shapes, perf_count: bool = False
    ) -> Any:
        import openvino as ov

        core = ov.Core()
        model = core.read_model(str(path))
        if settings.get("static_input_shapes"):
            # Dynamic dimensions compile to slower generic kernels; fix them as the row's
            # inputs do (no-op for models that are static already).
            dynamic = {
                p.get_any_name(): ov.PartialShape(list(shapes[p.get_any_name()]))
                for p in model.inputs
                if p.get_partial_shape().is_dynamic and p.get_any_name() in shapes
            }
            if dynamic:
                model.reshape(dynamic)
        # A throughput row keeps its latency twin's settings; the scenario chooses the hint.
        hint = THROUGHPUT.upper() if scenario_of(settings) == THROUGHPUT else None
        config: Json = {"PERFORMANCE_HINT": hint or settings["performance_hint"]}
        if settings.get(PRECISION_HINT):
            config["INFERENCE_PRECISION_HINT"] = settings[PRECISION_HINT]
        if perf_count:
            config["PERF_COUNT"] = True
        return core.compile_model(model, settings["device"], config)

    def profile(
        self,
        session: Session,
        path: Path,
        settings: Settings,
        shapes: Shapes,
        inputs: dict[str, np.ndarray],
        budget: ProfileBudget,
    ) -> OpTimes | None:
        # Compiled again with the counters on (same settings otherwise): the timed model
        # ran without them. Node types are those of the compiled graph, where a convolution
        # has absorbed the activation after it; fused nodes report no time (NOT_RUN).
        profiled = OpenVinoSession(self.compile(path, settings, shapes, perf_count=True))
        profiled.bind(inputs)
        profiled.run()  # left out: first-run allocations
        seconds: dict[str, float] = defaultdict(float)
        by_kernel: dict[tuple[str, str], float] = defaultdict(float)
        runs = 0
        while budget.more(runs):
            profiled.run()
            runs += 1
            for info in profiled.request.get_profiling_info():
                spent = info.real_time.total_seconds()
                seconds[info.node_type] += spent
                by_kernel[(info.node_type, info.exec_type)] += spent
        kernels: dict[str, str] = {}
        for (node_type, exec_type), spent in sorted(by_kernel.items(), key=lambda kv: -kv[1]):
            if spent > 0 and node_type not in kernels:
                kernels[node_type] = exec_type
        return OpTimes(dict(seconds), runs, PROFILE_SOURCE, kernels)

    def measure_throughput(
        self, path: Path, settings: Settings, shapes: Shapes, plan: Plan
    ) -> Measured:
        # OpenVINO chooses streams and requests itself under the throughput hint; the
        # harness reads them back and keeps that many requests in flight.
        import openvino as ov

        from ..throughput import Measured, Window

        compiled = self.compile(path, settings, shapes)
        requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        streams = int(compiled.get_property("NUM_STREAMS"))
        try:
            threads = int(compiled.get_property("INFERENCE_NUM_THREADS")) // max(streams, 1)
        except Exception:  # noqa: BLE001 - a plugin that does not report its threads
            threads = None
        (batch,) = plan.batches_for(path, shapes)[:1]  # the row's own batch: not searched
        inputs = plan.inputs(path, shapes, batch)
        queue = ov.AsyncInferQueue(compiled, requests)
        bound = []  # the tensors' numpy buffers, alive while the queue runs
        for index in range(requests):
            for port in compiled.inputs:
                name = port.get_any_name()
                array = np.ascontiguousarray(inputs[name])
                queue[index].set_tensor(port, ov.Tensor(array, shared_memory=True))
                bound.append(array)
        latencies: list[float] = []
        queue.set_callback(lambda request, _: latencies.append(request.latency))

        def run_for(seconds: float) -> Window:
            latencies.clear()
            start = time.perf_counter()
            deadline = start + seconds
            while True:
                queue.start_async()  # waits for a free request when all are busy
                if time.perf_counter() >= deadline:
                    break
            queue.wait_all()
            duration = time.perf_counter() - start
            return Window(np.array(latencies, dtype=np.float64) / 1e3, duration)

        run_for(plan.warmup_s)
        window = run_for(plan.window_s)
        method = (
            f"PERFORMANCE_HINT THROUGHPUT: {streams} stream(s), {requests} infer requests "
            f"(OPTIMAL_NUMBER_OF_INFER_REQUESTS, read back) in an AsyncInferQueue for "
            f"{plan.window_s:g} s"
        )
        session = OpenVinoSession(compiled)
        session.bind(inputs)
        session.run()  # one request's outputs for the finiteness check
        return Measured(window, batch, streams, threads, method, None, session.outputs(), session)


ADAPTER = OpenVino()
