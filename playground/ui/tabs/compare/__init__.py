"""Compare tab: the same sentence through BERT and GPT-2, side by side.

The handlers (context first) live in `playground/tasks/compare/` and return task results; here, view functions
turn a result into what each component shows, and `build_compare_tab` lays the tab out and wires the two. Every
endpoint in docs/api.md's tables is a named JSON endpoint, published from here; the tab's own events are private.

A click streams its result in stages (BERT's top-k, GPT-2's, influence and attention, the continuation); the
attention of every layer and head stays in the session (`gr.State`), so the layer/head/query controls
redraw without calling a model.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import gradio as gr

from playground.tasks.compare import (FAST_MODE_LABEL, FILL_TASK, GEN_TASK, GRADIENT, MAX_NEW_TOKENS, AttentionSource,
                                      attention_to_export, fast_mode_note, fill_mask_api, next_token_api,
                                      redraw_attention, run_attention, run_compare, run_compare_stages, run_generate,
                                      tokenize_api)
from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.ui.exports import ExportFile, export_controls, export_event, json_download
from playground.ui.links import LinkedView
from playground.ui.tabs.compare.views import (BERT_TOKEN_COLORS, GPT_TOKEN_COLORS, INFLUENCE_CHOICES, SESSION_TTL_S,
                                              TOKEN_TABLE_HEADERS, AttentionView, CompareView, GenerationView, Labelled,
                                              SliderRange, StageView, attention_view, cleared_generation,
                                              export_files, generation_view, influence_label, stage_view)
from playground.ui.widgets import (inline_errors, model_dropdown, publish_endpoint, shown, to_json, user_errors,
                                   view_outputs)

EXAMPLES = [
    "Tesla is an American [MASK] company headquartered in Austin, Texas.",
    "The capital of France is [MASK], a city famous for the Eiffel Tower.",
    "I am a data scientist who loves to work with [MASK], DL and NLP.",
    "The [MASK] barked at the mailman all morning.",
    "She opened the ___ and let the fresh air in.",
]


def compare_examples(ctx: AppContext) -> list[str]:
    """The Compare sentences of this mode: the lab world's with the lab models, else the real world's."""
    return [g.text for g in world_examples.COMPARE] if world_examples.lab_world(ctx) else EXAMPLES


# ---- layout ------------------------------------------------------------------------------------------

Components = dict[str, Any]  # component name → gradio component


def _layout_inputs(ctx: AppContext) -> Components:
    gr.Markdown("Type a sentence with a gap — `[MASK]` or `___`. **BERT** fills the gap using the words on "
                "**both sides**; **GPT-2** can only use the words **to its left**.")
    with gr.Row():
        with gr.Column(scale=3):
            examples = compare_examples(ctx)
            text = gr.Textbox(value=examples[0], label="Sentence", lines=2, max_lines=8)
            gr.Examples(examples, inputs=[text], label="Examples")
        with gr.Column(scale=2):
            top_k = gr.Slider(1, 20, value=5, step=1, label="Top-k predictions")
            word = gr.Textbox(label="Score a word in the slot (optional)",
                              placeholder="e.g. dog" if world_examples.lab_world(ctx) else "e.g. electric")
            influence = gr.Radio(INFLUENCE_CHOICES, value=GRADIENT, label="Word influence",
                                 info="How the influence panel scores each word: a fast estimate, or measured by "
                                      "hiding each word in turn", elem_id="influence-method")
            with gr.Row():
                bert_model = model_dropdown(ctx, FILL_TASK, "Encoder (BERT)")
                gpt_model = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
    with gr.Row(equal_height=False):  # the button keeps its own height beside fast mode's long note
        run = gr.Button("Compare", variant="primary", scale=3)
        fast = gr.Checkbox(value=ctx.fast, label=FAST_MODE_LABEL, info=fast_mode_note(), scale=2,
                           elem_id="fast-mode")
    notices = gr.Markdown(elem_id="compare-notices")
    return dict(text=text, top_k=top_k, word=word, bert_model=bert_model, gpt_model=gpt_model, run=run, fast=fast,
                influence=influence, notices=notices)


def _layout_bert_column() -> Components:
    gr.Markdown("### BERT — encoder, sees both sides")
    c = dict(bert_tokens=gr.HighlightedText(label="Tokens BERT sees (WordPiece; ## = continues a word)",
                                            color_map=BERT_TOKEN_COLORS, show_legend=True, elem_id="bert-tokens"))
    with gr.Accordion("Token ids", open=False):
        c["bert_table"] = gr.Dataframe(headers=TOKEN_TABLE_HEADERS, interactive=False)
    c["bert_roles"] = gr.Markdown()
    c["bert_label"] = gr.Label(label="Prediction for the first [MASK]", elem_id="bert-predictions")
    c["bert_masks"] = gr.Dataframe(headers=["mask", "token", "probability"], interactive=False, label="All masks")
    c["bert_word"] = gr.Markdown()
    return c


def _layout_gpt_column() -> Components:
    gr.Markdown("### GPT-2 — decoder, sees only the left")
    c = dict(gpt_tokens=gr.HighlightedText(
        label="Tokens GPT-2 reads (byte-level BPE; ␣ = leading space; no special tokens; "
              "the gap is filled with BERT's guess)",
        color_map=GPT_TOKEN_COLORS, show_legend=True, elem_id="gpt-tokens"))
    with gr.Accordion("Token ids", open=False):
        c["gpt_table"] = gr.Dataframe(headers=TOKEN_TABLE_HEADERS, interactive=False)
    c["gpt_label"] = gr.Label(label="Next token after the text left of the slot", elem_id="gpt-predictions")
    c["gpt_continuation"] = gr.Textbox(label="Greedy continuation from the slot", interactive=False)
    c["gpt_word"] = gr.Markdown()
    return c


def _layout_influence() -> Components:
    gr.Markdown("### Context direction — which words move the prediction for the slot\n"
                "How much each word moves the prediction for the slot (strongest word = 1), by the method chosen "
                "above. **Gradient × input** is a fast first-order *estimate* (one backward pass), not a "
                "measurement. **Occlusion** *measures* it: each word is hidden in turn (BERT: its tokens become "
                "[MASK]; GPT-2: it is deleted) and the change in the slot's probability is read, all in one "
                "batched pass. Words right of the slot influence BERT; for GPT-2 they are exactly 0 by either "
                "method, because the causal mask cuts every path from them to the slot.")
    c: Components = {}
    with gr.Row():
        with gr.Column():
            c["bert_influence"] = gr.HighlightedText(label=influence_label("BERT", GRADIENT), elem_id="bert-influence")
            c["bert_influence_note"] = gr.Markdown()
        with gr.Column():
            c["gpt_influence"] = gr.HighlightedText(label=influence_label("GPT-2", GRADIENT), elem_id="gpt-influence")
            c["gpt_influence_note"] = gr.Markdown()
    return c


def _layout_attention() -> Components:
    gr.Markdown("### Attention masks and weights")
    with gr.Row():
        # A word, not a token position: the two models split the sentence into different tokens.
        query = gr.Slider(0, 63, value=0, step=1, label="What can word i see? (words counted from 0)",
                          elem_id="attention-query")
        layer = gr.Slider(1, 24, value=1, step=1, label="Layer")
        head = gr.Slider(1, 16, value=1, step=1, label="Head")
    query_word = gr.Markdown(elem_id="attention-query-word")
    # Plotly figures (ui/figures/attention.py): hover gives each value with its query and key tokens, the
    # modebar's camera a PNG; past figures.attention.LONG_INPUT tokens the weights show the word's row instead.
    return dict(query=query, layer=layer, head=head, query_word=query_word,
                masks_plot=gr.Plot(label="Attention masks", elem_id="attention-masks"),
                heat_plot=gr.Plot(label="Attention weights", elem_id="attention-weights"),
                heads_plot=gr.Plot(label="Every head at a glance: how spread out its attention is (pick one above)",
                                   elem_id="attention-heads"),
                # Both figures as one interactive HTML file, their data and the result as JSON: written on click.
                export=export_controls("compare", "HTML · JSON"))


def _layout_generation() -> Components:
    c: Components = {}
    with gr.Accordion("Let GPT-2 keep writing (streamed)", open=False):
        with gr.Row():
            c["max_new_tokens"] = gr.Slider(1, MAX_NEW_TOKENS, value=30, step=1, label="Max new tokens")
            c["strategy"] = gr.Radio(["greedy", "sample"], value="greedy", label="Decoding")
            c["temperature"] = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
            c["gen_top_k"] = gr.Slider(0, 100, value=50, step=1, label="Top-k (0 = off)")
            c["top_p"] = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
            c["seed"] = gr.Textbox(value="", label="Seed (sampling; blank = random)", max_lines=1)
        c["write"] = gr.Button("Generate")
        c["generated"] = gr.HighlightedText(
            label="Generated text, coloured by the model's probability of each token", elem_id="gpt-generated")
        c["gen_notices"] = gr.Markdown()
        with gr.Accordion("Generation (JSON)", open=False):
            c["gen_json"] = gr.JSON(show_label=False)
            json_download(c["gen_json"], "generation")
    return c


# ---- wiring ------------------------------------------------------------------------------------------

def _component_value(value: Any) -> Any:
    """What a component is sent for a view value: slider ranges become slider updates."""
    if isinstance(value, SliderRange):
        return gr.Slider(**{k: v for k, v in dataclasses.asdict(value).items() if v is not None})
    if isinstance(value, Labelled):
        return gr.update(value=value.value, label=value.label)
    return value


def _values(view: Any) -> tuple[Any, ...]:
    """A view → component values in field order."""
    return tuple(_component_value(getattr(view, f.name)) for f in dataclasses.fields(view))


def _stage_values(view: StageView) -> tuple[Any, ...]:
    """A stage → one value per CompareView component (gr.skip() where the stage changes nothing), then the
    session's attention."""
    values = tuple(_component_value(view.changes[f.name]) if f.name in view.changes else gr.skip()
                   for f in dataclasses.fields(CompareView))
    return values + (view.attention if "bert_tokens" in view.changes or view.attention is not None else gr.skip(),)


