"""Assemble the playground: header, model status, and one tab per topic."""

from __future__ import annotations

import gradio as gr

from playground.models.context import AppContext, AppOptions, make_context
from playground.ui.tabs.compare import build_compare_tab
from playground.ui.tabs.lab import build_lab_tab
from playground.ui.tabs.models import TabLink, build_models_tab
from playground.ui.tabs.pretraining import build_objectives_tab
from playground.ui.tabs.question_answering import build_qa_tab
from playground.ui.tabs.sentiment import build_sentiment_tab
from playground.ui.tabs.summarization import build_summarization_tab
from playground.ui.serving import DELETE_CACHE

TITLE = "BERT vs GPT Playground"

# System fonts only: the default theme fetches Google Fonts, which an offline machine cannot reach, and the
# fallback then rendered bold capitals as small capitals.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                                "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])

CSS = """
#mode-banner {background:#fef3c7; border:1px solid #f59e0b; border-radius:8px; padding:6px 12px;}
"""

# Where each fact-sheet topic (tasks.fact_sheet.TOPICS) is shown live: the tab ids of build_demo below and
# the Pre-training tab's sub-tab ids.
SEE_IT_LIVE = {
    "compare": TabLink("Compare", "compare"),
    "masked-lm": TabLink("Pre-training › Masked LM (BERT)", "pretraining", "pretraining-mlm"),
    "next-sentence": TabLink("Pre-training › Next sentence (BERT)", "pretraining", "pretraining-nsp"),
    "next-token-steps": TabLink("Pre-training › Next token, step by step (GPT-2)", "pretraining", "pretraining-steps"),
    "tokenizers": TabLink("Pre-training › Tokenizers", "pretraining", "pretraining-tokenizers"),
    "sentiment": TabLink("Sentiment", "sentiment"),
    "question-answering": TabLink("Question answering", "question-answering"),
    "summarization": TabLink("Summarization", "summarization"),
}


def model_status_markdown(ctx: AppContext) -> str:
    """Which default models are ready; for missing ones, the command that pre-downloads them."""
    if ctx.profile.name in ("tiny", "lab"):
        return ""
    names = list(dict.fromkeys(ctx.profile.default(task) for task in ctx.profile.models))
    missing = [n for n in names if ctx.store.availability(n) == "not downloaded"]
    if not missing:
        return f"✅ All default models are in the local cache ({', '.join(names)})."
    return (f"⚠️ Not downloaded yet: {', '.join(missing)}. With internet access they download on first use; "
            f"for offline use run once: `python -m playground download {' '.join(missing)}`. "
            "To keep going offline now: `python app.py --models lab` (small models trained here, they know the "
            "lab's corpus) or `--models tiny` (untrained).")


def build_demo(ctx: AppContext) -> gr.Blocks:
    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(f"# {TITLE}\nHow an **encoder** (BERT: bidirectional, masked-token prediction) and a "
                    "**decoder** (GPT-2: left-to-right, next-token prediction) read the same text.")
        if ctx.profile.banner:
            gr.Markdown(f"⚠️ **{ctx.profile.banner}**", elem_id="mode-banner")
        status = model_status_markdown(ctx)
        if status:
            gr.Markdown(status, elem_id="model-status")
        with gr.Tabs():
            with gr.Tab("Compare", id="compare"):
                build_compare_tab(ctx)
            with gr.Tab("Pre-training", id="pretraining"):
                build_objectives_tab(ctx)
            with gr.Tab("Pretraining lab", id="lab"):
                build_lab_tab(ctx)
            with gr.Tab("Sentiment", id="sentiment"):
                build_sentiment_tab(ctx)
            with gr.Tab("Question answering", id="question-answering"):
                build_qa_tab(ctx)
            with gr.Tab("Summarization", id="summarization"):
                build_summarization_tab(ctx)
            with gr.Tab("Models", id="models") as models_tab:
                build_models_tab(ctx, SEE_IT_LIVE, models_tab)
    return demo


def build_app(options: AppOptions | None = None) -> gr.Blocks:
    """The whole playground for these options; loads no model (models load on first use)."""
    return build_demo(make_context(options or AppOptions()))
