"""Question answering tab: a span head picks the answer out of the context; nothing is generated.

The handler (`run_answer`, also served as /answer) and the computation (windows, span selection, "no answer")
live in `playground/tasks/question_answering.py`; this file lays the tab out and turns the result into what each
component shows.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.question_answering import (DEFAULT_MAX_ANSWER_TOKENS, DEFAULT_STRIDE, MAX_ANSWER_TOKENS,
                                                 MAX_STRIDE, MAX_TOP_N, TASK, AnswerSpan, QAResult,
                                                 answer_with_progress, run_answer)
from playground.ui.exports import export_controls, export_event, figure_and_json, keeping
from playground.ui.figures.heads import qa_probabilities_figure
from playground.ui.head_card import card_accordion
from playground.ui.links import LinkedView
from playground.ui.widgets import (inline_errors, model_dropdown, notices_markdown, percent, publish_endpoint, to_json,
                                   user_errors)

TESLA = (
    "Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, Texas. "
    "Tesla designs and manufactures electric vehicles (electric cars and trucks), battery energy storage from home "
    "to grid-scale, solar panels and solar roof tiles, and related products and services. Tesla was founded in "
    "2003 by Martin Eberhard and Marc Tarpenning as Tesla Motors. The company's name is a tribute to the inventor "
    "and electrical engineer Nikola Tesla. In February 2004, with a $6.5 million investment, Elon Musk became the "
    "largest shareholder of the company; he later became its chief executive officer."
)
EXAMPLES = [
    [TESLA, "Who founded Tesla?"],
    [TESLA, "Where is Tesla headquartered?"],
    [TESLA, "What does Tesla manufacture?"],
    [TESLA, "How much did Elon Musk invest in 2004?"],
    [TESLA, "What is the capital of France?"],  # not in the context: a SQuAD 2.0 model should say so
]
INTRO = ("A **span head**: one linear layer gives every token a *start* and an *end* score; the answer is the "
         "best-scoring piece of the context. Nothing is generated.")
SEGMENT_COLORS = {"question (segment 0)": "#f59e0b", "context (segment 1)": "#3b82f6", "special": "#8b5cf6"}
ANSWER, OTHER, REJECTED = "answer", "other candidate", "best span (rejected: no answer)"
ANSWER_COLORS = {ANSWER: "#22c55e", OTHER: "#60a5fa", REJECTED: "#f87171"}
CANDIDATE_HEADERS = ["rank", "span", "score (start+end logit)", "probability", "window", "characters"]
TOKEN_HEADERS = ["position", "token", "segment", "segment id", "P(start)", "P(end)"]
WINDOW_HEADERS = ["window", "context characters", "best span score", "null score ([CLS])"]


# ---- result → what each component shows ----------------------------------------------------------

class AnswerView(NamedTuple):
    notices: str
    decision: str
    answer: list[tuple[str, str | None]]
    candidates: list[list[Any]]
    plot: Any  # matplotlib Figure
    layout: str
    segments: list[tuple[str, str]]
    token_rows: list[list[Any]]
    windows: list[list[Any]]
    json: Any


def answer_highlights(result: QAResult) -> list[tuple[str, str | None]]:
    """The context with the answer (and non-overlapping other candidates) highlighted."""
    spans: list[tuple[int, int, str]] = []
    if result.answer is not None:
        spans.append((result.answer.start, result.answer.end, ANSWER))
    elif result.candidates:
        best = result.candidates[0]
        spans.append((best.start, best.end, REJECTED))
    for candidate in result.candidates[1:]:
        if all(candidate.end <= s or candidate.start >= e for s, e, _ in spans):
            spans.append((candidate.start, candidate.end, OTHER))
    out: list[tuple[str, str | None]] = []

    def plain(text: str) -> None:  # word by word, so the browser can wrap lines between highlighted spans
        out.extend((word, None) for word in re.findall(r"\S+\s*|\s+", text))

    cursor = 0
    for start, end, kind in sorted(spans):
        plain(result.context[cursor:start])
        out.append((result.context[start:end], kind))
        cursor = end
    plain(result.context[cursor:])
    return out


def decision_markdown(result: QAResult) -> str:
    if result.answer is not None:
        a = result.answer
        head = (f"### Answer: **{a.text}**\nScore {a.score:.2f} (start + end logit) · probability {percent(a.probability)} "
                f"(P(start) × P(end) in window {a.window}) · characters {a.start}–{a.end}")
    else:
        head = "### No answer in the context"
    version = "SQuAD 2.0" if result.squad_version == "2" else "SQuAD 1.1"
    return f"{head}\n\n{result.decision}\n\n_Treated as a {version} model — {result.squad_version_source}._"


def shown_span(result: QAResult) -> AnswerSpan | None:
    """The span the plot and the token tables show: the answer, else the best (rejected) candidate."""
    return result.answer or (result.candidates[0] if result.candidates else None)


def answer_view(result: QAResult) -> AnswerView:
    shown = shown_span(result)
    window = result.windows[shown.window - 1] if shown else result.windows[0]
    figure = qa_probabilities_figure(window, (shown.token_start, shown.token_end) if shown else None,
                                     result.window_count, include_cls=result.squad_version == "2")
    layout = (f"**Input pattern:** `{result.layout}` — {result.segment_note} Showing window {window.index} of "
              f"{result.window_count} ({result.settings.max_length} tokens at most, {result.settings.stride} "
              "shared with the next window).")
    return AnswerView(
        notices=notices_markdown(result.notices),
        decision=decision_markdown(result),
        answer=answer_highlights(result),
        candidates=[[rank, c.text, round(c.score, 3), percent(c.probability), c.window, f"{c.start}–{c.end}"]
                    for rank, c in enumerate(result.candidates, start=1)],
        plot=figure,
        layout=layout,
        segments=[(t.token, "special" if t.segment == "special" else f"{t.segment} (segment {t.segment_id})")
                  for t in window.tokens],
        token_rows=[[t.position, t.token, t.segment, t.segment_id, percent(t.start_probability),
                     percent(t.end_probability)] for t in window.tokens],
        windows=[[w.index, f"{w.context_start}–{w.context_end}",
                  None if w.best_score is None else round(w.best_score, 3), round(w.null_score, 3)]
                 for w in result.windows],
        json=to_json(result),
    )


def show_answer(ctx: AppContext, context: str, question: str, top_n: float, max_answer_tokens: float,
                stride: float, model_name: str, progress=gr.Progress()) -> AnswerView:
    """The tab's event: a long context shows a progress bar, window by window."""
    return answer_view(answer_with_progress(ctx, context, question, top_n, max_answer_tokens, stride, model_name,
                                            progress))


