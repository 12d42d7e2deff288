"""What one site build decides, decided once: every page and download reads this object, so
the pick on the home page, the use case page and the indexes is one answer, not four calls
that happen to agree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..kb import KB
from .pipeline import PipelineTimes, pipeline_times
from .recommend import Recommendation, recommend


@dataclass
class SiteAnalysis:
    """The decisions of one build over `frame` (every row, both scenarios)."""

    kb: KB
    frame: pd.DataFrame

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
