"""Which model card describes a fine-tuned head model.

Real checkpoints are described by their own card in `model_cards/`. Each tiny test model imitates one
real checkpoint (same architecture and tokenizer family, random weights), so it is described by that
checkpoint's card — which is also how the QA tab knows whether a tiny model plays a SQuAD 1.1 or a
SQuAD 2.0 model.
"""

from __future__ import annotations

from playground.models.cards import CardCatalog, ModelCardInfo

# tiny model -> the Hub checkpoint it stands in for
TINY_STAND_INS = {
    "tiny-distilbert-sst2": "distilbert-base-uncased-finetuned-sst-2-english",
    "tiny-distilbert-squad": "distilbert-base-cased-distilled-squad",
    "tiny-roberta-squad2": "deepset/roberta-base-squad2",
    "tiny-pegasus": "google/pegasus-xsum",
}


def card_for(catalog: CardCatalog, name: str) -> ModelCardInfo | None:
    """The card of `name`, or of the checkpoint a tiny model stands in for; None for unlisted models."""
    return catalog.by_hub_id(TINY_STAND_INS.get(name, name))
