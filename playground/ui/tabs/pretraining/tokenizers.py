"""Pre-training › Tokenizers: the same text, as typed, through WordPiece, byte-level BPE, a unigram model trained with
the SentencePiece toolkit (Pegasus) and a multilingual one (XLM-R), each tokenizer's normalised text shown. The handlers live in `playground/tasks/tokenizer_compare.py` (and the multilingual
column's default in `playground/tasks/multilingual.py`); this file lays the sub-tab out, wires it and turns
the result into what each component shows."""

from __future__ import annotations

import functools
import html
from types import SimpleNamespace
from typing import Any, NamedTuple, Sequence

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.multilingual import multilingual_choice
from playground.core.text_input import markdown_literal
from playground.tasks.tokenizer_compare import (EXAMPLES, TOPICS, TokenizerComparison, TokenizerView,
                                                compare_tokenizers_api, scheme_choices)
from playground.ui.exports import json_download
from playground.ui.links import LinkedView
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import TOKEN_COLORS, notices_markdown, publish_endpoint, to_json, view_outputs

KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "mask", "unknown", "word", "continuation")}
# Byte-level BPE (GPT-2) has no mask token and no unknown piece: its legend leaves them out.
BPE_KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "word", "continuation")}
TOKENIZER_TASKS = (("fill-mask", "WordPiece (BERT)"), ("text-generation", "byte-level BPE (GPT-2)"),
                   ("summarization", "SentencePiece unigram (Pegasus)"))
# A fourth column for other scripts: a fill-mask model, by default the multilingual one (XLM-R).
TOKENIZER_COLUMNS = TOKENIZER_TASKS + (("fill-mask", "SentencePiece unigram, 100 languages (XLM-R)"),)
TOKENIZER_SLUGS = ("wordpiece", "bpe", "sentencepiece", "multilingual")  # one per column, in TOKENIZER_COLUMNS order
COLUMN_SCHEMES = ("WordPiece", "byte-level BPE", "SentencePiece", "SentencePiece")  # what each column may offer
TOKENIZER_SUMMARY_HEADERS = ["tokenizer", "scheme", "tokens", "special tokens added", "unknown", "tokens per word",
                             "lossless"]
TOKEN_ID_HEADERS = ["tokenizer", "position", "piece", "id", "kind"]
TOKENIZERS_INTRO = ("The same text through the tokenizers, and a multilingual one (XLM-R, 100 languages) for other "
                    "scripts — try the Hindi example. Two algorithms split words into pieces here, WordPiece and "
                    "BPE, plus a unigram model; **SentencePiece** is not a third algorithm but a toolkit that trains "
                    "unigram or BPE models on raw text, spaces included (`▁`) — Pegasus and XLM-R use its unigram "
                    "model. The text is tokenized **exactly as typed** (spaces, tabs, newlines); each column shows "
                    "the tokenizer's **normalised text** — what its normaliser (lower-casing, accent stripping) made "
                    "of it — next to the pieces. The notes are derived from what each tokenizer actually did to "
                    "*this* text.")


# ---- view: result → what each component shows -----------------------------------------------------

class TokenizersView(NamedTuple):
    notices: str
    summary: list[list[Any]]
    wordpiece_header: str
    bpe_header: str
    sentencepiece_header: str
    multilingual_header: str
    wordpiece_strip: list[tuple[str, str]]
    bpe_strip: list[tuple[str, str]]
    sentencepiece_strip: list[tuple[str, str]]
    multilingual_strip: list[tuple[str, str]]
    facts: str
    ids: list[list[Any]]
    json: Any


def tokenizers_view(result: TokenizerComparison, names: Sequence[str]) -> TokenizersView:
    """`names`: the model chosen for each column (the optional fourth may be missing or empty); one that could
    not load is shown as unavailable."""
    views = {v.model_name: v for v in result.views}
    strips, headers = [], []
    for name, (_, scheme) in zip([*names, "", "", "", ""][:len(TOKENIZER_COLUMNS)], TOKENIZER_COLUMNS):
        view = views.get(name)
        strips.append([(t.display, t.kind) for t in view.tokens] if view else [])
        headers.append("" if not name else column_header(scheme, name, view) if view else
                       f"**{scheme}** — `{name}`: unavailable (see the notes above)")
    return TokenizersView(notices_markdown(result.notices), tokenizer_summary(result), *headers, *strips,
                          tokenizer_facts_html(result), token_id_rows(result), to_json(result))


def column_header(scheme: str, name: str, view: TokenizerView) -> str:
    """The column's title, its token count and the normalised text the tokenizer split (spaces shown ␣)."""
    normalized = markdown_literal(view.normalized.replace(" ", "␣").replace("\t", "⇥").replace("\n", "↵"))
    return f"**{scheme}** — `{name}`: {view.token_count} tokens  \nnormalised text: {normalized}"


