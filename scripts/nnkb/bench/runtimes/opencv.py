"""OpenCV DNN: readNetFromONNX, OpenCV backend, CPU target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import Adapter, Session, Shapes, physical_cores


class OpenCvSession(Session):
    precision = "f32"  # DNN_TARGET_CPU computes in FP32 (DNN_TARGET_CPU_FP16 would not)

    def __init__(self, net: Any):
        self.net = net
        self.names = list(net.getUnconnectedOutLayersNames())
        self.last: list[np.ndarray] = []

    def bind(self, inputs: dict[str, np.ndarray]) -> None:
        for name, array in inputs.items():
            self.net.setInput(np.ascontiguousarray(array), name)

    def run(self) -> Any:
        self.last = self.net.forward(self.names)
        return self.last

    def outputs(self) -> list[tuple[str, np.ndarray]]:
        return [(n, np.array(a, copy=True)) for n, a in zip(self.names, self.last)]


class OpenCv(Adapter):
    name = "opencv"
    module = "cv2"

    def settings(self) -> dict[str, Any]:
        return {
            "backend": "DNN_BACKEND_OPENCV",
            "target": "DNN_TARGET_CPU",
            "engine": "ENGINE_AUTO",
            "threads": physical_cores(),
        }

    def load(self, path: Path, settings: dict[str, Any], shapes: Shapes) -> Session:
        import cv2

        cv2.setNumThreads(settings["threads"])
        net = cv2.dnn.readNetFromONNX(str(path), getattr(cv2.dnn, settings["engine"]))
        net.setPreferableBackend(getattr(cv2.dnn, settings["backend"]))
        net.setPreferableTarget(getattr(cv2.dnn, settings["target"]))
        return OpenCvSession(net)


ADAPTER = OpenCv()
