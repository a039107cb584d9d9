"""Compare tab: the same sentence through BERT and GPT-2, side by side."""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground.lm.causal_lm import NextTokenResult, next_token_distribution
from playground.tasks.compare import CompareResult, clamped_attention_map, compare, readings
from playground.lm.generation import MAX_NEW_TOKENS, GenerationSettings, stream_generate
from playground.lm.masked_lm import FillMaskResult, fill_mask
from playground.core.text_input import check_int, clean_text, with_mask_token
from playground.core.tokens import SPECIAL_TOKEN_ROLES, TokenizedText, tokenize
from playground.ui.widgets import (TOKEN_COLORS, AppContext, highlighted_scores, highlighted_tokens, json_endpoint, label_value,
                     model_dropdown, notices_markdown, to_json, token_table, user_errors)
from playground.ui.figures.attention import attention_heatmaps_figure, attention_masks_figure

EXAMPLES = [
    "Tesla is an American [MASK] company headquartered in Austin, Texas.",
    "The capital of France is [MASK], a city famous for the Eiffel Tower.",
    "I am a data scientist who loves to work with [MASK], DL and NLP.",
    "The [MASK] barked at the mailman all morning.",
    "She opened the ___ and let the fresh air in.",
]
TOKEN_TABLE_HEADERS = ["position", "piece", "id", "kind"]


def _word_line(wp) -> str:
    if wp is None:
        return ""
    pieces = " + ".join(f"`{p}` {q:.2%}" for p, q in zip(wp.pieces, wp.piece_probabilities))
    return f"**P('{wp.word}') = {wp.probability:.3%}** — pieces: {pieces}. _Method: {wp.method}._"


def _special_roles(tokens) -> str:
    seen = [t.piece for t in tokens.tokens if t.kind in ("special", "mask", "unknown")]
    rows = [f"`{p}` — {SPECIAL_TOKEN_ROLES[p]}" for p in dict.fromkeys(seen) if p in SPECIAL_TOKEN_ROLES]
    return "  \n".join(rows)


def _influence_value(result) -> list[tuple[str, float | None]]:
    if result is None:
        return []
    spans = [(w.start, w.end, w.share) for w in result.words if w.side != "slot"]
    return highlighted_scores(result.text, spans)


def _influence_summary(result) -> str:
    if result is None:
        return ""
    left, right = result.total("left"), result.total("right")
    share_right = right / (left + right) if left + right else 0.0
    return (f"Slot `{result.slot}` → top prediction `{result.predicted}`. Words **right** of the slot carry "
            f"**{share_right:.1%}** of the total influence (left: {left:.4g}, right: {right:.4g}).")


def _query_default(n: int, slot: int) -> int:
    return max(0, min(n - 1, slot))


def _figures(result: CompareResult, query: int | None):
    bert_labels = [t.display for t in result.bert_tokens.tokens]
    gpt_labels = [t.display for t in result.gpt_tokens.tokens]
    bert_mask_pos = next((t.position for t in result.bert_tokens.tokens if t.kind == "mask"), 0)
    bert_q = bert_mask_pos if query is None else min(int(query), len(bert_labels) - 1)
    gpt_q = max(0, result.gpt_slot_position - 1) if query is None else min(int(query), len(gpt_labels) - 1)
    masks = attention_masks_figure(bert_labels, gpt_labels, bert_q, gpt_q,
                                   f"{result.bert_model}: bidirectional (every token sees all)",
                                   f"{result.gpt_model}: causal (token t sees ≤ t)")
    heatmaps = attention_heatmaps_figure([result.bert_attention, result.gpt_attention])
    return masks, heatmaps


