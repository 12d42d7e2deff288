"""Numbers for people: latencies, ratios, rates and sizes as short strings.

A missing or non-finite value is shown as "–", so a page never fails on a number.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def missing(value: Any) -> bool:
    """None, NA, NaN or an infinity: nothing a page can print as a number."""
    if value is None or value is pd.NA:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def sig(value: float, digits: int = 3) -> str:
    """`value` with `digits` significant figures, without exponent for ordinary magnitudes."""
    if value == 0 or missing(value):
        return "0" if value == 0 else "–"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def format_latency(seconds: float | None) -> str:
    """Seconds as µs, ms or s with three significant figures: `850 µs`, `12.3 ms`, `1.20 s`."""
    if missing(seconds):
        return "–"
    assert seconds is not None
    if seconds < 1e-3:
        return f"{sig(seconds * 1e6)} µs"
    if seconds < 1:
        return f"{sig(seconds * 1e3)} ms"
    return f"{sig(seconds)} s"


def format_rate(per_second: float | None) -> str:
    """Inferences per second with three significant figures: `512`, `1234` -> `1,230`."""
    if missing(per_second):
        return "–"
    assert per_second is not None
    text = sig(per_second)
    return f"{float(text):,.0f}" if per_second >= 1000 else text


def format_ratio(ratio: float | None) -> str:
    """A speed ratio: `0.75x`, `1.8x`, `12x`."""
    if missing(ratio):
        return "–"
    assert ratio is not None
    if ratio < 1:
        return f"{ratio:.2f}x"
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def format_accuracy(value: float | None, unit: str | None = None) -> str:
    """A cited accuracy as written: `0.92`, `76.1 %`."""
    if missing(value):
        return "not cited"
    return f"{value:g} %" if unit == "%" else f"{value:g}"


def format_flops(flops_per_s: float | None) -> str:
    """FLOP/s in GFLOP/s: `12.3 GFLOP/s`."""
    return "–" if missing(flops_per_s) else f"{sig(float(flops_per_s) / 1e9)} GFLOP/s"  # type: ignore[arg-type]


def format_percent(fraction: float | None) -> str:
    """A fraction as a percentage: `12.3 %`."""
    return "–" if missing(fraction) else f"{sig(float(fraction) * 100)} %"  # type: ignore[arg-type]


def format_bytes(n: float | None) -> str:
    """Bytes in decimal units: `44.0 MB`."""
    if missing(n):
        return "–"
    assert n is not None
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{sig(n / scale)} {unit}"
    return f"{int(n)} B"
