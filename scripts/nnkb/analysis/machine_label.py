"""A machine named so that a reader can place it: vendor and CPU family, the instruction sets
that decide which kernels run (and the CPU generation they identify), cores, memory, and
whether it is a cloud virtual machine. Built from the results file's fingerprint only.

Generations are named as "class": a fingerprint shows instruction sets, not the part, so
"Zen 4 class" means a CPU with Zen 4's instruction sets (a later one may have the same).
"""

from __future__ import annotations

import re

from nnkb.results import Machine
from nnkb.results.machine import HardwarePart

# Server families: a fingerprint of one of them with fewer logical CPUs than any such part
# has is a share of a server, that is a cloud virtual machine, even when the hypervisor
# hides its cpuid flag.
SERVER_FAMILIES = ("epyc", "xeon", "graviton", "neoverse", "ampere")
SMALLEST_SERVER_PART = 4  # logical CPUs

# (instruction sets that must all be present, words), widest first; the first match wins.
INTEL_CLASSES = (
    (("amx_tile",), "AMX (Sapphire Rapids class)"),
    (("avx512_bf16",), "AVX-512 with BF16 (Cooper Lake class)"),
    (("avx512_vnni",), "AVX-512 with VNNI (Cascade Lake or Ice Lake class)"),
    (("avx512f",), "AVX-512 (Skylake-SP class)"),
    (("avx_vnni",), "AVX-VNNI (Alder Lake class)"),
    (("avx2",), "AVX2 (Haswell to Comet Lake class)"),
    (("avx",), "AVX (Sandy Bridge class)"),
)
AMD_CLASSES = (
    (("avx512_bf16", "avx_vnni"), "AVX-512 with BF16 (Zen 5 class)"),
    (("avx512_bf16",), "AVX-512 with BF16 (Zen 4 class)"),
    (("avx2",), "AVX2 (Zen 1 to Zen 3 class)"),
    (("avx",), "AVX (Bulldozer class)"),
)
# Other x86 vendors: the instruction sets alone.
X86_CLASSES = (
    (("amx_tile",), "AMX"),
    (("avx512_bf16",), "AVX-512 with BF16"),
    (("avx512f",), "AVX-512"),
    (("avx2",), "AVX2"),
    (("avx",), "AVX"),
)
ARM_CLASSES = (
    (("sve2",), "SVE2"),
    (("sve",), "SVE"),
    (("i8mm",), "NEON with int8 matrix multiply"),
    (("asimddp",), "NEON with int8 dot product"),
    (("asimd",), "NEON"),
    (("neon",), "NEON"),
)


def cpu_name(cpu_model: str) -> str:
    """The CPU model without trademarks, clock and filler: 'Intel(R) Xeon(R) Platinum 8370C
    CPU @ 2.80GHz' -> 'Intel Xeon Platinum 8370C', 'AMD EPYC 7B13 64-Core Processor' ->
    'AMD EPYC 7B13'."""
    text = re.sub(r"\((?:R|TM|C)\)", "", cpu_model, flags=re.IGNORECASE)
    text = re.sub(r"\s@.*$", "", text)
    text = re.sub(r"\b\d+-Core\b", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:CPU|Processor)\b", "", text, flags=re.IGNORECASE)
    return " ".join(text.split()) or cpu_model.strip() or "unknown CPU"


def isa_class(hardware: HardwarePart) -> str | None:
    """The widest instruction sets of the fingerprint in words, with the CPU generation they
    identify where the vendor is known."""
    features = set(hardware.isa_features)
    model = hardware.cpu_model.casefold()
    table: tuple[tuple[tuple[str, ...], str], ...]
    if hardware.arch.startswith(("arm", "aarch")):
        table = ARM_CLASSES
    elif "intel" in model:
        table = INTEL_CLASSES
    elif "amd" in model:
        table = AMD_CLASSES
    else:
        table = X86_CLASSES
    return next((words for needs, words in table if features.issuperset(needs)), None)


def is_cloud_vm(hardware: HardwarePart) -> bool:
    """Whether the fingerprint shows a virtual machine: the cpuid `hypervisor` flag, or a
    server CPU with fewer logical CPUs than any such part has."""
    if "hypervisor" in hardware.isa_features:
        return True
    model = hardware.cpu_model.casefold()
    server = any(family in model for family in SERVER_FAMILIES)
    return server and hardware.logical_cpus < SMALLEST_SERVER_PART


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def hardware_label(hardware: HardwarePart) -> str:
    """'AMD EPYC, AVX-512 with BF16 (Zen 4 class), 2 vCPUs, 24 GiB, cloud VM'."""
    parts = [cpu_name(hardware.cpu_model)]
    isa = isa_class(hardware)
    if isa:
        parts.append(isa)
    vm = is_cloud_vm(hardware)
    if vm:
        parts.append(_count(hardware.logical_cpus, "vCPU"))
    else:
        cores = _count(hardware.physical_cores, "core")
        if hardware.logical_cpus > hardware.physical_cores:
            cores += f" ({hardware.logical_cpus} threads)"
        parts.append(cores)
    if hardware.memory_bytes:
        parts.append(f"{max(1, round(hardware.memory_bytes / 2**30))} GiB")
    if vm:
        parts.append("cloud VM")
    return ", ".join(parts)


def short_label(hardware: HardwarePart) -> str:
    """'AMD EPYC, AVX-512 with BF16': the CPU and its widest instruction sets, where a column
    heading has no room for the rest."""
    isa = isa_class(hardware)
    name = cpu_name(hardware.cpu_model)
    return f"{name}, {isa.split(' (')[0]}" if isa else name


def machine_label(machine: Machine) -> str:
    """How every page names a measured machine (hardware_label of its fingerprint)."""
    return hardware_label(machine.hardware)
