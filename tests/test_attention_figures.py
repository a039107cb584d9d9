"""The Compare tab's attention figures: Plotly figures built from result data, titled as the tests read them, with
hover that names both tokens and the exact value, and a row view instead of the grid for long inputs."""


import numpy as np
import plotly.graph_objects as go



from playground.lm.attention import AttentionMap
from playground.lm.influence import attention_mask_pattern
from playground.tasks.compare import AttentionMask, HeadSummary
from playground.ui.figures.attention import (LONG_INPUT, MASK_X_TITLE, MASK_Y_TITLE, MAX_LABELS, _labelled,
                                             attention_heatmaps_figure, attention_masks_figure, categories, head_summary_figure,
                                             panel_titles, row_runs, span_text)


def _mask(n: int, direction: str, rows: tuple[int, ...], word: str = "w") -> AttentionMask:
    return AttentionMask(model_name="m", direction=direction, tokens=tuple(f"t{i}" for i in range(n)), query=4,
                         word=word, rows=rows, pattern=tuple(map(tuple, attention_mask_pattern(direction, n))))


def _causal_map(n: int, model: str = "gpt") -> AttentionMap:
    weights = tuple(tuple(1.0 / (i + 1) if j <= i else 0.0 for j in range(n)) for i in range(n))
    return AttentionMap(model_name=model, layer=3, head=2, num_layers=12, num_heads=12,
                        tokens=tuple(f"tok{i}" for i in range(n)), weights=weights)


def _heatmaps(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if isinstance(t, go.Heatmap)]


def test_masks_figure_says_what_the_words_tokens_see_and_gpts_mask_is_lower_triangular():
    fig = attention_masks_figure([_mask(6, "bidirectional", (2,)), _mask(6, "causal", (2, 3))])
    assert panel_titles(fig) == ["m: bidirectional (every token sees all)\n'w' (token 2) sees 6 of 6 tokens",
                                 "m: causal (token t sees ≤ t)\n'w' (tokens 2–3) sees 3–4 of 6 tokens"]
    bert, gpt = _heatmaps(fig)
    assert (np.asarray(bert.customdata) == 1).all()
    allowed = np.asarray(gpt.customdata)
    assert (allowed == np.tril(np.ones((6, 6)))).all()  # causal: query i may attend to keys ≤ i only
    # The picked word's rows are drawn full (2), the rest faint (1), masked-out cells blank (0), and outlined.
    shade = np.asarray(gpt.z)
    assert shade[2].tolist() == [2, 2, 2, 0, 0, 0] and shade[4].tolist() == [1, 1, 1, 1, 1, 0]
    outlines = [s for s in fig.layout.shapes if s.xref == "x2"]
    assert [(s.y0, s.y1) for s in outlines] == [(1.5, 3.5)]  # rows 2–3 are one run
    # Hover names the query and the key (position and token) and whether the mask lets one see the other.
    assert list(gpt.y) == list(gpt.x) == categories([f"t{i}" for i in range(6)]) and gpt.x[5] == "5: t5"
    assert "query %{y} → key %{x}" in gpt.hovertemplate and "may attend" in gpt.hovertemplate
    # The axis titles are whole (no cut text) and the margins make room for the labels before them.
    assert fig.layout.xaxis.title.text == MASK_X_TITLE and fig.layout.yaxis.title.text == MASK_Y_TITLE
    assert fig.layout.yaxis.automargin and fig.layout.xaxis.automargin


def test_a_word_a_model_did_not_read_is_named_not_drawn():
    fig = attention_masks_figure([_mask(4, "causal", (), word="Texas")])
    assert panel_titles(fig)[0].endswith("'Texas' is not among its tokens (cut off)")
    assert not fig.layout.shapes


def test_row_runs_and_spans_in_words():
    assert row_runs([5, 2, 3, 9, 40], 10) == [(2, 3), (5, 5), (9, 9)]  # 40 is past the last row
    assert span_text([6]) == "token 6" and span_text([5, 6]) == "tokens 5–6" and span_text([2, 4]) == "tokens 2, 4"


def test_heatmaps_hover_the_exact_weight_and_label_every_kth_token_of_longer_inputs():
    amap = _causal_map(LONG_INPUT)
    fig = attention_heatmaps_figure([amap], [(10,)])
    assert panel_titles(fig) == ["gpt: layer 3/12, head 2/12"]
    (heat,) = _heatmaps(fig)
    assert np.asarray(heat.z)[3, 1] == np.float32(0.25) and "weight %{z:.4f}" in heat.hovertemplate
    assert heat.zmin == 0 and heat.zmax == 1 and heat.showscale
    ticks = fig.layout.xaxis.ticktext
    assert MAX_LABELS // 2 <= len(ticks) <= MAX_LABELS and ticks[0] == "tok0"
    assert _labelled(("a" * 40,)) == ["a" * 15 + "…"]  # long pieces are cut, not overlapping
    assert [(s.y0, s.y1) for s in fig.layout.shapes] == [(9.5, 10.5)]


def test_long_inputs_show_the_picked_row_and_a_per_key_mean_instead_of_the_grid_and_stay_fast():
    n = 512
    maps = [_causal_map(n, "bert"), _causal_map(n, "gpt")]
    fig = attention_heatmaps_figure(maps, [(7, 8), ()])
    assert not _heatmaps(fig)  # no 512 × 512 grid
    titles = panel_titles(fig)
    assert titles[0] == "bert: layer 3/12, head 2/12\nquery row: tokens 7–8 (pick a word above)"
    assert titles[1].endswith("the picked word has no tokens here")
    assert titles[2] == "bert: mean attention each key gets (all 512 queries)"
    rows = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert [t.name for t in rows] == ["bert query 7: tok7", "bert query 8: tok8"]
    assert np.allclose(rows[0].y[:8], 1 / 8) and rows[0].y[8] == 0 and "key %{x}" in rows[0].hovertemplate
    means = [t for t in fig.data if isinstance(t, go.Bar)]
    assert len(means) == 2 and np.isclose(means[0].y[0], np.mean([1 / (i + 1) for i in range(n)]), rtol=1e-4)


def test_head_summary_figure_is_a_layer_by_head_map_with_the_entropy_on_hover():
    summaries = [HeadSummary("bert", 512, ((1.0, 9.0), (2.0, 3.0), (4.0, 5.0))),
                 HeadSummary("gpt", 300, ((0.5,),))]
    fig = head_summary_figure(summaries)
    assert panel_titles(fig) == ["bert: mean attention entropy per head\n512 tokens; all keys alike = 9.00 bits",
                                 "gpt: mean attention entropy per head\n300 tokens; all keys alike = 8.23 bits"]
    bert, gpt = _heatmaps(fig)
    assert np.asarray(bert.z).shape == (3, 2) and list(bert.x) == [1, 2] and list(bert.y) == [1, 2, 3]
    assert bert.zmax == gpt.zmax == 9.0  # one colour scale for both models
    assert "layer %{y}, head %{x}: mean entropy %{z:.3f} bits" in bert.hovertemplate
