"""SQuAD-style answer scores, shared by the QA head's held-out score and the assistant's held-out answers:
exact match and token F1 after lower-casing and dropping articles and punctuation (the official SQuAD
evaluation's normalisation). An empty answer ("no answer") matches only an empty answer.

Pure Python; nothing here imports torch.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9']+")
_ARTICLES = {"the", "a", "an"}


def answer_words(text: str) -> list[str]:
    """The words of an answer, lower-cased, without articles or punctuation (SQuAD-style normalisation)."""
    return [w for w in _WORD.findall(text.lower()) if w not in _ARTICLES]


def exact_match(prediction: str, answer: str) -> bool:
    return answer_words(prediction) == answer_words(answer)


def token_f1(prediction: str, answer: str) -> float:
    """Harmonic mean of the shared words' precision and recall (1.0 when both are empty, 0.0 when one is)."""
    predicted, gold = answer_words(prediction), answer_words(answer)
    if not predicted or not gold:
        return float(predicted == gold)
    common = sum(min(predicted.count(w), gold.count(w)) for w in set(gold))
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)
