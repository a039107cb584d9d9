"""Summarization tab: an encoder–decoder (Pegasus) reads the text once and writes the summary token by token.

The handler (`run_summarize`, also served as /summarize) and the computation (our own streamed greedy loop,
or beam search) live in `playground/tasks/summarization.py`; this file lays the tab out and turns each streamed
result into what each component shows.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.summarization import (LENGTH_PENALTY_RANGE, MAX_BEAMS, MAX_NEW_TOKENS, TASK, SummaryResult,
                                            run_summarize, summary_with_progress)
from playground.ui.exports import json_download
from playground.ui.head_card import card_accordion
from playground.ui.links import LinkedView
from playground.ui.tabs.question_answering import TESLA
from playground.ui.widgets import (TOKEN_COLORS, inline_errors, model_dropdown, notices_markdown, percent,
                                   publish_endpoint, to_json)

ARTICLE = (
    "The city council voted on Tuesday to close the old harbour road to cars from next spring and turn it into a "
    "walking and cycling route along the water. Supporters said the change would cut traffic noise, make the "
    "waterfront safer for children and bring more visitors to the small shops on the quay. Several shop owners "
    "opposed the plan, warning that delivery vans would have to use narrow side streets and that customers from "
    "outside the city would struggle to find parking. The council promised to build a new car park near the "
    "railway station and to allow deliveries before ten in the morning. Work on the new route is expected to take "
    "about eight months and will cost 4.2 million euros, most of it paid by a regional transport fund."
)
EXAMPLES = [[ARTICLE], [TESLA]]
INTRO = ("An **encoder–decoder**: Pegasus' encoder reads the whole text once (both directions); its decoder writes "
         "the summary one token at a time, looking back at its own tokens and at every encoder output. With "
         "**1 beam** the summary streams token by token. **Beam search** keeps several partial summaries and only "
         "knows the winner at the end, so it cannot be streamed honestly: the summary appears when the search is "
         "done.")
PIECE_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "word", "continuation", "unknown")}
STEP_HEADERS = ["step", "token", "probability", "rank", "top candidates"]


# ---- result → what each component shows ----------------------------------------------------------

class SummaryView(NamedTuple):
    notices: Any
    encoder: Any  # list[tuple[str, str]], or gr.skip() while streaming
    summary: str
    decoder: list[tuple[str, float]]
    status: str
    steps: Any  # list[list], or gr.skip() while streaming
    json: Any


def summary_status(result: SummaryResult) -> str:
    steps = len(result.tokens)
    if not result.finished:
        if not result.streamed:
            return f"⏳ {result.decoding}. Searching…"
        return f"⏳ Decoder step {steps}: the encoder ran once; the decoder has written {steps} token(s) so far."
    return (f"✅ Done: {result.stop_reason}. The encoder read {len(result.encoder_tokens.tokens)} tokens once; the "
            f"decoder ran {steps} step(s), starting from `{result.decoder_start}`. Decoding: {result.decoding}.")


def summary_view(result: SummaryResult, full: bool) -> SummaryView:
    """What each component shows; with `full` false (mid-stream) the heavy outputs, unchanged, are skipped."""
    decoder = [(t.token, round(t.probability, 4)) for t in result.tokens]
    if not full:
        skip = gr.skip()
        return SummaryView(skip, skip, result.summary, decoder, summary_status(result), skip, skip)
    return SummaryView(
        notices=notices_markdown(result.notices),
        encoder=[(t.display, t.kind) for t in result.encoder_tokens.tokens],
        summary=result.summary,
        decoder=decoder,
        status=summary_status(result),
        steps=[[t.step, t.token, percent(t.probability), t.rank,
                ", ".join(f"{c.token} {percent(c.probability)}" for c in t.candidates)] for t in result.tokens],
        json=to_json(result),
    )


def stream_summary_view(ctx: AppContext, text: str, max_new_tokens: float, min_new_tokens: float, num_beams: float,
                        length_penalty: float, model_name: str, progress=gr.Progress()) -> Iterator[SummaryView]:
    """The tab's event: the summary streams, and a progress bar follows the encoder and each decoder step."""
    results = summary_with_progress(ctx, text, max_new_tokens, min_new_tokens, num_beams, length_penalty,
                                    model_name, progress)
    for step, result in enumerate(results):
        yield summary_view(result, full=step == 0 or result.finished)  # heavy outputs only when they change


# ---- layout and wiring ----------------------------------------------------------------------------

def build_summarization_tab(ctx: AppContext) -> LinkedView:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            examples = [[t] for t in world_examples.SUMMARIZATION] if world_examples.lab_world(ctx) else EXAMPLES
            text = gr.Textbox(value=examples[0][0], label="Text to summarize", lines=8, max_lines=24)
        with gr.Column(scale=2):
            model = model_dropdown(ctx, TASK, "Summarization model")
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=60, step=1, label="Max new tokens")
            min_new = gr.Slider(0, MAX_NEW_TOKENS, value=0, step=1, label="Min new tokens")
            beams = gr.Slider(1, MAX_BEAMS, value=1, step=1, label="Beams (1 = greedy, streamed)")
            length_penalty = gr.Slider(*LENGTH_PENALTY_RANGE, value=1.0, step=0.1,
                                       label="Length penalty (beam search; > 1 favours longer summaries)")
    gr.Examples(examples, inputs=[text], label="Examples")
    run = gr.Button("Summarize", variant="primary")
    notices = gr.Markdown()
    status = gr.Markdown(elem_id="summary-status")
    summary = gr.Textbox(label="Summary", interactive=False, lines=3, elem_id="summary-text")
    decoder = gr.HighlightedText(label="Decoder: generated tokens, coloured by the model's probability of each",
                                 elem_id="summary-decoder")
    encoder = gr.HighlightedText(label="Encoder input: SentencePiece pieces (▁ starts a word), read once",
                                 color_map=PIECE_COLORS, show_legend=True, elem_id="summary-encoder")
    with gr.Accordion("Decoder steps: probability, rank and the top candidates", open=False):
        steps = gr.Dataframe(headers=STEP_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
        json_download(result_json, "summary")
    card_accordion(ctx, model)

    inputs = [text, max_new, min_new, beams, length_penalty, model]
    outputs = [notices, encoder, summary, decoder, status, steps, result_json]  # SummaryView order
    show = inline_errors(functools.partial(stream_summary_view, ctx), outputs, notices)  # failures stay in notices
    run.click(show, inputs, outputs, api_visibility="private")
    def summarize(text: str, max_new_tokens: int = 60, min_new_tokens: int = 0, num_beams: int = 1,
                  length_penalty: float = 1.0, model_name: str = ctx.profile.default(TASK)) -> dict:
        """Stream the summary (greedy: token by token; beam search: when the search finishes)."""
        for result in run_summarize(ctx, text, max_new_tokens, min_new_tokens, num_beams, length_penalty, model_name):
            yield to_json(result)

    publish_endpoint(summarize, "summarize", serves=run_summarize)

    names = ("text", "max_new", "min_new", "beams", "length_penalty", "model")
    return LinkedView("summarization", dict(zip(names, inputs)), show, outputs, anchor="summary-status")
