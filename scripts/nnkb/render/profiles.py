"""Where the inference time goes: the operator profiles `nnkb bench` records on ok rows.

Each runtime reports kernel time under its own operator names (ONNX Runtime's ReorderInput
and FusedConv, OpenVINO's Convolution with the activation fused into it, OpenCV's Conv2), so
the pages compare shares, not names one-to-one. Every sentence is computed from the rows:
an ONNX operator of the graph that one runtime times on its own while another has no entry
of that name, a runtime's own operator types, the largest share of each runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import analysis
from ..results import LATENCY, Row
from .cells import (
    latency_cell,
    machine_label,
    precision_name,
    provenance,
    runtime_name,
    variant_label,
)
from .page import METHODOLOGY_PATH, Page, bullet_list
from .tables import Column, Md, Table
from .text import escape_inline

SECTION_TITLE = "Where the time goes"
SECTION_ANCHOR = "where-the-time-goes"
OTHER = "other"
# An operator type takes part in a sentence from this share of a runtime's kernel time on.
NOTABLE_SHARE = 0.10
# A runtime's own operator types are listed from this share each, when they add up to
# NOTABLE_SHARE or more.
OWN_TYPE_SHARE = 0.05
# Rows of the table: operator types with at least this share in some runtime; the others
# are added to each runtime's "other".
SHOWN_SHARE = 0.02
# The runtime comparison explains runtimes this many times slower than the fastest FP32 one;
# the model page's sentences use the same factor.
SLOW_FACTOR = 2.0


@dataclass(frozen=True)
class Profile:
    """One ok row's operator profile with what a sentence about it needs."""

    machine: str
    model: str
    runtime: str
    settings_key: str
    label: str
    runtime_name: str
    p50: float | None
    precision: str | None
    shares: dict[str, float]
    kernels: dict[str, str] = field(default_factory=dict)
    runs: int | None = None
    histogram: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Unprofiled:
    """An ok row without a profile, and why (op_profile_source), if the row says."""

    machine: str
    model: str
    runtime: str
    label: str
    why: str | None


def _ok_rows(page: Page) -> list[tuple[str, Row]]:
    """The ok latency rows: a throughput row is never profiled (its latency twin is)."""
    return [
        (f.machine.id, row)
        for f in page.site.results_files
        for row in f.rows
        if row.ok and row.scenario == LATENCY
    ]


def profiles(page: Page, model_id: str | None = None) -> list[Profile]:
    """The profiled ok rows (of one model, or all), by machine, model, runtime and settings."""
    found = []
    for machine, row in _ok_rows(page):
        shares = row.op_profile
        if not shares or (model_id is not None and row.model != model_id):
            continue
        key = analysis.settings_key(row.settings)
        found.append(
            Profile(
                machine=machine,
                model=row.model,
                runtime=row.runtime,
                settings_key=key,
                label=row_label(page, machine, row.model, row.runtime, key),
                runtime_name=runtime_name(page, row.runtime),
                p50=row.latency.p50 if row.latency else None,
                precision=precision_name(row.precision),
                shares={str(k): float(v) for k, v in shares.items()},
                kernels=dict(row.op_profile_kernels or {}),
                runs=row.op_profile_runs,
                histogram=dict(row.op_histogram or {}),
            )
        )
    # A runtime's usual settings first, then its variants (their labels name the difference).
    return sorted(
        found,
        key=lambda p: (p.machine, p.model, p.runtime, p.label != p.runtime_name, p.label),
    )


def _why(source: Any) -> str | None:
    """A row's reason for having no profile, without the "not profiled:" it starts with."""
    if not isinstance(source, str) or not source.strip():
        return None
    text = source.strip()
    prefix = "not profiled:"
    return text[len(prefix) :].strip() if text.casefold().startswith(prefix) else text


def unprofiled(page: Page, model_id: str) -> list[Unprofiled]:
    found = [
        Unprofiled(
            machine,
            row.model,
            row.runtime,
            row_label(page, machine, row.model, row.runtime, analysis.settings_key(row.settings)),
            _why(row.op_profile_source),
        )
        for machine, row in _ok_rows(page)
        if row.model == model_id and not row.op_profile
    ]
    return sorted(found, key=lambda u: (u.machine, u.runtime, u.label))


# --- words -------------------------------------------------------------------------------


def share_text(share: float) -> str:
    """A share as a percentage: '52%', '6.8%', '0.4%', '<0.1%'."""
    percent = share * 100
    if percent >= 9.95:
        return f"{percent:.0f}%"
    if percent >= 0.05:
        return f"{percent:.1f}%"
    return "<0.1%"


def op_name(op: str) -> str:
    return f"`{escape_inline(op)}`"


