"""What the CPU is and which instruction sets it has, on every platform the harness runs on.

- Linux: /proc/cpuinfo. x86 names its model in `model name` and its instruction sets in
  `flags`; Arm64 lists `Features` in the kernel's names (asimd, asimddp, asimdhp, fphp, bf16,
  i8mm, sve, sve2, sme...) and has no model name, so the model is named from `CPU implementer`
  and `CPU part` with a fixed table (not lscpu, whose names change between util-linux
  releases: the model is part of the machine id).
- macOS: `sysctl -n machdep.cpu.brand_string` and the `hw.optional` keys, mapped to the
  Linux names so that an Apple M-series and an Arm Linux server list the same features.
- Windows, and wherever the above find nothing: py-cpuinfo (CPUID on x86), its flag names
  mapped to the Linux ones.

Every instruction set is recorded in the Linux kernel's spelling.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")

# x86 extensions that decide which inference kernels a runtime can use.
X86_FEATURES = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx_vnni",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
# Arm extensions: NEON (asimd; "neon" on 32-bit Arm), half-precision (fphp, asimdhp), int8
# dot product (asimddp), bf16, int8 matrix multiply (i8mm), SVE, SVE2 and SME.
ARM_FEATURES = (
    "neon",
    "asimd",
    "asimdhp",
    "asimddp",
    "fphp",
    "bf16",
    "i8mm",
    "sve",
    "sve2",
    "sme",
    "sme2",
)
# The list the x86 machine ids were made with (x86 first, then the Arm names that existed
# then): kept in this order so that no id changes.
ISA_FEATURES = X86_FEATURES + tuple(f for f in ARM_FEATURES if f not in ("sme", "sme2"))

# MIDR implementer and part numbers -> model name (the names the Arm and vendor manuals use).
ARM_IMPLEMENTERS = {
    "0x41": "ARM",
    "0x46": "Fujitsu",
    "0x48": "HiSilicon",
    "0x4e": "NVIDIA",
    "0x51": "Qualcomm",
    "0x61": "Apple",
    "0xc0": "Ampere",
}
ARM_PARTS = {
    ("0x41", "0xd03"): "Cortex-A53",
    ("0x41", "0xd08"): "Cortex-A72",
    ("0x41", "0xd0b"): "Cortex-A76",
    ("0x41", "0xd0c"): "Neoverse-N1",
    ("0x41", "0xd40"): "Neoverse-V1",
    ("0x41", "0xd41"): "Cortex-A78",
    ("0x41", "0xd49"): "Neoverse-N2",
    ("0x41", "0xd4f"): "Neoverse-V2",
    ("0x41", "0xd84"): "Neoverse-V3",
    ("0x41", "0xd8e"): "Neoverse-N3",
    ("0x46", "0x001"): "A64FX",
    ("0x61", "0x022"): "M1 Icestorm",
    ("0x61", "0x023"): "M1 Firestorm",
    ("0x61", "0x032"): "M2 Blizzard",
    ("0x61", "0x033"): "M2 Avalanche",
    ("0xc0", "0xac3"): "Ampere-1",
    ("0xc0", "0xac4"): "Ampere-1a",
}

# macOS hw.optional keys -> Linux names.
SYSCTL_FEATURES = {
    "hw.optional.neon": ("asimd",),
    "hw.optional.AdvSIMD": ("asimd",),
    "hw.optional.neon_fp16": ("fphp", "asimdhp"),
    "hw.optional.arm.FEAT_FP16": ("fphp", "asimdhp"),
    "hw.optional.arm.FEAT_DotProd": ("asimddp",),
    "hw.optional.arm.FEAT_BF16": ("bf16",),
    "hw.optional.arm.FEAT_I8MM": ("i8mm",),
    "hw.optional.arm.FEAT_SVE": ("sve",),
    "hw.optional.arm.FEAT_SVE2": ("sve2",),
    "hw.optional.arm.FEAT_SME": ("sme",),
    "hw.optional.arm.FEAT_SME2": ("sme2",),
    "hw.optional.sse4_2": ("sse4_2",),
    "hw.optional.avx1_0": ("avx",),
    "hw.optional.avx2_0": ("avx2",),
    "hw.optional.fma": ("fma",),
    "hw.optional.f16c": ("f16c",),
    "hw.optional.avx512f": ("avx512f",),
    "hw.optional.avx512bw": ("avx512bw",),
    "hw.optional.avx512vl": ("avx512vl",),
    "hw.optional.avx512vnni": ("avx512_vnni",),
}

# py-cpuinfo's names that differ from Linux's: its CPUID reader (Windows) says "avx512vnni";
# its sysctl reader (macOS, when sysctl hw.optional gives nothing) lowercases
# machdep.cpu.features, "SSE4.2" and "AVX1.0".
CPUINFO_ALIASES = {"avx512vnni": "avx512_vnni", "sse4.2": "sse4_2", "avx1.0": "avx"}


def parse_cpuinfo(text: str) -> dict[str, str]:
    """The first value of each key in /proc/cpuinfo text (the first processor's block)."""
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in info:
            info[key.strip()] = value.strip()
    return info


def linux_cpu(text: str) -> tuple[str | None, set[str]]:
    """Model and instruction sets from /proc/cpuinfo text; x86 exactly as the ids were made."""
    info = parse_cpuinfo(text)
    model = info.get("model name") or info.get("Model name") or info.get("Hardware")
    if not model and "CPU implementer" in info:
        model = arm_model(info["CPU implementer"], _all_values(text, "CPU part"))
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return model, flags


def _all_values(text: str, key: str) -> list[str]:
    """Every distinct value of `key`, in order: a big.LITTLE chip has two CPU parts."""
    values: list[str] = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key and value.strip().lower() not in values:
            values.append(value.strip().lower())
    return values


def arm_model(implementer: str, parts: list[str]) -> str:
    """The model, e.g. "ARM Neoverse-V1", or "Apple M1 Icestorm + M1 Firestorm" for
    efficiency and performance cores; an unknown part by its number, so that the name (part
    of the machine id) is the same on every run."""
    implementer = implementer.lower()
    vendor = ARM_IMPLEMENTERS.get(implementer, f"implementer {implementer}")
    names = [ARM_PARTS.get((implementer, part), f"part {part}") for part in parts]
    return f"{vendor} {' + '.join(names) or 'unknown part'}"


def _sysctl(*names: str) -> str:
    try:
        done = subprocess.run(
            ["sysctl", *names], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def macos_cpu() -> tuple[str | None, set[str]]:
    """Model from machdep.cpu.brand_string, instruction sets from the hw.optional keys set
    to 1 (a key absent on this macOS release means the feature is absent too)."""
    model = _sysctl("-n", "machdep.cpu.brand_string").strip() or None
    flags: set[str] = set()
    for line in _sysctl("hw.optional").splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip() == "1":
            flags.update(SYSCTL_FEATURES.get(key.strip(), ()))
    return model, flags


def cpuinfo_cpu() -> tuple[str | None, set[str]]:
    """py-cpuinfo's brand and flags. It spawns a subprocess (~1 s), so it is the fallback."""
    try:
        import cpuinfo

        data = cpuinfo.get_cpu_info()
    except Exception:  # noqa: BLE001 - a fingerprint with fewer fields beats no benchmark
        return None, set()
    flags = {CPUINFO_ALIASES.get(f, f) for f in data.get("flags", [])}
    return data.get("brand_raw") or None, flags


def cpu_model_and_flags() -> tuple[str, set[str]]:
    """This CPU's model and instruction sets (Linux names), by the platform's own source."""
    system = platform.system()
    model: str | None = None
    flags: set[str] = set()
    if system == "Linux":
        if CPUINFO.exists():
            model, flags = linux_cpu(CPUINFO.read_text(errors="replace"))
    elif system == "Darwin":
        model, flags = macos_cpu()
    if not model or not flags:
        fallback_model, fallback_flags = cpuinfo_cpu()
        model = model or fallback_model
        flags = flags or fallback_flags
    return model or platform.processor() or "unknown cpu", flags


def features_for(arch: str, flags: set[str]) -> tuple[str, ...]:
    """The recorded instruction sets: ISA_FEATURES (as every existing id was made), plus SME
    on Arm (on x86, "sme" is AMD's Secure Memory Encryption, not a matrix extension)."""
    known = ISA_FEATURES + (("sme", "sme2") if arch.startswith(("arm", "aarch")) else ())
    return tuple(sorted(f for f in known if f in flags))
