"""The throughput scenario of a row: how many inferences per second the machine sustained with
every core busy, and how the runtime got there. Part of the results types (model.py
re-exports them); a throughput row is its latency twin's settings plus `"scenario":
"throughput"`, and its `latency` holds the per-request latency under that load."""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import Record, Settings

# The settings key that makes a row a throughput row; absent means latency.
SCENARIO = "scenario"
LATENCY = "latency"
THROUGHPUT = "throughput"


def scenario_of(settings: Settings) -> str:
    """The scenario a row's settings ask for: "latency" (the default) or "throughput"."""
    return str(settings.get(SCENARIO, LATENCY))


@dataclass(frozen=True)
class Trial(Record):
    """One configuration the search measured for a short window: `batch` inputs per request,
    `streams` requests in flight (parallel sessions), `threads` per stream (None where the
    runtime does not take it)."""

    batch: int
    streams: int
    threads: int | None
    inferences_per_s: float


@dataclass(frozen=True)
class Throughput(Record):
    """What one process measured in the throughput scenario: `inferences` completed (each
    item of a batch is one) in a window of `duration_s` with the chosen configuration, and
    the trials of the search that chose it (None when the runtime chose itself)."""

    inferences_per_s: float
    batch: int
    streams: int
    threads: int | None
    duration_s: float
    inferences: int
    method: str
    search: tuple[Trial, ...] | None = None


def best_trial(trials: tuple[Trial, ...] | list[Trial]) -> Trial | None:
    """The trial with the most inferences per second; on a tie the first (the smaller batch
    and fewer streams, as the search lists them), None for no trials."""
    best = None
    for trial in trials:
        if best is None or trial.inferences_per_s > best.inferences_per_s:
            best = trial
    return best
