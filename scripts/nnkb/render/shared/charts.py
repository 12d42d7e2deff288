"""Plotly charts for the site, each returned as an HTML <div> fragment.

The fragments hold no code: a placeholder of the chart's height and its figure as JSON, which
docs/javascripts/charts.js draws when it scrolls into view, loading the site's own copy of
plotly.js's cartesian bundle (docs/javascripts/plotly-cartesian.min.js, so only cartesian trace
types may be used) with the first chart. They are deterministic: fixed div ids derived from what the chart shows, traces in sorted order, plain
JSON lists rather than typed arrays, numbers rounded, so golden tests can pin whole pages.
Every KB string is HTML-escaped before it reaches the figure, because plotly renders a subset
of HTML in labels and hover text and KB text must show as text.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from nnkb.kb import UseCase

from ...analysis import pareto_front
from ...codec import Json

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
# Okabe-Ito colours: distinguishable with colour-vision deficiencies, and fixed so that the
# output does not depend on plotly's default colourway.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# An explicit style instead of a named template: plotly embeds the whole template in every
# figure's JSON (about 6 kB each), and a named one may change between plotly releases.
_AXIS = {"gridcolor": "#e5e5e5", "linecolor": "#bbbbbb", "zerolinecolor": "#cccccc"}
CHART_MARGIN = {"l": 70, "r": 30, "t": 100, "b": 60}
CHART_HEIGHT = 460
CHART_LAYOUT: Json = {
    "template": "none",
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "xaxis": _AXIS,
    "yaxis": _AXIS,
    "height": CHART_HEIGHT,
    "margin": CHART_MARGIN,
    "title": {"x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top"},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "font": {"size": 13},
}


def esc(text: Any) -> str:
    return html.escape(str(text), quote=False)


def num(value: float, digits: int = 6) -> float | None:
    """A float rounded to `digits` significant figures (None for missing), for stable JSON."""
    if value is None or pd.isna(value) or not math.isfinite(float(value)):
        return None
    return float(f"{float(value):.{digits}g}")


def named_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """The display names of a frame's `column` ("model", "runtime"): its `<column>_name`
    column where the caller gave one, so that no id reaches a label."""
    named = f"{column}_name"
    return frame[named] if named in frame.columns else frame[column]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "all"


def log_axis(values: Any, title: str, include: float | None = None) -> Json:
    """A log axis with 1-2-5 ticks labelled in full (plotly abbreviates 20 to "2" otherwise)."""
    # Far outside any real latency or rate, a log axis's ticks would not fit in a float.
    data = [
        float(v) for v in values if v is not None and not pd.isna(v) and 1e-250 < float(v) < 1e250
    ]
    if include is not None:
        data.append(include)
    axis: Json = {"title": {"text": title}, "type": "log"}
    if not data:
        return axis
    low, high = min(data) / 1.5, max(data) * 1.5
    ticks: list[float] = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [float(f"{m * 10.0**exponent:.6g}") for m in (1, 2, 5)]
    ticks = [t for t in ticks if low <= t <= high]
    axis.update(
        range=[num(math.log10(low)), num(math.log10(high))],
        tickvals=ticks,
        ticktext=[f"{t:g}" for t in ticks],
    )
    return axis


def to_div(fig: go.Figure, div_id: str) -> str:
    """The chart as a placeholder of its final height and its figure as JSON data, not code:
    docs/javascripts/charts.js loads plotly.js and draws the figure when it scrolls into view,
    so that the text and tables around it are read before any chart code runs."""
    figure = fig.to_plotly_json()
    spec = {
        "data": figure.get("data", []),
        "layout": figure.get("layout", {}),
        "config": {**PLOTLY_CONFIG, "responsive": True},
    }
    # "<" as \u003c: no text of the figure can close the <script> element that holds it.
    payload = to_json_plotly(spec).replace("<", "\\u003c")
    height = spec["layout"].get("height", CHART_HEIGHT)
    return (
        f'<div class="nnkb-chart" style="height:{height}px; width:100%;">'
        f'<div id="{div_id}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        f'<script type="application/json" data-nnkb-chart="{div_id}">{payload}</script>'
        "</div>"
    )


def empty_chart(fig: go.Figure, message: str) -> None:
    fig.add_annotation(text=esc(message), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)


def latency_vs_accuracy(ranking: pd.DataFrame, use_case: UseCase, div_id: str | None = None) -> str:
    """Median latency (ms, log axis) against cited accuracy, one colour per machine.

    `ranking` is `analysis.use_case_ranking(...)`. Only ok rows with a cited accuracy can be
    placed; the dashed line per machine is its Pareto front, the dotted line the floor.
    Default div id: `chart-latency-accuracy-<use case id>`.
    """
    metric = use_case.accuracy_metric
    unit = ranking.attrs.get("accuracy_unit")
    y_title = f"{metric['metric']} on {metric['dataset']}" + (f" ({unit})" if unit else "")
    higher = bool(metric["higher_is_better"])
    fig = go.Figure(layout=CHART_LAYOUT)
    points = ranking[
        (ranking["status"] == "ok") & ranking["p50"].notna() & ranking["accuracy"].notna()
    ]
    front = pareto_front(points, higher_is_better=higher)
    machines = sorted(points["machine"].unique())
    names = named_column(points, "model")
    floor = use_case.accuracy_floor
    floor_value = ranking.attrs.get("floor", floor.value) if floor is not None else None
    # One y range for the plot and the label placement: the floor's line is in the plot, so
    # points far above it sit close together, and labels are placed as they are drawn.
    y_range = _accuracy_range(points["accuracy"], floor_value if machines else None)
    places = _accuracy_label_places(points, names, y_range)
    for i, machine in enumerate(machines):
        colour = PALETTE[i % len(PALETTE)]
        rows = points[points["machine"] == machine].sort_values(["p50", "model"])
        label = esc(rows["machine_label"].iloc[0])
        fig.add_trace(
            go.Scatter(
                x=[num(v * 1e3) for v in rows["p50"]],
                y=[num(v) for v in rows["accuracy"]],
                mode="markers+text",
                name=label,
                legendgroup=machine,
                marker={"color": colour, "size": 10},
                # A label that would overprint another is left off: hover names the point.
                text=[esc(names[r]) if places[r] else "" for r in rows.index],
                textposition=[places[r] or "top center" for r in rows.index],
                customdata=[
                    [esc(runtime), esc(names[r])]
                    for r, runtime in zip(rows.index, named_column(rows, "runtime"), strict=True)
                ],
                hovertemplate=(
                    "%{customdata[1]} on %{customdata[0]}<br>median %{x} ms<br>"
                    + esc(metric["metric"])
                    + " %{y}<extra>"
                    + label
                    + "</extra>"
                ),
            )
        )
        edge = front[front["machine"] == machine].sort_values("p50")
        if len(edge) > 1:
            fig.add_trace(
                go.Scatter(
                    x=[num(v * 1e3) for v in edge["p50"]],
                    y=[num(v) for v in edge["accuracy"]],
                    mode="lines",
                    name=f"{label}: Pareto front",
                    legendgroup=machine,
                    line={"color": colour, "dash": "dash", "width": 1},
                    hoverinfo="skip",
                )
            )
    if floor is not None and machines:
        fig.add_hline(
            y=num(ranking.attrs.get("floor", floor.value)),
            line={"dash": "dot", "color": "#777777"},
            annotation_text=f"floor {num(ranking.attrs.get('floor', floor.value))}",
            annotation_position="bottom right",
        )
    fig.update_layout(
        title={"text": esc(f"{use_case.name}: latency against cited accuracy")},
        xaxis=log_axis(points["p50"] * 1e3, "median latency (ms, log scale)"),
        yaxis={"title": {"text": esc(y_title)}, **({"range": list(y_range)} if machines else {})},
    )
    if not machines:
        empty_chart(fig, "No measured candidate has a cited accuracy yet.")
    return to_div(fig, div_id or f"chart-latency-accuracy-{_slug(use_case.id)}")


def _accuracy_range(accuracy: pd.Series, floor: Any) -> tuple[float, float]:
    """The latency-accuracy chart's y range: the points and the floor, with a margin."""
    values = [float(v) for v in accuracy.dropna()] + ([float(floor)] if floor is not None else [])
    if not values:
        return (0.0, 1.0)
    low, high = min(values), max(values)
    margin = max(high - low, 1e-9) * 0.15
    return (low - margin, high + margin)


