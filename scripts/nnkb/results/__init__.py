"""Results files, kb/results/<machine-id>.json: typed rows (model.py), the one reader and the
atomic, locked writer (io.py), the checks `nnkb validate` shares (check.py), and the one-off
migration of format-1 files (`python -m nnkb.results.migrate FILE...`)."""

from .check import check_results_file
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
from .quality import Throughput, ThroughputPoint

__all__ = [
    "FORMAT_VERSION",
    "GENERATED_BY",
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
    "ThroughputPoint",
    "Verification",
    "canonical_json",
    "check_results_file",
    "load_all",
    "lock_path",
    "locked",
    "read",
    "write_atomic",
]
