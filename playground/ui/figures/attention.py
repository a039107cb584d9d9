"""The Compare tab's attention figures in Plotly (`gr.Plot`): each model's attention mask and one head's weights,
side by side. Hover gives the exact value with both tokens (query and key), the modebar's camera saves a PNG and
the Export button writes them into one standalone HTML file (`figures.inside.standalone_html`).

Plotly rather than the Pillow pictures these used to be: a person reads values off these maps, and a heatmap
trace is drawn by the browser as one image, so a 512 × 512 grid costs the server only its numbers (sent as
typed arrays). Long inputs: past LONG_INPUT tokens a weight grid is unreadable, so the weights figure shows
the picked word's query row(s) and what the head attends to on average instead.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.tasks.compare import AttentionMap, AttentionMask, HeadSummary

MAX_LABELS = 32  # beyond this, every k-th token is labelled on the axes (hover still names every token)
DIRECTION_TITLES = {
    "bidirectional": "bidirectional (every token sees all)",
    "causal": "causal (token t sees ≤ t)",
}
LABEL_CHARS = 16  # longer token labels are cut with "…"
LONG_INPUT = 96  # tokens; beyond, the weights figure shows rows and a summary instead of the grid
QUERY_OUTLINE = "#dc2626"  # the picked word's rows
# The mask's shades: 0 masked out, 1 may attend (faint), 2 the picked word's rows (full), as matplotlib's "Greens".
MASK_COLOURS = [[0.0, "#f7fcf5"], [0.5, "#a1d99b"], [1.0, "#00441b"]]
MODEL_COLOURS = ("#2563eb", "#f97316")  # BERT, GPT-2 (as in the Inside tab)
MASK_X_TITLE, MASK_Y_TITLE = "key: token being looked at", "query: token doing the looking"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _labelled(labels: Sequence[str]) -> list[str]:
    """Every label, or every k-th one when there are more than MAX_LABELS (the others blank)."""
    n = len(labels)
    step = 1 if n <= MAX_LABELS else -(-n // MAX_LABELS)
    return [_short(label) if i % step == 0 else "" for i, label in enumerate(labels)]


def categories(tokens: Sequence[str]) -> list[str]:
    """Axis categories, one per token, made unique by the position ("3: bank"): hover names both tokens."""
    return [f"{i}: {token}" for i, token in enumerate(tokens)]


def _ticks(tokens: Sequence[str]) -> dict:
    """Tick labels: every token, or every k-th one for long inputs (short pieces; the hover has the rest)."""
    cats, shown = categories(tokens), _labelled(tokens)
    keep = [i for i, label in enumerate(shown) if label]
    return dict(tickmode="array", tickvals=[cats[i] for i in keep], ticktext=[shown[i] for i in keep],
                tickfont=dict(size=10), automargin=True)


def row_runs(rows: Sequence[int], n: int) -> list[tuple[int, int]]:
    """The rows (those in 0..n-1) as runs of adjacent positions: [(first, last), …]."""
    runs: list[list[int]] = []
    for row in sorted(r for r in set(rows) if 0 <= r < n):
        if runs and runs[-1][1] == row - 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return [(a, b) for a, b in runs]


def span_text(rows: Sequence[int]) -> str:
    """Token positions in words: "token 6", "tokens 5–6", "tokens 2, 4"."""
    runs = row_runs(rows, max(rows, default=0) + 1)
    if len(rows) == 1:
        return f"token {rows[0]}"
    return "tokens " + ", ".join(f"{a}–{b}" if b > a else f"{a}" for a, b in runs)


def mask_title(mask: AttentionMask) -> str:
    n = len(mask.tokens)
    rows = [r for r in mask.rows if 0 <= r < n]
    if not rows:
        seen = f"'{mask.word}' is not among its tokens (cut off)" if mask.word else "no word picked"
    else:
        visible = sorted({sum(mask.pattern[r]) for r in rows})
        count = f"{visible[0]}" if len(visible) == 1 else f"{visible[0]}–{visible[-1]}"
        seen = f"'{mask.word}' ({span_text(rows)}) sees {count} of {n} tokens"
    return f"{mask.model_name}: {DIRECTION_TITLES.get(mask.direction, mask.direction)}\n{seen}"


def heatmap_title(amap: AttentionMap) -> str:
    return f"{amap.model_name}: layer {amap.layer}/{amap.num_layers}, head {amap.head}/{amap.num_heads}"


def panel_titles(fig: go.Figure) -> list[str]:
    """A figure's panel titles as plain text (lines joined by "\\n"), as the functions below wrote them."""
    return [a.text.replace("<br>", "\n") for a in fig.layout.annotations if a.text and a.yref == "paper"]


