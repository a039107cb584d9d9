"""Matplotlib figures (Agg backend, created per call; no pyplot global state)."""

from __future__ import annotations

from typing import Sequence

MAX_LABELS = 48  # beyond this, tick labels become unreadable


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _ticks(ax, labels: Sequence[str]) -> None:
    n = len(labels)
    step = max(1, n // MAX_LABELS + (1 if n % MAX_LABELS else 0)) if n > MAX_LABELS else 1
    idx = list(range(0, n, step))
    ax.set_xticks(idx, [labels[i] for i in idx], rotation=90, fontsize=8)
    ax.set_yticks(idx, [labels[i] for i in idx], fontsize=8)


def attention_masks_figure(bert_tokens: Sequence[str], gpt_tokens: Sequence[str], bert_query: int,
                           gpt_query: int, bert_title: str, gpt_title: str):
    """Side by side: BERT's full mask and GPT-2's lower-triangular mask, with one query row highlighted."""
    import numpy as np
    from matplotlib.patches import Rectangle

    fig = _figure(11, 5.2)
    for ax, labels, query, causal, title in (
        (fig.add_subplot(1, 2, 1), bert_tokens, bert_query, False, bert_title),
        (fig.add_subplot(1, 2, 2), gpt_tokens, gpt_query, True, gpt_title),
    ):
        n = len(labels)
        allowed = np.tril(np.ones((n, n))) if causal else np.ones((n, n))
        shade = allowed * 0.35
        if 0 <= query < n:
            shade[query] = allowed[query] * 1.0
        ax.imshow(shade, cmap="Greens", vmin=0, vmax=1)
        if 0 <= query < n:
            ax.add_patch(Rectangle((-0.5, query - 0.5), n, 1, fill=False, edgecolor="#dc2626", linewidth=2))
        _ticks(ax, labels)
        ax.set_xlabel("key: token being looked at")
        ax.set_ylabel("query: token doing the looking")
        visible = int(allowed[query].sum()) if 0 <= query < n else 0
        who = labels[query] if 0 <= query < n else "?"
        ax.set_title(f"{title}\n'{who}' sees {visible} of {n} tokens", fontsize=10)
    return fig


def attention_heatmaps_figure(maps: Sequence) -> "object":
    """One heatmap per AttentionMap, side by side."""
    import numpy as np

    fig = _figure(11, 5.2)
    for i, amap in enumerate(maps, start=1):
        ax = fig.add_subplot(1, len(maps), i)
        image = ax.imshow(np.array(amap.weights), cmap="viridis", vmin=0, vmax=1)
        _ticks(ax, amap.tokens)
        ax.set_title(f"{amap.model_name}: layer {amap.layer}/{amap.num_layers}, head {amap.head}/{amap.num_heads}",
                     fontsize=10)
        ax.set_xlabel("key")
        ax.set_ylabel("query")
        fig.colorbar(image, ax=ax, shrink=0.7, label="attention weight")
    return fig
