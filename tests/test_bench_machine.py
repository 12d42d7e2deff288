"""Machine fingerprint, id and peak: the hardware part names the machine and owns the peak."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from nnkb.bench import cpu, machine
from nnkb.cli import main
from nnkb.results import HardwarePart, Peak, SoftwarePart

ROOT = Path(__file__).resolve().parents[1]


def test_parts_describe_this_machine():
    hardware = machine.hardware_part()
    software = machine.software_part({"onnxruntime": "1.0", "gone": None})
    assert 1 <= hardware.physical_cores <= hardware.logical_cpus
    assert set(hardware.isa_features) <= set(cpu.ISA_FEATURES + cpu.ARM_FEATURES)
    assert hardware.memory_bytes > 0 and hardware.peak is None
    assert software.runtimes == {"onnxruntime": "1.0", "gone": None}


def test_id_and_peak_belong_to_the_hardware_not_the_runtimes():
    hardware = replace(machine.hardware_part(), peak=Peak(1e11, "test", "2025-01-01T00:00:00Z"))
    old = machine.machine_of(hardware, SoftwarePart("Linux", "3.11", {"onnxruntime": "1.0"}))
    new = machine.machine_of(
        hardware, SoftwarePart("Other", "3.99", {"onnxruntime": "2.0", "fourth": "0.1"})
    )
    assert old.id == new.id and old.peak == new.peak
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-\d+c-[a-z0-9]+-[0-9a-f]{8}", old.id)
    # The OS family names the machine: one CPU under two systems keeps two files.
    assert f"c-{hardware.os_family}-" in old.id
    windows = replace(hardware, os_family="windows")
    assert machine.machine_id(windows) != old.id and "c-windows-" in machine.machine_id(windows)
    assert "c-" in machine.machine_id(replace(hardware, os_family=None))  # files before it
    more_cores = replace(hardware, physical_cores=hardware.physical_cores + 1)
    assert machine.machine_id(more_cores) != old.id
    fewer_features = replace(hardware, isa_features=hardware.isa_features[:-1] or ("x",))
    assert machine.machine_id(fewer_features) != old.id
    # The peak is measured data, not part of the name.
    assert machine.machine_id(replace(hardware, peak=None)) == old.id
    # MemTotal moves by a few KiB between boots: the same machine.
    booted = replace(hardware, memory_bytes=24 * 2**30)
    rebooted = replace(hardware, memory_bytes=24 * 2**30 - 4096)
    assert machine.machine_id(booted) == machine.machine_id(rebooted)
    assert booted.same_hardware(rebooted) and not booted.same_hardware(more_cores)


def test_slug_and_hardware_class():
    hardware = HardwarePart(
        "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "x86_64", 4, 8, (), 2**34
    )
    assert machine.machine_id(hardware).startswith("intel-xeon-platinum-8375c-4c-")
    assert machine.hardware_class("x86_64") == "x86-cpu"
    assert machine.hardware_class("aarch64") == "arm-cpu"
    assert machine.label(hardware) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 4 cores"


def test_peak_is_a_positive_rate():
    peak = machine.measure_peak(size=128, repeats=2)
    assert peak.fp32_flops > 1e6
    assert "128x128" in peak.method and peak.measured_at.endswith("Z")


def test_machine_command_prints_fingerprint_id_and_results_file(capsys, tmp_path):
    assert main(["machine", "--kb", str(tmp_path / "kb")]) == 0
    printed = json.loads(capsys.readouterr().out)
    hardware = HardwarePart.from_json(printed["hardware"])
    assert printed["id"] == machine.machine_id(hardware)
    assert set(printed["software"]["runtimes"]) >= {"onnxruntime", "openvino", "opencv"}
    assert printed["hardware_class"] in ("x86-cpu", "arm-cpu")
    assert printed["results_file"] == str(tmp_path / "kb" / "results" / f"{printed['id']}.json")


def test_python_dash_m_nnkb_runs_the_command(tmp_path, kb_copy):
    # `validate`, not `machine` (tested in-process above): the cheapest command that reads a
    # KB named by --kb from another folder, so the new interpreter imports no runtime.
    kb = kb_copy(tmp_path / "copy" / "kb")
    (tmp_path / "elsewhere").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "nnkb", "validate", "--kb", str(kb)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path / "elsewhere",
        env={"PYTHONPATH": str(ROOT / "scripts"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{kb}/ is valid: 6 entries, 1 results file\n"