def _names(items: list[str], word: str = "and") -> str:
    """'A', 'A and B', 'A, B and C' (or another conjunction)."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _related(a: str, b: str) -> bool:
    """Operator names of one family: one starts with the other, case and a version number at
    the end aside (OpenCV's Conv2, OpenVINO's Convolution and the graph's Conv)."""
    a, b = a.casefold().rstrip("0123456789"), b.casefold().rstrip("0123456789")
    return bool(a and b) and (a.startswith(b) or b.startswith(a))


def _has_entry(op: str, shares: dict[str, float]) -> bool:
    """Whether a profile has an entry of this operator, under its name or a related one
    (one name starts with the other: OpenCV's Conv2 and OpenVINO's Convolution for Conv)."""
    return any(_related(op, k) for k in shares if k != OTHER)


def _from_graph(op: str, histogram: dict[str, int]) -> bool:
    """Whether a runtime's operator type names one of the graph's ONNX operators (or one is a
    prefix of the other: Conv and Convolution)."""
    return any(_related(op, g) for g in histogram)


def _in_graph(op: str, histogram: dict[str, int]) -> bool:
    """Whether `op` is the name of one of the graph's ONNX operators (case aside)."""
    return op.casefold() in {g.casefold() for g in histogram}


def _share_of(op: str, shares: dict[str, float]) -> float | None:
    """The share of the entry named exactly `op` (case aside), if there is one."""
    folded = op.casefold()
    return next((s for k, s in shares.items() if k.casefold() == folded), None)


def _missing_names(missing: list[Profile], all_rows: list[Profile]) -> list[str]:
    """Runtime names where every setting of the runtime lacks the entry, labels otherwise."""
    names = []
    for runtime in sorted({p.runtime for p in missing}):
        mine = [p for p in missing if p.runtime == runtime]
        every = [p for p in all_rows if p.runtime == runtime]
        if len(mine) == len(every):
            names.append(escape_inline(mine[0].runtime_name))
        else:
            names += [escape_inline(p.label) for p in mine]
    return names


def _approx_time(profile: Profile, share: float) -> str:
    if profile.p50 is None:
        return ""
    return f" (≈{latency_cell(share * profile.p50)} of its {latency_cell(profile.p50)} median)"


def folded(op: str, count: int, one: bool) -> str:
    """What a profile without an entry for a graph operator means: it ran inside or under the
    name of another operator type (fused into a convolution, or a generic element-wise one)."""
    nodes = f"{count} {op_name(op)} node{'s' if count != 1 else ''}"
    return (
        f"the graph's {nodes} run {'there' if one else 'in them'} as part of other operator types"
    )


def graph_operator_sentences(rows: list[Profile], limit: int = 2) -> list[str]:
    """ONNX operators of the graph that take a notable share in one runtime while another
    runtime's profile has no entry of that name: that runtime ran them as part of others."""
    histogram: dict[str, int] = {}
    for profile in rows:
        histogram.update(profile.histogram)
    candidates = []
    for op, count in histogram.items():
        having = [(p, s) for p in rows if (s := _share_of(op, p.shares)) is not None]
        if not having:
            continue
        top, top_share = max(having, key=lambda ps: ps[1])
        missing = [p for p in rows if not _has_entry(op, p.shares)]
        if top_share >= NOTABLE_SHARE and missing:
            candidates.append((top_share, op, count, having, top, missing))
    sentences = []
    for top_share, op, count, having, top, missing in sorted(
        candidates, key=lambda c: (-c[0], c[1])
    )[:limit]:
        shares = [f"{share_text(top_share)} of {escape_inline(top.label)}'s kernel time"]
        shares[0] += _approx_time(top, top_share)
        shares += [
            f"{share_text(s)} of {escape_inline(p.label)}'s"
            for p, s in sorted(having, key=lambda ps: -ps[1])
            if p is not top
        ]
        names = _missing_names(missing, rows)
        one = len(names) == 1
        sentences.append(
            f"{op_name(op)} takes {_names(shares)}; {_names(names)} "
            f"{'has' if one else 'have'} no {op_name(op)} entry in "
            f"{'its profile' if one else 'their profiles'}: "
            f"{folded(op, count, one)}."
        )
    return sentences


def own_type_sentences(rows: list[Profile]) -> list[str]:
    """For each runtime more than SLOW_FACTOR times slower than the fastest here, the share of
    operator types that are its own, not the graph's (layout conversions, for one)."""
    medians = [p.p50 for p in rows if p.p50]
    fastest = min(medians) if medians else None
    sentences = []
    for profile in rows:
        if fastest is None or not profile.p50 or profile.p50 <= SLOW_FACTOR * fastest:
            continue
        own = [
            (op, s)
            for op, s in sorted(profile.shares.items(), key=lambda kv: (-kv[1], kv[0]))
            if op != OTHER and s >= OWN_TYPE_SHARE and not _from_graph(op, profile.histogram)
        ]
        total = sum(s for _, s in own)
        if profile.histogram and total >= NOTABLE_SHARE:
            listed = ", ".join(f"{op_name(op)} {share_text(s)}" for op, s in own)
            sentences.append(
                f"{escape_inline(profile.label)} spends {share_text(total)} of its kernel time "
                f"in operator types of its own that are not ONNX operators of the graph: {listed}."
            )
    return sentences


def largest_share_sentence(rows: list[Profile]) -> str:
    parts = []
    for profile in rows:
        op, share = max(
            ((k, s) for k, s in profile.shares.items() if k != OTHER),
            key=lambda kv: kv[1],
            default=(OTHER, profile.shares.get(OTHER, 0.0)),
        )
        parts.append(f"{escape_inline(profile.label)} {op_name(op)} {share_text(share)}")
    return "Largest share: " + "; ".join(parts) + "."


def kernel_sentence(rows: list[Profile], limit: int = 3) -> str | None:
    """The kernels a runtime names for its largest operator types (the precision shows)."""
    parts = []
    for profile in rows:
        named = [
            (op, profile.kernels[op])
            for op, _ in sorted(profile.shares.items(), key=lambda kv: -kv[1])
            if op in profile.kernels
        ][:limit]
        if named:
            kernels = ", ".join(f"{op_name(op)} {op_name(k)}" for op, k in named)
            parts.append(f"{escape_inline(profile.label)}: {kernels}")
    return "Kernels the profiler names: " + "; ".join(parts) + "." if parts else None


# --- the model page's section ----------------------------------------------------------------


def row_order(rows: list[Profile], shown: set[str], peak: dict[str, float]) -> list[str]:
    """Each runtime's operator types by share, runtime after runtime, each followed by the
    other runtimes' types of a related name (Conv, Conv2, Convolution) so they sit together."""
    order: list[str] = []
    for profile in rows:
        for op, _ in sorted(profile.shares.items(), key=lambda kv: (-kv[1], kv[0])):
            if op not in shown or op in order:
                continue
            order.append(op)
            order += sorted(
                (o for o in shown if o not in order and _related(o, op)),
                key=lambda o: (-peak[o], o),
            )
    return order


def profile_table(rows: list[Profile]) -> Table:
    """Operator types × runtime settings, shares of each runtime's kernel time."""
    peak: dict[str, float] = {}
    for profile in rows:
        for op, share in profile.shares.items():
            if op != OTHER:
                peak[op] = max(peak.get(op, 0.0), share)
    shown = row_order(rows, {op for op, s in peak.items() if s >= SHOWN_SHARE}, peak)
    columns = [Column("op", "Operator type (runtime's own name)")]
    records: list[dict[str, Any]] = [{"op": Md(op_name(op))} for op in shown]
    other: dict[str, Any] = {"op": Md(f"*{OTHER}*")}
    for i, profile in enumerate(rows):
        key = f"c{i}"
        median = f", {latency_cell(profile.p50)}" if profile.p50 is not None else ""
        if profile.precision and profile.precision != "fp32":
            median += f" ({profile.precision})"
        columns.append(Column(key, f"{profile.label}{median}", align="right"))
        for record, op in zip(records, shown):
            found = profile.shares.get(op)
            record[key] = share_text(found) if found is not None else None
        rest = sum(s for op, s in profile.shares.items() if op not in shown)
        other[key] = share_text(rest) if rest > 0 else None
    if any(k != "op" and v is not None for k, v in other.items()):
        records.append(other)
    return Table.from_records(records, columns)


def where_the_time_goes(page: Page, model: Any) -> str | None:
    """The model page's section: per machine, a table of shares and what differs."""
    rows = profiles(page, model.id)
    if not rows:
        return None
    frame = page.site.frame
    parts = [
        f"## {SECTION_TITLE}",
        (
            "Share of the kernel time per operator type, from each runtime's own profiler on "
            "extra inferences after the timed ones (the median in each heading is the timed "
            "one). Operator names are the runtime's own: each fuses the graph's operators "
            "differently, so compare where the time goes, not the names one to one; — means "
            f"the runtime's profile has no entry of that type. [How profiles are taken]"
            f"({page.href(METHODOLOGY_PATH)}#operator-profiles)."
        ),
    ]
    missing = unprofiled(page, model.id)
    for machine in sorted({p.machine for p in rows}):
        mine = [p for p in rows if p.machine == machine]
        measured = frame[(frame["machine"] == machine) & (frame["model"] == model.id)]
        parts.append(f"### Kernel time on {escape_inline(machine_label(page, machine))}")
        parts.append(provenance(page, machine, measured))
        parts.append(profile_table(mine).to_markdown())
        sentences = graph_operator_sentences(mine) + own_type_sentences(mine)
        sentences.append(largest_share_sentence(mine))
        kernels = kernel_sentence(mine)
        if kernels:
            sentences.append(kernels)
        absent = [u for u in missing if u.machine == machine]
        if absent:
            sentences.append(
                "Not profiled: "
                + "; ".join(
                    escape_inline(u.label) + (f" ({escape_inline(u.why)})" if u.why else "")
                    for u in absent
                )
                + "."
            )
        parts.append(bullet_list(sentences))
    return "\n\n".join(parts)


def row_label(page: Page, machine: str, model: str, runtime: str, settings_key: str) -> str:
    """The runtime's name, with the row's settings where they differ from its usual ones."""
    return variant_label(page, runtime, page.site.variant(machine, model, runtime, settings_key))
