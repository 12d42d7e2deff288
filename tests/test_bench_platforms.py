"""The harness on Linux x86-64, Linux Arm64, macOS Arm64 and Windows x86-64, with the
platform detection patched (this suite runs on Linux): the fingerprint, the process-group
and memory-cap fallbacks, and that the committed x86 ids still come from their hardware."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from nnkb.bench import cpu, isolate, machine, worker
from nnkb.results import HardwarePart

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "cpu"
# A Zen 4 EPYC's flags: "sme" here is AMD's Secure Memory Encryption and must not be recorded.
EPYC_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
    "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl "
    "nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 "
    "sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy "
    "cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext invpcid_single ssbd ibrs ibpb "
    "stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap "
    "avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 "
    "xsaves avx512_bf16 clzero xsaveerptr wbnoinvd arat avx512vbmi umip pku ospke avx512_vbmi2 "
    "gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm sme"
)


def _platform(monkeypatch, system: str, arch: str) -> None:
    monkeypatch.setattr(cpu.platform, "system", lambda: system)
    monkeypatch.setattr(machine.platform, "machine", lambda: arch)


def _no_cpuinfo_package(monkeypatch) -> None:
    monkeypatch.setattr(cpu, "cpuinfo_cpu", lambda: pytest.fail("py-cpuinfo was not needed"))


def test_committed_results_keep_their_ids():
    # The id rule and the hardware part must not move: a changed id orphans a results file.
    files = sorted((ROOT / "kb" / "results").glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text())
        hardware = HardwarePart.from_json(data["machine"]["hardware"])
        assert machine.machine_id(hardware) == data["machine"]["id"] == path.stem


def test_linux_x86_records_the_same_features_as_before(monkeypatch, tmp_path):
    text = f"processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: {EPYC_FLAGS}\n"
    (tmp_path / "cpuinfo").write_text(text)
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "cpuinfo")
    _platform(monkeypatch, "Linux", "x86_64")
    _no_cpuinfo_package(monkeypatch)
    hardware = machine.hardware_part()
    committed = json.loads((ROOT / "kb/results/amd-epyc-2c-linux-c907c428.json").read_text())
    assert hardware.cpu_model == "AMD EPYC" and hardware.arch == "x86_64"
    assert list(hardware.isa_features) == committed["machine"]["hardware"]["isa_features"]


def test_linux_arm64_graviton(monkeypatch):
    monkeypatch.setattr(cpu, "CPUINFO", FIXTURES / "graviton3.cpuinfo")
    _platform(monkeypatch, "Linux", "aarch64")
    _no_cpuinfo_package(monkeypatch)
    hardware = machine.hardware_part()
    assert hardware.cpu_model == "ARM Neoverse-V1" and hardware.arch == "aarch64"
    assert hardware.isa_features == ("asimd", "asimddp", "asimdhp", "bf16", "fphp", "i8mm", "sve")
    found = machine.machine_of(hardware, machine.software_part({}))
    assert found.hardware_class == "arm-cpu"
    assert found.id.startswith(f"arm-neoverse-v1-{hardware.physical_cores}c-")


def test_linux_arm64_apple_names_both_core_types(monkeypatch):
    monkeypatch.setattr(cpu, "CPUINFO", FIXTURES / "apple-m1-asahi.cpuinfo")
    _platform(monkeypatch, "Linux", "aarch64")
    _no_cpuinfo_package(monkeypatch)
    hardware = machine.hardware_part()
    assert hardware.cpu_model == "Apple M1 Icestorm + M1 Firestorm"
    assert hardware.isa_features == ("asimd", "asimddp", "asimdhp", "fphp")


def test_unknown_arm_part_is_named_by_its_number():
    assert cpu.arm_model("0x41", ["0xfff"]) == "ARM part 0xfff"
    assert cpu.arm_model("0x99", []) == "implementer 0x99 unknown part"


def _fake_sysctl(outputs: dict[tuple[str, ...], str]):
    calls = []

    def run(args, **kwargs):
        calls.append(tuple(args))
        out = outputs.get(tuple(args[1:]))
        return SimpleNamespace(returncode=0 if out is not None else 1, stdout=out or "")

    return run, calls


def test_macos_arm64_reads_sysctl(monkeypatch):
    run, calls = _fake_sysctl(
        {
            ("-n", "machdep.cpu.brand_string"): "Apple M2\n",
            ("hw.optional",): (FIXTURES / "apple-m2-sysctl.txt").read_text(),
        }
    )
    monkeypatch.setattr(cpu.subprocess, "run", run)
    _platform(monkeypatch, "Darwin", "arm64")
    _no_cpuinfo_package(monkeypatch)
    hardware = machine.hardware_part()
    assert hardware.cpu_model == "Apple M2" and hardware.arch == "aarch64"
    # FEAT_SME: 0 and absent SVE keys are not features.
    assert hardware.isa_features == ("asimd", "asimddp", "asimdhp", "bf16", "fphp", "i8mm")
    assert {c[0] for c in calls} == {"sysctl"}
    assert machine.hardware_class(hardware.arch) == "arm-cpu"


def test_macos_sme_is_recorded_on_arm(monkeypatch):
    run, _ = _fake_sysctl(
        {
            ("-n", "machdep.cpu.brand_string"): "Apple M4",
            ("hw.optional",): "hw.optional.arm.FEAT_SME: 1\nhw.optional.arm.FEAT_SME2: 1\n"
            "hw.optional.neon: 1\n",
        }
    )
    monkeypatch.setattr(cpu.subprocess, "run", run)
    _platform(monkeypatch, "Darwin", "arm64")
    assert machine.hardware_part().isa_features == ("asimd", "sme", "sme2")


def test_macos_without_sysctl_falls_back_to_py_cpuinfo(monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("sysctl")

    monkeypatch.setattr(cpu.subprocess, "run", missing)
    monkeypatch.setattr(cpu, "cpuinfo_cpu", lambda: ("Apple M1", {"asimd"}))
    _platform(monkeypatch, "Darwin", "arm64")
    hardware = machine.hardware_part()
    assert (hardware.cpu_model, hardware.isa_features) == ("Apple M1", ("asimd",))


def test_windows_x86_uses_py_cpuinfo_with_linux_names(monkeypatch):
    import cpuinfo

    monkeypatch.setattr(
        cpuinfo,
        "get_cpu_info",
        lambda: {
            "brand_raw": "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
            "flags": ["avx", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512vnni", "fma",
                      "f16c", "sse4_2", "sha"],
        },
    )  # fmt: skip
    monkeypatch.setattr(cpu, "CPUINFO", Path("/nonexistent/cpuinfo"))
    _platform(monkeypatch, "Windows", "AMD64")
    hardware = machine.hardware_part()
    assert hardware.arch == "x86_64"
    assert hardware.isa_features == (
        "avx", "avx2", "avx512_vnni", "avx512bw", "avx512f", "avx512vl", "f16c", "fma", "sse4_2"
    )  # fmt: skip
    found = machine.machine_of(hardware, machine.software_part({}))
    assert found.id.startswith("intel-xeon-platinum-8370c-")
    assert found.hardware_class == "x86-cpu"


def test_py_cpuinfo_failure_still_gives_a_fingerprint(monkeypatch):
    import cpuinfo

    def broken():
        raise RuntimeError("no cpuid")

    monkeypatch.setattr(cpuinfo, "get_cpu_info", broken)
    monkeypatch.setattr(cpu, "CPUINFO", Path("/nonexistent/cpuinfo"))
    monkeypatch.setattr(cpu.platform, "processor", lambda: "")
    _platform(monkeypatch, "Windows", "ARM64")
    hardware = machine.hardware_part()
    assert (hardware.cpu_model, hardware.arch, hardware.isa_features) == (
        "unknown cpu",
        "aarch64",
        (),
    )


def test_memory_cap_only_where_the_kernel_enforces_it(monkeypatch):
    monkeypatch.delenv(isolate.MEMORY_FRACTION_ENV, raising=False)
    monkeypatch.setattr(isolate.sys, "platform", "linux")
    assert isolate.memory_cap() is not None
    for name in ("darwin", "win32"):
        monkeypatch.setattr(isolate.sys, "platform", name)
        assert isolate.memory_cap() is None
        # A typo in the setting is still an error there, not silently ignored.
        monkeypatch.setenv(isolate.MEMORY_FRACTION_ENV, "2")
        with pytest.raises(isolate.WorkerSettingError):
            isolate.memory_cap()
        monkeypatch.delenv(isolate.MEMORY_FRACTION_ENV)


def test_refused_memory_limit_leaves_the_row_uncapped(monkeypatch):
    import resource

    def refuse(*args):
        raise ValueError("current limit exceeds maximum limit")

    monkeypatch.setattr(resource, "setrlimit", refuse)
    isolate.apply_memory_cap(2**30)  # no exception: the row runs


def test_windows_process_group_and_tree_kill(monkeypatch):
    monkeypatch.setattr(isolate.os, "name", "nt")
    assert isolate._new_group() == {"creationflags": 0x200}
    monkeypatch.undo()
    assert isolate._new_group() == {"start_new_session": True}
    # Without killpg (Windows) the worker and the process it started are both ended.
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child_pid = int(proc.stdout.readline())
    monkeypatch.delattr(isolate.os, "killpg")
    isolate._kill_group(proc)
    assert proc.wait(timeout=30) != 0
    # Ended: gone, or a zombie until whoever adopted it reaps it (psutil's wait waits for the
    # reaping too, which a container's first process may do only a second later).
    child = isolate.psutil.Process(child_pid)
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_exit_reasons_name_signals_and_windows_exception_codes():
    assert isolate.exit_reason(-11) == "worker killed by SIGSEGV"
    assert isolate.exit_reason(0xC0000005) == (
        "worker ended by STATUS_ACCESS_VIOLATION (0xC0000005)"
    )
    assert isolate.exit_reason(-1073741571) == "worker ended by STATUS_STACK_OVERFLOW (0xC00000FD)"
    assert isolate.exit_reason(3) == "worker exited with status 3 and no result"


def test_windows_paths_are_cut_from_published_reasons():
    text = r"Load model from C:\Users\runner\work\nnkb\.cache\models\resnet.onnx failed"
    assert isolate.without_paths(text) == "Load model from …\\resnet.onnx failed"
    assert isolate.without_paths("see https://x.org/a/b and /home/me/m.onnx") == (
        "see https://x.org/a/b and …/m.onnx"
    )


def test_worker_watches_its_parent_where_there_is_no_parent_death_signal(monkeypatch):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    monkeypatch.setattr(worker.os, "name", "nt")
    assert worker.parent_alive(worker.os.getpid())
    assert not worker.parent_alive(dead.pid)
    monkeypatch.undo()
    assert not worker.parent_alive(dead.pid)  # POSIX: not our parent any more


def test_peak_memory_without_proc_or_resource(monkeypatch):
    from nnkb.bench import measure

    class NoProc:
        def __init__(self, *args):
            pass

        def read_text(self):
            raise OSError("no /proc")

    monkeypatch.setattr(measure, "Path", NoProc)
    monkeypatch.setitem(sys.modules, "resource", None)  # as on Windows: ImportError
    assert measure.peak_rss_bytes() > 1_000_000