COMPARE_INPUTS = ("text", "top_k", "word", "layer", "head", "bert_model", "gpt_model", "fast", "influence")
# A share link carries what the Compare click reads, under short names (bert_model → bert).
LINK_NAMES = ("text", "top_k", "word", "layer", "head", "bert", "gpt", "fast", "influence")
ATTENTION_INPUTS = ("attention", "text", "layer", "head", "query", "bert_model", "gpt_model")
EXPORT_INPUTS = ("attention", "layer", "head", "query", "result_json")
GENERATE_INPUTS = ("text", "max_new_tokens", "strategy", "temperature", "gen_top_k", "top_p", "seed", "gpt_model",
                   "fast")


def export_compare(ctx: AppContext, source: AttentionSource | None, layer: int = 1, head: int = 1, query: int = 0,
                   result: Any = None) -> list[ExportFile]:
    """The Export button: the session's attention (`attention_to_export`; the Compare click itself writes
    nothing) as files (`export_files`). Empty before a click."""
    return export_files(attention_to_export(ctx, source, layer, head, query), result,
                        source.summaries if source is not None else ())


def _wire_compare(ctx: AppContext, c: Components) -> LinkedView:
    """Compare (the button or Enter in the sentence) streams its stages; its failure stays under the button."""
    compare_inputs = [c[n] for n in COMPARE_INPUTS]
    compare_outputs = view_outputs(c, CompareView) + [c["attention"]]
    show_compare = inline_errors(shown(ctx, run_compare_stages, stage_view, _stage_values), compare_outputs,
                                 c["notices"])
    for event in (c["run"].click, c["text"].submit):
        event(show_compare, compare_inputs, compare_outputs, api_name="compare_view", api_visibility="private")
        # The last "keep writing" text belongs to the last sentence: a new Compare clears it.
        event(lambda: _values(cleared_generation()), None, view_outputs(c, GenerationView), api_visibility="private",
              queue=False, show_progress="hidden")
    return LinkedView("compare", dict(zip(LINK_NAMES, compare_inputs)), show_compare, compare_outputs)