def tokenizer_summary(result: TokenizerComparison) -> list[list[Any]]:
    return [[v.model_name, v.scheme, v.token_count, " ".join(v.special_tokens_added) or "none", v.unknown_count,
             round(v.tokens_per_word, 2), "yes" if v.lossless else "no"] for v in result.views]


def tokenizer_facts_html(result: TokenizerComparison) -> str:
    """Topic × tokenizer table of what each scheme did with this text (wrapping text, unlike a Dataframe)."""
    cell = "style='border:1px solid #d1d5db;padding:6px 8px;vertical-align:top'"
    head = "".join(f"<th {cell}>{html.escape(v.scheme)}<br><code>{html.escape(v.model_name)}</code></th>"
                   for v in result.views)
    rows = "".join(
        f"<tr><th {cell}>{html.escape(topic)}</th>"
        + "".join(f"<td {cell}>{html.escape(v.facts.get(topic, ''))}</td>" for v in result.views) + "</tr>"
        for topic in TOPICS
    )
    return (f"<table id='tok-facts-table' style='border-collapse:collapse;width:100%;font-size:0.92em'>"
            f"<tr><th {cell}>what happened to…</th>{head}</tr>{rows}</table>")


def token_id_rows(result: TokenizerComparison) -> list[list[Any]]:
    return [[v.model_name, t.position, t.display, t.token_id, t.kind] for v in result.views for t in v.tokens]


# ---- layout and wiring -----------------------------------------------------------------------------

def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(TOKENIZERS_INTRO)
    # Lab mode: the lab world's sentences first (every word in lab-bert's vocabulary), then the real-world ones.
    examples = list(world_examples.TOKENIZERS if world_examples.lab_world(ctx) else ()) + list(EXAMPLES)
    text = gr.Textbox(value=examples[0], label="Text to tokenize", lines=2, max_lines=8)
    gr.Examples(examples, inputs=[text], label="Examples")
    with gr.Row():
        models = []
        for (task, label), scheme in zip(TOKENIZER_COLUMNS, COLUMN_SCHEMES):
            choices = scheme_choices(ctx, task, scheme)
            first = multilingual_choice(ctx) if len(models) == 3 else choices[0]
            models.append(gr.Dropdown(choices=choices, value=first if first in choices else choices[0], label=label,
                                      allow_custom_value=ctx.store.allow_unlisted))
    run = gr.Button("Compare tokenizers", variant="primary", elem_id="tok-run")
    ui = SimpleNamespace(inputs=[text, *models], run=run, notices=gr.Markdown())
    ui.summary = gr.Dataframe(headers=TOKENIZER_SUMMARY_HEADERS, interactive=False, elem_id="tok-summary")
    with gr.Row(equal_height=False):
        for slug, (_, scheme) in zip(TOKENIZER_SLUGS, TOKENIZER_COLUMNS):
            with gr.Column():
                setattr(ui, f"{slug}_header", gr.Markdown(f"**{scheme}**"))
                legend = BPE_KIND_COLORS if slug == "bpe" else KIND_COLORS
                setattr(ui, f"{slug}_strip", gr.HighlightedText(label=f"{scheme} pieces", color_map=legend,
                                                                show_legend=True, elem_id=f"tok-{slug}"))
    gr.Markdown("#### What each scheme did with this text")
    ui.facts = gr.HTML(elem_id="tok-facts")
    with gr.Accordion("Token ids", open=False):
        ui.ids = gr.Dataframe(headers=TOKEN_ID_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "tokenizers")
    return ui


def _show_tokenizers(ctx: AppContext, text: str, *names: str) -> TokenizersView:
    """The Tokenizers event: its view also needs which model each column asked for."""
    return tokenizers_view(compare_tokenizers_api(ctx, text, *names), names)


def build(ctx: AppContext) -> LinkedView:
    """The sub-tab, wired; returns the view a share link can open."""
    ui = _layout(ctx)
    show = wire(ui.run.click, functools.partial(_show_tokenizers, ctx), ui, TokenizersView)
    return LinkedView("pretraining-tokenizers", dict(zip(("text", *TOKENIZER_SLUGS), ui.inputs)), show,
                      view_outputs(ui, TokenizersView), anchor="tok-summary")


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `compare_tokenizers`."""
    def compare_tokenizers(text: str, wordpiece_model: str = ctx.profile.default("fill-mask"),
                           bpe_model: str = ctx.profile.default("text-generation"),
                           sentencepiece_model: str = ctx.profile.default("summarization"),
                           multilingual_model: str = "") -> dict:
        """The same text through WordPiece, byte-level BPE and SentencePiece, with derived notes; with
        multilingual_model (e.g. xlm-roberta-base), a fourth tokenizer for other scripts.
        """
        return to_json(compare_tokenizers_api(ctx, text, wordpiece_model, bpe_model, sentencepiece_model,
                                              multilingual_model))

    publish_endpoint(compare_tokenizers, "compare_tokenizers", serves=compare_tokenizers_api)