def _grid(titles: Sequence[str], rows: int = 1, height: int = 520) -> go.Figure:
    cols = max(len(titles) // rows, 1)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t.replace("\n", "<br>") for t in titles],
                        horizontal_spacing=0.14, vertical_spacing=0.2)
    # automargin: the token labels push the margins out, so the axis titles beyond them are never cut.
    fig.update_layout(height=height, template="plotly_white", margin=dict(l=20, r=20, t=80, b=20),
                      hoverlabel=dict(namelength=-1), showlegend=rows > 1)
    fig.update_annotations(font_size=12)
    return fig


def _outline_rows(fig: go.Figure, rows: Sequence[int], n: int, col: int) -> None:
    """One red outline per run of adjacent rows (a word's pieces) on the heatmap of column `col`."""
    for first, last in row_runs(rows, n):
        fig.add_shape(type="rect", x0=-0.5, x1=n - 0.5, y0=first - 0.5, y1=last + 0.5, row=1, col=col,
                      line=dict(color=QUERY_OUTLINE, width=2), fillcolor="rgba(0,0,0,0)")


def _heatmap_axes(fig: go.Figure, tokens: Sequence[str], col: int, x_title: str, y_title: str) -> None:
    fig.update_xaxes(title=dict(text=x_title, standoff=6), tickangle=-90, row=1, col=col, **_ticks(tokens))
    fig.update_yaxes(title=dict(text=y_title, standoff=6), autorange="reversed", row=1, col=col,
                     **_ticks(tokens))


def attention_masks_figure(masks: Sequence[AttentionMask]) -> go.Figure:
    """Each model's attention mask side by side, with the picked word's rows (its tokens) highlighted; hover says
    whether that query may attend to that key."""
    fig = _grid([mask_title(mask) for mask in masks])
    for col, mask in enumerate(masks, start=1):
        pattern = np.asarray(mask.pattern, dtype=np.int8).reshape(len(mask.tokens), len(mask.tokens))
        rows = [r for r in mask.rows if 0 <= r < len(mask.tokens)]
        shade = pattern.copy()  # int8 on purpose: at 512 tokens the figure sends 2 × 256 KiB, not 2 MiB of floats
        shade[rows] *= 2
        cats = categories(mask.tokens)
        fig.add_heatmap(z=shade, x=cats, y=cats, customdata=pattern, zmin=0, zmax=2, colorscale=MASK_COLOURS,
                        showscale=False, name=mask.model_name, row=1, col=col,
                        hovertemplate="query %{y} → key %{x}: may attend = %{customdata} (1 yes, 0 masked out)"
                                      "<extra>%{fullData.name}</extra>")
        _heatmap_axes(fig, mask.tokens, col, MASK_X_TITLE, MASK_Y_TITLE)
        _outline_rows(fig, rows, len(mask.tokens), col)
    return fig


def _weights(amap: AttentionMap) -> np.ndarray:
    n = len(amap.tokens)
    return np.asarray(amap.weights or [[0.0]], dtype=np.float32).reshape(max(n, 1), max(n, 1))


