"""Pre-training › Masked LM (BERT): BERT's masked-token prediction with the 80/10/10 rule, GPT-2 scored on the
same slots. The handlers live in `playground/tasks/mlm_simulator.py`; this file lays the sub-tab out, wires
it and turns its result into what each component shows."""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.mlm_simulator import (ACTIONS, FILL_TASK, GEN_TASK, PRESET, MaskSimResult, mask_sim_api,
                                            mask_sim_percent)
from playground.ui.exports import json_download
from playground.ui.links import LinkedView
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import (model_dropdown, notices_markdown, percent, publish_endpoint, shown, to_json,
                                   view_outputs)

ACTION_COLORS = {"masked": "#ef4444", "random": "#f59e0b", "unchanged": "#10b981"}  # red / amber / green
MLM_EXAMPLES = [PRESET, "Tesla is an American electric vehicle and clean energy company headquartered in Austin, "
                "Texas."]
MLM_TABLE_HEADERS = ["pos", "token", "happened", "BERT read", "BERT top-1", "BERT rank", "GPT-2 target",
                     "GPT-2 top-1", "GPT-2 rank", "alignment with GPT-2"]
MLM_TABLE_WIDTHS = ["5%", "9%", "11%", "9%", "12%", "7%", "10%", "12%", "7%", "17%"]  # fits 1024 px, nothing hidden
MLM_INTRO = ("BERT's pre-training selects ~15% of the tokens; of those, **80% → [MASK]**, **10% → a random "
             "token**, **10% unchanged**, and BERT must recover every selected token at once. GPT-2 is scored on "
             "the very same slots, each predicted from the true text on its left.")
LINK_KEYS = ("text", "rate", "seed", "rule", "bert", "gpt")  # a share link's query keys, one per input


# ---- view: result → what each component shows -----------------------------------------------------

class MaskSimView(NamedTuple):
    scores: str
    original: list[tuple[str, str | None]]
    bert_input: list[tuple[str, str | None]]
    table: list[list[Any]]
    notices: str
    json: Any


def mask_sim_view(result: MaskSimResult) -> MaskSimView:
    return MaskSimView(recovery_html(result), original_spans(result), bert_input_spans(result), mlm_rows(result),
                       notices_markdown(result.notices), to_json(result))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _card(value: str, caption: str, color: str) -> str:
    return (f"<div style='flex:1;min-width:130px;border:1px solid {color};border-radius:10px;padding:8px 12px;"
            f"background:{color}22'><div style='font-size:2em;font-weight:700;line-height:1.1'>{value}</div>"
            f"<div style='font-size:0.9em'>{html.escape(caption)}</div></div>")


def recovery_html(result: MaskSimResult) -> str:
    """Recovery scores as big numbers: BERT on every selected slot, then BERT vs GPT-2 on the same slots."""
    bert, aligned, gpt = result.bert_recovery, result.bert_recovery_aligned, result.gpt_recovery_aligned
    counts = " · ".join(f"{result.counts[a]} {a}" for a in ACTIONS)
    by_action = " · ".join(f"{a}: {r.top1}/{r.slots}" for a, r in result.bert_recovery_by_action.items() if r.slots)
    blue, orange = "#3b82f6", "#f97316"
    return (
        f"<div id='mlm-scores'><p><b>Selected {len(result.selected)} of {result.maskable} maskable tokens</b> "
        f"(rate {result.mask_rate:.0%}, seed {result.seed}, rule {result.rule}): {counts}.</p>"
        f"<div style='display:flex;gap:10px;flex-wrap:wrap'>"
        f"{_card(_percent(bert.top1_rate), f'BERT top-1 recovery, all {bert.slots} slots', blue)}"
        f"{_card(_percent(bert.top5_rate), f'BERT top-5 recovery, all {bert.slots} slots', blue)}"
        f"{_card(_percent(aligned.top1_rate), f'BERT top-1 on the {aligned.slots} shared slots', blue)}"
        f"{_card(_percent(gpt.top1_rate), f'GPT-2 top-1 on the same {gpt.slots} slots (left context only)', orange)}"
        f"{_card(_percent(gpt.top5_rate), f'GPT-2 top-5 on the same {gpt.slots} slots', orange)}"
        f"</div><p style='font-size:0.9em'>BERT top-1 by what happened — {by_action or 'none'}. "
        f"{len(result.unaligned)} slot(s) could not be aligned with GPT-2's pieces.</p></div>"
    )