# ---- layout and wiring ----------------------------------------------------------------------------

def build_qa_tab(ctx: AppContext) -> LinkedView:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            examples = ([list(e) for e in world_examples.QUESTION_ANSWERING] if world_examples.lab_world(ctx) else
                        EXAMPLES)
            context = gr.Textbox(value=examples[0][0], label="Context", lines=7, max_lines=20)
            question = gr.Textbox(value=examples[0][1], label="Question", lines=1)
        with gr.Column(scale=2):
            model = model_dropdown(ctx, TASK, "Question-answering model")
            top_n = gr.Slider(1, MAX_TOP_N, value=3, step=1, label="Top-n candidate spans")
            max_answer = gr.Slider(1, MAX_ANSWER_TOKENS, value=DEFAULT_MAX_ANSWER_TOKENS, step=1,
                                   label="Max answer length (tokens)")
            stride = gr.Slider(0, MAX_STRIDE, value=DEFAULT_STRIDE, step=1,
                               label="Stride: tokens shared by neighbouring windows (long contexts)")
    gr.Examples(examples, inputs=[context, question], label="Examples (the last one is not answered by the text)")
    run = gr.Button("Answer", variant="primary")
    notices = gr.Markdown()
    decision = gr.Markdown(elem_id="qa-decision")
    answer = gr.HighlightedText(label="Answer in the context", color_map=ANSWER_COLORS, show_legend=True,
                                elem_id="qa-answer")
    candidates = gr.Dataframe(headers=CANDIDATE_HEADERS, interactive=False, label="Top-n candidate spans",
                              elem_id="qa-candidates")
    plot = gr.Plot(label="Start and end probabilities", elem_id="qa-plot")
    export = export_controls("qa")
    figure = gr.State(None, time_to_live=3600)  # the plot's figure, for the Export button
    gr.Markdown("### What the model reads")
    layout = gr.Markdown()
    segments = gr.HighlightedText(label="Tokens by segment", color_map=SEGMENT_COLORS, show_legend=True,
                                  elem_id="qa-segments")
    with gr.Accordion("Tokens, segment ids and probabilities", open=False):
        token_rows = gr.Dataframe(headers=TOKEN_HEADERS, interactive=False)
    with gr.Accordion("Windows", open=False):
        windows = gr.Dataframe(headers=WINDOW_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    card_accordion(ctx, model)

    inputs = [context, question, top_n, max_answer, stride, model]
    outputs = [notices, decision, answer, candidates, plot, layout, segments, token_rows, windows,
               result_json]  # AnswerView order
    # A failure stays in the notices; the plot's figure is also kept for the Export button.
    show = keeping(inline_errors(functools.partial(show_answer, ctx), outputs, notices), outputs.index(plot))
    run.click(show, inputs, outputs + [figure], api_visibility="private")
    question.submit(show, inputs, outputs + [figure], api_visibility="private")
    export.button.click(user_errors(export_event(figure_and_json("qa-probabilities"))), [figure, result_json],
                        export.files, api_visibility="private")
    def answer(context: str, question: str, top_n: int = 3, max_answer_tokens: int = 15, stride: int = 128,
               model_name: str = ctx.profile.default(TASK)) -> dict:
        """Find the answer span in the context; top-n candidates, windows, and the start/end probabilities."""
        return to_json(run_answer(ctx, context, question, top_n, max_answer_tokens, stride, model_name))

    publish_endpoint(answer, "answer", serves=run_answer)

    names = ("context", "question", "top_n", "max_answer", "stride", "model")
    return LinkedView("question-answering", dict(zip(names, inputs)), show, outputs + [figure], anchor="qa-decision")
