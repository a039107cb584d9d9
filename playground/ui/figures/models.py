"""Figures for the Models tab: the timeline and size vs measured latency vs published score.

matplotlib is reached lazily through `figures.canvas`: importing it at start-up would slow the
app's launch (the timeline is drawn when the tab is first opened).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from playground.tasks.fact_sheet import TimelineEvent
from playground.tasks.model_overview import TradeoffPoint
from playground.ui import figures

KIND_COLORS = {
    "recurrent": "#f59e0b",  # amber: RNN family
    "attention": "#8b5cf6",  # violet: attention / Transformer
    "encoder": "#3b82f6",  # blue: BERT family
    "decoder": "#10b981",  # green: GPT family
    "alignment": "#ef4444",  # red: instruction tuning and RLHF
}
KIND_LABELS = {"recurrent": "recurrent nets", "attention": "attention / Transformer", "encoder": "encoders (BERT)",
               "decoder": "decoders (GPT)", "alignment": "instruction tuning + RLHF"}


def _figure(width: float, height: float):
    return figures.canvas.Figure(figsize=(width, height), dpi=100, layout="constrained")


def timeline_figure(events: Sequence[TimelineEvent]):
    """Events on one axis, evenly spaced (the 1986–2014 gap would squash the interesting part),
    labelled with their year, alternating above and below the line."""
    fig = _figure(12, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.axhline(0, color="#9ca3af", linewidth=2, zorder=1)
    for i, e in enumerate(events):
        up = i % 2 == 0
        color = KIND_COLORS.get(e.kind, "#6b7280")
        ax.scatter([i], [0], s=90, color=color, zorder=3, edgecolor="white", linewidth=1.5)
        ax.plot([i, i], [0, 0.55 if up else -0.55], color=color, linewidth=1, zorder=2)
        ax.text(i, 0.62 if up else -0.62, f"{e.title}\n{e.year}", ha="center", va="bottom" if up else "top",
                fontsize=9, fontweight="bold", color="#111827")
    ax.set_xlim(-0.7, len(events) - 0.3)
    ax.set_ylim(-1.35, 1.35)
    ax.axis("off")
    handles = [ax.scatter([], [], color=c, s=60, label=KIND_LABELS[k]) for k, c in KIND_COLORS.items()]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=5, frameon=False, fontsize=9)
    ax.set_title("From recurrent nets to instruction-tuned Transformers", fontsize=11)
    return fig


def tradeoff_figure(points: Sequence[TradeoffPoint], score_label: str | None, subtitle: str):
    """Size (x, log) vs measured latency (y); colour = published score, grey = none published."""
    fig = _figure(8, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    scored = [p for p in points if p.score is not None]
    unscored = [p for p in points if p.score is None]
    if scored:
        sc = ax.scatter([p.parameters / 1e6 for p in scored], [p.latency_ms for p in scored],
                        c=[p.score for p in scored], cmap="viridis", s=140, edgecolor="black", zorder=3)
        fig.colorbar(sc, ax=ax, label=f"published {score_label}" if score_label else "published score")
    if unscored:
        ax.scatter([p.parameters / 1e6 for p in unscored], [p.latency_ms for p in unscored], color="#d1d5db",
                   s=140, edgecolor="black", zorder=3, label="no published score for this task")
        ax.legend(loc="upper left", fontsize=8)
    # Alternate label offsets (by latency order) so neighbouring points do not print on top of each other.
    for i, p in enumerate(sorted(points, key=lambda q: q.latency_ms)):
        label = p.name if p.score is None else f"{p.name} ({p.score:g})"
        ax.annotate(label, (p.parameters / 1e6, p.latency_ms), textcoords="offset points",
                    xytext=(8, 6) if i % 2 == 0 else (8, -12), fontsize=8)
    sizes = np.array([p.parameters / 1e6 for p in points] or [1.0])
    if sizes.max() / max(sizes.min(), 1e-9) > 8:
        ax.set_xscale("log")
    ax.set_xlabel("parameters (millions)")
    ax.set_ylabel("measured forward latency (ms)")
    ax.set_title(f"Size vs latency on this machine\n{subtitle}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.25, y=0.2)
    return fig
