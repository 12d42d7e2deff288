"""Analysis stage: the results and the KB in, data out (pandas DataFrames and dataclasses).

Nothing here knows about Markdown or pages; `nnkb.render` words and lays out what these
functions return, and the notebook reads the same frame.

- `frame`: `results_frame` (one row per result row of every machine, raw SI values, with the
  derived columns computed here: throughput, achieved FLOP/s, fraction of the measured peak),
  `usual_settings` and `settings_difference` (a row's settings against its runtime's usual ones);
- `ranking`: `use_case_ranking`, `pareto_front`, `cited_accuracy`;
- `outlook`: `hardware_outlook` (per hardware class: runtimes by relevance, best cited
  figures), `runtime_choices`, `best_figures`, `is_current`;
- `precision`: `precision_frame` (which rows a use case may recommend by the precision they
  ran in, and the instruction sets each relied on), `precision_name`, `needed_features`;
- `recommend`: `recommend` (per machine, what to run for a use case, why, and the alternatives);
- `runtimes`: `runtime_speedups`, `load_failures` (failed rows only), `not_applicable`,
  `machine_efficiency`;
- `scenario`: `paired_frame` (throughput rows with their latency twins' quality and
  single-stream figures), `best_throughput`, `with_twin_rates`, `ranked_scenario`; every
  latency view takes `latency_rows` only.
"""

from ..results import LATENCY, THROUGHPUT
from .frame import (
    OK,
    RESULT_COLUMNS,
    best_ok,
    latency_rows,
    machines,
    results_frame,
    settings_difference,
    settings_key,
    usual_settings,
)
from .outlook import (
    HardwareOutlook,
    RuntimeChoice,
    best_figures,
    hardware_outlook,
    is_current,
    runtime_choices,
)
from .ranking import (
    cited_accuracy,
    pareto_front,
    use_case_ranking,
)
from .recommend import (
    NO_CANDIDATES,
    NO_CITED_ACCURACY,
    NO_FLOOR,
    NONE_MEETS_FLOOR,
    NOTHING_RAN_OK,
    RECOMMENDED,
    Alternative,
    Candidate,
    PrecisionMiss,
    Recommendation,
    RuntimeTime,
    recommend,
)
from .runtimes import load_failures, machine_efficiency, not_applicable, runtime_speedups
from .scenario import paired_frame, throughput_rows

__all__ = [
    "LATENCY",
    "NONE_MEETS_FLOOR",
    "NOTHING_RAN_OK",
    "NO_CANDIDATES",
    "NO_CITED_ACCURACY",
    "NO_FLOOR",
    "OK",
    "RECOMMENDED",
    "RESULT_COLUMNS",
    "THROUGHPUT",
    "Alternative",
    "Candidate",
    "HardwareOutlook",
    "PrecisionMiss",
    "Recommendation",
    "RuntimeChoice",
    "RuntimeTime",
    "best_figures",
    "best_ok",
    "cited_accuracy",
    "hardware_outlook",
    "is_current",
    "latency_rows",
    "load_failures",
    "machine_efficiency",
    "machines",
    "not_applicable",
    "paired_frame",
    "pareto_front",
    "recommend",
    "results_frame",
    "runtime_choices",
    "runtime_speedups",
    "settings_difference",
    "settings_key",
    "throughput_rows",
    "use_case_ranking",
    "usual_settings",
]
