"""The runtime comparison's "Where slow runtimes spend their time": each runtime more than
SLOW_FACTOR times slower than the fastest FP32 one on a model, with its largest shares of kernel
time and what sets them apart, computed from the operator profiles.
"""

from __future__ import annotations

from ...analysis.findings import REDUCED_SLOWER_FACTOR, ReducedSlower, SlowRuntime
from ...analysis.profiles import SLOW_FACTOR
from ..shared.cells import latency_cell, machine_link, model_link, runtime_name
from ..shared.numbers import format_ratio
from ..shared.page import METHODOLOGY_PATH, Page, bullet_list, entry_path
from ..shared.text import escape_inline, folded
from .profiles import SECTION_ANCHOR, names_text, op_name, row_label, share_text


def slow_runtime_sentence(page: Page, slow: SlowRuntime) -> str:
    """Where a slow runtime's kernel time goes, and what the fastest one has no entry for."""
    label = row_label(page, slow.machine, slow.model, slow.runtime, slow.settings, slow.precision)
    fast_label = row_label(
        page, slow.machine, slow.model, slow.fastest_runtime, slow.fastest_settings, "fp32"
    )
    text = (
        f"{model_link(page, slow.model)} on {machine_link(page, slow.machine)}: "
        f"{escape_inline(label)} takes {latency_cell(slow.p50)}, "
        f"{format_ratio(slow.ratio)} the {latency_cell(slow.fastest_p50)} of "
        f"{escape_inline(fast_label)}, the fastest in FP32. "
    )
    if slow.profile is None:
        reason = slow.unprofiled_why
        text += "No operator profile was recorded for it" + (
            f" ({escape_inline(reason)})." if reason else "."
        )
    else:
        text += "Its largest shares of kernel time: " + ", ".join(
            f"{op_name(op)} {share_text(s)} (≈{latency_cell(s * slow.p50)})" for op, s in slow.top
        )
        clauses = []
        if slow.absent_in_fastest:
            absent = [op_name(op) for op in slow.absent_in_fastest]
            clauses.append(
                f"{escape_inline(fast_label)} has no {names_text(absent, 'or')} entry: the "
                f"graph's {names_text(absent)} nodes run there as part of other operator types"
            )
        if slow.own_types:
            who = escape_inline(runtime_name(page, slow.runtime))
            what = (
                f"is an operator type of {who}'s own, not an ONNX operator of the graph"
                if len(slow.own_types) == 1
                else f"are operator types of {who}'s own, not ONNX operators of the graph"
            )
            clauses.append(f"{names_text([op_name(op) for op in slow.own_types])} {what}")
        text += "".join(f"; {c}" for c in clauses) + "."
    if slow.model_profiled:
        link = page.href(entry_path("models", slow.model)) + f"#{SECTION_ANCHOR}"
        text += f" [Where the time goes]({link})."
    return text


def reduced_slower_sentence(page: Page, found: ReducedSlower) -> str:
    """A reduced precision slower than FP32, and where the kernel time of each goes."""
    label = row_label(
        page, found.machine, found.model, found.runtime, found.settings, found.precision
    )
    fp32 = row_label(page, found.machine, found.model, found.runtime, found.fp32_settings, "fp32")
    text = (
        f"{model_link(page, found.model)} on {machine_link(page, found.machine)}: "
        f"{escape_inline(label)} takes {latency_cell(found.p50)}, {format_ratio(found.ratio)} "
        f"the {latency_cell(found.fp32_p50)} of {escape_inline(fp32)}."
    )
    if found.largest is None:
        return text + " No operator profile was recorded for it."
    op, share = found.largest
    text += (
        f" Its largest share of kernel time: {op_name(op)} {share_text(share)} "
        f"(≈{latency_cell(share * found.p50)})"
    )
    if found.fp32_largest is not None:
        fop, fshare = found.fp32_largest
        text += (
            f"; in FP32, {op_name(fop)} {share_text(fshare)} "
            f"(≈{latency_cell(fshare * found.fp32_p50)})"
        )
    if found.not_in_fp32:
        listed = ", ".join(f"{op_name(o)} {share_text(s)}" for o, s in found.not_in_fp32)
        text += f"; operator types the FP32 row has no entry for: {listed}"
    return text + "."


def reduced_slower_part(page: Page, machines: set[str]) -> str | None:
    sentences = [
        reduced_slower_sentence(page, found)
        for found in page.site.analysis.reduced_slower
        if found.machine in machines
    ]
    if not sentences:
        return None
    intro = (
        "A reduced precision is chosen for speed, yet some rows are more than "
        f"{REDUCED_SLOWER_FACTOR:g}x slower than the same runtime in FP32 on the same model. "
        "Each runtime's profile shows where the time went (≈ times are shares of the median)."
    )
    rows = folded(
        f"{len(sentences)} reduced-precision row(s) slower than FP32", bullet_list(sentences)
    )
    return f"{intro}\n\n{rows}"


def slow_runtimes_section(page: Page, machines: set[str]) -> str:
    sentences = [
        slow_runtime_sentence(page, slow)
        for slow in page.site.analysis.slow_runtimes
        if slow.machine in machines
    ]
    parts = [
        "## Where slow runtimes spend their time",
        (
            f"Each runtime that is more than {SLOW_FACTOR:g}x slower than the fastest FP32 "
            "runtime on a model, with the operator types that take the largest share of its "
            "kernel time in its own profiler (operator names are each runtime's own; "
            f"[how profiles are taken]({page.href(METHODOLOGY_PATH)}#operator-profiles))."
        ),
    ]
    parts.append(
        folded(
            f"{len(sentences)} slow runtime(s) on a model: where the time goes",
            bullet_list(sentences),
        )
        if sentences
        else f"No runtime is more than {SLOW_FACTOR:g}x slower than the fastest FP32 runtime "
        "on any model."
    )
    reduced = reduced_slower_part(page, machines)
    if reduced:
        parts.append(reduced)
    return "\n\n".join(parts)