def _accuracy_label_places(
    points: pd.DataFrame, names: pd.Series, y_range: tuple[float, float]
) -> dict[Any, str | None]:
    """Where each model's label goes on the latency-accuracy chart (log x, linear y, the
    plot's `y_range`): above or below its point, else beside it, so that no two overprint."""
    if points.empty:
        return {}
    x = points["p50"].map(lambda v: math.log10(v * 1e3))
    y = points["accuracy"].astype(float)
    x_range = (float(x.min()) - math.log10(1.5), float(x.max()) + math.log10(1.5))
    order = points.sort_values(["accuracy", "p50"], ascending=[False, True], kind="stable").index
    at = {i: (float(x[i]), float(y[i])) for i in order}
    above_below = tuple(p for p in _PLACES if p[0] in ("top center", "bottom center"))
    others = tuple(p for p in _PLACES if p not in above_below)
    return _place_labels(at, names, x_range, y_range, above_below + others)


def runtime_comparison(speedups: pd.DataFrame, div_id: str = "chart-runtime-speedups") -> str:
    """Speed-up of each runtime over the baseline per model, grouped by machine and model.

    `speedups` is `analysis.runtime_speedups(...)` (optionally filtered). Bars above the dashed
    line at 1 are faster than the baseline; hover text carries the agreement with it.
    """
    baseline = speedups.attrs["baseline"]
    fig = go.Figure(layout=CHART_LAYOUT)
    rows = speedups[speedups["speedup"].notna()].sort_values(["machine", "model", "runtime"])
    groups = rows.drop_duplicates(["machine", "model"])
    x_machine = [esc(v) for v in groups["machine_label"]]
    x_model = [esc(v) for v in named_column(groups, "model")]
    keys = list(zip(groups["machine"], groups["model"]))
    for i, runtime in enumerate(sorted(rows["runtime"].unique())):
        by_key = {(r.machine, r.model): r for r in rows[rows["runtime"] == runtime].itertuples()}
        found = [by_key.get(k) for k in keys]
        fig.add_trace(
            go.Bar(
                x=[x_machine, x_model],
                y=[num(r.speedup, 4) if r else None for r in found],
                name=esc(runtime),
                marker={"color": PALETTE[i % len(PALETTE)]},
                customdata=[
                    [num(r.p50 * 1e3, 4), _agreement(r)] if r else [None, ""] for r in found
                ],
                hovertemplate=(
                    f"{esc(runtime)}: %{{y}}x<br>median %{{customdata[0]}} ms<br>"
                    "%{customdata[1]}<extra></extra>"
                ),
            )
        )
    if len(rows):
        fig.add_hline(y=1, line={"dash": "dash", "color": "#777777"})
    # Model names are long next to their bars: plotly turns them, and automargin gives them
    # the room they take below the axis (a fixed margin left a blank band or cut them off).
    longest = max((len(m) for m in x_model), default=0)
    turned = len(keys) > 6
    fig.update_layout(
        title={"text": esc(f"Speed-up over {baseline} (median latency ratio, higher is faster)")},
        barmode="group",
        # Short: on a phone a longer title ran past the plot's height (the title says more).
        yaxis={"title": {"text": "speed-up (x)"}},
        # Upright: turned by 45 degrees, long names crossed their neighbours.
        xaxis={"tickangle": -90 if turned else 0, "automargin": True},
        height=CHART_HEIGHT + (5 * longest if turned else 0),
    )
    if not len(rows):
        empty_chart(fig, f"No model ran ok on {baseline} and another runtime yet.")
    return to_div(fig, div_id)


