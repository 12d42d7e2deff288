"""ONNX Runtime, CPU execution provider, all graph optimisations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import Adapter, Session, Shapes, physical_cores


class OrtSession(Session):
    # The CPU provider runs the graph in the model's own element types (no implicit
    # down-conversion), and every benchmarked model is FP32.
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


def create_session(path: Path, settings: dict[str, Any]) -> OrtSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = getattr(
        ort.GraphOptimizationLevel, settings["graph_optimization_level"]
    )
    options.intra_op_num_threads = settings["intra_op_num_threads"]
    options.inter_op_num_threads = settings["inter_op_num_threads"]
    options.execution_mode = getattr(ort.ExecutionMode, settings["execution_mode"])
    session = ort.InferenceSession(str(path), options, providers=[settings["execution_provider"]])
    return OrtSession(session)


class OnnxRuntime(Adapter):
    name = "onnxruntime"
    module = "onnxruntime"

    def settings(self) -> dict[str, Any]:
        return {
            "execution_provider": "CPUExecutionProvider",
            "graph_optimization_level": "ORT_ENABLE_ALL",
            "intra_op_num_threads": physical_cores(),
            "inter_op_num_threads": 1,
            "execution_mode": "ORT_SEQUENTIAL",
        }

    def load(self, path: Path, settings: dict[str, Any], shapes: Shapes) -> Session:
        return create_session(path, settings)


ADAPTER = OnnxRuntime()
