"""Machine labels a reader can place: known answers from fingerprints (analysis.machine_label)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnkb.analysis.machine_label import cpu_name, hardware_label, is_cloud_vm, machine_label
from nnkb.results import load_all
from nnkb.results.machine import HardwarePart

GIB = 2**30
AVX2 = ("avx", "avx2", "f16c", "fma", "sse4_2")
ZEN4 = AVX2 + ("avx512_bf16", "avx512_vnni", "avx512bw", "avx512f", "avx512vl")
SPR = ZEN4 + ("avx512_fp16", "amx_bf16", "amx_int8", "amx_tile", "avx_vnni")


def hardware(
    cpu: str,
    features: tuple[str, ...],
    cores: int = 2,
    logical: int | None = None,
    memory: int = 24,
    arch: str = "x86_64",
) -> HardwarePart:
    return HardwarePart(cpu, arch, cores, logical or cores, features, int(memory * GIB - 5e8))


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (
            hardware("AMD EPYC", ZEN4),
            "AMD EPYC, AVX-512 with BF16 (Zen 4 class), 2 vCPUs, 24 GiB, cloud VM",
        ),
        (
            hardware("AMD EPYC", AVX2),
            "AMD EPYC, AVX2 (Zen 1 to Zen 3 class), 2 vCPUs, 24 GiB, cloud VM",
        ),
        (
            hardware("Intel(R) Xeon(R) Processor", SPR, memory=8),
            "Intel Xeon, AMX (Sapphire Rapids class), 2 vCPUs, 8 GiB, cloud VM",
        ),
        (
            hardware(
                "Intel(R) Core(TM) i7-10510U CPU @ 1.80GHz", AVX2, cores=4, logical=8, memory=16
            ),
            "Intel Core i7-10510U, AVX2 (Haswell to Comet Lake class), 4 cores (8 threads), 16 GiB",
        ),
        (
            hardware(
                "AMD Ryzen 9 7950X 16-Core Processor",
                ZEN4 + ("avx_vnni",),
                cores=16,
                logical=32,
                memory=64,
            ),
            "AMD Ryzen 9 7950X, AVX-512 with BF16 (Zen 5 class), 16 cores (32 threads), 64 GiB",
        ),
        (
            hardware("Neoverse-N1", ("asimd", "asimddp", "fphp"), cores=4, arch="aarch64"),
            "Neoverse-N1, NEON with int8 dot product, 4 cores, 24 GiB",
        ),
        # The cpuid flag says so even where the core count could be a desktop's.
        (
            hardware(
                "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
                AVX2 + ("hypervisor",),
                cores=8,
                logical=16,
            ),
            (
                "Intel Xeon Platinum 8370C, AVX2 (Haswell to Comet Lake class), 16 vCPUs, "
                "24 GiB, cloud VM"
            ),
        ),
    ],
)
def test_labels_name_vendor_generation_cores_memory_and_vm(part, expected):
    assert hardware_label(part) == expected


def test_a_server_cpu_with_many_cores_and_no_hypervisor_flag_is_not_called_a_vm():
    assert not is_cloud_vm(hardware("AMD EPYC 7B13 64-Core Processor", AVX2, cores=64))
    assert cpu_name("AMD EPYC 7B13 64-Core Processor") == "AMD EPYC 7B13"


def test_committed_machines_are_told_apart():
    files = load_all(Path(__file__).resolve().parent.parent / "kb")
    labels = [machine_label(f.machine) for f in files]
    assert len(set(labels)) == len(labels), labels