def _agreement(row: Any) -> str:
    parts = []
    if not pd.isna(row.max_abs_error):
        parts.append(f"max abs. error {row.max_abs_error:.2g}")
    if not pd.isna(row.top1_agree):
        parts.append("top-1 agrees" if row.top1_agree else "top-1 differs")
    return ", ".join(parts)


# The roofline's plot area at 1280 px (the wide page's column less the margins), and the
# size of a label's characters: enough to tell whether two labels would overprint.
_PLOT_PX = (880.0, 300.0)
_CHAR_PX, _LINE_PX, _MARKER_PX = 7.0, 16.0, 8.0
_PLACES = (
    ("middle right", 1, 0), ("middle left", -1, 0), ("top center", 0, 1),
    ("bottom center", 0, -1), ("top right", 1, 1), ("bottom right", 1, -1),
    ("top left", -1, 1), ("bottom left", -1, -1),
)  # fmt: skip


def _label_positions(
    points: pd.DataFrame, names: pd.Series, every: pd.DataFrame
) -> dict[Any, str | None]:
    """Where each roofline point's label goes (log-log axes over the range of `every` point,
    as log_axis draws them): _place_labels, highest points first."""
    x_all = every["flops_per_weight_byte"].map(math.log10)
    y_all = every["achieved_gflops"].map(math.log10)
    x_range = (x_all.min() - math.log10(1.5), x_all.max() + math.log10(1.5))
    y_range = (y_all.min() - math.log10(1.5), y_all.max() + math.log10(1.5))
    # Highest points first: they sit where the labels are most crowded (near the peak).
    order = points["achieved_gflops"].sort_values(ascending=False, kind="stable").index
    at = {
        i: (
            math.log10(points.at[i, "flops_per_weight_byte"]),
            math.log10(points.at[i, "achieved_gflops"]),
        )
        for i in order
    }
    return _place_labels(at, names, x_range, y_range)


