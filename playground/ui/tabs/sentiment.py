"""Sentiment tab: a fine-tuned classification head on top of an encoder, and which words moved it.

One pre-trained network, a small head that reads the final `[CLS]` vector, supervised fine-tuning. The
handler (`run_sentiment`, also served as /sentiment) and the computation live in
`playground/tasks/sentiment.py`; this file lays the tab out and turns its result into what each component shows.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import gradio as gr

from playground.core.text_input import check_int
from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.sentiment import MAX_LINES, TASK, SentimentBatch, SentimentResult, run_sentiment
from playground.ui.exports import json_download
from playground.ui.head_card import card_accordion
from playground.ui.links import LinkedView
from playground.ui.widgets import (TOKEN_COLORS, inline_errors, model_dropdown, notices_markdown, percent,
                                   publish_endpoint, to_json)

EXAMPLES = [
    ["I loved this movie: the acting was wonderful and the story kept me hooked.", False],
    ["The food was cold and the service was painfully slow.\nThe staff were friendly and the view was amazing.\n"
     "It was not bad at all.\nI expected more from such a famous place.", True],
]
INTRO = ("A **fine-tuned classification head**: the pre-trained encoder reads the sentence, and a small head turns "
         "the final vector of `[CLS]` — and only that vector — into label probabilities. **Supervised "
         "fine-tuning** trained the head and updated the whole encoder with it; freezing the encoder and "
         "training only the head (the computer-vision analogy) is a different, usually weaker recipe. Several "
         "lines at once? Tick *one result per line*.")
HEAD_LABEL = "[CLS] → classifier head"
HEAD_COLOR = "#f97316"  # orange: the one token the classification head reads
TOKEN_KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "word", "continuation", "unknown")}
SENTIMENT_COLORS = {**TOKEN_KIND_COLORS, HEAD_LABEL: HEAD_COLOR}
RESULT_HEADERS = ["line", "label", "probability", "text"]
RESULT_WIDTHS = ["9%", "19%", "22%", "50%"]  # narrow columns must not wrap their headers ("li ne")
# Attribution chips: green pushes towards the attribution target (POSITIVE), red towards the other label.
STRONG, WEAK = 0.5, 0.15  # |share| thresholds; below WEAK a word is left uncoloured
TOWARDS_COLORS = ("#16a34a", "#4ade80", "#f87171", "#dc2626")  # strong / weak towards target, weak / strong against
TOKEN_HEADERS = ["position", "token", "kind", "gradient × input"]


# ---- result → what each component shows ----------------------------------------------------------

class SentimentView(NamedTuple):
    notices: str
    label: dict[str, float]
    results: list[list[Any]]
    tokens: list[tuple[str, str]]
    attribution: Any  # gr.HighlightedText update: chips labelled by direction and strength, with their colours
    summary: str
    token_rows: list[list[Any]]
    json: Any


def attribution_labels(attribution_target: str) -> tuple[str, str, str, str]:
    """Legend entries, strongest towards the target first: e.g. "→ POSITIVE (strong)" … "→ NEGATIVE (strong)"."""
    target, _, contrast = attribution_target.partition(" − ")
    contrast = contrast or f"not {target}"
    return (f"→ {target} (strong)", f"→ {target}", f"→ {contrast}", f"→ {contrast} (strong)")


def attribution_colors(attribution_target: str) -> dict[str, str]:
    return dict(zip(attribution_labels(attribution_target), TOWARDS_COLORS))


def attribution_chips(result: SentimentResult, attribution_target: str) -> list[tuple[str, str | None]]:
    """The sentence with each word labelled by which way, and how strongly, it pushed (share in [-1, 1])."""
    strong_up, up, down, strong_down = attribution_labels(attribution_target)
    chips: list[tuple[str, str | None]] = []
    cursor = 0
    for w in sorted(result.word_attributions, key=lambda w: w.start):
        if w.start > cursor:
            chips.append((result.text[cursor:w.start], None))
        size = abs(w.share)
        label = None if size < WEAK else (strong_up if w.share >= STRONG else up) if w.share > 0 else \
            (strong_down if w.share <= -STRONG else down)
        chips.append((result.text[w.start:w.end], label))
        cursor = w.end
    if cursor < len(result.text):
        chips.append((result.text[cursor:], None))
    return chips


def head_tokens(result: SentimentResult) -> list[tuple[str, str]]:
    """Token chips by kind; the one token the classifier head reads is marked."""
    return [(t.display, HEAD_LABEL if t.position == result.head_position else t.kind) for t in result.tokens.tokens]


def sentiment_view(batch: SentimentBatch, explain_line: int) -> SentimentView:
    """Every line in the table; tokens and attribution of line `explain_line` (the last one if there are fewer)."""
    notices = list(batch.notices)
    wanted = int(explain_line)
    if wanted > len(batch.results):
        notices.append(f"There are only {len(batch.results)} line(s); explaining line {len(batch.results)}.")
        wanted = len(batch.results)
    result = batch.results[wanted - 1]
    explained = f"Line {result.line_number}: " if len(batch.results) > 1 else ""
    summary = (f"{explained}**{result.label}** ({percent(result.probability)}).\n\n{batch.head}\n\n"
               f"_Attribution of {batch.attribution_target}: {batch.method}_")
    return SentimentView(
        notices=notices_markdown(notices, result.notices),
        label={score.label: score.probability for score in result.labels},
        results=[[r.line_number, r.label, percent(r.probability), r.text] for r in batch.results],
        tokens=head_tokens(result),
        attribution=gr.HighlightedText(value=attribution_chips(result, batch.attribution_target),
                                       color_map=attribution_colors(batch.attribution_target)),
        summary=summary,
        token_rows=[[a.position, a.token, a.kind, round(a.score, 6)] for a in result.token_attributions],
        json=to_json(batch),
    )


def show_sentiment(ctx: AppContext, text: str, one_per_line: bool, explain_line: float,
                   model_name: str) -> SentimentView:
    batch = run_sentiment(ctx, text, one_per_line, explain_line, model_name)
    return sentiment_view(batch, check_int(explain_line, "Line to explain", 1, MAX_LINES))


# ---- layout and wiring ----------------------------------------------------------------------------

def build_sentiment_tab(ctx: AppContext) -> LinkedView:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            examples = [list(e) for e in world_examples.SENTIMENT] if world_examples.lab_world(ctx) else EXAMPLES
            text = gr.Textbox(value=examples[0][0], label="Text", lines=4, max_lines=20)
        with gr.Column(scale=2):
            one_per_line = gr.Checkbox(value=False, label=f"One result per line (up to {MAX_LINES} lines)")
            explain_line = gr.Number(value=1, precision=0, minimum=1, maximum=MAX_LINES,
                                     label="Line to explain (tokens and attribution)")
            model = model_dropdown(ctx, TASK, "Sentiment model")
    gr.Examples(examples, inputs=[text, one_per_line], label="Examples")
    run = gr.Button("Classify", variant="primary")
    notices = gr.Markdown(elem_id="sentiment-notices")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            label = gr.Label(label="Label probabilities", elem_id="sentiment-label")
        with gr.Column(scale=3):
            results = gr.Dataframe(headers=RESULT_HEADERS, interactive=False, label="Results",
                                   elem_id="sentiment-results", wrap=True, column_widths=RESULT_WIDTHS)
    summary = gr.Markdown(elem_id="sentiment-summary")
    tokens = gr.HighlightedText(label="Tokens the model reads — orange: the one vector the classifier head reads",
                                color_map=SENTIMENT_COLORS, show_legend=True, elem_id="sentiment-tokens")
    attribution = gr.HighlightedText(
        label="Which words pushed the label — green: towards POSITIVE, red: towards NEGATIVE "
              "(gradient × input estimate; strong = at least half the strongest word's push)",
        color_map=attribution_colors("POSITIVE − NEGATIVE"), show_legend=True, elem_id="sentiment-attribution")
    with gr.Accordion("Per-token attribution", open=False):
        token_rows = gr.Dataframe(headers=TOKEN_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
        json_download(result_json, "sentiment")
    card_accordion(ctx, model)

    inputs = [text, one_per_line, explain_line, model]
    outputs = [notices, label, results, tokens, attribution, summary, token_rows, result_json]  # SentimentView order
    show = inline_errors(functools.partial(show_sentiment, ctx), outputs, notices)  # a failure stays in the notices
    run.click(show, inputs, outputs, api_visibility="private")
    text.submit(show, inputs, outputs, api_visibility="private")
    def sentiment(text: str, one_per_line: bool = False, explain_line: int = 1,
                  model_name: str = ctx.profile.default(TASK)) -> dict:
        """Label probabilities for the text (or for each line), and which words pushed the label.
        `explain_line` is the line whose tokens and attribution the tab shows (the JSON has every line).
        """
        return to_json(run_sentiment(ctx, text, one_per_line, explain_line, model_name))

    publish_endpoint(sentiment, "sentiment", serves=run_sentiment)

    return LinkedView("sentiment", dict(zip(("text", "lines", "line", "model"), inputs)), show, outputs,
                      anchor="sentiment-label")
