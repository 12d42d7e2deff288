"""Bar charts of the summaries: throughput on all cores (runtime comparison and use case
pages) and the recommended choice per use case (home page). Same layout, palette and
escaping as every chart (charts.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..shared.charts import (
    CHART_HEIGHT,
    CHART_LAYOUT,
    CHART_MARGIN,
    PALETTE,
    empty_chart,
    esc,
    log_axis,
    named_column,
    num,
    to_div,
)


def throughput_bars(pairs: pd.DataFrame, div_id: str, empty: str) -> str:
    """Inferences per second on all cores (log axis), one bar per model and runtime, grouped
    by machine and model.

    `pairs` has machine, machine_label, model, label (runtime and precision), inferences_per_s,
    batch, streams and p50 (the latency twin's single-stream median, in the hover text beside
    the batch and the streams).
    """
    fig = go.Figure(layout=CHART_LAYOUT)
    rows = pairs[pairs["inferences_per_s"].notna()].sort_values(["machine", "model", "label"])
    groups = rows.drop_duplicates(["machine", "model"])
    models = [esc(v) for v in named_column(groups, "model")]
    # One machine: the models alone along x (a machine label beside each group is long
    # enough to run into the next on a phone); the title names the machine.
    one = groups["machine"].nunique() == 1
    x: Any = models if one else [[esc(v) for v in groups["machine_label"]], models]
    keys = list(zip(groups["machine"], groups["model"]))
    for i, label in enumerate(sorted(rows["label"].unique())):
        by_key = {(r.machine, r.model): r for r in rows[rows["label"] == label].itertuples()}
        found = [by_key.get(k) for k in keys]
        fig.add_trace(
            go.Bar(
                x=x,
                y=[num(r.inferences_per_s, 4) if r else None for r in found],
                name=esc(label),
                marker={"color": PALETTE[i % len(PALETTE)]},
                customdata=[
                    [int(r.batch), int(r.streams), num(r.p50 * 1e3, 4)]
                    if r and not pd.isna(r.batch) and not pd.isna(r.streams)
                    else [None, None, None]
                    for r in found
                ],
                hovertemplate=(
                    f"{esc(label)}: %{{y}} inferences/s<br>batch %{{customdata[0]}}, "
                    "%{customdata[1]} stream(s)<br>single-stream median %{customdata[2]} ms"
                    "<extra></extra>"
                ),
            )
        )
    longest = max((len(m) for m in models), default=0)
    # Upright when there are many groups, or when a name is wider than its group's share of
    # the plot (about 880 px at full width, 7 px a character).
    turned = len(keys) > 6 or longest * 7 > 880 / max(len(keys), 1)
    fig.update_layout(
        title={
            "text": "Throughput on all cores"
            + (f" of {esc(groups['machine_label'].iloc[0])}" if one else "")
            + " (inferences per second, higher is better)"
        },
        barmode="group",
        yaxis=log_axis(rows["inferences_per_s"], "inferences per second"),
        # Upright: turned by 45 degrees, long names crossed their neighbours.
        xaxis={"tickangle": -90 if turned else 0, "automargin": True},
        margin={**CHART_MARGIN, "b": 60 + (7 * longest if turned else 0)},
        height=CHART_HEIGHT + (7 * longest if turned else 0),
    )
    if not len(rows):
        empty_chart(fig, empty)
    return to_div(fig, div_id)


def recommended_latency(picks: pd.DataFrame, div_id: str = "chart-recommended-latency") -> str:
    """The recommended choice's median latency per use case, one colour per measured machine.

    `picks` has one row per (use case, machine): `use_case`, `machine`, `machine_label`, `p50`
    (seconds) and `pick` (what runs, named). Horizontal bars: use case names fit on a phone.
    """
    fig = go.Figure(layout=CHART_LAYOUT)
    order = sorted(picks["use_case"].unique(), key=str.casefold, reverse=True)
    for i, machine in enumerate(sorted(picks["machine"].unique())):
        rows = picks[picks["machine"] == machine].set_index("use_case").reindex(order)
        label = esc(picks.loc[picks["machine"] == machine, "machine_label"].iloc[0])
        fig.add_trace(
            go.Bar(
                x=[num(v * 1e3, 4) for v in rows["p50"]],
                y=[esc(u) for u in order],
                orientation="h",
                name=label,
                marker={"color": PALETTE[i % len(PALETTE)]},
                customdata=[[esc(p) if isinstance(p, str) else ""] for p in rows["pick"]],
                hovertemplate="%{customdata[0]}<br>median %{x} ms<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(
        title={"text": "Recommended choice per use case: median latency (lower is faster)"},
        barmode="group",
        xaxis=log_axis(picks["p50"] * 1e3, "median latency (ms, log scale)"),
        yaxis={"automargin": True},
        margin={**CHART_MARGIN, "l": 20},
        height=CHART_HEIGHT + 20 * len(order),
    )
    return to_div(fig, div_id)