def _wire_attention(ctx: AppContext, c: Components) -> None:
    """The layer/head/word sliders redraw from the session's attention; a failure shows above the figures."""
    attention_outputs = view_outputs(c, AttentionView)
    show_attention = inline_errors(shown(ctx, redraw_attention, attention_view, _values), attention_outputs,
                                   c["query_word"])
    for slider in (c["query"], c["layer"], c["head"]):
        slider.release(show_attention, [c[n] for n in ATTENTION_INPUTS], attention_outputs,
                       api_name="attention_view", api_visibility="private")


def _wire_export(ctx: AppContext, c: Components) -> None:
    export = c["export"]
    export.button.click(user_errors(export_event(functools.partial(export_compare, ctx))),
                        [c[n] for n in EXPORT_INPUTS], export.files, api_visibility="private")


def _wire_generation(ctx: AppContext, c: Components) -> None:
    """Generate streams GPT-2's continuation; a failure shows in the generation's notices."""
    generate_outputs = view_outputs(c, GenerationView)
    c["write"].click(inline_errors(shown(ctx, run_generate, generation_view, _values), generate_outputs,
                                   c["gen_notices"]),
                     [c[n] for n in GENERATE_INPUTS], generate_outputs, api_name="generate_view",
                     api_visibility="private")


