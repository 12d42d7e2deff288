"""Machine fingerprint, id and peak."""

from __future__ import annotations

import json
import re

import jsonschema

from nnkb import results
from nnkb.bench import machine
from nnkb.cli import main


def test_fingerprint_matches_the_schema():
    fp = machine.fingerprint({"onnxruntime": "1.0", "gone": None})
    schema = results.schema()["properties"]["machine"]["properties"]["fingerprint"]
    jsonschema.validate(fp, schema)
    assert fp["physical_cores"] <= fp["logical_cpus"]
    assert set(fp["isa_features"]) <= set(machine.ISA_FEATURES)
    assert fp["runtimes"] == {"onnxruntime": "1.0", "gone": None}


def test_id_names_the_hardware_not_the_runtimes():
    fp = machine.fingerprint({"onnxruntime": "1.0"})
    upgraded = {**fp, "runtimes": {"onnxruntime": "2.0"}, "python": "3.99", "os": "Other"}
    assert machine.machine_id(fp) == machine.machine_id(upgraded)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-\d+c-[0-9a-f]{8}", machine.machine_id(fp))
    more_cores = {**fp, "physical_cores": fp["physical_cores"] + 1}
    assert machine.machine_id(more_cores) != machine.machine_id(fp)
    fewer_features = {**fp, "isa_features": fp["isa_features"][:-1] or ["x"]}
    assert machine.machine_id(fewer_features) != machine.machine_id(fp)


def test_slug_and_hardware_class():
    fp = {
        "cpu_model": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
        "arch": "x86_64",
        "physical_cores": 4,
        "logical_cpus": 8,
        "isa_features": [],
        "memory_bytes": 2**34,
    }
    assert machine.machine_id(fp).startswith("intel-xeon-platinum-8375c-4c-")
    assert machine.hardware_class("x86_64") == "x86-cpu"
    assert machine.hardware_class("aarch64") == "arm-cpu"
    assert machine.label(fp) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 4 cores"


def test_peak_is_a_positive_rate():
    peak = machine.measure_peak(size=128, repeats=2)
    assert peak["fp32_flops"] > 1e6
    assert "128x128" in peak["method"] and peak["measured_at"].endswith("Z")


def test_machine_command_prints_fingerprint_and_id(capsys):
    assert main(["machine"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["id"] == machine.machine_id(printed["fingerprint"])
    assert set(printed["fingerprint"]["runtimes"]) >= {"onnxruntime", "openvino", "opencv"}
    assert printed["hardware"] in ("x86-cpu", "arm-cpu")
