"""The "Model card" accordion shared by the fine-tuned heads tabs (Sentiment, Question answering,
Summarization): what the selected checkpoint was fine-tuned from and on, and its published scores."""

from __future__ import annotations

import functools

import gradio as gr

from playground.models.cards import ModelCardInfo
from playground.tasks.context import AppContext
from playground.models.registry import TINY_STAND_INS, card_for
from playground.ui.card_view import card_markdown


def head_card(ctx: AppContext, name: str) -> ModelCardInfo | None:
    """The card describing a head model (a tiny model: the card of the checkpoint it stands in for)."""
    return card_for(ctx.catalog, name)


def head_card_markdown(card: ModelCardInfo | None, name: str) -> str:
    """The card of model `name` rendered for the accordion (a tiny model: the card it stands in for)."""
    if card is None:
        return f"No card in model_cards/ describes `{name}`."
    note = ""
    if name in TINY_STAND_INS:
        note = (f"`{name}` is a tiny random-weight stand-in for this checkpoint: same architecture family and "
                "tokenizer type, so every code path is real, but its predictions are noise.\n\n")
    return note + card_markdown(card)


def show_head_card(ctx: AppContext, name: str) -> str:
    return head_card_markdown(head_card(ctx, name), name)


def card_accordion(ctx: AppContext, dropdown: gr.Dropdown) -> None:
    """A closed accordion with the card of the model picked in `dropdown`, following the choice."""
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown(show_head_card(ctx, dropdown.value))
    dropdown.change(functools.partial(show_head_card, ctx), dropdown, card, api_visibility="private")
