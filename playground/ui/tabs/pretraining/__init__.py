"""Pre-training tab: each training objective as something to run — BERT's masked-token prediction
(80/10/10), BERT's next-sentence prediction, GPT-2's next-token generation step by step, the tokenization
schemes side by side (XLM-R's multilingual SentencePiece unigram model included), ELECTRA's replaced-token detection, and
whether BERT can write by filling masks.

One module per sub-tab (its layout, wiring and result → component formatters); the handlers they run, also
served as the JSON API, live in the matching `playground/tasks/` modules. This file assembles the sub-tabs.
"""

from __future__ import annotations

import gradio as gr

from playground.tasks.context import AppContext
from playground.ui.links import LinkedView
from playground.ui.tabs.pretraining import masked_lm, next_sentence, replaced_tokens, steps, tokenizers, writing

INTRO = ("How the two families were **trained**: BERT hides tokens and predicts them from both sides "
         "(plus next-sentence prediction); GPT-2 predicts the next token from the left. Each objective "
         "below runs live on the same models as the Compare tab.")
SUBTABS = (masked_lm, next_sentence, steps, tokenizers, replaced_tokens, writing)  # in the order shown


def build_pretraining_tab(ctx: AppContext) -> tuple[gr.Tabs, list[LinkedView]]:
    """The Pre-training tab; returns its sub-tabs and the views a share link can open."""
    gr.Markdown(INTRO)
    with gr.Tabs() as subtabs:
        with gr.Tab("Masked LM (BERT)", id="pretraining-mlm"):
            mlm = masked_lm.build(ctx)
        with gr.Tab("Next sentence (BERT)", id="pretraining-nsp"):
            next_sentence.build(ctx)
        with gr.Tab("Next token, step by step (GPT-2)", id="pretraining-steps"):
            steps.build(ctx)
        with gr.Tab("Tokenizers", id="pretraining-tokenizers"):
            tok = tokenizers.build(ctx)
        with gr.Tab("Replaced-token detection (ELECTRA)", id="pretraining-rtd"):
            replaced_tokens.build(ctx)
        with gr.Tab("Can BERT write?", id="pretraining-write"):
            writing.build(ctx)
    for subtab in SUBTABS:  # the JSON endpoints, after the UI's own events (as the API page lists them)
        subtab.publish(ctx)
    return subtabs, [mlm, tok]
