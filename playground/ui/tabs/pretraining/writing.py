"""Pre-training › Can BERT write?: BERT writing by filling masks (left to right, and Mask-Predict) next to GPT-2
writing from the same prompt. The handler lives in `playground/tasks/bert_writing.py`; this file lays the
sub-tab out, wires it and turns the result into what each component shows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks.bert_writing import (DEFAULT_LENGTH, DEFAULT_ROUNDS, EXAMPLES, FILL_TASK, GEN_TASK, MAX_ROUNDS,
                                           MAX_WRITE_TOKENS, BertWritingResult, Writing, bert_write_api)
from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.ui.exports import json_download
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import model_dropdown, notices_markdown, percent, publish_endpoint, shown, to_json

WRITE_STEP_HEADERS = ["step", "the model read", "written (probability)", "text after the step"]
WRITE_STEP_WIDTHS = ["7%", "44%", "19%", "29%"]
WRITING_LABELS = {"left-to-right": "BERT, left to right (append a [MASK], fill it, repeat)",
                  "mask-predict": "BERT, all at once, then re-mask the least confident (Mask-Predict)",
                  "causal": "GPT-2, left to right (the next token from the tokens on its left)"}
WRITING_SLUGS = {"left-to-right": "ltr", "mask-predict": "mp", "causal": "gpt"}  # view field prefixes
WRITE_INTRO = ("BERT predicts masked tokens; can it write? Two ways to make it try — fill an appended [MASK] again and "
               "again, or write all the [MASK]s at once and refine the least confident (Mask-Predict) — next to "
               "GPT-2 writing the same number of tokens from the same prompt. Each step shows what the model read "
               "and what it wrote, with its probability.")


# ---- view: result → what each component shows -----------------------------------------------------

class WritingView(NamedTuple):
    lesson: str
    ltr_header: str
    ltr_text: list[tuple[str, float | None]]
    ltr_steps: list[list[Any]]
    mp_header: str
    mp_text: list[tuple[str, float | None]]
    mp_steps: list[list[Any]]
    gpt_header: str
    gpt_text: list[tuple[str, float | None]]
    gpt_steps: list[list[Any]]
    notices: str
    json: Any


def writing_view(result: BertWritingResult) -> WritingView:
    parts = [part for w in (result.left_to_right, result.mask_predict, result.gpt)
             for part in (writing_header(w), writing_chips(w), writing_rows(w))]
    return WritingView(f"**Why:** {result.lesson}", *parts, notices_markdown(result.notices), to_json(result))


def writing_header(writing: Writing) -> str:
    return (f"**{WRITING_LABELS[writing.method]}** — `{writing.model_name}`, {len(writing.tokens)} tokens: "
            f"{writing.stop_reason}")


def writing_chips(writing: Writing) -> list[tuple[str, float | None]]:
    """The prompt, then each written token as it reads in the text, coloured by its probability."""
    return [(writing.prompt, None)] + [(text, round(t.probability, 3))
                                       for text, t in zip(writing.surfaces, writing.tokens)]


def writing_rows(writing: Writing) -> list[list[Any]]:
    """One row per step, in WRITE_STEP_HEADERS order."""
    return [[s.step, s.read, " · ".join(f"{f.token} ({percent(f.probability)})" for f in s.filled), s.text]
            for s in writing.steps]


# ---- layout and wiring -----------------------------------------------------------------------------

def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(WRITE_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            prompts = list(world_examples.WRITING_PROMPTS if world_examples.lab_world(ctx) else EXAMPLES)
            prompt = gr.Textbox(value=prompts[0], label="Prompt", lines=2, max_lines=4)
            gr.Examples(prompts, inputs=[prompt], label="Prompts")
        with gr.Column(scale=2):
            with gr.Row():
                length = gr.Slider(1, MAX_WRITE_TOKENS, value=DEFAULT_LENGTH, step=1, label="Tokens to write")
                rounds = gr.Slider(1, MAX_ROUNDS, value=DEFAULT_ROUNDS, step=1, label="Mask-Predict rounds")
            with gr.Row():
                bert = model_dropdown(ctx, FILL_TASK, "Encoder (BERT)")
                gpt = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
    run = gr.Button("Write", variant="primary", elem_id="write-run")
    ui = SimpleNamespace(inputs=[prompt, length, rounds, bert, gpt], run=run, notices=gr.Markdown(),
                         lesson=gr.Markdown(elem_id="write-lesson"))
    with gr.Row(equal_height=False):
        for slug in WRITING_SLUGS.values():
            with gr.Column():
                setattr(ui, f"{slug}_header", gr.Markdown())
                setattr(ui, f"{slug}_text", gr.HighlightedText(label="Written text, coloured by probability",
                                                               elem_id=f"write-{slug}-text"))
    for method, slug in WRITING_SLUGS.items():
        with gr.Accordion(f"Step by step: {WRITING_LABELS[method]}", open=method == "left-to-right"):
            setattr(ui, f"{slug}_steps", gr.Dataframe(headers=WRITE_STEP_HEADERS, interactive=False, wrap=True,
                                                      column_widths=WRITE_STEP_WIDTHS,
                                                      elem_id=f"write-{slug}-steps"))
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "bert-writing")
    return ui


def build(ctx: AppContext) -> None:
    ui = _layout(ctx)
    wire(ui.run.click, shown(ctx, bert_write_api, writing_view), ui, WritingView)


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `bert_write`."""
    def bert_write(prompt: str, length: int = 12, rounds: int = 4,
                   bert_model: str = ctx.profile.default(FILL_TASK),
                   gpt_model: str = ctx.profile.default(GEN_TASK)) -> dict:
        """BERT writes `length` tokens after the prompt by filling masks — left to right, and all at once refined
        over `rounds` rounds (Mask-Predict) — and GPT-2 writes as many from the same prompt; every step recorded.
        """
        return to_json(bert_write_api(ctx, prompt, length, rounds, bert_model, gpt_model))

    publish_endpoint(bert_write, "bert_write", serves=bert_write_api)

