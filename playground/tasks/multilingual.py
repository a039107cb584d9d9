"""One sentence in English, French and Hindi — with a gap, and whole — so a multilingual masked LM (XLM-R) and
an English one (BERT) can be put on the same gap, and their tokenizers on three scripts' worth of the same text;
and which fill-mask model the tokenizer comparison's multilingual column starts with (XLM-R, or its stand-in).
"""

from __future__ import annotations

from playground.core.text_input import MASK
from playground.models.registry import card_for
from playground.tasks.context import AppContext

FILL_TASK = "fill-mask"
MULTILINGUAL_HUB_ID = "xlm-roberta-base"

ANSWER = {"English": "capital", "French": "capitale", "Hindi": "राजधानी"}
# The same gap, written [MASK] (every fill-mask model accepts it; XLM-R reads it as its own <mask>).
SAME_GAP = {
    "English": f"Paris is the {MASK} of France.",
    "French": f"Paris est la {MASK} de la France.",
    "Hindi": f"पेरिस फ्रांस की {MASK} है।",
}
# The same sentences with the gap filled, for the tokenizer comparison.
WHOLE = {language: text.replace(MASK, ANSWER[language]) for language, text in SAME_GAP.items()}


def multilingual_choice(ctx: AppContext) -> str:
    """The fill-mask model the fourth tokenizer column starts with: the one that is (or stands in for) XLM-R."""
    choices = ctx.profile.choices(FILL_TASK)
    return next((name for name in choices if getattr(card_for(ctx.catalog, name), "hub_id", None) ==
                 MULTILINGUAL_HUB_ID), choices[0])
