"""Figures for the GPT → Assistant tab (Plotly: hover shows the exact values): the training losses of a stage, and
DPO's reward-margin curve per seed (this step's batch, and the held-out pairs at each evaluation)."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

SEED_COLOURS = ("#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706")


def loss_figure(losses: Sequence[float], title: str, y_title: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(range(1, len(losses) + 1)), y=list(losses), mode="lines", name="loss",
                               hovertemplate="step %{x}<br>loss %{y:.4f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="step", yaxis_title=y_title, height=300,
                      margin=dict(l=50, r=20, t=40, b=40))
    return fig


def margin_figure(curve: Sequence) -> go.Figure:
    """β × (chosen − rejected log-ratio): thin lines the training batches, markers the held-out pairs; one colour
    per seed."""
    fig = go.Figure()
    seeds = list(dict.fromkeys(p.seed for p in curve))
    for k, seed in enumerate(seeds):
        colour = SEED_COLOURS[k % len(SEED_COLOURS)]
        points = [p for p in curve if p.seed == seed]
        fig.add_trace(go.Scatter(x=[p.step for p in points], y=[p.train_margin for p in points], mode="lines",
                                 line=dict(color=colour, width=1), opacity=0.5, name=f"seed {seed}: batch",
                                 hovertemplate="step %{x}<br>batch margin %{y:.4f}<extra></extra>"))
        held = [p for p in points if p.heldout_margin is not None]
        fig.add_trace(go.Scatter(x=[p.step for p in held], y=[p.heldout_margin for p in held], mode="lines+markers",
                                 line=dict(color=colour, width=2), name=f"seed {seed}: held-out",
                                 hovertemplate="step %{x}<br>held-out margin %{y:.4f}<extra></extra>"))
    fig.update_layout(title="Reward margin β·[(log π − log π_SFT)(chosen) − (…)(rejected)]", xaxis_title="DPO step",
                      yaxis_title="margin (nats × β)", height=340, margin=dict(l=50, r=20, t=40, b=40))
    return fig
