"""The machine section of a results file: what the machine is (the hardware part, which
names it and holds its measured peak) and what ran on it (the software part).

A machine measured in a web browser (docs/benchmark/, the "Benchmark this device" page) has
a browser part in its hardware part: what the browser says about the device. The browser
tells no CPU model, instruction sets or physical cores, so those fields say so, and its id is
made from the browser part instead (bench.machine.machine_id)."""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import Json, Record, when_set

#: Runtimes that run in a web browser: a file's rows are all of them when its machine has a
#: browser part, and none of them otherwise (results.check).
WEB_RUNTIMES = frozenset({"onnxruntime-web"})
#: How the id of a machine measured in a browser starts, and no other machine's does.
BROWSER_ID_PREFIX = "browser-"


@dataclass(frozen=True)
class Peak(Record):
    """The machine's measured FP32 matrix-multiply rate, FLOP/s."""

    fp32_flops: float
    method: str
    measured_at: str


@dataclass(frozen=True)
class BrowserPart(Record):
    """What a browser says about the device it runs on, and how the page ran there. The
    identity leaves out versions and the run's backend and threads: a browser update or a
    WebGPU run keeps the machine."""

    user_agent: str
    browser: str  # brand and version, "Chromium 131.0.6778.85"
    family: str  # brand without version, "Chromium"
    platform: str | None  # navigator.userAgentData.platform or the user agent's OS
    mobile: bool | None
    webgpu_adapter: str | None  # vendor, architecture, device, description of the adapter
    backend: str  # "wasm" or "webgpu": the backend of this file's rows
    threads: int  # WebAssembly threads the page used
    cross_origin_isolated: bool  # without it WebAssembly runs on one thread

    def identity(self) -> Json:
        return {
            "family": self.family,
            "platform": self.platform,
            "mobile": self.mobile,
            "webgpu_adapter": self.webgpu_adapter,
        }


@dataclass(frozen=True)
class HardwarePart(Record):
    """What the machine is: decides the machine id, and the peak belongs to it."""

    cpu_model: str
    arch: str
    physical_cores: int
    logical_cpus: int
    isa_features: tuple[str, ...]
    memory_bytes: int | None  # None only where a browser does not tell
    peak: Peak | None = None
    browser: BrowserPart | None = when_set()  # native files have none
    # "linux", "darwin" or "windows": the same CPU under two systems is two machines (their
    # runtimes' builds differ), and two CI runners of one CPU never share a results file.
    # None in files written before the field (their ids stay as they were).
    os_family: str | None = when_set()

    def identity(self) -> Json:
        """The fields that name the hardware (no peak). Memory is rounded to GiB: the
        kernel's reserved share moves MemTotal between boots. A browser's memory is already
        rounded (navigator.deviceMemory) and stays as it is."""
        if self.browser is not None:
            return {
                "arch": self.arch,
                "logical_cpus": self.logical_cpus,
                "memory_bytes": self.memory_bytes,
                "browser": self.browser.identity(),
            }
        assert self.memory_bytes is not None
        identity: Json = {
            "cpu_model": self.cpu_model,
            "arch": self.arch,
            "physical_cores": self.physical_cores,
            "logical_cpus": self.logical_cpus,
            "isa_features": sorted(self.isa_features),
            "memory_bytes": round(self.memory_bytes / 2**30),
        }
        if self.os_family is not None:
            identity["os_family"] = self.os_family
        return identity

    def same_hardware(self, other: HardwarePart) -> bool:
        return self.identity() == other.identity()


@dataclass(frozen=True)
class SoftwarePart(Record):
    """What ran on the machine when the file was last written; runtime versions are also in
    each row (and its key), so a change here reruns rows, never the peak."""

    os: str
    python: str
    runtimes: dict[str, str | None]


@dataclass(frozen=True)
class Machine(Record):
    id: str
    label: str | None
    hardware_class: str | None  # kb/hardware id (JSON: "hardware_class")
    hardware: HardwarePart
    software: SoftwarePart

    @property
    def peak(self) -> Peak | None:
        return self.hardware.peak