def attention_heatmaps_figure(maps: Sequence[AttentionMap], rows: Sequence[Sequence[int]] = ()) -> go.Figure:
    """One heatmap per AttentionMap, side by side, with a colour bar of the attention weight and the picked
    word's rows (`rows[k]`, token positions of map k) outlined. Past LONG_INPUT tokens: `long_input_figure`."""
    rows = list(rows) + [()] * (len(maps) - len(rows))
    if any(len(amap.tokens) > LONG_INPUT for amap in maps):
        return long_input_figure(maps, rows)
    fig = _grid([heatmap_title(amap) for amap in maps])
    for col, (amap, picked) in enumerate(zip(maps, rows), start=1):
        cats = categories(amap.tokens)
        bar_x = col / len(maps) - 0.02 if col < len(maps) else 1.02
        fig.add_heatmap(z=_weights(amap), x=cats, y=cats, zmin=0, zmax=1, colorscale="Viridis", name=amap.model_name,
                        showscale=col == len(maps), colorbar=dict(title="weight", x=bar_x), row=1, col=col,
                        hovertemplate="query %{y} → key %{x}: weight %{z:.4f}<extra>%{fullData.name}</extra>")
        _heatmap_axes(fig, amap.tokens, col, "key", "query")
        _outline_rows(fig, picked, len(amap.tokens), col)
    return fig


def long_input_figure(maps: Sequence[AttentionMap], rows: Sequence[Sequence[int]]) -> go.Figure:
    """For long inputs, per model: the weights of the picked word's query row(s) over every key (top), and the
    head's mean attention per key over all queries (bottom) — readable at 512 tokens, where a grid is not."""
    titles = [f"{heatmap_title(amap)}\n{_row_title(amap, picked)}" for amap, picked in zip(maps, rows)]
    titles += [f"{amap.model_name}: mean attention each key gets (all {len(amap.tokens)} queries)" for amap in maps]
    fig = _grid(titles, rows=2, height=640)
    for col, (amap, picked, colour) in enumerate(zip(maps, rows, MODEL_COLOURS * len(maps)), start=1):
        weights, cats = _weights(amap), categories(amap.tokens)
        for r in [r for r in picked if 0 <= r < len(amap.tokens)]:
            fig.add_scatter(x=cats, y=weights[r], mode="lines", name=f"{amap.model_name} query {cats[r]}",
                            row=1, col=col, hovertemplate=f"query {cats[r]} → key %{{x}}: weight %{{y:.4f}}"
                                                          "<extra></extra>")
        fig.add_bar(x=cats, y=weights.mean(axis=0), marker_color=colour, name=f"{amap.model_name} mean",
                    row=2, col=col, hovertemplate="key %{x}: mean weight %{y:.4f}<extra></extra>")
        for row in (1, 2):
            fig.update_xaxes(title=dict(text="key", standoff=4), tickangle=-90, row=row, col=col,
                             **_ticks(amap.tokens))
            fig.update_yaxes(title="weight", rangemode="tozero", row=row, col=col)
    return fig


def _row_title(amap: AttentionMap, picked: Sequence[int]) -> str:
    rows = [r for r in picked if 0 <= r < len(amap.tokens)]
    return f"query row: {span_text(rows)} (pick a word above)" if rows else "the picked word has no tokens here"


def head_summary_figure(summaries: Sequence[HeadSummary]) -> go.Figure:
    """Per model, a layer × head map of how spread out each head's attention is (mean entropy over the queries,
    bits): one number per head, readable at any input length, so the user can pick a head worth looking at."""
    fig = _grid([f"{s.model_name}: mean attention entropy per head\n{s.tokens} tokens; all keys alike = "
                 f"{np.log2(max(s.tokens, 1)):.2f} bits" for s in summaries], height=200 + 28 * max(
                     (len(s.entropy) for s in summaries), default=1))
    top = max((np.log2(max(s.tokens, 1)) for s in summaries), default=1.0)
    for col, summary in enumerate(summaries, start=1):
        entropy = np.asarray(summary.entropy, dtype=np.float32)
        fig.add_heatmap(z=entropy, x=list(range(1, entropy.shape[1] + 1)), y=list(range(1, entropy.shape[0] + 1)),
                        zmin=0, zmax=top, colorscale="Cividis", name=summary.model_name, row=1, col=col,
                        showscale=col == len(summaries), colorbar=dict(title="bits"),
                        hovertemplate="layer %{y}, head %{x}: mean entropy %{z:.3f} bits<extra>%{fullData.name}"
                                      "</extra>")
        fig.update_xaxes(title="head", dtick=1, row=1, col=col)
        fig.update_yaxes(title="layer", dtick=1, autorange="reversed", row=1, col=col)
    return fig
