"""Small shared result types for "top-k tokens with probabilities", and how a probability is shown."""

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


def percent(probability: float | None) -> str:
    """A probability as every tab shows it to a person: a percentage with the digits that matter — 12.3%, 3.5%,
    0.24%, <0.01% — never 0.0024 in one place and 0.2% in another (JSON results keep the raw floats)."""
    if probability is None:
        return ""
    value = 100 * float(probability)
    if value == 0:
        return "0%"
    if value < 0.01:
        return "<0.01%"
    if value < 1:
        return f"{value:.2f}%"
    if value > 99.9 and probability < 1:
        return ">99.9%"
    return f"{value:.1f}%"


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
