"""The "Model card" accordion of the heads tabs (`playground/ui/head_card.py`): the card of the picked model,
or of the checkpoint a tiny model stands in for."""

from playground.ui.head_card import show_head_card


def test_head_card_names_the_checkpoint_a_tiny_model_stands_in_for(ctx):
    text = show_head_card(ctx, "tiny-roberta-squad2")
    assert "tiny random-weight stand-in" in text and "deepset/roberta-base-squad2" in text
    assert "No card in model_cards/" in show_head_card(ctx, "someone/unknown")
