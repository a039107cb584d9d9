"""The Inside tab: how the answer forms inside BERT and GPT-2 on the same input — logit lens, contextual vs
static embeddings, the KV cache, attribution by three methods, and probes. One sub-tab per view; the two model
menus above them serve every view. The computation is `playground.tasks.inside`'s; `views.py` turns its results
into what the components show; the figures (Plotly: hover, PNG from the modebar, HTML export) are in
`playground/ui/figures/inside.py`; `api.py` publishes the JSON endpoints.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any, Callable

import gradio as gr

from playground.tasks.context import AppContext
from playground.tasks.inside import (ATTRIBUTION_METHODS, DEFAULT_PAIRS, DEFAULT_TEXT, INTEGRATED, LABEL_SETS,
                                     run_attribution, run_cache, run_embeddings, run_lens, run_probes)
from playground.ui.exports import export_controls, export_event
from playground.ui.tabs.inside.api import publish_inside_endpoints
from playground.ui.tabs.inside.views import (CACHE_HEADERS, LENS_HEADERS, PROBE_HEADERS, attribution_view, cache_view,
                                             embedding_view, export_files, lens_view, probe_view)
from playground.ui.widgets import inline_errors, model_dropdown, shown, user_errors

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"
INTRO = ("**Inside both models, on the same input.** Where the answer forms across layers (logit lens), whether a "
         "word's vector depends on the words after it (embeddings, KV cache), which words drove the prediction "
         "(three attribution methods), and what a linear probe can read from each layer (with a control task). "
         "Hover a figure for exact values; its camera icon saves a PNG; **Export** writes an interactive HTML file "
         "that opens offline.")


def _wire(run: gr.Button, event: Callable, inputs: list, outputs: list, message: Any,
          stem: str, figures: Any, result_json: Any) -> None:
    """The run button → the view (a failure stays in `message`), and the Export button → HTML + JSON."""
    run.click(inline_errors(event, outputs, message), inputs, outputs, api_visibility="private")
    controls = export_controls(stem, "HTML · JSON")
    controls.button.click(user_errors(export_event(export_files(stem))), [figures, result_json], controls.files,
                          api_visibility="private")


def _lens_section(ctx: AppContext, models: list) -> None:
    gr.Markdown("Every layer's hidden state at BERT's **[MASK]** and at GPT-2's **next-token position** (the words "
                "left of the mask), decoded through the model's own output head (final norm/transform included). "
                "One forward pass per model serves every layer.")
    with gr.Row():
        text = gr.Textbox(value=DEFAULT_TEXT, label="Text with a [MASK]", scale=4)
        top_k = gr.Slider(1, 10, value=5, step=1, label="top-k per layer", scale=1)
    run = gr.Button("Run the logit lens", variant="primary")
    notices = gr.Markdown()
    with gr.Row():
        bert_plot, gpt_plot = gr.Plot(label="BERT", elem_id="inside-lens-bert"), gr.Plot(label="GPT-2")
    answer_plot = gr.Plot(label="The final answer across layers")
    rows = gr.Dataframe(headers=LENS_HEADERS, interactive=False, label="Rank and probability of each answer")
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    figures = gr.State(None, time_to_live=3600)
    outputs = [notices, bert_plot, gpt_plot, answer_plot, rows, result_json, figures]  # LensView order
    _wire(run, shown(ctx, run_lens, lens_view), [text, top_k, *models], outputs, notices, "inside-lens",
          figures, result_json)


def _embedding_section(ctx: AppContext, models: list) -> None:
    gr.Markdown("A word in two sentences: cosine similarity of its vectors at every layer, next to its static "
                "token embedding. When the deciding word comes **after** the target, GPT-2's vectors cannot differ.")
    with gr.Row():
        first = gr.Textbox(value=DEFAULT_PAIRS[0][0], label="First sentence")
        second = gr.Textbox(value=DEFAULT_PAIRS[0][1], label="Second sentence")
        word = gr.Textbox(value=DEFAULT_PAIRS[0][2], label="Word", max_lines=1)
    gr.Examples([list(p) for p in DEFAULT_PAIRS], inputs=[first, second, word], label="Examples")
    run = gr.Button("Compare the vectors", variant="primary")
    notices, summary = gr.Markdown(), gr.Markdown()
    plot = gr.Plot(label="Cosine similarity per layer", elem_id="inside-embeddings-plot")
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    figures = gr.State(None, time_to_live=3600)
    outputs = [notices, plot, summary, result_json, figures]  # EmbeddingView order
    _wire(run, shown(ctx, run_embeddings, embedding_view), [first, second, word, *models], outputs, notices,
          "inside-embeddings", figures, result_json)


def _cache_section(ctx: AppContext, models: list) -> None:
    gr.Markdown("Append one token: which keys and values of the earlier positions change, per layer? If none do, "
                "a decoder keeps them (the KV cache) and reads only the new token. Both versions are read in one "
                "padded batch, so 'unchanged' means bit-identical.")
    with gr.Row():
        text = gr.Textbox(value="The dog barked at the", label="Text", scale=3)
        token = gr.Textbox(value="mailman", label="Word to append (its first token)", scale=1, max_lines=1)
    run = gr.Button("Append and compare", variant="primary")
    notices, summary = gr.Markdown(), gr.Markdown(elem_id="inside-cache-summary")
    rows = gr.Dataframe(headers=CACHE_HEADERS, interactive=False, label="Earlier keys and values after the append")
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    outputs = [notices, summary, rows, result_json]  # CacheView order
    run.click(inline_errors(shown(ctx, run_cache, cache_view), outputs, notices), [text, token, *models], outputs,
              api_visibility="private")


def _attribution_section(ctx: AppContext, models: list) -> None:
    gr.Markdown("Which words drove BERT's prediction at the [MASK] and GPT-2's next token, by three methods: "
                "gradient × input (one backward pass), occlusion (each word hidden, one batched pass) and "
                "integrated gradients (Captum, on the embedding layer; its completeness gap is shown).")
    with gr.Row():
        text = gr.Textbox(value=DEFAULT_TEXT, label="Text with a [MASK]", scale=3)
        method = gr.Radio(list(ATTRIBUTION_METHODS), value=INTEGRATED, label="Method", scale=2)
    run = gr.Button("Attribute", variant="primary")
    notices, summary = gr.Markdown(), gr.Markdown()
    with gr.Row():
        bert_plot, gpt_plot = gr.Plot(label="BERT", elem_id="inside-attribution-bert"), gr.Plot(label="GPT-2")
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    figures = gr.State(None, time_to_live=3600)
    outputs = [notices, bert_plot, gpt_plot, summary, result_json, figures]  # AttributionView order
    _wire(run, shown(ctx, run_attribution, attribution_view), [text, method, *models], outputs, notices,
          "inside-attribution", figures, result_json)


def show_probes(ctx: AppContext, label_set: str, repeats: float, bert_model: str, gpt_model: str,
                progress: gr.Progress = gr.Progress()) -> tuple:
    result = run_probes(ctx, label_set, repeats, bert_model, gpt_model,
                        progress=lambda done, what: progress(done, desc=what))
    return tuple(probe_view(result))


def _probe_section(ctx: AppContext, models: list) -> None:
    gr.Markdown("A logistic-regression probe per layer on a label of the lab's world, trained on 70 % of the "
                "sentences and scored on the rest, beside the **control task** (a random label per word type): "
                "selectivity = accuracy − control accuracy. Up to ~20 s, with progress.")
    with gr.Row():
        label_set = gr.Dropdown([(label, key) for key, label in LABEL_SETS.items()], value="noun_kind",
                                label="Label")
        repeats = gr.Slider(2, 10, value=5, step=1, label="Repeats (seeded splits)")
    run = gr.Button("Train the probes", variant="primary")
    notices, summary = gr.Markdown(), gr.Markdown(elem_id="inside-probes-summary")
    plot = gr.Plot(label="Probe accuracy per layer", elem_id="inside-probes-plot")
    rows = gr.Dataframe(headers=PROBE_HEADERS, interactive=False, label="Per layer")
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    figures = gr.State(None, time_to_live=3600)
    outputs = [notices, plot, summary, rows, result_json, figures]  # ProbeView order
    event = functools.partial(show_probes, ctx)
    event.__name__ = "show_probes"
    _wire(run, event, [label_set, repeats, *models], outputs, notices, "inside-probes", figures, result_json)


def build_inside_tab(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(INTRO)
    with gr.Row():
        models = [model_dropdown(ctx, FILL_TASK, "BERT-style model (masked LM)"),
                  model_dropdown(ctx, GEN_TASK, "GPT-style model (causal LM)")]
    with gr.Tabs():
        with gr.Tab("Logit lens", id="inside-lens"):
            _lens_section(ctx, models)
        with gr.Tab("Embeddings", id="inside-embeddings"):
            _embedding_section(ctx, models)
        with gr.Tab("KV cache", id="inside-cache"):
            _cache_section(ctx, models)
        with gr.Tab("Attribution", id="inside-attribution"):
            _attribution_section(ctx, models)
        with gr.Tab("Probes", id="inside-probes"):
            _probe_section(ctx, models)
    publish_inside_endpoints(ctx)
    return SimpleNamespace(models=models)
