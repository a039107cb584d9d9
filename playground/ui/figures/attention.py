"""Matplotlib figures (Agg backend, created per call; no pyplot global state).

matplotlib and numpy are imported inside the figure functions to keep start-up fast."""

from __future__ import annotations

from typing import Sequence

from playground.lm.attention import AttentionMap
from playground.tasks.compare import AttentionMask

MAX_LABELS = 48  # beyond this, tick labels become unreadable
DIRECTION_TITLES = {
    "bidirectional": "bidirectional (every token sees all)",
    "causal": "causal (token t sees ≤ t)",
}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _ticks(ax, labels: Sequence[str]) -> None:
    n = len(labels)
    step = max(1, n // MAX_LABELS + (1 if n % MAX_LABELS else 0)) if n > MAX_LABELS else 1
    idx = list(range(0, n, step))
    ax.set_xticks(idx, [labels[i] for i in idx], rotation=90, fontsize=8)
    ax.set_yticks(idx, [labels[i] for i in idx], fontsize=8)


def attention_masks_figure(masks: Sequence[AttentionMask]):
    """Each model's attention mask side by side, with its query token's row highlighted."""
    import numpy as np
    from matplotlib.patches import Rectangle

    fig = _figure(11, 5.2)
    for i, mask in enumerate(masks, start=1):
        ax = fig.add_subplot(1, len(masks), i)
        n, query = len(mask.tokens), mask.query
        allowed = np.array(mask.pattern, dtype=float).reshape(n, n)
        shade = allowed * 0.35
        if 0 <= query < n:
            shade[query] = allowed[query]
        ax.imshow(shade, cmap="Greens", vmin=0, vmax=1)
        if 0 <= query < n:
            ax.add_patch(Rectangle((-0.5, query - 0.5), n, 1, fill=False, edgecolor="#dc2626", linewidth=2))
        _ticks(ax, mask.tokens)
        ax.set_xlabel("key: token being looked at")
        ax.set_ylabel("query: token doing the looking")
        visible = int(allowed[query].sum()) if 0 <= query < n else 0
        who = mask.tokens[query] if 0 <= query < n else "?"
        title = f"{mask.model_name}: {DIRECTION_TITLES.get(mask.direction, mask.direction)}"
        ax.set_title(f"{title}\n'{who}' sees {visible} of {n} tokens", fontsize=10)
    return fig


def attention_heatmaps_figure(maps: Sequence[AttentionMap]):
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
