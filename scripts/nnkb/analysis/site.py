"""What one site build decides, decided once: every page and download reads this object, so
the pick on the home page, the use case page and the indexes is one answer, not four calls
that happen to agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ..kb import KB
from ..results import ResultsFile
from .findings import (
    Disagreement,
    FailureHint,
    ReducedSlower,
    SlowRuntime,
    disagreements,
    failure_hints,
    reduced_slower,
    slow_runtimes,
    variant_speedups,
)
from .pipeline import PipelineTimes, pipeline_times
from .profiles import Profiles
from .recommend import Recommendation, recommend
from .runtimes import load_failures


@dataclass
class SiteAnalysis:
    """The decisions of one build over `frame` (every row, both scenarios), the results files
    it was made from and `reference`, the runtime speed-ups and agreement are measured against."""

    kb: KB
    frame: pd.DataFrame
    results_files: list[ResultsFile] = field(default_factory=list)
    reference: str = ""

    @cached_property
    def recommendations(self) -> dict[str, list[Recommendation]]:
        """Per use case id, one recommendation per measured machine (analysis.recommend)."""
        if self.frame.empty:
            return {use_case: [] for use_case in self.kb.use_cases}
        return {
            use_case: recommend(self.kb, self.frame, use_case) for use_case in self.kb.use_cases
        }

    @cached_property
    def pipelines(self) -> dict[str, list[PipelineTimes]]:
        """Per use case id with pipeline stages, each machine's stages and totals."""
        return {
            use_case: pipeline_times(self.kb, self.frame, use_case, recs)
            for use_case, recs in self.recommendations.items()
        }

    @cached_property
    def profiles(self) -> Profiles:
        """Every ok latency row's operator profile, and the ok rows without one."""
        return Profiles.of(self.results_files)

    @cached_property
    def slow_runtimes(self) -> list[SlowRuntime]:
        """Rows more than SLOW_FACTOR times slower than their model's fastest FP32 row."""
        return slow_runtimes(self.frame, self.profiles)

    @cached_property
    def reduced_slower(self) -> list[ReducedSlower]:
        """Reduced-precision rows slower than their runtime's FP32 row."""
        return reduced_slower(self.frame, self.profiles)

    @cached_property
    def variant_speedups(self) -> pd.DataFrame:
        """Every latency row's speed-up over the reference runtime's best median."""
        return variant_speedups(self.frame, self.reference)

    @cached_property
    def disagreements(self) -> list[Disagreement]:
        """Ok FP32 rows whose outputs differ notably from the reference run's."""
        return disagreements(self.frame, self.reference)

    @cached_property
    def failure_hints(self) -> dict[str, list[FailureHint]]:
        """Per runtime that failed on some model, what those models have that the ones it
        ran lack."""
        failures = load_failures(self.frame)
        return {
            runtime: failure_hints(
                self.kb,
                self.frame,
                self.results_files,
                runtime,
                sorted(failures.loc[failures["runtime"] == runtime, "model"].unique()),
            )
            for runtime in sorted(failures["runtime"].unique())
        }
