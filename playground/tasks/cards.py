"""The model cards as the UI reads them: one card by slug or by model name (a tiny model: the card of the
checkpoint it stands in for), and the card types and benchmark metrics the views show.

The cards themselves are parsed and checked in `playground/models/cards.py`; the UI reaches them through
this module so that it never imports the models layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.core.errors import PlaygroundError
from playground.models.cards import METRICS, ModelCardInfo
from playground.models.registry import LAB_STAND_INS, TINY_STAND_INS, card_for
from playground.tasks.context import AppContext
from playground.tasks.lab.runs import head_scores

__all__ = ["METRICS", "ModelCardInfo", "TINY_STAND_INS", "card_for", "head_card", "is_tiny_stand_in", "lab_head_note",
           "lab_head_score", "pick_card"]

# What each lab head is, in words (`playground/tasks/lab/heads.py` trains them).
LAB_HEAD_WHAT = {
    "lab-sentiment": "lab-bert fine-tuned on the lab's labelled reviews",
    "lab-nsp": "lab-bert with its next-sentence head trained on sentence pairs from lab paragraphs",
    "lab-electra": "an ELECTRA discriminator with lab-bert's vocabulary, trained on sentences lab-bert corrupted",
    "lab-qa": "lab-bert with a span head trained on questions about lab paragraphs, some of them unanswerable",
    "lab-summarizer": ("a small Pegasus (2 + 2 layers, its own SentencePiece vocabulary) pre-trained on gap sentences "
                       "of lab paragraphs, then fine-tuned to restate the facts of one kind of paragraph (a person's "
                       "day: where, when, what they bought, drank, saw, did); on other text it invents facts"),
}


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


def lab_head_score(ctx: AppContext, name: str) -> dict[str, Any] | None:
    """The held-out score a served lab head was saved with (its run's manifest), or None for other models."""
    directory = ctx.store.local_models.get(name)
    if name not in LAB_STAND_INS or directory is None:
        return None
    return head_scores(Path(directory).parent).get(name)


def _score_text(score: dict[str, Any]) -> str:
    if score["metric"] == "exact match":  # chance: always saying "no answer"
        return f"{score['metric']} {score['value']:.1%} (always \"no answer\": {score['chance']:.0%})"
    if score["metric"] == "fact recall":  # chance: a summary of another paragraph, written without reading this one
        return f"{score['metric']} {score['value']:.0%} (a summary written without reading: {score['chance']:.0%})"
    if score["metric"] == "accuracy":
        return f"{score['metric']} {score['value']:.1%} (chance {score['chance']:.0%})"
    return f"{score['metric']} {score['value']:.2f} (chance {score['chance']:.2f})"


def lab_head_note(ctx: AppContext, name: str) -> str:
    """What a lab head is and its held-out score, next to the real checkpoint it stands in for ("" otherwise)."""
    info = lab_head_score(ctx, name)
    if not info:
        return ""
    score = info["score"]
    extra = score.get("extra") or {}
    detail = "".join(f", {key.replace('_', ' ')} {value:.2f}" for key, value in extra.items()
                     if key in ("precision", "recall"))
    detail += "".join(f", {value:.0%} of the {key.split('_')[0]} questions right" for key, value in extra.items()
                      if key in ("answerable_exact_match", "unanswerable_exact_match"))
    detail += "".join(f", ROUGE-L {value:.2f}" for key, value in extra.items() if key == "rouge_l")
    detail += "".join(f", F1 {value:.2f}" for key, value in extra.items() if key == "f1")
    return (f"{name} is {LAB_HEAD_WHAT[name]}: trained here on the lab world, not downloaded. Held-out "
            f"{_score_text(score)}{detail} on {score['heldout']:,} {score['measured_on']}. It does the job of "
            f"{LAB_STAND_INS[name]}, whose published numbers (on real text, a far harder world) its card gives.")
