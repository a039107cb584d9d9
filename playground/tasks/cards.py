"""The model cards as the UI reads them: one card by slug or by model name (a tiny model: the card of the
checkpoint it stands in for), and the card types and benchmark metrics the views show.

The cards themselves are parsed and checked in `playground/models/cards.py`; the UI reaches them through
this module so that it never imports the models layer.
"""

from __future__ import annotations

from playground.core.errors import PlaygroundError
from playground.models.cards import METRICS, ModelCardInfo
from playground.models.registry import TINY_STAND_INS, card_for
from playground.tasks.context import AppContext

__all__ = ["METRICS", "ModelCardInfo", "TINY_STAND_INS", "card_for", "head_card", "is_tiny_stand_in", "pick_card"]


def pick_card(ctx: AppContext, slug: str) -> ModelCardInfo:
    """The card with this slug; a clear error when there is none."""
    card = ctx.catalog.by_slug(slug)
    if card is None:
        raise PlaygroundError(f"No model card '{slug}'. Pick one from the list.")
    return card


def head_card(ctx: AppContext, name: str) -> ModelCardInfo | None:
    """The card describing a head model (a tiny model: the card of the checkpoint it stands in for)."""
    return card_for(ctx.catalog, name)


def is_tiny_stand_in(name: str) -> bool:
    """Whether `name` is a tiny random-weight model standing in for a real checkpoint."""
    return name in TINY_STAND_INS
