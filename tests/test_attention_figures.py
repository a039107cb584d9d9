"""The Compare tab's attention figures: drawn to PNG with Pillow from result data, titled as the tests and the
image's alt text read them."""

import io

from PIL import Image

from playground.lm.attention import AttentionMap
from playground.lm.influence import attention_mask_pattern
from playground.tasks.compare import AttentionMask
from playground.ui.figures.attention import (MAX_LABELS, _font, _labelled, attention_heatmaps_figure,
                                             attention_masks_figure, attention_masks_svg, row_runs, span_text)


def _mask(n: int, direction: str, rows: tuple[int, ...], word: str = "w") -> AttentionMask:
    return AttentionMask(model_name="m", direction=direction, tokens=tuple(f"t{i}" for i in range(n)), query=4,
                         word=word, rows=rows, pattern=tuple(map(tuple, attention_mask_pattern(direction, n))))


def test_masks_figure_says_what_the_words_tokens_see_and_is_an_inline_png():
    picture = attention_masks_figure([_mask(6, "bidirectional", (2,)), _mask(6, "causal", (2, 3))])
    assert picture.png.startswith(b"\x89PNG")
    titles = [p.title for p in picture.panels]
    assert titles == ["m: bidirectional (every token sees all)\n'w' (token 2) sees 6 of 6 tokens",
                      "m: causal (token t sees ≤ t)\n'w' (tokens 2–3) sees 3–4 of 6 tokens"]
    html = picture.html()
    assert html.startswith('<img src="data:image/png;base64,') and "sees 3–4 of 6 tokens" in html


def test_a_word_a_model_did_not_read_is_named_not_drawn():
    picture = attention_masks_figure([_mask(4, "causal", (), word="Texas")])
    assert picture.panels[0].title.endswith("'Texas' is not among its tokens (cut off)")


def test_row_runs_and_spans_in_words():
    assert row_runs([5, 2, 3, 9, 40], 10) == [(2, 3), (5, 5), (9, 9)]  # 40 is past the last row
    assert span_text([6]) == "token 6" and span_text([5, 6]) == "tokens 5–6" and span_text([2, 4]) == "tokens 2, 4"


def test_heatmaps_are_titled_with_layer_and_head_and_long_inputs_label_every_kth_token():
    n = 100
    weights = tuple(tuple(1.0 / (i + 1) if j <= i else 0.0 for j in range(n)) for i in range(n))
    amap = AttentionMap(model_name="gpt", layer=3, head=2, num_layers=12, num_heads=12,
                        tokens=tuple(f"tok{i}" for i in range(n)), weights=weights)
    picture = attention_heatmaps_figure([amap])
    assert [p.title for p in picture.panels] == ["gpt: layer 3/12, head 2/12"]
    shown = [label for label in _labelled(amap.tokens) if label]
    assert MAX_LABELS // 2 <= len(shown) <= MAX_LABELS and shown[0] == "tok0"
    assert _labelled(("a" * 40,)) == ["a" * 15 + "…"]  # long pieces are cut, not overlapping


def test_the_y_axis_title_is_whole_on_a_short_sentence():
    """Three tokens make a grid shorter than "query: token doing the looking": the title runs past the grid,
    not cut at its edges."""
    picture = attention_masks_figure([_mask(3, "causal", (1,))])
    image = Image.open(io.BytesIO(picture.png)).convert("L")
    strip = image.crop((2, 0, 18, image.height))  # the rotated y-axis title's column
    dark = [y for y in range(strip.height) if min(strip.getpixel((x, y)) for x in range(strip.width)) < 128]
    needed = _font(11).getlength("query: token doing the looking")
    assert dark and dark[-1] - dark[0] >= 0.9 * needed
    svg = attention_masks_svg([_mask(3, "causal", (1,))])
    assert "query: token doing the looking" in svg
