"""Assemble the playground: header, model status, and one tab per topic."""

from __future__ import annotations

import inspect
import logging
from types import SimpleNamespace
from typing import Any, Iterator

import gradio as gr

from playground.tasks.compare import FILL_TASK, GEN_TASK, GRADIENT
from playground.tasks.context import AppContext, AppOptions, Step, hub_offline_forced, make_context
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT
from playground.ui import tour
from playground.ui.links import LinkOpener, wire_runs
from playground.ui.serving import DELETE_CACHE
from playground.ui.tabs.assistant import build_assistant_tab
from playground.ui.tabs.compare import build_compare_tab, compare_examples
from playground.ui.tabs.inside import build_inside_tab
from playground.ui.tabs.lab import build_lab_tab
from playground.ui.tabs.models import TabLink, build_models_tab
from playground.ui.tabs.pretraining import build_pretraining_tab
from playground.ui.tabs.question_answering import build_qa_tab
from playground.ui.tabs.road import build_road_tab
from playground.ui.tabs.sentiment import build_sentiment_tab
from playground.ui.tabs.summarization import build_summarization_tab
from playground.ui.widgets import CHIP_CSS

TITLE = "BERT vs GPT Playground"
log = logging.getLogger("playground")

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
#model-status.missing {border:1px solid #f59e0b; border-radius:8px; padding:6px 12px;}
""" + CHIP_CSS + tour.CSS

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
    "assistant": TabLink("GPT → Assistant", "assistant"),
}


def missing_default_models(ctx: AppContext) -> list[str]:
    """The default models of the Hub profile that are not in the local cache (none for the tiny / lab profiles,
    whose models are local). Cheap: never touches the network."""
    if ctx.profile.name in ("tiny", "lab"):
        return []
    names = dict.fromkeys(ctx.profile.default(task) for task in ctx.profile.models)
    return [n for n in names if ctx.store.availability(n) == "not downloaded"]


def model_status_markdown(ctx: AppContext) -> str:
    """Which default models are ready; with some missing, the one place that names them all and the ways to keep
    going (the download command, the offline modes). Each tab then says inline what its run lacked."""
    if ctx.profile.name in ("tiny", "lab"):
        return ""
    names = list(dict.fromkeys(ctx.profile.default(task) for task in ctx.profile.models))
    missing = missing_default_models(ctx)
    if not missing:
        return f"✅ All default models are in the local cache ({', '.join(names)})."
    listed = ", ".join(f"`{n}`" for n in missing)
    if hub_offline_forced():
        how_many = (f"none of the {len(names)} default models is" if len(missing) == len(names) else
                    f"{len(missing)} of the {len(names)} default models are not")
        head = (f"⚠️ **Offline (HF_HUB_OFFLINE is set), and {how_many} in the local cache:** {listed}. The tabs "
                "that need them say so when you run them.")
    else:
        head = (f"⚠️ **Not downloaded yet:** {listed}. With internet access they download on first use; without "
                "it, the tabs that need them say so when you run them.")
    command = "python -m playground download" + ("" if len(missing) == len(names) else f" {' '.join(missing)}")
    ways = [f"download them once with internet access: `{command}` (afterwards the app works offline)",
            "restart with the small models trained here, fully offline: `python app.py --models lab` (they know "
            "the lab's corpus)",
            "or with tiny untrained ones: `python app.py --models tiny` (fully offline; predictions are noise)"]
    if LAB_BERT in ctx.profile.choices(FILL_TASK):
        ways.append(f"or, without restarting, choose **{LAB_BERT}** / **{LAB_GPT}** in the Compare and "
                    "Pre-training model menus, and train your own in the Pretraining lab")
    return head + "\n\n**To keep going:**\n" + "\n".join(f"- {way}" for way in ways)


def event_sends(event: Any, inputs: list[Any]) -> Iterator[None]:
    """Run a UI event as Gradio's server does: call its function, and post-process every value it sends with its
    output component (e.g. a table becomes a DataFrame); yields after each send. A failure raises (the function
    inside `inline_errors` is called), so the warm start can say what failed."""
    out = getattr(event.fn, "__wrapped__", event.fn)(*inputs)
    for values in (out if inspect.isgenerator(out) else iter([out])):
        for component, value in zip(event.outputs, values):
            # An update (a dict from gr.update, or a component) carries at most a value, which Gradio post-processes.
            update = (value.constructor_args if isinstance(value, gr.blocks.Block) else
                      value if isinstance(value, dict) and value.get("__type__") == "update" else None)
            if update is not None:
                if "value" not in update:
                    continue
                value = update["value"]
            if not isinstance(component, gr.State):
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
    inputs = [compare_examples(ctx)[0], 5, "", 1, 1, bert, gpt, ctx.fast, GRADIENT]
    steps.append(("warming up", lambda: all(True for _ in event_sends(click, inputs))))
    return steps


def start_preload(ctx: AppContext, demo: gr.Blocks):
    """Start the warm start (call it once the page is served); None when the app does not preload."""
    if ctx.warm is None:
        return None
    compare_models = dict.fromkeys((ctx.profile.default(FILL_TASK), ctx.profile.default(GEN_TASK)))
    missing = [name for name in compare_models if name in missing_default_models(ctx)]
    if missing and hub_offline_forced():  # it could only fail; the header names the missing models and what to do
        log.warning("warm start skipped: offline (HF_HUB_OFFLINE) and %s not in the local cache; "
                    "python -m playground download fetches them", " and ".join(missing))
        ctx.warm.skip()
        return None
    names = " and ".join(compare_models)
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
            missing = ["missing"] if missing_default_models(ctx) else None
            gr.Markdown(status, elem_id="model-status", elem_classes=missing)
        if ctx.warm is not None:
            _layout_warm_status(ctx, demo)
        share = _layout_share_and_tour()
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # ten tabs: all in sight, none behind a menu
            with gr.Tab("Compare", id="compare"):
                views = [build_compare_tab(ctx)]
            with gr.Tab("Inside", id="inside"):
                build_inside_tab(ctx)
            with gr.Tab("Pre-training", id="pretraining"):
                pretraining_tabs, pretraining_views = build_pretraining_tab(ctx)
                views += pretraining_views
            with gr.Tab("Pretraining lab", id="lab"):
                build_lab_tab(ctx)
            with gr.Tab("RNN → Transformer", id="road"):
                build_road_tab(ctx)
            with gr.Tab("GPT → Assistant", id="assistant"):
                build_assistant_tab(ctx)
            with gr.Tab("Sentiment", id="sentiment"):
                views.append(build_sentiment_tab(ctx))
            with gr.Tab("Question answering", id="question-answering"):
                views.append(build_qa_tab(ctx))
            with gr.Tab("Summarization", id="summarization"):
                views.append(build_summarization_tab(ctx))
            with gr.Tab("Models", id="models") as models_tab:
                views.append(build_models_tab(ctx, SEE_IT_LIVE, models_tab))
        # What links and the tour can open, kept on the app for tests and tools.
        demo.link_opener = _wire_share_and_tour(demo, share, views, tabs, {"pretraining": pretraining_tabs})
    return demo


def _layout_share_and_tour() -> SimpleNamespace:
    """The header row: the interview tour's controls, presentation mode and Copy link; below it the tour's
    panel, the link box and what a link got wrong."""
    with gr.Row(elem_id="share-and-tour"):
        ui = tour.layout_tour_controls()
        copy = gr.Button("Copy link", size="sm", elem_id="copy-link", scale=0, min_width=120)
    tour.layout_tour_box(ui)
    link_box = gr.Textbox(label="Link to this view — opening it fills these inputs and runs the tab", visible=False,
                          interactive=False, buttons=["copy"], elem_id="share-link", max_lines=2)
    notice = gr.Markdown(elem_id="link-notice")
    # Client-side bookkeeping, never shown: the tab Copy link describes, where to scroll, the page's address.
    hidden = dict(visible=False, interactive=False)
    return SimpleNamespace(tour=ui, copy=copy, link_box=link_box, notice=notice,
                           place=gr.Textbox("compare", **hidden), anchor=gr.Textbox("", **hidden),
                           page_url=gr.Textbox("", **hidden))


def _wire_share_and_tour(demo: gr.Blocks, share: SimpleNamespace, views, tabs, subtabs) -> LinkOpener:
    wire_runs(views)
    opener = LinkOpener({view.place: view for view in views}, tabs, subtabs, share.notice, share.place, share.anchor)
    opener.wire(demo, share.copy, share.link_box, share.page_url)
    tour.wire_tour(demo, share.tour, opener)
    return opener


def build_app(options: AppOptions | None = None) -> gr.Blocks:
    """The whole playground for these options; loads no model (models load on first use)."""
    return build_demo(make_context(options or AppOptions()))
