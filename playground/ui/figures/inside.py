"""The Inside tab's figures, in Plotly (`gr.Plot`): hover gives the exact values and tokens, the modebar's camera
saves a PNG, and `standalone_html` writes a file that opens offline (plotly.js inlined)."""

from __future__ import annotations

from html import escape
from typing import Sequence

import plotly.graph_objects as go

from playground.tasks.inside import EmbeddingComparison, InfluenceResult, LensResult, ProbeComparison

BERT_COLOR, GPT_COLOR = "#2563eb", "#f97316"
CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=50, b=50), template="plotly_white",
                      hoverlabel=dict(namelength=-1))
    return fig


def lens_figure(result: LensResult) -> go.Figure:
    """Layer × rank heatmap: each cell a top-k token at that layer, coloured by its probability; the final
    answer's cells outlined in the hover text."""
    layers = [row.layer for row in result.layers]
    k = len(result.layers[0].top)
    z = [[p.probability for p in row.top] for row in result.layers]
    text = [[p.token for p in row.top] for row in result.layers]
    custom = [[f"{row.answer_rank}" for _ in row.top] for row in result.layers]
    answer = [[f"{row.answer_probability:.4f}" for _ in row.top] for row in result.layers]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"#{i + 1}" for i in range(k)], y=layers, text=text, texttemplate="%{text}", colorscale="Blues",
        zmin=0, zmax=1, customdata=[[(c, a) for c, a in zip(cr, ar)] for cr, ar in zip(custom, answer)],
        colorbar=dict(title="p"),
        hovertemplate=("%{y}, #%{x}: <b>%{text}</b> p=%{z:.4f}<br>final answer '" + result.answer.token +
                       "' here: rank %{customdata[0]}, p=%{customdata[1]}<extra></extra>")))
    fig.update_yaxes(autorange="reversed", title="hidden state")
    fig.update_xaxes(title="top-k at this layer")
    return _layout(fig, f"{result.model_name}: logit lens at {result.slot} (answer '{result.answer.token}')",
                   height=120 + 45 * len(layers))


def answer_rank_figure(bert: LensResult, gpt: LensResult) -> go.Figure:
    """The final answer's probability per layer, both models (hover: rank too)."""
    fig = go.Figure()
    for result, color in ((bert, BERT_COLOR), (gpt, GPT_COLOR)):
        fig.add_scatter(x=[r.layer for r in result.layers], y=[r.answer_probability for r in result.layers],
                        customdata=[r.answer_rank for r in result.layers], mode="lines+markers",
                        name=f"{result.model_name}: '{result.answer.token}'", line=dict(color=color),
                        hovertemplate="%{x}: p=%{y:.4f}, rank %{customdata}<extra>%{fullData.name}</extra>")
    fig.update_yaxes(title="p(final answer)", range=[0, 1])
    return _layout(fig, "Where the final answer appears")


def similarity_figure(result: EmbeddingComparison) -> go.Figure:
    """Cosine of the word's vectors in the two sentences per layer, both models, with the static embedding."""
    fig = go.Figure()
    for side, color in ((result.bert, BERT_COLOR), (result.gpt, GPT_COLOR)):
        same = ["bit-identical" if i else "differs" for i in side.identical]
        fig.add_scatter(x=["static", *side.layers], y=[side.static_similarity, *side.similarity],
                        customdata=["token embedding", *same], mode="lines+markers", name=side.model_name,
                        line=dict(color=color),
                        hovertemplate="%{x}: cosine %{y:.6f} (%{customdata})<extra>%{fullData.name}</extra>")
    fig.update_yaxes(title="cosine similarity")
    return _layout(fig, f"'{result.bert.word}' in the two sentences: static vs contextual")


def attribution_figure(result: InfluenceResult, color: str) -> go.Figure:
    """Each word's attribution (signed share of the strongest), hover with the raw value."""
    words = [w for w in result.words]
    labels = [f"{i}: {w.word}" for i, w in enumerate(words)]
    fig = go.Figure(go.Bar(x=labels, y=[w.share for w in words], marker_color=color,
                           customdata=[(w.influence, w.side) for w in words],
                           hovertemplate="%{x} (%{customdata[1]}): share %{y:.3f}, raw %{customdata[0]:.5g}"
                                         "<extra></extra>"))
    fig.update_yaxes(title="share of the strongest word")
    return _layout(fig, f"{result.model_name}: which words drove '{result.predicted}'")


def probe_figure(result: ProbeComparison) -> go.Figure:
    """Held-out probe accuracy per layer (± spread over repeats) and the control task's, both models."""
    fig = go.Figure()
    for side, color in ((result.bert, BERT_COLOR), (result.gpt, GPT_COLOR)):
        x = [l.layer for l in side.layers]
        fig.add_scatter(x=x, y=[l.accuracy for l in side.layers], name=f"{side.model_name}: labels",
                        error_y=dict(type="data", array=[l.accuracy_spread for l in side.layers]),
                        line=dict(color=color), customdata=[l.selectivity for l in side.layers],
                        hovertemplate="%{x}: accuracy %{y:.3f}, selectivity %{customdata:.3f}<extra></extra>")
        fig.add_scatter(x=x, y=[l.control_accuracy for l in side.layers], name=f"{side.model_name}: control",
                        error_y=dict(type="data", array=[l.control_spread for l in side.layers]),
                        line=dict(color=color, dash="dot"),
                        hovertemplate="%{x}: control accuracy %{y:.3f}<extra></extra>")
    fig.add_hline(y=result.bert.majority, line_dash="dash", line_color="#9ca3af", annotation_text="majority label")
    fig.update_yaxes(title="held-out accuracy", range=[0, 1.05])
    return _layout(fig, f"Probes: {result.description}")


def standalone_html(figures: Sequence[go.Figure], title: str = "Inside") -> str:
    """One HTML page holding the figures, plotly.js inlined: it opens offline, interactive."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), config=CONFIG) for i, fig in enumerate(figures)]
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>" + \
        "".join(parts) + "</body></html>"