def original_spans(result: MaskSimResult) -> list[tuple[str, str | None]]:
    """The text with each selected token's characters coloured by what happened to it."""
    out: list[tuple[str, str | None]] = []
    cursor = 0
    for s in sorted(result.selected, key=lambda s: s.start):
        if s.start > cursor:
            out.append((result.text[cursor:s.start], None))
        out.append((result.text[s.start:s.end], s.action))
        cursor = s.end
    if cursor < len(result.text):
        out.append((result.text[cursor:], None))
    return out


def bert_input_spans(result: MaskSimResult) -> list[tuple[str, str | None]]:
    """The corrupted token sequence BERT reads, selected positions coloured."""
    out: list[tuple[str, str | None]] = []
    plain: list[str] = []
    for token in result.tokens:
        if token.action is None:
            plain.append(token.shown)
            continue
        if plain:
            out.append((" ".join(plain) + " ", None))
            plain = []
        out.append((token.shown, token.action))
        out.append((" ", None))
    if plain:
        out.append((" ".join(plain), None))
    return out


def mlm_rows(result: MaskSimResult) -> list[list[Any]]:
    """One row per selected slot, in MLM_TABLE_HEADERS order."""
    rows = []
    for s in result.selected:
        top, gpt = s.predictions[0], s.gpt
        gpt_top = f"{gpt.predictions[0].token} ({percent(gpt.predictions[0].probability)})" if gpt.predictions else ""
        rows.append([s.position, s.original, s.action, s.shown, f"{top.token} ({percent(top.probability)})", s.rank,
                     gpt.target or " · ".join(gpt.pieces), gpt_top, gpt.rank if gpt.rank is not None else "",
                     "aligned" if gpt.status == "aligned" else f"{gpt.status}: {gpt.reason}"])
    return rows


# ---- layout and wiring -----------------------------------------------------------------------------
# Output components are named like the fields of their view, so wiring is `view_outputs(ui, View)`.

def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(MLM_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            presets = list(world_examples.MASKED_LM) if world_examples.lab_world(ctx) else MLM_EXAMPLES
            text = gr.Textbox(value=presets[0], label="Text to mask", lines=2, max_lines=8)
            gr.Examples(presets, inputs=[text], label="Presets")
        with gr.Column(scale=2):
            rate = gr.Slider(1, 100, value=15, step=1, label="Mask rate (% of maskable tokens)")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label="Seed")
                rule = gr.Checkbox(value=True, label="BERT's 80/10/10 rule (off: every selected → [MASK])")
            with gr.Row():
                bert = model_dropdown(ctx, FILL_TASK, "Encoder (BERT)")
                gpt = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
    run = gr.Button("Mask and predict", variant="primary", elem_id="mlm-run")
    notices = gr.Markdown(elem_id="mlm-notices")
    scores = gr.HTML(elem_id="mlm-recovery")
    original = gr.HighlightedText(label="Selected tokens in the text, coloured by what happened",
                                  color_map=ACTION_COLORS, show_legend=True, elem_id="mlm-original")
    bert_input = gr.HighlightedText(label="What BERT reads (its corrupted input)", color_map=ACTION_COLORS,
                                    show_legend=True, elem_id="mlm-input")
    table = gr.Dataframe(headers=MLM_TABLE_HEADERS, interactive=False, wrap=True, column_widths=MLM_TABLE_WIDTHS,
                         label="Every selected slot: BERT (both sides) vs GPT-2 (left only); rank = place of the "
                               "true token among all predictions (1 = recovered)", elem_id="mlm-table")
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "masked-lm")
    return SimpleNamespace(inputs=[text, rate, seed, rule, bert, gpt], run=run, notices=notices, scores=scores,
                           original=original, bert_input=bert_input, table=table, json=json)


def build(ctx: AppContext) -> LinkedView:
    """The sub-tab, wired; returns the view a share link can open."""
    ui = _layout(ctx)
    show = wire(ui.run.click, shown(ctx, mask_sim_percent, mask_sim_view), ui, MaskSimView)
    return LinkedView("pretraining-mlm", dict(zip(LINK_KEYS, ui.inputs)), show, view_outputs(ui, MaskSimView),
                      anchor="mlm-recovery")


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `mask_sim`."""
    def mask_sim(text: str, mask_rate: float = 0.15, seed: int = 0, use_80_10_10: bool = True,
                 bert_model: str = ctx.profile.default(FILL_TASK),
                 gpt_model: str = ctx.profile.default(GEN_TASK)) -> dict:
        """Mask ~mask_rate of the tokens BERT's way (80/10/10), let BERT recover them in one pass, and
        score GPT-2 on the same slots from their left context.
        """
        return to_json(mask_sim_api(ctx, text, mask_rate, seed, use_80_10_10, bert_model, gpt_model))

    publish_endpoint(mask_sim, "mask_sim", serves=mask_sim_api)

