"""The precision part of a recommendation in words: the precision the pick ran in and the
agreement that let it count, the instruction sets it relied on with the choice for a CPU
without them, and the faster rows that were left out ("faster, accuracy not within
tolerance") with their figures. Plain text; the use case page escapes it.
"""

from __future__ import annotations

from ...analysis import Candidate, PrecisionMiss, Recommendation
from ...analysis.precision import NO_TOLERANCE, NOT_MEASURED, RANDOM_WEIGHTS, precision_name
from .metrics import metric
from .names import Names
from .numbers import format_latency, format_rate, format_ratio

# What each fast path is, for a reader who knows the feature names only.
FEATURE_WORDS = {
    "avx512_bf16": "AVX512_BF16",
    "amx_bf16": "AMX-BF16",
    "avx512_vnni": "AVX512_VNNI",
    "avx_vnni": "AVX-VNNI",
    "amx_int8": "AMX-INT8",
    "avx512_fp16": "AVX512_FP16",
    "amx_fp16": "AMX-FP16",
    "i8mm": "i8mm",
    "asimddp": "dot product (asimddp)",
    "bf16": "Arm BF16",
    "asimdhp": "Arm FP16 (asimdhp)",
    "fphp": "Arm FP16 (fphp)",
    "avx512f": "AVX-512",
    "avx2": "AVX2",
    "asimd": "NEON",
    "neon": "NEON",
    "sve": "SVE",
}


def precision_label(value: object) -> str:
    """'BF16', 'INT8', 'FP32' ('unknown precision' when the row has none)."""
    name = precision_name(value)
    return name.upper() if name else "unknown precision"


def metric_value(key: str | None, value: float | None) -> str:
    """A tolerance metric's value as a page writes it (render/shared/metrics.py)."""
    return "–" if key is None else metric(key).value_text(value)


def metric_words(key: str | None) -> str:
    """'top-1 agreement', 'signal-to-noise ratio'."""
    return metric(key).words


def tolerance_text(rec: Recommendation) -> str:
    """'top-1 agreement ≥ 99 %' or 'character error rate added ≤ 1 points'."""
    if rec.tolerance_metric is None:
        return "no tolerance stated"
    found = metric(rec.tolerance_metric)
    return f"{found.words} {found.bound} {found.value_text(rec.tolerance_threshold)}"


def features_text(features: tuple[str, ...]) -> str:
    names = [FEATURE_WORDS.get(f, f) for f in features]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _who(c: Candidate, names: Names) -> str:
    return f"{c.model_name} on {names.runtime(c.runtime)} in {precision_label(c.precision)}"


def pick_precision(rec: Recommendation) -> list[str]:
    """What the pick ran in and, for a reduced precision, the agreement that let it count."""
    pick = rec.pick
    if pick is None:
        return []
    label = precision_label(pick.precision)
    if precision_name(pick.precision) in (None, "fp32"):
        return [
            f"{pick.model_name} runs in {label} there, the precision the cited accuracy is for."
        ]
    words = metric_words(rec.tolerance_metric)
    return [
        (
            f"{pick.model_name} runs in {label} there: its measured {words} of "
            f"{metric_value(rec.tolerance_metric, pick.tolerance_value)} is within the use "
            f"case's tolerance ({tolerance_text(rec)})."
        )
    ]


def needs_sentences(rec: Recommendation, names: Names) -> list[str]:
    """The instruction sets the pick relied on, and the choice for a CPU without them."""
    pick = rec.pick
    if pick is None:
        return []
    if not pick.needs:
        units = features_text(rec.fp32_units) if rec.fp32_units else "the FP32 vector units"
        plain = (
            f"It needs no bf16 or int8 instructions, only the FP32 units this machine has "
            f"({units}); a CPU without bf16 or int8 instructions runs the same choice."
        )
        return [plain]
    relies = (
        f"It relies on {features_text(pick.needs)} ({precision_label(pick.precision)} "
        "kernels), which this machine has and many laptop and desktop CPUs lack."
    )
    out = [relies]
    fallback = rec.fallback
    if fallback is None or fallback.p50 is None:
        out.append("No choice measured here runs without them.")
    else:
        times = rec.fallback_times
        how = "the same median" if times == 1 else f"{format_ratio(times)} the time"
        out.append(
            f"On a CPU without them, the fastest choice is {_who(fallback, names)} at "
            f"{format_latency(fallback.p50)} ({how})."
        )
    return out


# How every page words a reduced-precision row of an architecture-only (random-weight) model.
ACCURACY_NOT_MEASURABLE = "its accuracy cost is not measurable on random weights"


def miss_note(rec: Recommendation, miss: PrecisionMiss, names: Names) -> str:
    """'x on y in INT8 is faster at 2 ms, accuracy not within tolerance (top-1 agreement 91 %
    against ≥ 99 %)'."""
    model, runtime = names.model(miss.model), names.runtime(miss.runtime)
    who = f"{model} on {runtime} in {precision_label(miss.precision)}"
    lead = f"{who} is faster at {format_latency(miss.p50)}"
    if miss.inferences_per_s is not None:  # the throughput scenario ranked the machine
        lead = f"{who} sustains more, {format_rate(miss.inferences_per_s)} inferences per second"
    if miss.verdict == NOT_MEASURED:
        return f"{lead}, but its agreement with FP32 was not measured, so it is not recommended"
    if miss.verdict == RANDOM_WEIGHTS:
        return f"{lead}, but {ACCURACY_NOT_MEASURABLE}"
    if miss.verdict == NO_TOLERANCE:
        return f"{lead}, but the use case states no tolerance for a reduced precision"
    words = metric_words(rec.tolerance_metric)
    return (
        f"{lead}, accuracy not within tolerance ({words} "
        f"{metric_value(rec.tolerance_metric, miss.value)} against {tolerance_text(rec)})"
    )


def misses_sentence(rec: Recommendation, names: Names) -> list[str]:
    if not rec.not_within:
        return []
    return [
        "Faster, not recommended: "
        + "; ".join(miss_note(rec, m, names) for m in rec.not_within)
        + "."
    ]


def rejected_words(use_case_names: list[str]) -> str:
    """How a summary marks a row some use case may not recommend for the precision it ran in:
    'rejected: outside the accuracy tolerance of Anomaly detection'; '' when none rejects it."""
    if not use_case_names:
        return ""
    return f"rejected: outside the accuracy tolerance of {' and '.join(use_case_names)}"