def build_compare_tab(ctx: AppContext) -> None:
    fill_task, gen_task = "fill-mask", "text-generation"

    def run_compare(text: str, top_k: float, word: str, layer: float, head: float, bert_model: str,
                    gpt_model: str) -> tuple[Any, ...]:
        bert = ctx.model(bert_model, fill_task)
        gpt = ctx.model(gpt_model, gen_task)
        result = compare(bert, gpt, text, top_k=top_k, word=word, layer=layer, head=head)
        masks_fig, heat_fig = _figures(result, None)
        bert_label = label_value(result.bert.masks[0].predictions) if result.bert else {}
        all_masks = [[m.mask_number, p.token, round(p.probability, 4)]
                     for m in (result.bert.masks if result.bert else ()) for p in m.predictions]
        notices = notices_markdown(result.notices, result.bert.notices if result.bert else (),
                                   [result.bert_message] if result.bert_message else (), result.gpt.notices,
                                   result.gpt_influence.notices)
        n_tokens = max(len(result.bert_tokens.tokens), len(result.gpt_tokens.tokens))
        bert_cfg, gpt_cfg = bert.model.config, gpt.model.config
        sliders = (
            gr.Slider(maximum=max(1, n_tokens - 1),  # starts on the gap, as drawn
                      value=next((t.position for t in result.bert_tokens.tokens if t.kind == "mask"), 0)),
            gr.Slider(maximum=max(bert_cfg.num_hidden_layers, gpt_cfg.num_hidden_layers)),
            gr.Slider(maximum=max(bert_cfg.num_attention_heads, gpt_cfg.num_attention_heads)),
        )
        return (
            *sliders,
            notices,
            highlighted_tokens(result.bert_tokens), token_table(result.bert_tokens), _special_roles(result.bert_tokens),
            highlighted_tokens(result.gpt_tokens, hidden_from=result.gpt_slot_position),
            token_table(result.gpt_tokens),
            bert_label, all_masks, label_value(result.gpt.predictions),
            result.gpt.context + " ⟶ " + result.continuation.generated_text,
            _word_line(result.bert_word) or ("" if not word else "BERT needs a [MASK] to score a word."),
            _word_line(result.gpt_word),
            _influence_value(result.bert_influence), _influence_summary(result.bert_influence),
            _influence_value(result.gpt_influence), _influence_summary(result.gpt_influence),
            masks_fig, heat_fig, to_json(result),
        )

    def run_attention(text: str, layer: float, head: float, query: float, bert_model: str, gpt_model: str):
        """Attention masks (what can token `query` see) and the attention heatmap of one layer and head."""
        bert = ctx.model(bert_model, fill_task)
        gpt = ctx.model(gpt_model, gen_task)
        read = readings(bert, gpt, text)
        bert_tokens, gpt_tokens = read.bert_tokens, read.gpt_tokens
        bert_map = clamped_attention_map(bert, bert_tokens, layer, head)
        gpt_map = clamped_attention_map(gpt, gpt_tokens, layer, head)
        q = check_int(query, "Token position", 0, 10_000)
        masks = attention_masks_figure([t.display for t in bert_tokens.tokens], [t.display for t in gpt_tokens.tokens],
                                       min(q, len(bert_tokens.tokens) - 1), min(q, len(gpt_tokens.tokens) - 1),
                                       f"{bert.name}: bidirectional", f"{gpt.name}: causal")
        return masks, attention_heatmaps_figure([bert_map, gpt_map]), to_json({"bert": bert_map, "gpt": gpt_map})

    def run_generate(text: str, max_new_tokens: float, strategy: str, temperature: float, top_k: float,
                     top_p: float, seed: str | None, gpt_model: str):
        """Stream GPT-2's continuation of the text left of the first [MASK] (or all of it)."""
        gpt = ctx.model(gpt_model, gen_task)
        context = next_token_distribution(gpt, text, 1).context
        settings = GenerationSettings(max_new_tokens=max_new_tokens, strategy=strategy, temperature=temperature,
                                      top_k=top_k, top_p=top_p, seed=(seed or "").strip() or None)
        for result in stream_generate(gpt, context, settings):
            chips = [(context, None)] + [(t.token.replace("␣", " "), round(t.probability, 3)) for t in result.tokens]
            status = [f"Stopped: {result.stop_reason}."] if result.finished else []
            yield chips, notices_markdown(result.notices, status), to_json(result)

    # ---- layout ---------------------------------------------------------------------------
    gr.Markdown("Type a sentence with a gap — `[MASK]` or `___`. **BERT** fills the gap using the words on "
                "**both sides**; **GPT-2** can only use the words **to its left**.")
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(value=EXAMPLES[0], label="Sentence", lines=2, max_lines=8)
            gr.Examples(EXAMPLES, inputs=[text], label="Examples")
        with gr.Column(scale=2):
            top_k = gr.Slider(1, 20, value=5, step=1, label="Top-k predictions")
            word = gr.Textbox(label="Score a word in the slot (optional)", placeholder="e.g. electric")
            with gr.Row():
                bert_model = model_dropdown(ctx, fill_task, "Encoder (BERT)")
                gpt_model = model_dropdown(ctx, gen_task, "Decoder (GPT-2)")
    run = gr.Button("Compare", variant="primary")
    notices = gr.Markdown()
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown("### BERT — encoder, sees both sides")
            bert_tokens = gr.HighlightedText(label="Tokens BERT sees (WordPiece; ## = continues a word)",
                                             color_map=TOKEN_COLORS, show_legend=True, elem_id="bert-tokens")
            with gr.Accordion("Token ids", open=False):
                bert_table = gr.Dataframe(headers=TOKEN_TABLE_HEADERS, interactive=False)
            bert_roles = gr.Markdown()
            bert_label = gr.Label(label="Prediction for the first [MASK]", elem_id="bert-predictions")
            bert_masks = gr.Dataframe(headers=["mask", "token", "probability"], interactive=False,
                                      label="All masks")
            bert_word = gr.Markdown()
        with gr.Column():
            gr.Markdown("### GPT-2 — decoder, sees only the left")
            gpt_tokens = gr.HighlightedText(
                label="Tokens GPT-2 reads (byte-level BPE; ␣ = leading space; no special tokens; "
                      "the gap is filled with BERT's guess)",
                color_map=TOKEN_COLORS, show_legend=True, elem_id="gpt-tokens")
            with gr.Accordion("Token ids", open=False):
                gpt_table = gr.Dataframe(headers=TOKEN_TABLE_HEADERS, interactive=False)
            gpt_label = gr.Label(label="Next token after the text left of the slot", elem_id="gpt-predictions")
            gpt_continuation = gr.Textbox(label="Greedy continuation from the slot", interactive=False)
            gpt_word = gr.Markdown()
    gr.Markdown("### Context direction — measured\nHow much each word moves the prediction for the slot "
                "(gradient × input, strongest word = 1). Words right of the slot influence BERT; for GPT-2 "
                "they are exactly 0.")
    with gr.Row():
        with gr.Column():
            bert_influence = gr.HighlightedText(label="Influence on BERT", elem_id="bert-influence")
            bert_influence_note = gr.Markdown()
        with gr.Column():
            gpt_influence = gr.HighlightedText(label="Influence on GPT-2", elem_id="gpt-influence")
            gpt_influence_note = gr.Markdown()
    gr.Markdown("### Attention masks and weights")
    with gr.Row():
        query = gr.Slider(0, 63, value=0, step=1, label="What can token i see? (position i)")
        layer = gr.Slider(1, 24, value=1, step=1, label="Layer")
        head = gr.Slider(1, 16, value=1, step=1, label="Head")
    masks_plot = gr.Plot(label="Attention masks", elem_id="attention-masks")
    heat_plot = gr.Plot(label="Attention weights", elem_id="attention-weights")
    with gr.Accordion("Let GPT-2 keep writing (streamed)", open=False):
        with gr.Row():
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=30, step=1, label="Max new tokens")
            strategy = gr.Radio(["greedy", "sample"], value="greedy", label="Decoding")
            temperature = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
            gen_top_k = gr.Slider(0, 100, value=50, step=1, label="Top-k (0 = off)")
            top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
            seed = gr.Textbox(value="", label="Seed (sampling; blank = random)", max_lines=1)
        write = gr.Button("Generate")
        generated = gr.HighlightedText(label="Generated text, coloured by the model's probability of each token",
                                       elem_id="gpt-generated")
        gen_notices = gr.Markdown()
        with gr.Accordion("Generation (JSON)", open=False):
            gen_json = gr.JSON(show_label=False)
    with gr.Accordion("Full result (JSON)", open=False):
        result_json = gr.JSON()

    outputs = [query, layer, head, notices, bert_tokens, bert_table, bert_roles, gpt_tokens, gpt_table, bert_label, bert_masks,
               gpt_label, gpt_continuation, bert_word, gpt_word, bert_influence, bert_influence_note,
               gpt_influence, gpt_influence_note, masks_plot, heat_plot, result_json]
    inputs = [text, top_k, word, layer, head, bert_model, gpt_model]
    run.click(user_errors(run_compare), inputs, outputs, api_name="compare")
    text.submit(user_errors(run_compare), inputs, outputs, api_visibility="private")
    attention_json = gr.JSON(visible=False)
    for control in (query, layer, head):
        control.release(user_errors(run_attention), [text, layer, head, query, bert_model, gpt_model],
                        [masks_plot, heat_plot, attention_json],
                        api_name="attention" if control is layer else None,
                        api_visibility="public" if control is layer else "private")
    write.click(user_errors(run_generate),
                [text, max_new, strategy, temperature, gen_top_k, top_p, seed, gpt_model],
                [generated, gen_notices, gen_json], api_name="generate")

    # API-only endpoints for scripts (gradio_client): each returns the structured result as JSON.
    json_endpoint(ctx, fill_mask_api, "fill_mask", model=ctx.profile.default(fill_task))
    json_endpoint(ctx, next_token_api, "next_token", model=ctx.profile.default(gen_task))
    json_endpoint(ctx, tokenize_api, "tokenize", model=ctx.profile.default(fill_task))


def fill_mask_api(ctx: AppContext, text: str, top_k: int = 5, model: str = "bert-base-uncased") -> FillMaskResult:
    """BERT's top-k tokens for every [MASK] (or ___) in the text."""
    return fill_mask(ctx.model(model, "fill-mask"), text, top_k)


def next_token_api(ctx: AppContext, text: str, top_k: int = 5, model: str = "gpt2") -> NextTokenResult:
    """GPT-2's top-k next tokens given the text left of the first [MASK] (or all of it)."""
    return next_token_distribution(ctx.model(model, "text-generation"), text, top_k)


def tokenize_api(ctx: AppContext, text: str, model: str = "bert-base-uncased") -> TokenizedText:
    """The tokens a model sees: pieces, ids, kinds and character offsets (truncated to the model's limit)."""
    lm = ctx.model(model, "tokenizer-only")
    cleaned = clean_text(text)
    mask_token = lm.tokenizer.mask_token
    # Models with a mask token read "[MASK]" as their mask; left-to-right models keep their most recent tokens.
    model_text = with_mask_token(cleaned.text, mask_token) if mask_token else cleaned.text
    return tokenize(lm, model_text, keep="start" if mask_token else "end")