def _wire(ctx: AppContext, c: Components) -> LinkedView:
    """Each event's failure stays in its panel (`inline_errors`): the notices under the Compare button, the
    line above the attention figures, the generation's notices."""
    view = _wire_compare(ctx, c)
    _wire_attention(ctx, c)
    _wire_export(ctx, c)
    _wire_generation(ctx, c)
    return view


def _publish_api(ctx: AppContext) -> None:
    """Named JSON endpoints for scripts (gradio_client), defaulting to the profile's models."""
    bert, gpt = ctx.profile.default(FILL_TASK), ctx.profile.default(GEN_TASK)
    def compare(text: str, top_k: int = 5, word: str = "", layer: int = 1, head: int = 1, bert_model: str = bert,
                gpt_model: str = gpt, fast: bool = ctx.fast, influence: str = "gradient") -> dict:
        """Both models on one sentence: tokens, predictions for the gap, each word's influence (gradient × input or
        occlusion), attention.
        """
        return to_json(run_compare(ctx, text, top_k, word, layer, head, bert_model, gpt_model, fast, influence))

    publish_endpoint(compare, "compare", serves=run_compare)

    def attention(text: str, layer: int = 1, head: int = 1, query: int = 0, bert_model: str = bert,
                  gpt_model: str = gpt) -> dict:
        """What word `query` of the sentence (each model's own tokens for it) may attend to in each model, and the
        attention weights of one layer and head.
        """
        return to_json(run_attention(ctx, text, layer, head, query, bert_model, gpt_model))

    publish_endpoint(attention, "attention", serves=run_attention)

    def generate(text: str, max_new_tokens: int = 30, strategy: str = "greedy", temperature: float = 1.0,
                 top_k: int = 50, top_p: float = 0.95, seed: str = "", gpt_model: str = gpt,
                 fast: bool = ctx.fast) -> dict:
        """Stream GPT-2's continuation of the text left of the first [MASK] (or all of it)."""
        for result in run_generate(ctx, text, max_new_tokens, strategy, temperature, top_k, top_p, seed, gpt_model,
                                   fast):
            yield to_json(result)

    publish_endpoint(generate, "generate", serves=run_generate)

    def fill_mask(text: str, top_k: int = 5, model: str = bert, fast: bool = ctx.fast) -> dict:
        """BERT's top-k tokens for every [MASK] (or ___) in the text."""
        return to_json(fill_mask_api(ctx, text, top_k, model, fast))

    publish_endpoint(fill_mask, "fill_mask", serves=fill_mask_api)

    def next_token(text: str, top_k: int = 5, model: str = gpt, fast: bool = ctx.fast) -> dict:
        """GPT-2's top-k next tokens given the text left of the first [MASK] (or all of it)."""
        return to_json(next_token_api(ctx, text, top_k, model, fast))

    publish_endpoint(next_token, "next_token", serves=next_token_api)

    def tokenize(text: str, model: str = bert) -> dict:
        """The tokens a model sees: pieces, ids, kinds and character offsets (truncated to the model's limit)."""
        return to_json(tokenize_api(ctx, text, model))

    publish_endpoint(tokenize, "tokenize", serves=tokenize_api)


def build_compare_tab(ctx: AppContext) -> LinkedView:
    c = _layout_inputs(ctx)
    with gr.Row(equal_height=False):
        with gr.Column():
            c |= _layout_bert_column()
        with gr.Column():
            c |= _layout_gpt_column()
    c |= _layout_influence()
    c |= _layout_attention()
    c |= _layout_generation()
    with gr.Accordion("Full result (JSON)", open=False):
        c["result_json"] = gr.JSON()
        json_download(c["result_json"], "compare-result", elem_id="compare-json-download")
    # Per session, the last click's attention of every layer and head (bounded: see MAX_KEPT_ATTENTION_BYTES).
    c["attention"] = gr.State(None, time_to_live=SESSION_TTL_S)
    view = _wire(ctx, c)
    _publish_api(ctx)
    return view
