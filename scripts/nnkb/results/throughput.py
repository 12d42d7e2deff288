"""The throughput scenario of a row: how many inferences per second the machine sustained with
every core busy, and how the runtime got there. Part of the results types (model.py
re-exports them); a throughput row is its latency twin's settings plus `"scenario":
"throughput"`, and its `latency` holds the per-request latency under that load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .machine import Json

# The settings key that makes a row a throughput row; absent means latency.
SCENARIO = "scenario"
LATENCY = "latency"
THROUGHPUT = "throughput"


def scenario_of(settings: dict[str, Any]) -> str:
    """The scenario a row's settings ask for: "latency" (the default) or "throughput"."""
    return str(settings.get(SCENARIO, LATENCY))


@dataclass(frozen=True)
class Trial:
    """One configuration the search measured for a short window: `batch` inputs per request,
    `streams` requests in flight (parallel sessions), `threads` per stream (None where the
    runtime does not take it)."""

    batch: int
    streams: int
    threads: int | None
    inferences_per_s: float

    @classmethod
    def from_json(cls, obj: Json) -> Trial:
        return cls(obj["batch"], obj["streams"], obj["threads"], obj["inferences_per_s"])

    def to_json(self) -> Json:
        return {
            "batch": self.batch,
            "streams": self.streams,
            "threads": self.threads,
            "inferences_per_s": self.inferences_per_s,
        }


@dataclass(frozen=True)
class Throughput:
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

    @classmethod
    def from_json(cls, obj: Json) -> Throughput:
        search = obj.get("search")
        return cls(
            obj["inferences_per_s"],
            obj["batch"],
            obj["streams"],
            obj["threads"],
            obj["duration_s"],
            obj["inferences"],
            obj["method"],
            None if search is None else tuple(Trial.from_json(t) for t in search),
        )

    def to_json(self) -> Json:
        return {
            "inferences_per_s": self.inferences_per_s,
            "batch": self.batch,
            "streams": self.streams,
            "threads": self.threads,
            "duration_s": self.duration_s,
            "inferences": self.inferences,
            "method": self.method,
            "search": None if self.search is None else [t.to_json() for t in self.search],
        }


def best_trial(trials: tuple[Trial, ...] | list[Trial]) -> Trial | None:
    """The trial with the most inferences per second; on a tie the first (the smaller batch
    and fewer streams, as the search lists them), None for no trials."""
    best = None
    for trial in trials:
        if best is None or trial.inferences_per_s > best.inferences_per_s:
            best = trial
    return best
