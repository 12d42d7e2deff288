"""OpenVINO, CPU device, latency hint; the precision it picked is read back."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from .base import Adapter, OpTimes, ProfileBudget, Session, Shapes

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


class OpenVino(Adapter):
    name = "openvino"
    module = "openvino"
    display_name = "OpenVINO"
    methodology = (
        "**OpenVINO** (adapter `openvino`) compiles the model for its CPU device with the "
        "latency performance hint, the input shapes fixed to the row's. It chooses its "
        "inference precision itself: on CPUs with native bf16 instructions (AVX512_BF16 or "
        "AMX) its CPU plugin computes in bf16 instead of FP32 unless told otherwise "
        f"([OpenVINO documentation: CPU device, floating-point data types]({OPENVINO_CPU_DOCS})). "
        "bf16 keeps FP32's range but only 8 bits of mantissa, so the outputs move by an "
        "amount the agreement columns show; in exchange the arithmetic is faster. OpenVINO is "
        "therefore measured twice: as it behaves by default, and with "
        "`inference_precision_hint=f32` (labelled *f32 hint*), which holds it to FP32. Its "
        "profiler reports the nodes of its compiled graph, where an activation after a "
        "convolution is part of the `Convolution` node."
    )

    def version_of(self, runtime: Any) -> str | None:
        # "2026.4.1-22982-e213a147257-releases/2026/4" -> "2026.4.1"
        return str(runtime.get_version()).split("-")[0]

    def settings(self) -> dict[str, Any]:
        return {"device": "CPU", "performance_hint": "LATENCY", "static_input_shapes": True}

    def variants(self) -> list[dict[str, Any]]:
        # On CPUs with bf16 or fp16 units the plugin lowers FP32 models by default; the f32
        # variant shows how much of the speed comes from that and what it costs in accuracy.
        return [self.settings(), {**self.settings(), PRECISION_HINT: "f32"}]

    def variant_label(self, settings: dict[str, Any]) -> str:
        # The precision hint is the variant readers compare: "f32 hint", not a settings dump.
        hint = settings.get(PRECISION_HINT)
        rest = super().variant_label({k: v for k, v in settings.items() if k != PRECISION_HINT})
        return ", ".join(part for part in (f"{hint} hint" if hint else "", rest) if part)

    def load(self, path: Path, settings: dict[str, Any], shapes: Shapes) -> Session:
        return OpenVinoSession(self.compile(path, settings, shapes))

    def compile(
        self, path: Path, settings: dict[str, Any], shapes: Shapes, perf_count: bool = False
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
        config: dict[str, Any] = {"PERFORMANCE_HINT": settings["performance_hint"]}
        if settings.get(PRECISION_HINT):
            config["INFERENCE_PRECISION_HINT"] = settings[PRECISION_HINT]
        if perf_count:
            config["PERF_COUNT"] = True
        return core.compile_model(model, settings["device"], config)

    def profile(
        self,
        session: Session,
        path: Path,
        settings: dict[str, Any],
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


ADAPTER = OpenVino()
