"""Where the inference time goes: the operator profiles `nnkb bench` records on ok rows, and
what the pages say about them, decided here once.

Each runtime reports kernel time under its own operator names (ONNX Runtime's ReorderInput
and FusedConv, OpenVINO's Convolution with the activation fused into it, OpenCV's Conv2), so
comparisons are of shares, not of names one to one. This module finds, per model and machine:
an ONNX operator of the graph that one runtime times on its own while another has no entry of
that name (`graph_operator_findings`), the operator types of a slow runtime's own
(`own_type_findings`), each profile's largest share and the kernels it names. `nnkb.render`
words them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..results import LATENCY, ResultsFile
from .frame import settings_key
from .precision import precision_name

OTHER = "other"
# An operator type takes part in a finding from this share of a runtime's kernel time on.
NOTABLE_SHARE = 0.10
# A runtime's own operator types are listed from this share each, when they add up to
# NOTABLE_SHARE or more.
OWN_TYPE_SHARE = 0.05
# Rows of a profile table: operator types with at least this share in some runtime; the others
# are added to each runtime's "other".
SHOWN_SHARE = 0.02
# A runtime this many times slower than the fastest FP32 one on a model is a slow runtime: the
# runtime comparison says where its time goes, and the model page lists its own operator types.
SLOW_FACTOR = 2.0


@dataclass(frozen=True)
class Profile:
    """One ok latency row's operator profile: shares of kernel time by the runtime's own
    operator names, the kernels it names, and the graph's ONNX operator counts."""

    machine: str
    model: str
    runtime: str
    settings_key: str
    p50: float | None
    precision: str | None
    shares: dict[str, float]
    kernels: dict[str, str] = field(default_factory=dict)
    runs: int | None = None
    histogram: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.machine, self.model, self.runtime, self.settings_key)

    def top_shares(self, limit: int) -> list[tuple[str, float]]:
        """The largest named shares (never OTHER), largest first, ties by name."""
        ranked = sorted(self.shares.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(op, s) for op, s in ranked if op != OTHER][:limit]

    def largest_share(self) -> tuple[str, float]:
        """The operator type with the largest share; OTHER only when nothing else is named."""
        return max(
            ((k, s) for k, s in self.shares.items() if k != OTHER),
            key=lambda kv: kv[1],
            default=(OTHER, self.shares.get(OTHER, 0.0)),
        )

    def named_kernels(self, limit: int = 3) -> list[tuple[str, str]]:
        """(operator type, kernel) for its largest operator types that name a kernel."""
        ranked = sorted(self.shares.items(), key=lambda kv: -kv[1])
        return [(op, self.kernels[op]) for op, _ in ranked if op in self.kernels][:limit]


@dataclass(frozen=True)
class Unprofiled:
    """An ok latency row without a profile, and why (its op_profile_source), if it says."""

    machine: str
    model: str
    runtime: str
    settings_key: str
    why: str | None


@dataclass(frozen=True)
class Profiles:
    """Every profiled ok latency row of a build, and the ok rows without a profile."""

    profiled: tuple[Profile, ...]
    unprofiled: tuple[Unprofiled, ...]

    @classmethod
    def of(cls, results_files: Iterable[ResultsFile]) -> Profiles:
        profiled, missing = [], []
        for results in results_files:
            machine = results.machine.id
            for row in results.rows:
                if not row.ok or row.scenario != LATENCY:  # a throughput twin is never profiled
                    continue
                key = settings_key(row.settings)
                if not row.op_profile:
                    missing.append(
                        Unprofiled(
                            machine, row.model, row.runtime, key, _why(row.op_profile_source)
                        )
                    )
                    continue
                profiled.append(
                    Profile(
                        machine=machine,
                        model=row.model,
                        runtime=row.runtime,
                        settings_key=key,
                        p50=row.latency.p50 if row.latency else None,
                        precision=precision_name(row.precision),
                        shares={str(k): float(v) for k, v in row.op_profile.items()},
                        kernels=dict(row.op_profile_kernels or {}),
                        runs=row.op_profile_runs,
                        histogram=dict(row.op_histogram or {}),
                    )
                )
        return cls(tuple(profiled), tuple(missing))

    def of_model(self, model: str) -> list[Profile]:
        return [p for p in self.profiled if p.model == model]

    def unprofiled_of(self, model: str) -> list[Unprofiled]:
        found = [u for u in self.unprofiled if u.model == model]
        return sorted(found, key=lambda u: (u.machine, u.runtime, u.settings_key))

    def by_key(self) -> dict[tuple[str, str, str, str], Profile]:
        return {p.key: p for p in self.profiled}


