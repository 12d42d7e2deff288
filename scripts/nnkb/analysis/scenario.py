"""The throughput scenario beside the latency one: throughput rows paired with their latency
twins, and which scenario ranks a use case on each machine.

The rules, stated once:
- a throughput row is a settings variant of its latency twin (the same settings plus
  `"scenario": "throughput"`); the two are paired by machine, model, runtime and the settings
  without the scenario (frame column `twin_settings`);
- agreement, task accuracy and the precision that ran are measured on the latency twin only,
  so a throughput row's precision verdict is its twin's;
- a use case ranks by the scenario it states (`UseCase.scenario`); on a machine without an ok
  throughput row of any of its candidates, a throughput use case is ranked by latency instead,
  and the pages say so.
"""

from __future__ import annotations

import pandas as pd

from ..results import LATENCY, THROUGHPUT
from .frame import OK, latency_rows

PAIR_KEYS = ["machine", "model", "runtime", "twin_settings"]
# The columns a throughput row takes from its latency twin: the single-stream figures shown
# beside its rate, and the quality measured on the twin only. Every other column is its own.
TWIN_COLUMNS = (
    "p50", "p90", "p99", "mean", "ci95_low", "ci95_high", "n", "converged", "throughput",
    "peak_fraction", "achieved_flops", "precision", "max_abs_error", "max_rel_error",
    "top1_agree", "agree_kind", "agree_inputs", "agree_snr_db", "agree_top1", "agree_top5",
    "agree_cosine_mean", "agree_cosine_min", "agree_spearman_mean", "agree_spearman_min",
    "agree_image_spearman", "agree_box_top1", "max_rel_error_inputs", "cer", "line_accuracy",
    "accuracy_lines", "quantizer", "calibration", "int8_ops", "compute_ops",
)  # fmt: skip
# Per-request latency under the throughput load, kept beside the twin's single-stream figures.
LOAD_COLUMNS = {"p50": "load_p50", "p90": "load_p90", "p99": "load_p99"}


def throughput_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the throughput scenario (none in a frame without the column)."""
    if "scenario" not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame["scenario"] == THROUGHPUT]


def paired_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every throughput row with its latency twin's TWIN_COLUMNS: the single-stream p50 (shown
    beside the rate), the precision, agreement and accuracy; its own status, process spread,
    inferences_per_s, batch and streams. `settings` is the twin's settings key (the row's own
    is `throughput_settings`), and its per-request latency under load is load_p50/p90/p99. A
    throughput row without an ok twin has NaN there (no agreement: a reduced precision is then
    never recommended)."""
    rows = throughput_rows(frame)
    out = rows.assign(
        throughput_settings=rows["settings"],
        settings=rows["twin_settings"],
        **{new: rows[old] for old, new in LOAD_COLUMNS.items()},
    )
    twins = latency_rows(frame)
    twins = twins[twins["status"] == OK].drop_duplicates(PAIR_KEYS).set_index(PAIR_KEYS)
    aligned = twins.reindex(pd.MultiIndex.from_frame(rows[PAIR_KEYS]))
    for col in TWIN_COLUMNS:
        out[col] = pd.array(aligned[col].tolist(), dtype=frame[col].dtype)
    return out


def throughput_ok(frame: pd.DataFrame) -> pd.DataFrame:
    """The ok rows of a paired frame with a measured rate."""
    return frame[(frame["status"] == OK) & frame["inferences_per_s"].notna()]


def best_throughput(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The highest-rate ok row of a paired frame per `keys` group (ties: lower single-stream
    median, runtime, settings)."""
    ok = throughput_ok(frame).assign(_rate=lambda f: -f["inferences_per_s"])
    order = ok.sort_values(keys + ["_rate", "p50", "runtime", "settings"], kind="stable")
    best = order.drop_duplicates(keys, keep="first").drop(columns="_rate")
    return best.reset_index(drop=True)


def twin_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per latency row (PAIR_KEYS), its throughput twin's inferences_per_s, batch and streams:
    what a latency view shows beside the single-stream median."""
    rows = throughput_rows(frame)
    rows = rows[rows["status"] == OK]
    return rows[PAIR_KEYS + ["inferences_per_s", "batch", "streams"]].drop_duplicates(PAIR_KEYS)


def with_twin_rates(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (latency rows of `frame`, or a view of them with PAIR_KEYS) with their
    throughput twins' inferences_per_s, batch and streams; NaN where there is no twin."""
    base = rows.drop(columns=[c for c in ("inferences_per_s", "batch", "streams") if c in rows])
    out = base.merge(twin_rates(frame), on=PAIR_KEYS, how="left")
    out.index = rows.index
    return out


def ranked_scenario(frame: pd.DataFrame, machine: str, stated: str, models: set[str]) -> str:
    """The scenario a use case that states `stated` is ranked by on `machine`: the stated one,
    except throughput on a machine without an ok throughput row of any candidate (latency)."""
    if stated != THROUGHPUT:
        return LATENCY
    rows = throughput_rows(frame)
    rows = rows[(rows["machine"] == machine) & rows["model"].isin(models)]
    has_rate = (rows["status"] == OK) & rows["inferences_per_s"].notna()
    return THROUGHPUT if bool(has_rate.any()) else LATENCY
