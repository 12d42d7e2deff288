"""Sections of the methodology page written from the rows themselves: precision and agreement
(which runtimes ran below FP32 and how far their outputs moved), operator profiles, and the two
processes each row runs in with how far they disagreed on each machine.
"""

from __future__ import annotations

import pandas as pd

from ... import analysis
from ...analysis.frame import UNSTABLE_SPREAD
from ..shared.cells import (
    agreement_text,
    is_reduced_precision,
    machine_link,
    model_link,
    precision_name,
    runtime_link,
    settings_note,
    spread_text,
    stability_counts,
)
from ..shared.numbers import format_percent
from ..shared.page import DOWNLOADS_PATH, Page
from ..shared.tables import Column, Md, Table
from ..shared.text import folded


def precision_section(page: Page) -> str:
    frame = page.site.frame
    ok = frame[frame["status"] == analysis.OK]
    reduced = ok[ok["precision"].map(is_reduced_precision)]
    parts = [
        "## Precision and agreement",
        (
            "Each row records the precision the runtime reports it computed in, and how far "
            "its outputs are from the FP32 reference run for the same inputs. A runtime may "
            "choose a lower precision itself (bf16 on CPUs with native bf16 instructions): "
            "bf16 keeps FP32's range but only 8 bits of mantissa, so the outputs move by an "
            "amount the agreement columns show; in exchange the arithmetic is faster. INT8 "
            "variants run a quantised copy of the model (below). nnkb "
            "measures each runtime as it behaves by default and reports the precision and the "
            "agreement beside the speed; what each runtime does is under "
            "[Runtime settings](#runtime-settings)."
        ),
    ]
    if reduced.empty:
        parts.append("In the current results, every row that ran reported FP32.")
    else:
        records = [
            {
                "machine": machine_link(page, r.machine),
                "runtime": runtime_link(page, r.runtime),
                "model": model_link(page, r.model),
                "precision": precision_name(r.precision),
                "agreement": agreement_text(r),
            }
            for r in reduced.itertuples()
        ]
        parts.append(
            f"In the current results, {len(reduced)} row(s) that ran reported a precision "
            "other than FP32:"
        )
        table = Table.from_records(
            records,
            [
                Column("machine", "Machine"),
                Column("runtime", "Runtime"),
                Column("model", "Model"),
                Column("precision", "Precision"),
                Column("agreement", "Agreement with FP32", align="right"),
            ],
        )
        parts.append(folded(f"The {len(records)} rows", table.to_markdown()))
    counts = ok["agree_inputs"].dropna().astype(int) if "agree_inputs" in ok else []
    if len(counts):
        n = int(pd.Series(counts).mode().iloc[0])
        parts.append(
            f"A share of agreeing inputs moves in steps of one input in {n} "
            f"({format_percent(1 / n)}): one input whose top class changes takes top-1 "
            f"agreement from 100 % to {format_percent((n - 1) / n)}, already below a tolerance "
            'of 99 %. A 99 % tolerance over this set therefore reads as "no prediction '
            f'changed among the {n}", stricter than 99 % over a large validation set; a row '
            "rejected by one or two changed inputs shows its share, so a reader can tell it "
            "from a row that disagrees often."
        )
    parts.append(
        f"The maximum relative error of a row, kept in the [downloads]({page.href(DOWNLOADS_PATH)}), is not "
        "shown here: it divides each difference by the reference value, so outputs close to "
        "zero (small logits, features after a ReLU) give a large relative error while every "
        "measure above agrees. Rows measured before the agreement over many inputs show the "
        "first input's top-1 class or absolute error instead."
    )
    return "\n\n".join(parts)


def profiles_section(page: Page) -> str:
    rows = page.site.analysis.profiles.profiled
    ok = int((page.site.frame["status"] == analysis.OK).sum())
    text = (
        "Each ok row records where its inference time goes: after the timed repetitions, the "
        "runtime's own profiler times each operator over a few extra inferences, and the row "
        "keeps every operator type's share of the total kernel time (the largest types and "
        "*other*). Model pages show them under *Where the time goes*; the runtime comparison "
        "names the largest shares of every runtime that is much slower than the fastest. "
        "Three caveats. Profiling adds overhead of its own (a timer around every kernel), so "
        "a profiled inference is slower than the timed ones: the profile gives shares, not "
        "absolute times, and a share times the median is an estimate. Kernel time leaves out "
        "what the runtime does between kernels, so the shares describe the kernels only. And "
        "operator type names differ between runtimes, because each fuses and rewrites the "
        "graph its own way (each runtime's names are described under "
        "[Runtime settings](#runtime-settings)); an operator of the graph missing from one "
        "runtime's profile ran there as part of another operator type (fused, or under "
        "another name), not skipped."
    )
    count = f"In the current results, {len(rows)} of the {ok} ok row(s) carry a profile."
    return f"## Operator profiles\n\n{text}\n\n{count}"


