"""Plotly figures for the "RNN → Transformer" tab: mean curves with a ±1 sd band over the seeds (hover: the exact
mean, sd and each seed's value), and the attention alignment as a heat map."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

COLOURS = {"vanilla RNN": "#9ca3af", "GRU": "#d97706", "LSTM": "#059669", "transformer": "#dc2626",
           "fixed vector (no attention)": "#6b7280", "with attention": "#2563eb"}


def _colour(series: str) -> str:
    return COLOURS.get(series.split(" · ")[0], "#7c3aed")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def band_figure(points: Sequence, title: str, x_title: str, y_title: str, *, log_x: bool = False,
                y_range: tuple[float, float] | None = None, chance: float | None = None,
                dashed: str = "") -> go.Figure:
    """One line per series (mean over seeds) with a shaded ±1 sd band; series containing `dashed` are dashed."""
    fig = go.Figure()
    for series in dict.fromkeys(p.series for p in points):
        pts = sorted((p for p in points if p.series == series), key=lambda p: p.x)
        xs = [p.x for p in pts]
        colour = _colour(series)
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[p.mean + p.sd for p in pts] + [p.mean - p.sd for p in pts][::-1],
                                 mode="lines", fill="toself", fillcolor=_rgba(colour, 0.15), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, legendgroup=series))
        hover = [f"{series}<br>{x_title} = {p.x:g}<br>mean {p.mean:.4g} ± {p.sd:.3g} (sd, n = {len(p.values)})"
                 f"<br>seeds: {', '.join(f'{v:.3g}' for v in p.values)}" for p in pts]
        fig.add_trace(go.Scatter(x=xs, y=[p.mean for p in pts], mode="lines+markers", name=series,
                                 legendgroup=series, hovertext=hover, hoverinfo="text",
                                 line=dict(color=colour, dash="dash" if dashed and dashed in series else "solid")))
    if chance is not None:
        fig.add_hline(y=chance, line=dict(color="#9ca3af", dash="dot"), annotation_text="chance")
    fig.update_layout(title=dict(text=title, font=dict(size=14)), xaxis_title=x_title, yaxis_title=y_title,
                      height=420, margin=dict(l=60, r=20, t=50, b=50), legend=dict(font=dict(size=11)))
    if log_x:  # ticks at the measured x values (plotly's log ticks would read "2, 3, … 10, 2")
        xs = sorted({p.x for p in points})
        fig.update_xaxes(type="log", tickvals=xs, ticktext=[f"{x:g}" for x in xs])
    if y_range:
        fig.update_yaxes(range=list(y_range))
    return fig


def lm_figure(result) -> go.Figure:
    s = result.settings
    title = (f"Held-out loss on the lab corpus: ~{s['param_budget']:,} parameters each, {s['steps']} steps "
             f"(≤ {s['time_budget_s']:g} s), mean ± sd of {s['seeds']} seeds")
    return band_figure(result.points, title, "step", "held-out cross-entropy (nats per word)")


def long_range_figure(result) -> go.Figure:
    s = result.settings
    return band_figure(result.points, f"Accuracy on the word decided d positions back ({s['seeds']} seeds, "
                                      f"~{s['param_budget']:,} parameters each)",
                       "distance d (words)", f"held-out accuracy ({result.test_size} items)", log_x=True,
                       y_range=(0, 1.05), chance=result.chance)


def gradient_figure(result) -> go.Figure:
    s = result.settings
    title = (f"How much of the loss at t reaches position t − d (log10 ‖∂L_t/∂x_(t−d)‖, "
             f"{s['seeds']} seeds; 'trained': {s['trained_steps']} steps at d = {s['trained_distance']})")
    return band_figure(result.points, title, "d (positions back)", "log10 gradient norm", dashed="initialised")


def seq2seq_figure(result, exact: bool = False) -> go.Figure:
    s = result.settings
    what = "sequences written entirely right" if exact else "words right"
    return band_figure(result.exact if exact else result.points,
                       f"{s['task'].capitalize()}: {what} on held-out sequences ({s['seeds']} seeds)",
                       "sequence length (words)", f"held-out accuracy ({result.test_size} per length)",
                       y_range=(0, 1.05))


def alignment_figure(alignment) -> go.Figure:
    """Rows: the words the decoder wrote; columns: the input words; colour: the attention weight."""
    fig = go.Figure(go.Heatmap(
        z=[list(row) for row in alignment.weights], colorscale="Blues", zmin=0, zmax=1,
        x=[f"{i + 1}. {w}" for i, w in enumerate(alignment.inputs)],
        y=[f"{i + 1}. {w}" for i, w in enumerate(alignment.outputs)],
        hovertemplate="writing %{y}<br>looks at %{x}<br>weight %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="output word (written)")
    fig.update_xaxes(title="input word (read)")
    fig.update_layout(title=dict(text="Where the decoder looks while writing each word (seed 0)", font=dict(size=14)),
                      height=420, margin=dict(l=90, r=20, t=50, b=60))
    return fig
