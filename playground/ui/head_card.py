"""The "Model card" accordion shared by the fine-tuned heads tabs (Sentiment, Question answering,
Summarization): what the selected checkpoint was fine-tuned from and on, and its published scores."""

from __future__ import annotations

import functools

import gradio as gr

from playground.tasks.cards import ModelCardInfo, head_card, is_tiny_stand_in, lab_head_note
from playground.tasks.context import AppContext
from playground.ui.card_view import card_markdown


def head_card_markdown(card: ModelCardInfo | None, name: str, lab_note: str = "") -> str:
    """The card of model `name` rendered for the accordion (a tiny model or a lab head: the card of the checkpoint
    it stands in for; a lab head's own held-out score first)."""
    if card is None:
        return f"No card in model_cards/ describes `{name}`."
    note = f"**Lab head.** {lab_note}\n\n" if lab_note else ""
    if is_tiny_stand_in(name):
        note = (f"`{name}` is a tiny random-weight stand-in for this checkpoint: same architecture family and "
                "tokenizer type, so every code path is real, but its predictions are noise.\n\n")
    return note + card_markdown(card)


def show_head_card(ctx: AppContext, name: str) -> str:
    return head_card_markdown(head_card(ctx, name), name, lab_head_note(ctx, name))


def card_accordion(ctx: AppContext, dropdown: gr.Dropdown) -> None:
    """A closed accordion with the card of the model picked in `dropdown`, following the choice."""
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown(show_head_card(ctx, dropdown.value))
    dropdown.change(functools.partial(show_head_card, ctx), dropdown, card, api_visibility="private")
