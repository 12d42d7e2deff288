"""This machine: fingerprint, id, and measured FP32 peak.

The fingerprint has two parts. The hardware part (CPU model, cores, instruction sets,
memory) names the machine: the id is made from it, and the FP32 peak belongs to it, so
upgrading or adding a runtime keeps the same results file and the same peak. How the CPU
model and instruction sets are read on Linux, macOS and Windows is cpu.py. The software
part (OS, Python, runtime versions) is recorded; runtime versions go into each row's cache
key instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil

from ..results import HardwarePart, Machine, Peak, SoftwarePart
from .cpu import cpu_model_and_flags, features_for
from .settings import HARNESS


def _arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def hardware_class(arch: str) -> str:
    """The kb/hardware id of this machine's class."""
    return "arm-cpu" if arch.startswith(("arm", "aarch")) else "x86-cpu"


def hardware_part(peak: Peak | None = None) -> HardwarePart:
    """What this machine is: CPU, cores, instruction sets, memory (and its peak, if given)."""
    model, flags = cpu_model_and_flags()
    arch = _arch()
    return HardwarePart(
        cpu_model=model,
        arch=arch,
        physical_cores=psutil.cpu_count(logical=False) or psutil.cpu_count() or 1,
        logical_cpus=psutil.cpu_count() or 1,
        isa_features=features_for(arch, flags),
        memory_bytes=int(psutil.virtual_memory().total),
        peak=peak,
        os_family=os_family(),
    )


def os_family(system: str | None = None) -> str:
    """The machine id's system: "linux", "darwin", "windows" (lower-case platform.system())."""
    return (system or platform.system() or "unknown").strip().lower() or "unknown"


def software_part(runtimes: dict[str, str | None] | None = None) -> SoftwarePart:
    """What runs on it: the OS, Python and every adapter's runtime version."""
    if runtimes is None:
        from .runtimes import load_adapters

        runtimes = {name: a.version() for name, a in sorted(load_adapters().items())}
    return SoftwarePart(
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        runtimes=dict(runtimes),
    )


def _slug(text: str) -> str:
    text = re.sub(r"\((r|tm|c)\)", " ", text.lower())
    text = re.sub(r"\s@.*$", "", text)  # "... CPU @ 2.90GHz": the clock is not the model
    text = re.sub(r"\b(cpu|processor)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-") or "cpu"


def machine_id(hardware: HardwarePart) -> str:
    """`<cpu slug>-<cores>c-<os family>-<hash>` (`<cpu slug>-<cores>c-<hash>` for a file written
    before the OS family was recorded): from the hardware part only, so a runtime upgrade or a
    new adapter keeps the same results file (and its peak). A machine measured in a browser
    is `browser-<browser and platform slug>-<logical cores>t-<hash>`, the hash of the same
    JSON (docs/benchmark/webbench.js computes it the same way)."""
    digest = hashlib.sha256(json.dumps(hardware.identity(), sort_keys=True).encode()).hexdigest()
    browser = hardware.browser
    if browser is not None:
        name = _slug(f"{browser.family} {browser.platform or ''}")
        return f"browser-{name}-{hardware.logical_cpus}t-{digest[:8]}"
    system = f"-{hardware.os_family}" if hardware.os_family else ""
    return f"{_slug(hardware.cpu_model)}-{hardware.physical_cores}c{system}-{digest[:8]}"


def label(hardware: HardwarePart) -> str:
    cores = hardware.physical_cores
    return f"{hardware.cpu_model}, {cores} core{'s' if cores != 1 else ''}"


def machine_of(hardware: HardwarePart, software: SoftwarePart) -> Machine:
    return Machine(
        id=machine_id(hardware),
        label=label(hardware),
        hardware_class=hardware_class(hardware.arch),
        hardware=hardware,
        software=software,
    )


def _blas_name() -> str:
    try:
        return np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - informational only
        return "unknown BLAS"


def measure_peak(size: int = 2048, repeats: int = 5) -> Peak:
    """Best-of-`repeats` FP32 matmul rate on all cores, FLOP/s: the roofline the rows'
    achieved FLOP/s are compared with."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    np.matmul(a, b)  # warm-up: thread pool start, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter_ns()
        np.matmul(a, b)
        best = min(best, (time.perf_counter_ns() - start) / 1e9)
    return Peak(
        fp32_flops=2.0 * size**3 / best,
        method=f"numpy {np.__version__} ({_blas_name()}) float32 matmul {size}x{size}, "
        f"best of {repeats}, all cores",
        measured_at=now_iso(),
    )


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run(args: argparse.Namespace) -> int:
    """`nnkb machine [--kb DIR]`: print this machine's fingerprint, id and results file."""
    machine = machine_of(hardware_part(), software_part())
    path = Path(args.kb) / "results" / f"{machine.id}.json"
    shown = machine.to_json()
    shown["results_file"] = str(path)
    shown["peak_method"] = HARNESS["peak_method"]
    if path.is_file():
        from ..results import ResultsError, read

        try:
            stored = read(path)
        except ResultsError as exc:
            print(f"nnkb machine: {exc}", file=sys.stderr)
            return 1
        if stored.machine.hardware.same_hardware(machine.hardware):
            # The peak is measured once per hardware; show the one the bench will use.
            shown["hardware"]["peak"] = (
                None if stored.machine.peak is None else stored.machine.peak.to_json()
            )
    print(json.dumps(shown, indent=2, sort_keys=True))
    return 0
