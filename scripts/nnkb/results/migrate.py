"""One-off migration of results files from format 1 to format 2, in place.

    python -m nnkb.results.migrate kb/results/*.json

Measurements are data, not cache: every row and every measured value is kept. What changes:
- achieved_flops and peak_fraction go (the analysis stage computes them from latency, MACs
  and the machine's peak);
- each row's key is recomputed with the model id in it (bench/keys.py), so the planner finds
  the migrated rows current and reruns nothing;
- the machine fingerprint is split into its hardware part (with the peak) and its software
  part; `hardware` (the kb/hardware class) becomes `hardware_class`;
- every optional field is written, null where it was missing;
- the file is renamed if its machine id, made from the hardware part, differs from its name.

A format-2 file of a native machine without an OS family in its hardware part gets it (from
its software part's `os`, "Linux 6.1" -> "linux"), and with it the machine id that names the
OS family; the file is renamed to that id. Every row and measurement is kept as it was. Any
other format-2 file is left as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .check import check_results_file
from .io import ResultsError, read, write_atomic
from .model import FORMAT_VERSION, HardwarePart, Json, ResultsFile

ROW_FIELDS = (
    "model_sha256", "runtime_version", "harness_version", "budget_s", "reason", "inputs",
    "latency", "session_create_s", "first_inference_s", "peak_rss_bytes", "model_file_bytes",
    "parameters", "macs", "opset", "op_histogram", "precision", "op_profile",
    "op_profile_source", "op_profile_runs", "op_profile_kernels", "agreement", "processes",
    "process_spread", "verification",
)  # fmt: skip
DERIVED = ("achieved_flops", "peak_fraction")
HARDWARE_FIELDS = (
    "cpu_model", "arch", "physical_cores", "logical_cpus", "isa_features", "memory_bytes",
)  # fmt: skip
SOFTWARE_FIELDS = ("os", "python", "runtimes")


def migrate_row(row: Json, input_seed: int) -> Json:
    from ..bench.keys import row_key  # the bench's key rule, model id included

    out: Json = {k: v for k, v in row.items() if k not in DERIVED}
    for name in ROW_FIELDS:
        out.setdefault(name, None)
    latency = out["latency"]
    if isinstance(latency, dict):
        out["latency"] = {**latency, "converged": latency.get("converged")}
    agreement = out["agreement"]
    if isinstance(agreement, dict):
        out["agreement"] = {
            k: agreement.get(k)
            for k in ("reference", "max_abs_error", "max_rel_error", "top1_agree")
        }
    out["key"] = row_key(
        out["model"],
        out["model_sha256"],
        out["runtime"],
        out["runtime_version"],
        out["settings"],
        out["inputs"] or {},
        input_seed,
        out["harness_version"],
    )
    return out


def migrate_machine(machine: Json) -> Json:
    fingerprint = machine["fingerprint"]
    hardware = {k: fingerprint[k] for k in HARDWARE_FIELDS}
    hardware["peak"] = machine["peak"]
    return {
        "id": machine["id"],
        "label": machine.get("label"),
        "hardware_class": machine.get("hardware"),
        "hardware": hardware,
        "software": {k: fingerprint[k] for k in SOFTWARE_FIELDS},
    }


def migrate_data(data: Json) -> Json:
    """A format-1 document as format 2 (the input is not changed)."""
    from ..bench.machine import machine_id, os_family

    harness = data.get("harness")
    seed = harness.get("input_seed", 0) if isinstance(harness, dict) else 0
    machine = migrate_machine(data["machine"])
    system = str(machine["software"].get("os") or "").split()
    if system:  # the OS family names the machine too (see add_os_family)
        machine["hardware"]["os_family"] = os_family(system[0])
    machine["id"] = machine_id(HardwarePart.from_json(machine["hardware"]))
    return {
        "format_version": FORMAT_VERSION,
        "generated_by": data["generated_by"],
        "harness": harness,
        "machine": machine,
        "rows": [migrate_row(r, seed) for r in data["rows"]],
    }


def migrate_file(path: Path) -> Path:
    """Migrate `path` in place (renamed if the machine id changes); the path it ends at."""
    path = Path(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict) or data.get("format_version") != 1:
        return add_os_family(path)
    try:
        migrated = migrate_data(data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResultsError(
            f"{path}: not a format-1 results file ({type(exc).__name__}: {exc}); "
            "run `nnkb validate` on a checkout from before format 2"
        ) from None
    target = path.with_name(f"{migrated['machine']['id']}.json")
    if target != path and target.exists():
        raise ResultsError(f"{path}: its machine id is now '{target.stem}', and {target} exists")
    # Written through the one reader and writer: what the migration writes must validate.
    tmp = path.with_name(f".{path.name}.migrating")
    tmp.write_text(json.dumps(migrated, allow_nan=False), encoding="utf-8")
    try:
        checked = _check(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    write_atomic(target, checked)
    if target != path:
        path.unlink()
    return target


def add_os_family(path: Path) -> Path:
    """A format-2 file with its hardware part's OS family and the id that names it, renamed
    to that id; a file that has one (or is a browser's) is only checked."""
    from ..bench.machine import machine_id, os_family

    current = read(path)
    hardware = current.machine.hardware
    if hardware.os_family is not None or hardware.browser is not None:
        return path
    system = current.machine.software.os.split()[0] if current.machine.software.os else ""
    hardware = replace(hardware, os_family=os_family(system))
    machine = replace(current.machine, hardware=hardware, id=machine_id(hardware))
    target = path.with_name(f"{machine.id}.json")
    if target != path and target.exists():
        raise ResultsError(f"{path}: its machine id is now '{machine.id}', and {target} exists")
    write_atomic(target, replace(current, machine=machine, path=target))
    if target != path:
        path.unlink()
    return target


def _check(tmp: Path, target: Path) -> ResultsFile:
    """The migrated document, checked as `read` checks it (its name is the machine id)."""
    problems, loaded = check_results_file(tmp, str(target), named=False)
    if problems:
        raise ResultsError(f"migrated {target} would not validate: {min(problems).line_text()}")
    assert loaded is not None
    return ResultsFile.from_json(loaded.data, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nnkb.results.migrate",
        description="Migrate results files in place: format 1 to 2, and the OS family into the machine id.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            target = migrate_file(path)
        except ResultsError as exc:
            print(f"nnkb.results.migrate: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{path} -> {target}" if target != path else f"{path}: format {FORMAT_VERSION}")
    return status


if __name__ == "__main__":
    sys.exit(main())
