"""OpenCV DNN: readNetFromONNX, OpenCV backend, CPU target."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...codec import Settings
from .base import Adapter, OpTimes, ProfileBudget, Session, Shapes, physical_cores

if TYPE_CHECKING:
    from ..throughput import Measured, Plan

PROFILE_SOURCE = "opencv Net.getPerfProfile (per-layer time by layer type)"


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
    display_name = "OpenCV DNN"
    machine_settings = ("threads",)
    methodology = (
        "**OpenCV DNN** (adapter `opencv`) reads the model with `readNetFromONNX` and runs it "
        "on the OpenCV backend and CPU target (`DNN_BACKEND_OPENCV`, `DNN_TARGET_CPU`), one "
        "thread per physical core; the CPU target computes in FP32. Its per-layer timings "
        "(`getPerfProfile`) are reported under OpenCV's own layer types. In the "
        "**throughput** scenario one net with the same threads tries the batch sizes the "
        "graph accepts (batch 1 where the graph fixes its batch dimension), a short window "
        "each, and measures the fastest for the full window."
    )

    def settings(self) -> Settings:
        return {
            "backend": "DNN_BACKEND_OPENCV",
            "target": "DNN_TARGET_CPU",
            "engine": "ENGINE_AUTO",
            "threads": physical_cores(),
        }

    def declared_precision(self, settings: Settings) -> str | None:
        return "FP32"  # the CPU target computes in FP32; no other variant is measured

    def load(self, path: Path, settings: Settings, shapes: Shapes) -> Session:
        import cv2

        cv2.setNumThreads(settings["threads"])
        net = cv2.dnn.readNetFromONNX(str(path), getattr(cv2.dnn, settings["engine"]))
        net.setPreferableBackend(getattr(cv2.dnn, settings["backend"]))
        net.setPreferableTarget(getattr(cv2.dnn, settings["target"]))
        return OpenCvSession(net)

    def profile(
        self,
        session: Session,
        path: Path,
        settings: Settings,
        shapes: Shapes,
        inputs: dict[str, np.ndarray],
        budget: ProfileBudget,
    ) -> OpTimes | None:
        # The net times every layer of every forward() anyway, so the timed session is
        # profiled as it is; getPerfProfile holds the last forward's times, in layer order.
        import cv2

        if not isinstance(session, OpenCvSession):
            raise TypeError(f"expected an OpenCvSession, got {type(session).__name__}")
        net = session.net
        names = list(net.getLayerNames())
        types = [net.getLayer(name).type for name in names]
        ticks = cv2.getTickFrequency()
        seconds: dict[str, float] = defaultdict(float)
        runs = 0
        while budget.more(runs):
            session.run()
            runs += 1
            _, timings = net.getPerfProfile()
            timings = np.asarray(timings, dtype=np.float64).ravel()
            if len(timings) != len(types):
                raise RuntimeError(
                    f"getPerfProfile gave {len(timings)} layer times for {len(types)} layers"
                )
            for layer_type, t in zip(types, timings):
                seconds[layer_type] += float(t) / ticks
        return OpTimes(dict(seconds), runs, PROFILE_SOURCE)

    def measure_throughput(
        self, path: Path, settings: Settings, shapes: Shapes, plan: Plan
    ) -> Measured:
        # OpenCV's net runs one forward() at a time over all its threads: its lever is the
        # batch size.
        from ..throughput import one_session

        how = f"one net, {settings['threads']} thread(s), one request at a time"
        return one_session(self, path, settings, shapes, plan, settings["threads"], how)


ADAPTER = OpenCv()
