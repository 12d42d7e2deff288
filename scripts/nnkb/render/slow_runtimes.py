"""The runtime comparison's "Where slow runtimes spend their time": each runtime more than
SLOW_FACTOR times slower than the fastest FP32 one on a model, with its largest shares of kernel
time and what sets them apart, computed from the operator profiles.
"""

from __future__ import annotations

import pandas as pd

from .. import analysis
from .cells import (
    latency_cell,
    machine_link,
    model_link,
    precision_name,
)
from .numbers import format_ratio
from .page import METHODOLOGY_PATH, Page, bullet_list, entry_path
from .profiles import (
    NOTABLE_SHARE,
    OTHER,
    SECTION_ANCHOR,
    SLOW_FACTOR,
    Profile,
    _from_graph,
    _has_entry,
    _in_graph,
    _names,
    op_name,
    profiles,
    row_label,
    share_text,
    unprofiled,
)
from .text import escape_inline, folded


def slow_runtime_sentences(page: Page, frame: pd.DataFrame) -> list[str]:
    """For each model and machine, each ok row more than SLOW_FACTOR times slower than the
    fastest FP32 row: where its kernel time goes, and what the fastest one has no entry for."""
    by_key = {(p.machine, p.model, p.runtime, p.settings_key): p for p in profiles(page)}
    why = {
        (u.machine, u.model, u.label): u.why
        for model in sorted(set(frame["model"]))
        for u in unprofiled(page, model)
    }
    ok = frame[(frame["status"] == analysis.OK) & frame["p50"].notna()]
    sentences = []
    for (machine, model), rows in ok.groupby(["machine", "model"], sort=True):
        fp32 = rows[rows["precision"].map(precision_name) == "fp32"]
        if fp32.empty:
            continue
        fastest = fp32.sort_values(["p50", "runtime", "settings"]).iloc[0]
        fast_profile = by_key.get((machine, model, fastest.runtime, fastest.settings))
        fast_label = row_label(page, machine, model, fastest.runtime, fastest.settings)
        for slow in rows.sort_values(["p50", "runtime", "settings"]).itertuples():
            if slow.p50 <= SLOW_FACTOR * fastest.p50:
                continue
            label = row_label(page, machine, model, slow.runtime, slow.settings)
            text = (
                f"{model_link(page, model)} on {machine_link(page, machine)}: "
                f"{escape_inline(label)} takes {latency_cell(slow.p50)}, "
                f"{format_ratio(slow.p50 / fastest.p50)} the "
                f"{latency_cell(fastest.p50)} of {escape_inline(fast_label)}, the fastest in "
                "FP32. "
            )
            profile = by_key.get((machine, model, slow.runtime, slow.settings))
            if profile is None:
                reason = why.get((machine, model, label))
                text += "No operator profile was recorded for it" + (
                    f" ({escape_inline(reason)})." if reason else "."
                )
            else:
                top = [
                    (op, s)
                    for op, s in sorted(profile.shares.items(), key=lambda kv: (-kv[1], kv[0]))
                    if op != OTHER
                ][:3]
                text += "Its largest shares of kernel time: " + ", ".join(
                    f"{op_name(op)} {share_text(s)} (≈{latency_cell(s * slow.p50)})"
                    for op, s in top
                )
                text += slow_clauses(top, profile, fast_profile, fast_label)
                text += "."
            if any(p.machine == machine and p.model == model for p in by_key.values()):
                link = page.href(entry_path("models", model)) + f"#{SECTION_ANCHOR}"
                text += f" [Where the time goes]({link})."
            sentences.append(text)
    return sentences


def slow_clauses(
    top: list[tuple[str, float]], slow: Profile, fast: Profile | None, fast_label: str
) -> str:
    """What sets the slow runtime's largest operator types apart: ONNX operators of the graph
    the fastest runtime has no entry for, and operator types of the slow runtime's own."""
    clauses = []
    if fast is not None:
        absent = [
            op for op, _ in top if _in_graph(op, slow.histogram) and not _has_entry(op, fast.shares)
        ]
        if absent:
            clauses.append(
                f"{escape_inline(fast_label)} has no "
                f"{_names([op_name(op) for op in absent], 'or')} entry: the graph's "
                f"{_names([op_name(op) for op in absent])} nodes run there as part of other "
                "operator types"
            )
    own = [op for op, s in top if s >= NOTABLE_SHARE and not _from_graph(op, slow.histogram)]
    if own and slow.histogram:
        who = escape_inline(slow.runtime_name)
        what = (
            f"is an operator type of {who}'s own, not an ONNX operator of the graph"
            if len(own) == 1
            else f"are operator types of {who}'s own, not ONNX operators of the graph"
        )
        clauses.append(f"{_names([op_name(op) for op in own])} {what}")
    return "".join(f"; {c}" for c in clauses)


def slow_runtimes_section(page: Page, frame: pd.DataFrame) -> str:
    sentences = slow_runtime_sentences(page, frame)
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
    return "\n\n".join(parts)
