"""Small shared result types for "top-k tokens with probabilities"."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.text_input import check_int
from playground.core.tokens import display_piece

MAX_TOP_K = 20


@dataclass(frozen=True)
class Prediction:
    token: str  # readable piece (`␣car`, `##ing`, `electric`)
    token_id: int
    probability: float


def check_top_k(top_k: object) -> int:
    return check_int(top_k, "top-k", 1, MAX_TOP_K)


def rank_of(probabilities, token_id: int) -> int:
    """Where a token stands in a 1-D probability tensor: 1 = the most probable (ties share the better rank)."""
    return int((probabilities > probabilities[token_id]).sum()) + 1


def top_predictions(tokenizer, probabilities, top_k: int) -> tuple[Prediction, ...]:
    """The `top_k` most probable tokens of a 1-D probability tensor."""
    values, ids = probabilities.topk(top_k)
    return tuple(
        Prediction(token=display_piece(tokenizer, int(i)), token_id=int(i), probability=float(v))
        for v, i in zip(values, ids)
    )
