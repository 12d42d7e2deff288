"""The model page's "Where the time goes": each machine's table of kernel-time shares by
operator type and the sentences that say what differs, worded from analysis.profiles (which
decides what is notable; nothing here compares numbers with a threshold of its own).
"""

from __future__ import annotations

from typing import Any

from ...analysis.profiles import (
    OTHER,
    GraphOperatorFinding,
    OwnTypeFinding,
    Profile,
    Unprofiled,
    graph_operator_findings,
    own_type_findings,
    shown_operators,
)
from ..shared import cells
from ..shared.cells import RowRef, latency_cell, machine_label, provenance, runtime_name
from ..shared.page import METHODOLOGY_PATH, Page, bullet_list
from ..shared.tables import Cells, Column, Md, Table
from ..shared.text import escape_inline

SECTION_TITLE = "Where the time goes"
SECTION_ANCHOR = "where-the-time-goes"


def profile_label(page: Page, profile: Profile | Unprofiled) -> str:
    """The profiled (or unprofiled) row's label (cells.row_label)."""
    precision = profile.precision if isinstance(profile, Profile) else None
    return row_label(
        page, profile.machine, profile.model, profile.runtime, profile.settings_key, precision
    )


def row_label(
    page: Page,
    machine: str,
    model: str,
    runtime: str,
    settings_key: str,
    precision: str | None = None,
) -> str:
    """cells.row_label of the row with these keys."""
    return cells.row_label(page, RowRef(machine, model, runtime, settings_key, precision))


def profiles(page: Page, model_id: str | None = None) -> list[Profile]:
    """The profiled ok rows (of one model, or all) in the order pages show them: by machine,
    model and runtime, a runtime's usual settings first, then its variants by label."""
    found = page.site.analysis.profiles
    rows = found.profiled if model_id is None else found.of_model(model_id)

    def order(p: Profile) -> tuple[str, str, str, bool, str]:
        usual = not page.site.variant(p.machine, p.model, p.runtime, p.settings_key)
        return (p.machine, p.model, p.runtime, not usual, profile_label(page, p))

    return sorted(rows, key=order)


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


def names_text(items: list[str], word: str = "and") -> str:
    """'A', 'A and B', 'A, B and C' (or another conjunction)."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _missing_names(page: Page, missing: tuple[Profile, ...], rows: list[Profile]) -> list[str]:
    """Runtime names where every setting of the runtime lacks the entry, labels otherwise."""
    names = []
    for runtime in sorted({p.runtime for p in missing}):
        mine = [p for p in missing if p.runtime == runtime]
        every = [p for p in rows if p.runtime == runtime]
        if len(mine) == len(every):
            names.append(escape_inline(runtime_name(page, runtime)))
        else:
            names += [escape_inline(profile_label(page, p)) for p in mine]
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


def graph_operator_sentence(page: Page, f: GraphOperatorFinding, rows: list[Profile]) -> str:
    label = profile_label(page, f.top)
    shares = [f"{share_text(f.top_share)} of {escape_inline(label)}'s kernel time"]
    shares[0] += _approx_time(f.top, f.top_share)
    shares += [
        f"{share_text(s)} of {escape_inline(profile_label(page, p))}'s"
        for p, s in f.having
        if p is not f.top
    ]
    names = _missing_names(page, f.missing, rows)
    one = len(names) == 1
    return (
        f"{op_name(f.op)} takes {names_text(shares)}; {names_text(names)} "
        f"{'has' if one else 'have'} no {op_name(f.op)} entry in "
        f"{'its profile' if one else 'their profiles'}: "
        f"{folded(f.op, f.nodes, one)}."
    )


def own_type_sentence(page: Page, f: OwnTypeFinding) -> str:
    listed = ", ".join(f"{op_name(op)} {share_text(s)}" for op, s in f.own)
    return (
        f"{escape_inline(profile_label(page, f.profile))} spends {share_text(f.total)} of its "
        f"kernel time in operator types of its own that are not ONNX operators of the graph: "
        f"{listed}."
    )


def largest_share_sentence(page: Page, rows: list[Profile]) -> str:
    parts = []
    for profile in rows:
        op, share = profile.largest_share()
        parts.append(
            f"{escape_inline(profile_label(page, profile))} {op_name(op)} {share_text(share)}"
        )
    return "Largest share: " + "; ".join(parts) + "."


def kernel_sentence(page: Page, rows: list[Profile]) -> str | None:
    """The kernels a runtime names for its largest operator types (the precision shows)."""
    parts = []
    for profile in rows:
        named = profile.named_kernels()
        if named:
            kernels = ", ".join(f"{op_name(op)} {op_name(k)}" for op, k in named)
            parts.append(f"{escape_inline(profile_label(page, profile))}: {kernels}")
    return "Kernels the profiler names: " + "; ".join(parts) + "." if parts else None


# --- the model page's section ----------------------------------------------------------------


def profile_table(page: Page, rows: list[Profile]) -> Table:
    """Operator types × runtime settings, shares of each runtime's kernel time."""
    shown = shown_operators(rows)
    columns = [Column("op", "Operator type (runtime's own name)")]
    records: list[Cells] = [{"op": Md(op_name(op))} for op in shown]
    other: Cells = {"op": Md(f"*{OTHER}*")}
    for i, profile in enumerate(rows):
        key = f"c{i}"
        median = f", {latency_cell(profile.p50)}" if profile.p50 is not None else ""
        columns.append(Column(key, f"{profile_label(page, profile)}{median}", align="right"))
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
    missing = page.site.analysis.profiles.unprofiled_of(model.id)
    for machine in sorted({p.machine for p in rows}):
        mine = [p for p in rows if p.machine == machine]
        measured = frame[(frame["machine"] == machine) & (frame["model"] == model.id)]
        parts.append(f"### Kernel time on {escape_inline(machine_label(page, machine))}")
        parts.append(provenance(page, machine, measured))
        parts.append(profile_table(page, mine).to_markdown())
        sentences = [graph_operator_sentence(page, f, mine) for f in graph_operator_findings(mine)]
        sentences += [own_type_sentence(page, f) for f in own_type_findings(mine)]
        sentences.append(largest_share_sentence(page, mine))
        kernels = kernel_sentence(page, mine)
        if kernels:
            sentences.append(kernels)
        absent = sorted(
            (u for u in missing if u.machine == machine),
            key=lambda u: (u.runtime, profile_label(page, u)),
        )
        if absent:
            sentences.append(
                "Not profiled: "
                + "; ".join(
                    escape_inline(profile_label(page, u))
                    + (f" ({escape_inline(u.why)})" if u.why else "")
                    for u in absent
                )
                + "."
            )
        parts.append(bullet_list(sentences))
    return "\n\n".join(parts)