def _why(source: object) -> str | None:
    """A row's reason for having no profile, without the "not profiled:" it starts with."""
    if not isinstance(source, str) or not source.strip():
        return None
    text = source.strip()
    prefix = "not profiled:"
    return text[len(prefix) :].strip() if text.casefold().startswith(prefix) else text


# --- operator names across runtimes -----------------------------------------------------------


def related(a: str, b: str) -> bool:
    """Operator names of one family: one starts with the other, case and a version number at
    the end aside (OpenCV's Conv2, OpenVINO's Convolution and the graph's Conv)."""
    a, b = a.casefold().rstrip("0123456789"), b.casefold().rstrip("0123456789")
    return bool(a and b) and (a.startswith(b) or b.startswith(a))


def has_entry(op: str, shares: dict[str, float]) -> bool:
    """Whether a profile has an entry of this operator, under its name or a related one."""
    return any(related(op, k) for k in shares if k != OTHER)


def from_graph(op: str, histogram: dict[str, int]) -> bool:
    """Whether a runtime's operator type names one of the graph's ONNX operators (or one is a
    prefix of the other: Conv and Convolution)."""
    return any(related(op, g) for g in histogram)


def in_graph(op: str, histogram: dict[str, int]) -> bool:
    """Whether `op` is the name of one of the graph's ONNX operators (case aside)."""
    return op.casefold() in {g.casefold() for g in histogram}


def share_of(op: str, shares: dict[str, float]) -> float | None:
    """The share of the entry named exactly `op` (case aside), if there is one."""
    folded = op.casefold()
    return next((s for k, s in shares.items() if k.casefold() == folded), None)


# --- findings over the profiles of one model on one machine ------------------------------------


@dataclass(frozen=True)
class GraphOperatorFinding:
    """An ONNX operator of the graph with a notable share in some runtime, while `missing`
    runtimes have no entry of it: they ran its nodes as part of other operator types."""

    op: str
    nodes: int
    top: Profile
    top_share: float
    having: tuple[tuple[Profile, float], ...]  # largest share first
    missing: tuple[Profile, ...]


def graph_operator_findings(rows: list[Profile], limit: int = 2) -> list[GraphOperatorFinding]:
    histogram: dict[str, int] = {}
    for profile in rows:
        histogram.update(profile.histogram)
    found = []
    for op, count in histogram.items():
        having = [(p, s) for p in rows if (s := share_of(op, p.shares)) is not None]
        if not having:
            continue
        top, top_share = max(having, key=lambda ps: ps[1])
        missing = tuple(p for p in rows if not has_entry(op, p.shares))
        if top_share >= NOTABLE_SHARE and missing:
            ordered = tuple(sorted(having, key=lambda ps: -ps[1]))
            found.append(GraphOperatorFinding(op, count, top, top_share, ordered, missing))
    return sorted(found, key=lambda f: (-f.top_share, f.op))[:limit]


@dataclass(frozen=True)
class OwnTypeFinding:
    """A runtime more than SLOW_FACTOR times slower than the fastest profile here, and its
    operator types that are not ONNX operators of the graph (layout conversions, for one)."""

    profile: Profile
    own: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        return sum(s for _, s in self.own)


def own_type_findings(rows: list[Profile]) -> list[OwnTypeFinding]:
    medians = [p.p50 for p in rows if p.p50]
    fastest = min(medians) if medians else None
    found = []
    for profile in rows:
        if fastest is None or not profile.p50 or profile.p50 <= SLOW_FACTOR * fastest:
            continue
        own = tuple(
            (op, s)
            for op, s in sorted(profile.shares.items(), key=lambda kv: (-kv[1], kv[0]))
            if op != OTHER and s >= OWN_TYPE_SHARE and not from_graph(op, profile.histogram)
        )
        finding = OwnTypeFinding(profile, own)
        if profile.histogram and finding.total >= NOTABLE_SHARE:
            found.append(finding)
    return found


def shown_operators(rows: list[Profile]) -> list[str]:
    """The operator types a profile table lists: those with SHOWN_SHARE or more in some
    runtime, each runtime's by share, runtime after runtime, each followed by the other
    runtimes' types of a related name (Conv, Conv2, Convolution) so they sit together."""
    peak: dict[str, float] = {}
    for profile in rows:
        for op, share in profile.shares.items():
            if op != OTHER:
                peak[op] = max(peak.get(op, 0.0), share)
    shown = {op for op, s in peak.items() if s >= SHOWN_SHARE}
    order: list[str] = []
    for profile in rows:
        for op, _ in sorted(profile.shares.items(), key=lambda kv: (-kv[1], kv[0])):
            if op not in shown or op in order:
                continue
            order.append(op)
            order += sorted(
                (o for o in shown if o not in order and related(o, op)),
                key=lambda o: (-peak[o], o),
            )
    return order
