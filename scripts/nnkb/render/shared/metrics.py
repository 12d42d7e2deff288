"""One definition of every agreement and accuracy metric a page names: its words in a
sentence, its short name in a table, and how its value is written. Tables, sentences, the
recommendation and the charts all read METRICS, so a cosine reads the same on every page."""

from __future__ import annotations

from dataclasses import dataclass

from .numbers import missing, sig


@dataclass(frozen=True)
class Metric:
    key: str  # the name the results and the KB use (agree_metric, precision_tolerance.metric)
    words: str  # in a sentence: "top-1 agreement"
    short: str  # in a table cell, before its value: "top-1"
    unit: str = ""  # "%" (a fraction shown in per cent), "dB", "points" or ""
    # Whether a smaller value is better (a tolerance is then an upper bound).
    lower_is_better: bool = False

    def value_text(self, value: float | None) -> str:
        """'99 %', '0.9987', '31.2 dB', '0.5 points'; '–' when there is no value."""
        if value is None or missing(value):
            return "–"
        value = float(value)
        if self.unit == "%":
            return f"{sig(value * 100)} %"
        if self.unit:
            return f"{sig(value)} {self.unit}"
        return f"{value:.4f}"

    def cell(self, value: float | None) -> str:
        """'top-1 99.2 %', 'lowest cosine 0.9987': a table cell naming the metric."""
        return f"{self.short} {self.value_text(value)}"

    @property
    def bound(self) -> str:
        """How a tolerance bounds it: '≥', or '≤' for a metric where less is better."""
        return "≤" if self.lower_is_better else "≥"


# fmt: off
METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("top1", "top-1 agreement", "top-1", "%"),
    Metric("top5", "top-5 agreement", "top-5", "%"),
    Metric("cosine_min", "lowest cosine similarity", "lowest cosine"),
    Metric("cosine_mean", "mean cosine similarity", "mean cosine"),
    Metric("spearman_min", "lowest rank correlation (Spearman)", "lowest Spearman"),
    Metric("spearman_mean", "mean rank correlation (Spearman)", "mean Spearman"),
    Metric("image_spearman", "rank correlation of image scores (Spearman)", "image Spearman"),
    Metric("box_f1", "box agreement with FP32 (F1 of matched boxes)", "box F1"),
    Metric("snr_db", "signal-to-noise ratio", "SNR", "dB"),
    Metric("cer_points", "character error rate added", "CER added", "points", True),
    Metric("line_accuracy_points", "line accuracy lost", "line accuracy lost", "points", True),
)}
# fmt: on


def metric(key: str | None) -> Metric:
    """The metric of that key; an unknown key is named by itself (a results file newer than
    this code), and None is "agreement"."""
    if key is None:
        return Metric("agreement", "agreement", "agreement")
    return METRICS.get(key, Metric(key, key, key))
