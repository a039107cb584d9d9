"""Pre-training › Next sentence (BERT): BERT's next-sentence prediction on `[CLS] A [SEP] B [SEP]`. The handler
lives in `playground/tasks/nsp.py`; this file lays the sub-tab out, wires it and turns its result into what each
component shows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.nsp import NSP_TASK, PRESETS, NSPResult, nsp_api
from playground.ui.exports import json_download
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import model_dropdown, notices_markdown, publish_endpoint, shown, to_json

SEGMENT_COLORS = {"segment 0 (A)": "#3b82f6", "segment 1 (B)": "#f97316"}
NSP_TABLE_HEADERS = ["position", "token", "token_type_id", "kind"]
NSP_INTRO = ("BERT's second objective: does sentence B really follow sentence A? Both go in as one input, "
             "`[CLS] A [SEP] B [SEP]`, told apart by segment ids (token_type_ids 0 / 1); the NSP head reads `[CLS]`. "
             "Half of pre-training's Bs were random sentences from another document, so the topic often gives "
             "them away. BERT's own ablation found NSP helped (QNLI, MNLI, SQuAD; Table 5); RoBERTa matched or "
             "beat it without NSP when inputs are full sentences packed from contiguous text (Liu et al. 2019, "
             "§4.2) — see the note with each result.")


# ---- view: result → what each component shows -----------------------------------------------------

class NSPView(NamedTuple):
    label: dict[str, float]
    tokens: list[tuple[str, str]]
    layout: str
    table: list[list[Any]]
    notices: str
    json: Any


def nsp_view(result: NSPResult) -> NSPView:
    rows = [[t.position, t.display, t.segment, t.kind] for t in result.tokens]
    return NSPView(result.probabilities, segment_chips(result), nsp_markdown(result), rows,
                   notices_markdown(result.notices), to_json(result))


def segment_chips(result: NSPResult) -> list[tuple[str, str]]:
    return [(t.display, f"segment {t.segment} ({'AB'[min(t.segment, 1)]})") for t in result.tokens]


def nsp_markdown(result: NSPResult) -> str:
    segments = " ".join(str(t.segment) for t in result.tokens)
    return (f"**Input:** `{result.layout}`  \n**token_type_ids:** `{segments}`  \n"
            f"{sum(t.segment == 0 for t in result.tokens)} tokens in segment 0 ([CLS], A, first [SEP]) and "
            f"{sum(t.segment == 1 for t in result.tokens)} in segment 1 (B, final [SEP]). "
            f"The NSP head reads [CLS]'s final vector: logits IsNext {result.logits[0]:.3f}, "
            f"NotNext {result.logits[1]:.3f} → **{result.verdict}**.")


# ---- layout and wiring -----------------------------------------------------------------------------

def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(NSP_INTRO)
    presets = world_examples.NEXT_SENTENCE if world_examples.lab_world(ctx) else PRESETS
    first_a, first_b = presets["true continuation"]
    with gr.Row():
        a = gr.Textbox(value=first_a, label="Sentence A", lines=2)
        b = gr.Textbox(value=first_b, label="Sentence B", lines=2)
    gr.Examples([list(pair) for pair in presets.values()], inputs=[a, b],
                example_labels=[name.capitalize() for name in presets], label="Presets")
    with gr.Row():
        model = model_dropdown(ctx, NSP_TASK, "BERT with its pre-training heads")
        run = gr.Button("Predict IsNext / NotNext", variant="primary", elem_id="nsp-run")
    notices = gr.Markdown()
    with gr.Row():
        with gr.Column(scale=1):
            label = gr.Label(label="Next-sentence prediction", elem_id="nsp-label")
        with gr.Column(scale=2):
            tokens = gr.HighlightedText(label="Input tokens, coloured by segment id", show_legend=True,
                                        color_map=SEGMENT_COLORS, elem_id="nsp-tokens")
            layout = gr.Markdown(elem_id="nsp-layout")
    with gr.Accordion("Tokens and segment ids", open=False):
        table = gr.Dataframe(headers=NSP_TABLE_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "next-sentence")
    return SimpleNamespace(inputs=[a, b, model], run=run, notices=notices, label=label, tokens=tokens, layout=layout,
                           table=table, json=json)


def build(ctx: AppContext) -> None:
    ui = _layout(ctx)
    wire(ui.run.click, shown(ctx, nsp_api, nsp_view), ui, NSPView)


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `nsp`."""
    def nsp(sentence_a: str, sentence_b: str, model: str = ctx.profile.default(NSP_TASK)) -> dict:
        """IsNext / NotNext probabilities from BERT's next-sentence head for [CLS] A [SEP] B [SEP]."""
        return to_json(nsp_api(ctx, sentence_a, sentence_b, model))

    publish_endpoint(nsp, "nsp", serves=nsp_api)

