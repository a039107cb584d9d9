"""Assemble the playground: header, model status, and one tab per topic."""

from __future__ import annotations

import inspect
from typing import Any, Iterator

import gradio as gr

from playground.models.context import AppContext, AppOptions, make_context
from playground.models.warm import Step
from playground.ui.tabs.compare import EXAMPLES, FILL_TASK, GEN_TASK, build_compare_tab
from playground.ui.tabs.lab import build_lab_tab
from playground.ui.tabs.models import TabLink, build_models_tab
from playground.ui.tabs.pretraining import build_objectives_tab
from playground.ui.tabs.question_answering import build_qa_tab
from playground.ui.tabs.sentiment import build_sentiment_tab
from playground.ui.tabs.summarization import build_summarization_tab
from playground.ui.serving import DELETE_CACHE
from playground.ui.widgets import CHIP_CSS

TITLE = "BERT vs GPT Playground"

# System fonts only: the default theme fetches Google Fonts, which an offline machine cannot reach, and the
# fallback then rendered bold capitals as small capitals.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                                "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])

CSS = """
#mode-banner {background:#fef3c7; border:1px solid #f59e0b; border-radius:8px; padding:6px 12px; color:#422006;}
.dark #mode-banner {background:#451a03; border-color:#d97706; color:#fef3c7;}
#mode-banner * {color:inherit;}
/* Tables in the UI font (Gradio's default is monospace): a third narrower, so wide tables fit a 1024 px window
   without hiding a column; tabular figures keep numbers aligned. */
.block .header-table, .block .virtual-row {font-family: var(--font) !important; font-variant-numeric: tabular-nums;}
.block .header-table {font-size: var(--text-sm) !important;}
""" + CHIP_CSS

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


def event_sends(event: Any, inputs: list[Any]) -> Iterator[None]:
    """Run a UI event as Gradio's server does: call its function, and post-process every value it sends with its
    output component (e.g. a table becomes a DataFrame); yields after each send."""
    out = event.fn(*inputs)
    for values in (out if inspect.isgenerator(out) else iter([out])):
        for component, value in zip(event.outputs, values):
            skipped = isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
            if not skipped and not isinstance(component, gr.State):
                component.postprocess(value)
        yield


def preload_steps(ctx: AppContext, demo: gr.Blocks) -> list[Step]:
    """What the warm start does: load the Compare tab's default models (their int8 copies too in fast mode),
    then click Compare once on the first example, as the server would run the click."""
    bert, gpt = ctx.profile.default(FILL_TASK), ctx.profile.default(GEN_TASK)
    steps: list[Step] = [(f"loading {bert}", lambda: ctx.model(bert, FILL_TASK)),
                         (f"loading {gpt}", lambda: ctx.model(gpt, GEN_TASK))]
    if ctx.fast:
        steps.append(("making the int8 copies", lambda: (ctx.model(bert, FILL_TASK, "int8"),
                                                         ctx.model(gpt, GEN_TASK, "int8"))))
    click = next(fn for fn in demo.fns.values() if fn.api_name == "compare_view")
    inputs = [EXAMPLES[0], 5, "", 1, 1, bert, gpt, ctx.fast]
    steps.append(("warming up", lambda: all(True for _ in event_sends(click, inputs))))
    return steps


def start_preload(ctx: AppContext, demo: gr.Blocks):
    """Start the warm start (call it once the page is served); None when the app does not preload."""
    if ctx.warm is None:
        return None
    names = " and ".join(dict.fromkeys((ctx.profile.default(FILL_TASK), ctx.profile.default(GEN_TASK))))
    return ctx.warm.start(preload_steps(ctx, demo), ready=f"{names} loaded and warmed up — ready")


def _warm_status(ctx: AppContext) -> tuple[str, gr.Timer]:
    """The status line, and the timer that refreshes it (stopped once the warm start has finished)."""
    return ctx.warm.status(), gr.Timer(active=not ctx.warm.finished)


def _layout_warm_status(ctx: AppContext, demo: gr.Blocks) -> None:
    status = gr.Markdown(ctx.warm.status(), elem_id="warm-status")
    timer = gr.Timer(1.0)
    refresh = dict(fn=lambda: _warm_status(ctx), outputs=[status, timer], show_progress="hidden",
                   api_visibility="private", concurrency_limit=None, concurrency_id="warm-status")
    timer.tick(**refresh)
    demo.load(**refresh)


def build_demo(ctx: AppContext) -> gr.Blocks:
    with gr.Blocks(title=TITLE, delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(f"# {TITLE}\nHow an **encoder** (BERT: bidirectional, masked-token prediction) and a "
                    "**decoder** (GPT-2: left-to-right, next-token prediction) read the same text.")
        if ctx.profile.banner:
            gr.Markdown(f"⚠️ **{ctx.profile.banner}**", elem_id="mode-banner")
        status = model_status_markdown(ctx)
        if status:
            gr.Markdown(status, elem_id="model-status")
        if ctx.warm is not None:
            _layout_warm_status(ctx, demo)
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
