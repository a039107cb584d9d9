"""The "Model card" accordion shared by the fine-tuned heads tabs (Sentiment, Question answering,
Summarization): what the selected checkpoint was fine-tuned from and on, and its published scores."""

from __future__ import annotations

import functools

import gradio as gr

from playground.models.cards import ModelCardInfo
from playground.models.context import AppContext
from playground.models.registry import TINY_STAND_INS, card_for


def head_card(ctx: AppContext, name: str) -> ModelCardInfo | None:
    """The card describing a head model (a tiny model: the card of the checkpoint it stands in for)."""
    return card_for(ctx.catalog, name)


def head_card_markdown(card: ModelCardInfo | None, name: str) -> str:
    """The card of model `name` rendered for the accordion."""
    if card is None:
        return f"No card in model_cards/ describes `{name}`."
    lines = []
    if name in TINY_STAND_INS:
        lines.append(f"`{name}` is a tiny random-weight stand-in for this checkpoint: same architecture family and "
                     "tokenizer type, so every code path is real, but its predictions are noise.")
    lines.append(f"**{card.display_name}** · `{card.hub_id}` · {card.paper.get('title', '')} ({card.year})")
    base, data = card.extra.get("base_model"), card.extra.get("fine_tuning_data")
    if base or data:
        lines.append(f"Fine-tuned from `{base}` on {data}." if base else f"Fine-tuned on {data}.")
    size = f"{card.parameters / 1e6:.1f}M parameters" if card.parameters else ""
    lines.append(f"{card.layers} layers · hidden size {card.hidden_size} · {card.heads} heads · {size} · "
                 f"{card.tokenizer} · up to {card.max_positions} tokens")
    if card.benchmarks:
        lines.append("\n**Published results**\n" + "\n".join(f"- {b.name}: **{b.value:g}** ({b.kind_label}) — _{b.source}_"
                                                             for b in card.benchmarks))
    return "\n\n".join(lines) + "\n\n---\n\n" + card.body


def show_head_card(ctx: AppContext, name: str) -> str:
    return head_card_markdown(head_card(ctx, name), name)


def card_accordion(ctx: AppContext, dropdown: gr.Dropdown) -> None:
    """A closed accordion with the card of the model picked in `dropdown`, following the choice."""
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown(show_head_card(ctx, dropdown.value))
    dropdown.change(functools.partial(show_head_card, ctx), dropdown, card, api_visibility="private")
