"""Results files, kb/results/<machine-id>.json: typed rows (model.py), the one reader and the
atomic, locked writer (io.py), the checks `nnkb validate` shares (check.py), and the one-off
migration of format-1 files (`python -m nnkb.results.migrate FILE...`)."""

from typing import TYPE_CHECKING, Any

from .io import ResultsError, load_all, lock_path, locked, read, write_atomic
from .model import (
    FORMAT_VERSION,
    GENERATED_BY,
    Agreement,
    ComputeOps,
    HardwarePart,
    Identity,
    Machine,
    Peak,
    ProcessSummary,
    Quantization,
    ResultsFile,
    Row,
    SoftwarePart,
    Stats,
    TaskAccuracy,
    Verification,
    canonical_json,
)
from .throughput import LATENCY, SCENARIO, THROUGHPUT, Throughput, Trial, scenario_of

if TYPE_CHECKING:
    from .check import check_results_file


def __getattr__(name: str) -> Any:
    # The checks load the JSON Schemas: loaded on first use, so that a bench worker, which
    # only builds rows, starts fast.
    if name == "check_results_file":
        from .check import check_results_file

        return check_results_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMAT_VERSION",
    "GENERATED_BY",
    "LATENCY",
    "SCENARIO",
    "THROUGHPUT",
    "Agreement",
    "ComputeOps",
    "HardwarePart",
    "Identity",
    "Machine",
    "Peak",
    "ProcessSummary",
    "Quantization",
    "ResultsError",
    "ResultsFile",
    "Row",
    "SoftwarePart",
    "Stats",
    "TaskAccuracy",
    "Throughput",
    "Trial",
    "Verification",
    "canonical_json",
    "check_results_file",
    "load_all",
    "lock_path",
    "locked",
    "read",
    "scenario_of",
    "write_atomic",
]
