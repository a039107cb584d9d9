"""Pre-training › Replaced-token detection (ELECTRA): BERT corrupts the sentence, ELECTRA's discriminator judges
every token. The handlers live in `playground/tasks/replaced_token_detection.py`; this file lays the sub-tab
out, wires it and turns the result into what each component shows."""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.replaced_token_detection import (EXAMPLE, FILL_TASK, RTD_TASK, DetectionResult,
                                                       default_generator, generator_choices, replaced_tokens_api,
                                                       replaced_tokens_percent)
from playground.ui.exports import json_download
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import model_dropdown, notices_markdown, percent, publish_endpoint, shown, to_json

RTD_TABLE_HEADERS = ["pos", "token read", "original", "generator's slot", "really replaced", "P(replaced)",
                     "flagged", "generator's p"]
TRUTH_COLORS = {"replaced": "#ef4444", "original": "#10b981"}  # red / green
RTD_INTRO = ("ELECTRA's objective: a generator — a masked LM — corrupts the sentence (15% of its tokens masked and "
             "refilled with tokens **sampled** from its predictions), and ELECTRA's discriminator says, for "
             "**every** token, whether it was replaced. In ELECTRA the generator is a masked LM trained **together "
             "with** the discriminator, usually **smaller** (1/4–1/2 of its size worked best); here it is a "
             "**full-size, frozen** BERT, trained before and not trained here (its size is shown with the "
             "result). Judge your own sentence as typed, or let BERT corrupt it.")


# ---- view: result → what each component shows -----------------------------------------------------

class DetectionView(NamedTuple):
    summary: str
    verdicts: list[tuple[str, float | None]]
    truth: list[tuple[str, str | None]]
    table: list[list[Any]]
    notices: str
    json: Any


def detection_view(result: DetectionResult) -> DetectionView:
    return DetectionView(detection_summary(result), verdict_chips(result), truth_chips(result), detection_rows(result),
                         notices_markdown(result.notices), to_json(result))


def detection_summary(result: DetectionResult) -> str:
    """Why ELECTRA, what the generator did, and how the discriminator did on it."""
    flagged = sum(t.flagged for t in result.tokens)
    every = f"The discriminator gave a verdict for **all {result.judged} tokens**"
    if result.corrupted:
        what = (f"`{result.generator}` masked **{result.selected}** token(s) (mask rate {result.mask_rate:.0%}, seed "
                f"{result.seed}) and sampled a replacement for each; **{result.replaced}** really changed (a sample "
                f"equal to the original counts as original). {every}: it flagged **{result.caught} of the "
                f"{result.replaced}** replacements (missed {result.missed}) and raised **{result.false_alarms}** false "
                f"alarm(s) on original tokens (P(replaced) > {result.threshold}). A masked LM would have been trained "
                f"on the {result.selected} masked position(s) only.")
    else:
        what = (f"Your sentence as typed: nobody knows which tokens are replaced. {every}; it flagged {flagged} "
                f"(P(replaced) > {result.threshold}).")
    read = html.escape(result.corrupted_text)
    generator = f"\n\n**The generator:** {result.generator_identity}" if result.generator_identity else ""
    return f"**Why ELECTRA:** {result.why}\n\n{what}{generator}\n\n**The discriminator read:** {read}"


def verdict_chips(result: DetectionResult) -> list[tuple[str, float | None]]:
    """Every token the discriminator read, coloured by its P(replaced)."""
    return [(t.token, round(t.probability_replaced, 3)) for t in result.tokens]


def truth_chips(result: DetectionResult) -> list[tuple[str, str | None]]:
    """Every token the discriminator read, marked replaced / original (unmarked for a sentence as typed)."""
    return [(t.token, None if t.replaced is None else "replaced" if t.replaced else "original")
            for t in result.tokens]


def detection_rows(result: DetectionResult) -> list[list[Any]]:
    """One row per token, in RTD_TABLE_HEADERS order."""
    return [[t.position, t.token, t.original or "", "yes" if t.selected else "",
             "?" if t.replaced is None else "yes" if t.replaced else "no", percent(t.probability_replaced),
             "✓" if t.flagged else "", percent(t.generator_probability)]
            for t in result.tokens]


# ---- layout and wiring -----------------------------------------------------------------------------

def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(RTD_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            example = world_examples.REPLACED_TOKENS if world_examples.lab_world(ctx) else EXAMPLE
            text = gr.Textbox(value=example, label="Sentence", lines=2, max_lines=6)
            corrupt = gr.Checkbox(value=True, label="Let BERT corrupt it first (off: judge the sentence as typed)")
        with gr.Column(scale=2):
            with gr.Row():
                rate = gr.Slider(1, 100, value=15, step=1, label="Mask rate (% of the word pieces)")
                seed = gr.Number(value=0, precision=0, label="Seed")
            with gr.Row():
                model = model_dropdown(ctx, RTD_TASK, "Discriminator (ELECTRA)")
                generator = _generator_dropdown(ctx, model.value)
    run = gr.Button("Corrupt and detect", variant="primary", elem_id="rtd-run")
    ui = SimpleNamespace(inputs=[text, corrupt, rate, seed, model, generator], run=run, notices=gr.Markdown())
    ui.summary = gr.Markdown(elem_id="rtd-summary")
    ui.verdicts = gr.HighlightedText(label="What the discriminator read, coloured by its P(replaced)",
                                     elem_id="rtd-verdicts")
    ui.truth = gr.HighlightedText(label="Which tokens really were replaced", color_map=TRUTH_COLORS,
                                  show_legend=True, elem_id="rtd-truth")
    ui.table = gr.Dataframe(headers=RTD_TABLE_HEADERS, interactive=False, wrap=True, elem_id="rtd-table",
                            label="Every token: the discriminator's verdict next to what happened to it")
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "replaced-token-detection")
    return ui


def _generator_dropdown(ctx: AppContext, discriminator: str) -> gr.Dropdown:
    """Only the masked LMs whose vocabulary is the discriminator's: its tokens are handed over as ids."""
    fits = generator_choices(ctx, discriminator) or ctx.profile.choices(FILL_TASK)
    return gr.Dropdown(choices=fits, value=default_generator(ctx, discriminator), label="Generator (BERT, same vocabulary)",
                       allow_custom_value=ctx.store.allow_unlisted)


def build(ctx: AppContext) -> None:
    ui = _layout(ctx)
    model, generator = ui.inputs[4], ui.inputs[5]
    model.change(lambda name: _generator_dropdown(ctx, name), model, generator, api_visibility="private",
                 queue=False, show_progress="hidden")
    wire(ui.run.click, shown(ctx, replaced_tokens_percent, detection_view), ui, DetectionView)


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `replaced_tokens`."""
    def replaced_tokens(text: str, corrupt: bool = True, mask_rate: float = 0.15, seed: int = 0,
                        model: str = ctx.profile.default(RTD_TASK),
                        generator: str = default_generator(ctx)) -> dict:
        """ELECTRA's discriminator: for every token of `text`, the probability that it was replaced. With corrupt,
        the generator (BERT) first masks mask_rate of the tokens and refills each with a token sampled from its
        prediction (seeded), so the result also says which tokens really were replaced.
        """
        return to_json(replaced_tokens_api(ctx, text, corrupt, mask_rate, seed, model, generator))

    publish_endpoint(replaced_tokens, "replaced_tokens", serves=replaced_tokens_api)

