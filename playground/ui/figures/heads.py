"""Figures for the fine-tuned heads tabs (matplotlib Figure objects, no pyplot global state).

matplotlib is reached lazily through `figures.canvas`: importing it at start-up would slow the app's launch.
"""

from __future__ import annotations

from typing import Sequence

from playground.tasks.question_answering import QAWindow
from playground.ui import figures

MAX_LABELS = 60  # beyond this, tick labels are thinned so they stay readable


def _thin_ticks(ax, labels: Sequence[str]) -> None:
    n = len(labels)
    step = max(1, -(-n // MAX_LABELS))
    idx = list(range(0, n, step))
    ax.set_xticks(idx, [labels[i] for i in idx], rotation=90, fontsize=8)


def qa_probabilities_figure(window: QAWindow, answer_span: tuple[int, int] | None, window_count: int, include_cls: bool):
    """Start and end probabilities over one window's context tokens (plus [CLS] for SQuAD 2.0 models),
    with the chosen span in red."""
    shown = [t for t in window.tokens if t.segment == "context" or (include_cls and t.position == 0)]
    labels = [t.token for t in shown]
    in_answer = [answer_span is not None and answer_span[0] <= t.position <= answer_span[1] for t in shown]
    fig = figures.canvas.Figure(figsize=(11, 4.6), dpi=100, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, values, name in ((axes[0], [t.start_probability for t in shown], "P(start)"),
                             (axes[1], [t.end_probability for t in shown], "P(end)")):
        colours = ["#dc2626" if hit else ("#a78bfa" if t.segment == "special" else "#60a5fa")
                   for hit, t in zip(in_answer, shown)]
        ax.bar(range(len(shown)), values, color=colours, width=0.85)
        ax.set_ylabel(name)
        ax.set_ylim(0, max(max(values, default=0.0) * 1.15, 0.05))
        ax.grid(axis="y", alpha=0.3)
    _thin_ticks(axes[1], labels)
    where = f"window {window.index} of {window_count}" if window_count > 1 else "the whole context"
    extra = " · violet = [CLS] (no answer)" if include_cls else ""
    axes[0].set_title(f"Start / end probabilities over the context tokens ({where}) · red = chosen span{extra}",
                      fontsize=10)
    return fig