def stability_section(page: Page) -> str:
    """Why every row runs in two processes, and how far they disagreed on each machine."""
    text = (
        "A shared virtual machine runs in phases: for minutes at a time it is faster or slower "
        "than its usual speed. The same row measured in two processes a minute apart has "
        "differed by up to 1.7×, while each process's own 95% interval of the median was "
        "about ±1%: the interval says how well one process measured its own phase, not the "
        "machine. Two runtimes measured in different phases would then be compared unfairly. "
        "So `nnkb bench` measures each row twice: once in the main pass and once more in a "
        "fresh worker process after every other row has run, so the row's two processes are "
        "a whole matrix apart. The row reports the faster process (the lower median), like "
        "`timeit`'s best of several runs: every runtime gets the same two chances at the "
        "machine's fast phase. The other process is kept in the results file "
        "(`processes`), and its distance from the reported median is the row's *process "
        f"spread*; a row whose spread is over {UNSTABLE_SPREAD * 100:g} % is marked *unstable*: "
        "treat differences between runtimes smaller than its spread as unsettled."
    )
    frame = page.site.frame
    records = []
    for machine_id in sorted(frame["machine"].unique()):
        rows = frame[frame["machine"] == machine_id]
        ok, verified, unstable = stability_counts(rows)
        spreads = rows.loc[rows["status"] == analysis.OK, "process_spread"].dropna()
        worst = rows.loc[rows["unstable"]].sort_values("process_spread", ascending=False)
        names = ", ".join(
            f"{model_link(page, r.model)} × {runtime_link(page, r.runtime)}"
            f"{settings_note(page.site.variant(machine_id, r.model, r.runtime, r.settings))} "
            f"({spread_text(r.process_spread)})"
            for r in worst.itertuples()
        )
        records.append(
            {
                "machine": machine_link(page, machine_id),
                "rows": f"{verified} of {ok}",
                "median": spread_text(spreads.median()) if verified else None,
                "max": spread_text(spreads.max()) if verified else None,
                "unstable": Md(f"{unstable}: {names}" if unstable else "0"),
            }
        )
    table = Table.from_records(
        records,
        [
            Column("machine", "Machine"),
            Column("rows", "Ok rows with two processes", align="right"),
            Column("median", "Median spread", align="right"),
            Column("max", "Largest spread", align="right"),
            Column("unstable", f"Over {UNSTABLE_SPREAD * 100:g} % (unstable)"),
        ],
    )
    return "\n\n".join(
        [
            "## Two processes per row",
            text,
            folded(
                "Each machine's spreads and its unstable rows",
                table.to_markdown("No machine measured yet."),
            ),
        ]
    )


def matrix_section(page: Page) -> str:
    """Which models `nnkb bench` measures by default and which only with `--matrix full`,
    from each model's `onnx.benchmark`."""
    tiers: dict[str | None, list[str]] = {"default": [], "full": []}
    for model_id in sorted(page.site.kb.models):
        spec = page.site.kb.models[model_id].onnx
        if spec is not None and spec.matrix in tiers:
            tiers[spec.matrix].append(model_id)

    def models(tier: str) -> str:
        return ", ".join(model_link(page, m) for m in tiers[tier]) or "none"

    return "\n\n".join(
        [
            "## Which models are measured",
            (
                "`nnkb bench` (and `make site`, which runs it) measures the *default matrix*: "
                f"{models('default')}, each with every runtime and precision variant (INT8 "
                "included), in about 10 minutes cold on a 2-core machine. `nnkb bench --matrix "
                f"full` (`make site MATRIX=full`) adds {models('full')}: the largest models, "
                "and the models that would take the cold default run past 10 minutes. "
                "A default run keeps the rows a full run stored, and the site shows them like "
                "any other; a model's entry says which matrix measures it (`onnx.benchmark`), "
                "and `benchmarks/cost.py` prints what each matrix costs, row kind by row kind."
            ),
        ]
    )
