"""Plain `run(batch) -> logits` callables over ONNX Runtime, OpenVINO and OpenCV DNN.

The benchmark adapters fix input shapes for timing; an accuracy pass instead feeds batches
whose width changes with the text, so these sessions keep the model's dynamic dimensions.
Threads and precision are set as the benchmark rows set them, so a figure here describes
the same computation as the row it is shown beside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Run = Callable[[np.ndarray], np.ndarray]


def onnxruntime_run(model_path: Path | str, threads: int = 2) -> Run:
    """ONNX Runtime, CPU execution provider, all graph optimisations, FP32 as stored."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: an accuracy pass is not timed, and spinning
    # threads slow everything else on a shared CPU (numerics are unchanged).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(batch: np.ndarray) -> np.ndarray:
        return session.run(None, {name: batch})[0]

    return run


def openvino_run(model_path: Path | str, precision_hint: str | None = None) -> tuple[Run, str]:
    """OpenVINO on the CPU device with the latency hint; `precision_hint` None leaves the
    plugin's default (bf16 or f16 on CPUs with such units), "f32" forces FP32. Returns the
    callable and the inference precision the plugin reports it chose."""
    import openvino as ov

    config = {"PERFORMANCE_HINT": "LATENCY"}
    if precision_hint:
        config["INFERENCE_PRECISION_HINT"] = precision_hint
    compiled = ov.Core().compile_model(str(model_path), "CPU", config)
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")
    precision = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
    request = compiled.create_infer_request()

    def run(batch: np.ndarray) -> np.ndarray:
        # copy: the request reuses its output buffer on the next call
        return np.array(request.infer([batch])[0], copy=True)

    return run, precision


def opencv_run(model_path: Path | str, threads: int = 2) -> Run:
    """OpenCV DNN as the benchmark rows run it: readNetFromONNX with ENGINE_AUTO, the OpenCV
    backend and the CPU target, which compute in FP32."""
    import cv2

    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromONNX(str(model_path), cv2.dnn.ENGINE_AUTO)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

    def run(batch: np.ndarray) -> np.ndarray:
        net.setInput(np.ascontiguousarray(batch))
        return np.array(net.forward(), copy=True)

    return run
