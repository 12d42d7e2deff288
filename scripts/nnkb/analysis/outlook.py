"""What the KB says about a use case on each hardware class, measured here or not.

For every class: whether nnkb measured it, the use case's notes about it, the current runtimes
that target it ordered by relevance, and the best published (cited) figures for the use
case's models or their closest entries. Cited figures come from kb/cited/ (nnkb.cited) and
are never mixed into the results frame: they are other people's measurements.

Relevance, stated once: a runtime with more published figures on the class comes first (the
vendor's own runtime is the one vendors publish with); then inference runtimes before training
frameworks; then the runtime that targets fewer classes (a runtime made for the class before a
general one); the name only breaks ties. A framework whose status is not active or
maintenance (merged, discontinued) is never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from nnkb.cited import CitedFigure, CitedTable
from nnkb.kb import KB, Claim, Framework

from .ranking import adapters_of, use_case_of

CURRENT_STATUSES = frozenset({"active", "maintenance"})
_LATENCY_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


@dataclass(frozen=True)
class RuntimeChoice:
    """A current runtime that targets a hardware class, with what ranks it."""

    framework: str
    runs_onnx: bool
    cited_figures: int  # published figures on the class that use it
    benchmarked: bool  # nnkb has a benchmark adapter for it


@dataclass(frozen=True)
class HardwareOutlook:
    """What the KB says about running a use case on one hardware class."""

    hardware: str
    name: str
    category: str | None
    measured: bool  # whether a machine of this class is in the results
    machines: tuple[str, ...]  # labels of the measured machines of this class
    notes: tuple[Claim, ...]  # the use case's hardware_notes for this class
    runtimes: tuple[str, ...]  # current runtimes that run ONNX files here, by relevance
    benchmarked_runtimes: tuple[str, ...]  # the subset that has a benchmark adapter
    choices: tuple[RuntimeChoice, ...] = ()  # every current runtime targeting it, by relevance
    figures: tuple[CitedFigure, ...] = ()  # best cited figure per model and kind
    precisions: tuple[str, ...] = ()  # the class's native precisions (hardware entry)


def is_current(framework: Framework) -> bool:
    """Whether a framework may be offered as a choice today (not merged or discontinued)."""
    return framework.status in CURRENT_STATUSES


def all_figures(tables: Iterable[CitedTable]) -> list[CitedFigure]:
    return [f for t in tables for f in t.figures]


def runtime_choices(
    kb: KB, hardware: str, figures: Sequence[CitedFigure] = ()
) -> list[RuntimeChoice]:
    """The current runtimes that target `hardware`, most relevant first (module docstring)."""
    counts: dict[str, int] = {}
    for figure in figures:
        if figure.hardware == hardware and figure.framework:
            counts[figure.framework] = counts.get(figure.framework, 0) + 1
    found = [f for f in kb.frameworks.values() if hardware in f.hardware and is_current(f)]
    found.sort(
        key=lambda f: (
            -counts.get(f.id, 0),
            f.kind != "inference-runtime",
            len(f.hardware),
            f.name.casefold(),
        )
    )
    return [
        RuntimeChoice(f.id, f.onnx_runs, counts.get(f.id, 0), bool(adapters_of(f))) for f in found
    ]


def speed(figure: CitedFigure) -> float:
    """A figure as 'higher is faster' in SI units: inferences per second, or minus seconds."""
    if figure.kind == "latency":
        return -figure.value * _LATENCY_SECONDS.get(figure.unit, 1.0)
    return figure.value


# Which statistic a latency comparison uses when a class's figures give several: the first of
# these that any of them gives. Figures of one statistic are only compared with each other, so a
# p90 never competes with a median; a figure whose source does not say comes after both kinds
# of central value, and tails and minimums last.
STATISTIC_ORDER = ("median", "mean", "unstated", "p90", "p99", "min", "aggregate")
FASTEST_RULE = (
    "Fastest published latency: among a class's figures for the use case's models, only those "
    "of one statistic are compared (medians if any source gives one, else means, else figures "
    "whose statistic is not stated, then p90, p99, minimum), and the lowest time per inference "
    "wins. Fastest published throughput: the highest rate per second, at whatever batch the "
    "source used (the batch is shown). A latency is never compared with a throughput."
)


def statistic_rank(statistic: str) -> int:
    return (
        STATISTIC_ORDER.index(statistic) if statistic in STATISTIC_ORDER else len(STATISTIC_ORDER)
    )


def fastest(figures: Iterable[CitedFigure]) -> CitedFigure | None:
    """The fastest of figures of one kind, by FASTEST_RULE; ties go to the earlier figure."""
    pool = list(figures)
    if not pool:
        return None
    kinds = {f.kind for f in pool}
    if len(kinds) > 1:
        raise ValueError("a latency is never compared with a throughput")
    if kinds == {"latency"}:
        first = min(statistic_rank(f.statistic) for f in pool)
        pool = [f for f in pool if statistic_rank(f.statistic) == first]
    return max(pool, key=speed)  # max keeps the first of equals


def best_figures(
    figures: Iterable[CitedFigure], hardware: str, models: Iterable[str]
) -> list[CitedFigure]:
    """Per model (or its closest entry) and kind (latency, throughput), the fastest published
    figure on `hardware` by FASTEST_RULE; ordered by the order of `models`, latency first.

    "Fastest" only picks which of a source's figures to show: figures from different sources
    ran on different devices and harnesses, and are never ranked against nnkb's measurements.
    """
    order = {m: i for i, m in enumerate(models)}
    groups: dict[tuple[str, str], list[CitedFigure]] = {}
    for figure in figures:
        ref = figure.model_ref
        if figure.hardware != hardware or ref not in order:
            continue
        groups.setdefault((ref, figure.kind), []).append(figure)
    keys = sorted(groups, key=lambda k: (order[k[0]], k[1] != "latency"))
    return [f for k in keys if (f := fastest(groups[k])) is not None]


def fastest_of_kind(figures: Sequence[CitedFigure], kind: str) -> CitedFigure | None:
    """The fastest figure of one kind among a class's best figures (the home grid's cell)."""
    return fastest(f for f in figures if f.kind == kind)


def hardware_outlook(
    kb: KB,
    use_case_id: str,
    frame: pd.DataFrame | None = None,
    cited: Sequence[CitedTable] = (),
) -> list[HardwareOutlook]:
    """For every hardware class (KB order by id), the use case's notes, the runtimes and the
    best cited figures for its candidate models.

    Classes named only in the use case's hardware_notes are included too. With `frame`, each
    entry says whether (and on which machines) the class was measured.
    """
    use_case = use_case_of(kb, use_case_id)
    notes: dict[str, list[Claim]] = {}
    for hardware, claim in use_case.hardware_notes:
        notes.setdefault(hardware, []).append(claim)
    measured: dict[str, list[str]] = {}
    if frame is not None and not frame.empty:
        for hardware, label in _machines_by_hardware(frame):
            measured.setdefault(hardware, []).append(label)
    figures = all_figures(cited)
    models = [m.id for m in kb.models_for(use_case.id)]
    outlook = []
    for hardware in sorted(set(kb.hardware) | set(notes)):
        entry = kb.hardware.get(hardware)
        choices = runtime_choices(kb, hardware, figures)
        onnx = tuple(c.framework for c in choices if c.runs_onnx)
        outlook.append(
            HardwareOutlook(
                hardware=hardware,
                name=entry.name if entry else hardware,
                category=entry.category if entry else None,
                measured=hardware in measured,
                machines=tuple(measured.get(hardware, [])),
                notes=tuple(notes.get(hardware, [])),
                runtimes=onnx,
                benchmarked_runtimes=tuple(c.framework for c in choices if c.benchmarked),
                choices=tuple(choices),
                figures=tuple(best_figures(figures, hardware, models)),
                precisions=tuple(entry.precisions) if entry else (),
            )
        )
    return outlook


def _machines_by_hardware(frame: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = frame[["hardware", "machine", "machine_label"]].dropna(subset=["hardware"])
    pairs = pairs.drop_duplicates("machine").sort_values("machine")
    return list(zip(pairs["hardware"], pairs["machine_label"]))