def _place_labels(
    at: dict[Any, tuple[float, float]],
    names: Any,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    places: tuple[tuple[str, int, int], ...] = _PLACES,
) -> dict[Any, str | None]:
    """Where each point's label goes so that no two labels overprint nor leave the plot: the
    first free place of `places`, in pixels estimated from the points' positions in axis
    units (`at`, in the order to place them) and the axes' ranges; None where no place is
    free (hover still names the point)."""
    x_low, x_high = x_range
    y_low, y_high = y_range
    width, height = _PLOT_PX

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            (x - x_low) / max(x_high - x_low, 1e-9) * width,
            (y - y_low) / max(y_high - y_low, 1e-9) * height,
        )

    boxes: list[tuple[float, float, float, float]] = []
    out: dict[Any, str | None] = {}
    named: set[str] = set()
    for index, (x_value, y_value) in at.items():
        out[index] = None
        if str(names[index]) in named:
            continue  # a model measured on several machines is named once; hover names all
        x, y = px(x_value, y_value)
        w, h = _CHAR_PX * len(str(names[index])), _LINE_PX
        for place, dx, dy in places:
            left = x + _MARKER_PX if dx > 0 else x - _MARKER_PX - w if dx < 0 else x - w / 2
            bottom = y + _MARKER_PX if dy > 0 else y - _MARKER_PX - h if dy < 0 else y - h / 2
            box = (left, bottom, left + w, bottom + h)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes
            ):
                out[index] = place
                boxes.append(box)
                named.add(str(names[index]))
                break
    return out


def roofline(efficiency: pd.DataFrame, peak_flops: float | None, div_id: str | None = None) -> str:
    """Achieved GFLOP/s against FLOPs per FP32 weight byte, with the measured peak as a ceiling.

    `efficiency` is `analysis.machine_efficiency(...)`; `peak_flops` the machine's measured FP32
    peak in FLOP/s. Only the compute roof is drawn: no memory bandwidth is measured, and the x
    axis counts weight bytes only (an upper bound on arithmetic intensity).
    Default div id: `chart-roofline-<machine id>`.
    """
    machine = efficiency.attrs.get("machine")
    if machine is None and len(efficiency):
        machine = efficiency["machine"].iloc[0]
    fig = go.Figure(layout=CHART_LAYOUT)
    rows = efficiency[
        efficiency["achieved_gflops"].notna() & efficiency["flops_per_weight_byte"].notna()
    ]
    # A model's runtimes share its x (FLOPs per weight byte), so one label per model, on its
    # highest point; labels on every point overprinted each other. Hover names every point.
    labelled = set(rows.sort_values(["achieved_gflops", "runtime"]).groupby("model").tail(1).index)
    named = named_column(rows, "model")
    positions = _label_positions(rows.loc[sorted(labelled)], named, rows)
    for i, runtime in enumerate(sorted(rows["runtime"].unique())):
        part = rows[rows["runtime"] == runtime].sort_values("model")
        fig.add_trace(
            go.Scatter(
                x=[num(v, 4) for v in part["flops_per_weight_byte"]],
                y=[num(v, 4) for v in part["achieved_gflops"]],
                mode="markers+text",
                name=esc(runtime),
                marker={"color": PALETTE[i % len(PALETTE)], "size": 10},
                text=[
                    esc(m) if positions.get(index) else ""
                    for index, m in named_column(part, "model").items()
                ],
                textposition=[positions.get(index) or "middle right" for index in part.index],
                customdata=[
                    [num(v, 3), esc(m)]
                    for v, m in zip(part["peak_percent"], named_column(part, "model"), strict=True)
                ],
                hovertemplate=(
                    "%{customdata[1]} on " + esc(runtime) + "<br>%{y} GFLOP/s "
                    "(%{customdata[0]} % of peak)<br>%{x} FLOPs per weight byte<extra></extra>"
                ),
            )
        )
    peak_gflops = num(peak_flops / 1e9, 4) if peak_flops else None
    if peak_gflops is not None and 1e-250 < peak_gflops < 1e250:
        fig.add_hline(y=peak_gflops, line={"color": "#D55E00", "width": 2})
        # In the plot's top left corner, which the axis range keeps free of points (it runs
        # 1.5x above the highest); beside the line it covered the points' labels.
        fig.add_annotation(
            text=f"orange line: measured FP32 peak {peak_gflops:g} GFLOP/s",
            x=0,
            xref="x domain",
            xanchor="left",
            y=1,
            yref="y domain",
            yanchor="top",
            showarrow=False,
            font={"color": "#D55E00"},
        )
    else:
        peak_gflops = None
    fig.update_layout(
        title={"text": "Achieved compute against the measured peak"},
        xaxis=log_axis(rows["flops_per_weight_byte"], "FLOPs per byte of FP32 weights (log scale)"),
        yaxis=log_axis(rows["achieved_gflops"], "achieved GFLOP/s (log scale)", peak_gflops),
    )
    if rows.empty:
        empty_chart(fig, "No ok rows with MAC and parameter counts on this machine yet.")
    return to_div(fig, div_id or f"chart-roofline-{_slug(machine or 'machine')}")
